# The executable-level checks of `expertmesh serve` (sourced by Scripts/test.sh after checks.sh: uses
# check, expect_bad_input, expect_failure, em_mpirun, BIN, WORK, CFG). Each takes a few seconds.

# json_field FILE SECTION KEY: a number from the summary JSON (SECTION "" for a top-level key).
json_field() {
    awk -v section="\"$2\"" -v key="\"$3\"" '
        section != "\"\"" && index($0, section) { inside = 1; next }
        inside && /}/ { inside = 0 }
        (section == "\"\"" || inside) && index($0, key " :") { gsub(/[ ,]/, "", $0); split($0, kv, ":"); print kv[2]; exit }' "$1"
}
export -f json_field

check "serve: Poisson arrivals on 1+3 ranks complete every request and write the summary and the CSV" bash -c "set -e
    em_mpirun -np 4 '$BIN' serve --config '$CFG' --rate 20 --requests 24 --output-tokens 8 \
        --summary '$WORK/serve.json' --requests-csv '$WORK/serve.csv' >'$WORK/serve.txt'
    [ \"\$(json_field '$WORK/serve.json' '' completedRequests)\" = 24 ] && [ \"\$(json_field '$WORK/serve.json' '' requests)\" = 24 ]
    [ \$(wc -l <'$WORK/serve.csv') -eq 25 ] && grep -q 'time to first token' '$WORK/serve.txt'
    awk -F, 'NR > 1 && (\$8 <= 0 || \$9 <= 0 || \$4 < \$3 || \$5 < \$4) { exit 1 }' '$WORK/serve.csv'"

# HdrHistogram's percentiles (3 significant digits) against the exact nearest rank of the CSV's TTFTs.
check "serve: the summary's TTFT percentiles agree with the per-request CSV" bash -c "set -e
    for p in 50 90 99; do
        exact=\$(awk -F, 'NR > 1 { print \$8 }' '$WORK/serve.csv' | sort -g | awk -v p=\$p '{ v[NR] = \$1 } END {
            r = p / 100 * NR; n = int(r); if (n < r) n++; if (n < 1) n = 1; print v[n] }')
        hdr=\$(json_field '$WORK/serve.json' timeToFirstToken p\$p)
        echo \"p\$p: exact \$exact s, histogram \$hdr s\"
        awk -v e=\"\$exact\" -v h=\"\$hdr\" 'BEGIN { exit !(h >= e - 2e-6 && h <= e * 1.001 + 2e-6) }'
    done"

check "serve: 2 coordinators + 2 workers share the requests" bash -c "set -e
    em_mpirun -np 4 '$BIN' serve --config '$CFG' --set cluster.coordinators=2 --set cluster.workers=2 \
        --rate 25 --requests 16 --prompt-tokens 8-48 --output-tokens 2-8 --summary '$WORK/serve2.json' \
        --requests-csv '$WORK/serve2.csv' --quiet
    [ \"\$(json_field '$WORK/serve2.json' '' completedRequests)\" = 16 ]
    [ \$(awk -F, 'NR > 1 && \$2 == 1' '$WORK/serve2.csv' | wc -l) -eq 8 ]"

# A gap longer than the step timeout: idle coordinators keep the workers' waits short. (The
# timeout also bounds the setup agreement, so it cannot be much shorter than loading the weights.)
printf 'arrival_seconds,prompt_tokens,output_tokens\n0.0,32,4\n0.05,8,6\n0.1,64,1\n8.1,16,3\n8.1,16,3\n' >"$WORK/trace.csv"
check "serve: a trace file with a gap longer than the step timeout" bash -c "set -e
    em_mpirun -np 4 '$BIN' serve --config '$CFG' --trace-file '$WORK/trace.csv' --step-timeout 5 \
        --summary '$WORK/trace.json' --requests-csv '$WORK/trace-requests.csv' --quiet
    [ \"\$(json_field '$WORK/trace.json' '' completedRequests)\" = 5 ]
    # The late requests were served after they arrived (first token at or after 8.1 s).
    awk -F, 'NR == 5 && \$4 < 8.1 { bad = 1 } END { exit bad }' '$WORK/trace-requests.csv'"

printf 'arrival_seconds,prompt_tokens,output_tokens\n0.0,32,4\n0.5,eight,4\n' >"$WORK/bad-trace.csv"
expect_bad_input "serve: a bad trace line is named with its file and line" "bad-trace.csv: line 3: prompt_tokens" \
    "$BIN" serve --config "$CFG" --trace-file "$WORK/bad-trace.csv"
expect_failure "serve: a bad trace line under mpirun: status 2" 2 "bad-trace.csv: line 3" \
    em_mpirun -np 4 "$BIN" serve --config "$CFG" --trace-file "$WORK/bad-trace.csv"
expect_bad_input "serve: a prompt longer than --max-batch-tokens is refused" "prompt_tokens: 600 tokens do not fit --max-batch-tokens 512" \
    "$BIN" serve --config "$CFG" --rate 5 --requests 2 --prompt-tokens 600
expect_bad_input "serve: --rate without --requests is refused" "--requests" "$BIN" serve --config "$CFG" --rate 5
expect_failure "serve: a stalled worker is named by its peers within the step timeout" 1 "waiting for rank 2" \
    env EM_MPI_TIMEOUT=60 bash -c "em_mpirun -np 4 '$BIN' serve --config '$CFG' --rate 20 --requests 8 --step-timeout 3 --inject-fault stall:2"

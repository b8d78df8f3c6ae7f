# The executable-level checks of Scripts/test.sh (sourced by it: uses check, expect_bad_input,
# BIN, WORK). Each check runs the real expertmesh, under mpirun where ranks are involved.
CFG=Cluster/default.yaml
export -f em_mpirun   # for the checks that run it inside bash -c

# --- config validation
check "validate the default config" "$BIN" validate "$CFG"
sed 's/top_k: 2/top_k: 17/' "$CFG" >"$WORK/bad-topk.yaml"
expect_bad_input "validate refuses top_k above experts" "model.top_k" "$BIN" validate "$WORK/bad-topk.yaml"
expect_bad_input "validate names a missing file" "nope.yaml" "$BIN" validate "$WORK/nope.yaml"
sed 's|hardware: hardware/local.yaml|hardware: hardware/nothing-here.yaml|' "$CFG" >Cluster/.missing-profile.yaml
expect_bad_input "validate names a hardware profile that does not exist" "nothing-here.yaml" "$BIN" validate Cluster/.missing-profile.yaml
rm -f Cluster/.missing-profile.yaml
printf 'model:\n  hidden: [1\n' >"$WORK/syntax.yaml"
expect_bad_input "validate reports YAML syntax with the line" "line" "$BIN" validate "$WORK/syntax.yaml"

# --- the reference
check "reference runs the default config" "$BIN" reference --config "$CFG" --output "$WORK/ref.npy"
check "reference is repeatable byte for byte" bash -c "'$BIN' reference --config '$CFG' --output '$WORK/ref2.npy' && cmp '$WORK/ref.npy' '$WORK/ref2.npy'"
check "save-weights writes an F32 checkpoint" "$BIN" save-weights --config "$CFG" --out "$WORK/w.safetensors"
check "reference from the saved checkpoint equals the seeded one" bash -c \
    "'$BIN' reference --config '$CFG' --weights '$WORK/w.safetensors' --output '$WORK/ref-file.npy' && cmp '$WORK/ref.npy' '$WORK/ref-file.npy'"
check "save-weights writes a sharded BF16 checkpoint" "$BIN" save-weights --config "$CFG" --out "$WORK/sharded" --dtype BF16 --shard-bytes 2000000
check "reference from sharded BF16 is close to F32" bash -c \
    "'$BIN' reference --config '$CFG' --weights '$WORK/sharded' --output '$WORK/ref-bf16.npy' && '$BIN' compare '$WORK/ref-bf16.npy' '$WORK/ref.npy' --tolerance 0.25"
check "compare notices a different result" bash -c "! '$BIN' compare '$WORK/ref.npy' '$WORK/ref-bf16.npy' --tolerance 1e-7"

# --- bad input: one line, status 2, no output left behind
expect_bad_input "reference names a missing input file" "missing.npy" \
    "$BIN" reference --config "$CFG" --input "$WORK/missing.npy" --output "$WORK/never.npy"
printf 'not an npy file at all' >"$WORK/bad.npy"
expect_bad_input "reference refuses a malformed .npy" "bad.npy" \
    "$BIN" reference --config "$CFG" --input "$WORK/bad.npy" --output "$WORK/never.npy"
head -c 1000 "$WORK/w.safetensors" >"$WORK/truncated.safetensors"
expect_bad_input "reference refuses a truncated checkpoint" "truncated.safetensors" \
    "$BIN" reference --config "$CFG" --weights "$WORK/truncated.safetensors" --output "$WORK/never.npy"
sed 's/expert_ffn: 512/expert_ffn: 256/' "$CFG" >"$WORK/narrow.yaml"
expect_bad_input "a tensor of the wrong shape is named with both shapes" "shared_experts.gate_proj.weight' has shape \[512, 256\], expected \[256, 256\]" \
    "$BIN" reference --config "$WORK/narrow.yaml" --weights "$WORK/w.safetensors" --output "$WORK/never.npy"
sed 's/  layers: 4/  layers: 5/' "$CFG" >"$WORK/deeper.yaml"
expect_bad_input "a missing tensor is named" "no tensor 'model.layers.4.input_layernorm.weight'" \
    "$BIN" reference --config "$WORK/deeper.yaml" --weights "$WORK/w.safetensors" --output "$WORK/never.npy"
check "a checkpoint missing tensors under mpirun: status 2, one line from the lowest failing rank" bash -c "
    status=0; em_mpirun -np 4 '$BIN' run --config '$WORK/deeper.yaml' --weights '$WORK/w.safetensors' --output '$WORK/never.npy' 2>'$WORK/e.txt' || status=\$?
    [ \$status -eq 2 ] && [ \$(grep -c 'expertmesh: error' '$WORK/e.txt') -eq 1 ] && grep -q \"rank 0: .*no tensor 'model.layers.4\" '$WORK/e.txt'"
check "no partial output file was left behind" test ! -e "$WORK/never.npy"

# --- MPI across ranks
check "mpi-check on 4 ranks" em_mpirun -np 4 "$BIN" mpi-check

# --- the distributed runtime: exact against the reference (fp32 wire), any placement
exact() { # exact NAME RANKS CONFIG [run flags...]: mpirun run == reference within 1e-4
    local name="$1" ranks="$2" config="$3"; shift 3
    check "exact: $name" bash -c "set -e
        em_mpirun -np $ranks '$BIN' run --config '$config' --output '$WORK/run.npy' --quiet $*
        '$BIN' reference --config '$config' --output '$WORK/ref.npy' $* >/dev/null
        '$BIN' compare '$WORK/run.npy' '$WORK/ref.npy' --tolerance 1e-4"
}
tiny() { # tiny WORKERS PLACEMENT: Cluster/tests/tiny.yaml with that cluster
    sed "s/  workers: 1/  workers: $1/; s/  placement: contiguous/  placement: $2/" Cluster/tests/tiny.yaml >"$WORK/tiny-$1-$2.yaml"
    echo "$WORK/tiny-$1-$2.yaml"
}
exact "default config, 1+3 ranks, contiguous" 4 "$CFG" --steps 1
exact "1+1 ranks" 2 "$(tiny 1 contiguous)"
exact "1+2 ranks, round robin" 3 "$(tiny 2 round_robin)"
exact "1+3 ranks, uneven per-layer placement, a worker without experts in some layers" 4 Cluster/tests/uneven.yaml
exact "1+8 ranks, most workers and experts get no token" 9 "$(tiny 8 contiguous)"
exact "decode with KV caches, uneven placement" 4 Cluster/tests/uneven.yaml --mode decode --steps 3
sed 's/  coordinators: 1/  coordinators: 2/; s/  workers: 3/  workers: 2/' Cluster/tests/uneven.yaml \
    | awk '/^  placement:/{print "  placement: round_robin"; skip=1; next} skip && /^    /{next} {skip=0; print}' >"$WORK/two-coordinators.yaml"
exact "2 coordinators + 2 workers (M-to-N exchange), prefill" 4 "$WORK/two-coordinators.yaml"
exact "2 coordinators + 2 workers, decode" 4 "$WORK/two-coordinators.yaml" --mode decode --steps 2
sed 's/  hidden: 48/  hidden: 48\n  vocab: 50/' "$(tiny 3 round_robin)" >"$WORK/vocab.yaml"
exact "token ids in, greedy next ids out" 4 "$WORK/vocab.yaml" --output-kind next-ids --mode decode --steps 2
check "two runs give identical bytes" bash -c "set -e
    em_mpirun -np 4 '$BIN' run --config Cluster/tests/uneven.yaml --output '$WORK/a.npy' --quiet
    em_mpirun -np 4 '$BIN' run --config Cluster/tests/uneven.yaml --output '$WORK/b.npy' --quiet
    cmp '$WORK/a.npy' '$WORK/b.npy'"
check "bf16 and fp8 wire formats report their error and stay close" bash -c "set -e
    '$BIN' reference --config Cluster/tests/uneven.yaml --output '$WORK/ref.npy' >/dev/null
    for d in bf16 fp8; do
        em_mpirun -np 4 '$BIN' run --config Cluster/tests/uneven.yaml --output '$WORK/w.npy' --dispatch-dtype \$d --combine-dtype bf16 >'$WORK/wire.txt'
        grep -q 'dispatch '\$d' (relative error against fp32' '$WORK/wire.txt'
        '$BIN' compare '$WORK/w.npy' '$WORK/ref.npy' --tolerance 5e-2
    done"
check "the summary names every phase and each worker's memory" bash -c "
    em_mpirun -np 4 '$BIN' run --config '$CFG' --steps 2 --metrics '$WORK/m.jsonl' --trace '$WORK/t.json' >'$WORK/summary.txt' &&
    grep -q 'attention   router  dispatch   combine' '$WORK/summary.txt' && grep -q 'worker 2' '$WORK/summary.txt' &&
    [ \$(wc -l <'$WORK/m.jsonl') -eq 2 ] && grep -q '\"traceEvents\"' '$WORK/t.json'"

check "bench prints its ratios against raw MPI_Alltoallv and raw cblas_sgemm" bash -c "
    em_mpirun -np 4 '$BIN' bench --iterations 2 --warmup 1 --decode-steps 2 >'$WORK/bench.txt' &&
    grep -q 'raw MPI_Alltoallv .* ratio' '$WORK/bench.txt' && grep -q 'raw cblas_sgemm .* ratio' '$WORK/bench.txt' &&
    grep -q 'model decode: .* tokens/s' '$WORK/bench.txt'"

check "run --emulate paces the exchange to a slow profile's links" bash -c "
    em_mpirun -np 4 '$BIN' run --config '$CFG' --steps 2 --emulate Cluster/hardware/cpu-1gbe.yaml --metrics '$WORK/emu.jsonl' >'$WORK/emu.txt' &&
    waited=\$(sed -n 's/.*the coordinator waited \\([0-9.]*\\) ms for them.*/\\1/p' '$WORK/emu.txt') &&
    echo \"waited \$waited ms per step\" && awk -v w=\"\$waited\" 'BEGIN { exit !(w > 10) }' &&
    grep -q emulated_link_ms '$WORK/emu.jsonl'"
check "predict answers for the default config and for DeepSeek-V3 at paper scale" bash -c "
    '$BIN' predict --config '$CFG' --hardware Cluster/hardware/h800.yaml | grep -q 'bottleneck: ' &&
    '$BIN' predict --config Cluster/deepseek-v3.yaml --node-limit 4 --json | grep -q '\"tokens_per_second\"'"
check "calibrate writes a profile of this machine that predict accepts" bash -c "
    em_mpirun -np 4 '$BIN' calibrate --out '$WORK/local.yaml' --iterations 3 --max-bytes 64KiB >'$WORK/calibrate.txt' &&
    grep -q busbw '$WORK/calibrate.txt' && '$BIN' predict --config '$CFG' --hardware '$WORK/local.yaml' | grep -q 'tokens/s'"
printf 'name: x\ndevice: {flops: {fp32: 1 GFLOP/s}, memory_bandwidth: 1 GB/s, memory: 1 GB}\ndevices_per_node: 1\nintra_node: {bandwidth: 0 GB/s, latency: 1 us}\ninter_node: {bandwidth: 1 GB/s, latency: 1 us}\n' >"$WORK/zero.yaml"
expect_bad_input "a profile with a zero bandwidth is refused with its field" "intra_node.bandwidth" \
    "$BIN" predict --config "$CFG" --hardware "$WORK/zero.yaml"

# --- the runtime's failures: clear, bounded in time, nothing left behind
expect_failure "a rank count other than the config's exits 2 and says how to launch" 2 "mpirun -np 4" \
    em_mpirun -np 3 "$BIN" run --config "$CFG"
expect_failure "a stalled worker is named by its peers within the step timeout" 1 "waiting for rank 2" \
    env EM_MPI_TIMEOUT=60 bash -c "em_mpirun -np 4 '$BIN' run --config Cluster/tests/uneven.yaml --step-timeout 3 --inject-fault stall:2"
expect_failure "a bad record is reported with rank, layer and field" 2 "rank 2: layer 1: bad message from rank 0: record 0 slot 0 expert" \
    em_mpirun -np 4 "$BIN" run --config Cluster/tests/uneven.yaml --inject-fault corrupt:2
expect_failure "a killed worker ends the job" nonzero "rank 2" \
    em_mpirun -np 4 "$BIN" run --config Cluster/tests/uneven.yaml --inject-fault kill:2
# calibrate, bench and mpi-check: a stalled rank ends the job within the step timeout (far below
# the 90 s outer timeout), named by its peers with the phase they waited in.
stalled() { # stalled COMMAND TIMEOUT PHASE [flags...]: status non-zero (not the outer timeout's) within 3 × TIMEOUT + 20 s, and the line
    local command="$1" timeout="$2" phase="$3"; shift 3
    check "$command: a stalled rank is named with the phase within the step timeout" bash -c "
        start=\$(date +%s); status=0
        EM_MPI_TIMEOUT=90 em_mpirun -np 4 '$BIN' $command $* --step-timeout $timeout --inject-fault stall:2 >/dev/null 2>'$WORK/stall.txt' || status=\$?
        elapsed=\$(( \$(date +%s) - start )); echo \"status \$status after \$elapsed s\"; head -n 3 '$WORK/stall.txt'
        [ \$status -ne 0 ] && [ \$status -lt 124 ] && [ \$elapsed -lt \$(( 3 * $timeout + 20 )) ] &&
        grep -q 'rank [013]: timed out after $timeout.0 s waiting for rank 2 in $phase' '$WORK/stall.txt'"
}
stalled mpi-check 3 "the mpi-check stage allreduce"
stalled calibrate 3 "the ping-pong" --out "$WORK/stalled.yaml" --iterations 1 --max-bytes 1KiB
stalled bench 3 "the start of the exchange bench" --iterations 1 --warmup 0 --decode-steps 1
check "calibrate left no profile behind after the stall" test ! -e "$WORK/stalled.yaml"
# The same with a real SIGSTOP of rank 2 (found among this mpirun's own children by its
# OMPI_COMM_WORLD_RANK) 3 s into a calibration that lasts longer: whichever phase it hits, a
# bounded wait (or the watchdog of the blocking all-to-all) ends the job within the timeout.
check "calibrate: a rank stopped with SIGSTOP ends the job within the step timeout" bash -c "
    start=\$(date +%s); status=0
    EM_MPI_TIMEOUT=90 em_mpirun -np 4 '$BIN' calibrate --out '$WORK/sigstop.yaml' --iterations 300 --max-bytes 1MiB --step-timeout 3 \
        >/dev/null 2>'$WORK/sigstop.txt' & job=\$!
    sleep 3
    for p in \$(pgrep -P \$job) \$(for c in \$(pgrep -P \$job); do pgrep -P \$c; done) \$(for c in \$(pgrep -P \$job); do for g in \$(pgrep -P \$c); do pgrep -P \$g; done; done); do
        tr '\\0' '\\n' </proc/\$p/environ 2>/dev/null | grep -qx OMPI_COMM_WORLD_RANK=2 && kill -STOP \$p && echo stopped \$p
    done
    wait \$job || status=\$?
    elapsed=\$(( \$(date +%s) - start )); echo \"status \$status after \$elapsed s\"; grep -m 2 'timed out' '$WORK/sigstop.txt'
    [ \$status -ne 0 ] && [ \$status -lt 124 ] && [ \$elapsed -lt 40 ] && grep -q 'timed out after 3.0 s' '$WORK/sigstop.txt'"
for command in mpi-check bench "calibrate --out $WORK/never.yaml"; do
    for value in inf 0 -1 1e20 nan; do
        expect_bad_input "${command%% *} refuses --step-timeout $value" "step-timeout" "$BIN" $command "--step-timeout=$value"
    done
done
expect_bad_input "bench refuses --iterations beyond the config's step limit" "--iterations" "$BIN" bench --iterations 2000000000
expect_bad_input "bench refuses --decode-steps 0" "--decode-steps" "$BIN" bench --decode-steps 0
# A runtime failure leaves the rank's failure record where the launcher asked (the load-test
# driver reads it to end a job whose mpirun hangs on a lost host).
check "a rank that times out writes its failure record" bash -c "
    mkdir -p '$WORK/failures'; status=0
    EXPERTMESH_FAILURE_FOLDER='$WORK/failures' em_mpirun -np 4 -x EXPERTMESH_FAILURE_FOLDER '$BIN' run --config Cluster/tests/uneven.yaml \
        --step-timeout 3 --inject-fault stall:2 >/dev/null 2>&1 || status=\$?
    [ \$status -ne 0 ] && cat '$WORK'/failures/failure-rank-*.json | grep -q 'timed out after 3.0 s waiting for rank 2'"
# (zombies that mpirun has not reaped yet do not count: they hold no resources)
check "no expertmesh process is left behind" bash -c "sleep 1; ! ps -C expertmesh -o stat= | grep -qv '^Z'"

# --- typed edges: every bad value exits 2 with one line and leaves nothing behind
expect_bad_input "a value that is no case of an enum option is named with the cases" "'fp16' is invalid for '--dispatch-dtype.*'fp32', 'bf16' or 'fp8'" \
    "$BIN" run --config "$CFG" --dispatch-dtype fp16
expect_bad_input "a missing option is one line, without the usage text" "Missing expected argument '--config" \
    "$BIN" reference
expect_bad_input "run refuses a step timeout that is not finite" "--step-timeout: expected seconds > 0 and at most 86400, found inf" \
    "$BIN" run --config "$CFG" --step-timeout inf
expect_bad_input "run refuses --steps beyond the config's own limit" "--steps: expected 1...10000000, found 1000000000000" \
    "$BIN" run --config "$CFG" --steps 1000000000000
expect_bad_input "serve refuses --requests beyond the limit" "--requests: expected 1...10000000" \
    "$BIN" serve --config "$CFG" --rate 5 --requests 100000000000
expect_bad_input "save-weights refuses --shard-bytes 0" "--shard-bytes: expected at least 1, found 0" \
    "$BIN" save-weights --config "$CFG" --out "$WORK/edge-shards" --shard-bytes 0
check "save-weights --shard-bytes 0 wrote nothing" test ! -e "$WORK/edge-shards"
expect_bad_input "loadtest refuses an overflowing --point-timeout" "--point-timeout: expected seconds > 0 and at most 86400, found 1e+20" \
    "$BIN" loadtest --config "$CFG" --sweep workers=1 --out "$WORK/edge-lt" --point-timeout 1e20
expect_bad_input "loadtest refuses a non-finite --step-timeout" "--step-timeout: expected seconds > 0 and at most 86400, found inf" \
    "$BIN" loadtest --config "$CFG" --sweep workers=1 --out "$WORK/edge-lt" --step-timeout inf
expect_bad_input "loadtest refuses --steps that is not a whole number" "'1e12' is invalid for '--steps" \
    "$BIN" loadtest --config "$CFG" --sweep workers=1 --out "$WORK/edge-lt" --steps 1e12
expect_bad_input "loadtest refuses a huge --requests" "--requests: expected 1...10000000" \
    "$BIN" loadtest --config "$CFG" --sweep rate=1 --out "$WORK/edge-lt" --requests 100000000000
expect_bad_input "loadtest refuses an infinite bandwidth" "bandwidth=inf: 'inf': expected a finite bandwidth" \
    "$BIN" loadtest --config "$CFG" --sweep bandwidth=inf --out "$WORK/edge-lt" --model-only
check "a refused loadtest created no --out folder" test ! -e "$WORK/edge-lt"
expect_bad_input "plan refuses --workers beyond the config's own limit before reading anything" "--workers: expected 1...65536, found 100000000" \
    "$BIN" plan --config "$CFG" --load "$WORK/none.csv" --workers 100000000 --out "$WORK/edge-plan.yaml"
check "a refused plan wrote no placement file" test ! -e "$WORK/edge-plan.yaml"
expect_bad_input "serve refuses output tokens beyond the config's token limit" "--output-tokens: expected N or LOW-HIGH, whole numbers in 1...10000000, found '1-100000000000'" \
    "$BIN" serve --config "$CFG" --rate 5 --requests 2 --output-tokens 1-100000000000

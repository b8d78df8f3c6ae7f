# The load-test driver's checks (sourced by Scripts/test.sh: uses check, expect_bad_input, BIN,
# WORK, CFG). Each sweep launches real mpirun jobs of the debug build; steps are few to stay fast.

# --- bad input: before anything is launched
expect_bad_input "loadtest refuses an unknown axis" "unknown axis 'gpus'" \
    "$BIN" loadtest --config "$CFG" --sweep gpus=1,2 --out "$WORK/lt-bad"
expect_bad_input "loadtest refuses a value that does not parse" "workers=1,two: 'two': expected an integer" \
    "$BIN" loadtest --config "$CFG" --sweep workers=1,two --out "$WORK/lt-bad"
expect_bad_input "loadtest refuses a point the config cannot describe" "point 1 (workers=4).*cluster.placement" \
    "$BIN" loadtest --config Cluster/tests/uneven.yaml --sweep workers=3,4 --out "$WORK/lt-bad"
expect_bad_input "loadtest says how to install a missing mpirun" "apt-get install -y openmpi-bin" \
    env PATH=/nonexistent "$BIN" loadtest --config "$CFG" --sweep workers=1 --out "$WORK/lt-bad"
check "nothing was written by the refused sweeps" test ! -e "$WORK/lt-bad"

# --- a two-point sweep: the CSV's columns, the plots, the report
# A relative --out, as people type it.
check "loadtest runs a two-point sweep" bash -c "cd '$WORK' && '$BIN' loadtest --config '$EM_ROOT/$CFG' --sweep workers=1,2 --steps 1 --out lt --quiet"
lt_csv_ok() {
    local csv="$WORK/lt/points.csv" header
    header="$(head -n 1 "$csv")"
    for column in point status workers tokens tokens_per_s step_ms attention_ms dispatch_ms experts_ms combine_ms \
                  dispatch_bytes combine_bytes exchange_gb_s imbalance predicted_step_ms predicted_tokens_per_s relative_error; do
        echo ",$header," | grep -q ",$column," || { echo "no column $column in: $header"; return 1; }
    done
    [ "$(wc -l <"$csv")" -eq 3 ] || { echo "expected 2 rows"; cat "$csv"; return 1; }
    # Both points measured: status ok, a positive throughput and a prediction.
    awk -F, -v h="$header" 'BEGIN { n = split(h, names, ","); for (i = 1; i <= n; i++) col[names[i]] = i }
        NR > 1 && ($col["status"] != "ok" || $col["tokens_per_s"] <= 0 || $col["predicted_step_ms"] <= 0) { bad = 1; print }
        END { exit bad }' "$csv"
}
check "points.csv has every column and a measured, predicted row per point" lt_csv_ok
lt_plots_ok() {
    local count=0
    for png in "$WORK"/lt/plots/*.png; do
        [ -s "$png" ] && [ "$(head -c 8 "$png" | od -An -tx1 | tr -d ' \n')" = "89504e470d0a1a0a" ] || { echo "not a PNG: $png"; return 1; }
        local svg="${png%.png}.svg"
        grep -q "<svg" "$svg" || { echo "not an SVG: $svg"; return 1; }
        count=$((count + 1))
    done
    [ "$count" -ge 2 ] || { echo "expected plots, found $count"; ls -la "$WORK/lt" "$WORK/lt/plots"; return 1; }
    grep -q "plots/throughput-vs-workers.png" "$WORK/lt/report.md" && test -s "$WORK/lt/summary.json"
}
check "the plots are PNG and SVG images and report.md embeds them" lt_plots_ok
expect_bad_input "loadtest will not overwrite a finished sweep" "add --resume" \
    "$BIN" loadtest --config "$CFG" --sweep workers=1,2 --steps 1 --out "$WORK/lt" --quiet

# --- an interrupted sweep resumes where it stopped, keeping what was finished
lt_resume_ok() {
    local out="$WORK/lt-resume"
    "$BIN" loadtest --config "$CFG" --sweep tokens=8,16,24 --steps 1 --out "$out" --quiet &
    local pid=$!
    for _ in $(seq 1 600); do [ -e "$out/points/0000/record.json" ] && break; sleep 0.1; done
    kill -TERM "$pid"; wait "$pid" || true
    [ -e "$out/points/0000/record.json" ] && [ ! -e "$out/points/0002/record.json" ] || { echo "interrupted too late or too early"; return 1; }
    sleep 1
    # The ranks' --summary names this sweep's own folder: nothing else on the machine matches it.
    if pgrep -f "$out/points/" >/dev/null; then echo "ranks left behind"; pgrep -af "$out/points/"; return 1; fi
    cp "$out/points/0000/record.json" "$WORK/first.json"
    "$BIN" loadtest --config "$CFG" --sweep tokens=8,16,24 --steps 1 --out "$out" --resume >"$WORK/resume.txt" 2>&1 || return 1
    grep -q "resuming: [12] of 3 points already done" "$WORK/resume.txt" || { echo "no resume line:"; cat "$WORK/resume.txt"; return 1; }
    cmp "$out/points/0000/record.json" "$WORK/first.json" || { echo "the finished point changed"; return 1; }
    [ "$(grep -c ',ok,' "$out/points.csv")" -eq 3 ] || { echo "expected 3 measured points:"; cat "$out/points.csv"; return 1; }
}
check "an interrupted sweep resumes and keeps its finished points" lt_resume_ok
expect_bad_input "resume refuses a folder made by another sweep" "made by a different sweep" \
    "$BIN" loadtest --config "$CFG" --sweep tokens=8,16 --steps 1 --out "$WORK/lt-resume" --resume

# --- a point that fails at run time is recorded, and the next one still runs
lt_failed_point_ok() {
    # Weights saved for hidden 256: the hidden=128 point passes the config's checks but its ranks
    # find tensors of the wrong shape; the hidden=256 point after it must still be measured.
    sed "s|^weights:|weights:\n  path: $WORK/w.safetensors|" "$CFG" >Cluster/.loadtest-weights.yaml
    "$BIN" loadtest --config Cluster/.loadtest-weights.yaml --sweep hidden=128,256 --steps 1 --out "$WORK/lt-fail" --quiet
    local status=$?
    grep -q '^0,0,failed,.*has shape' "$WORK/lt-fail/points.csv" && grep -q '^1,0,ok,' "$WORK/lt-fail/points.csv" || status=1
    # --resume runs the failed point again and keeps the measured one.
    "$BIN" loadtest --config Cluster/.loadtest-weights.yaml --sweep hidden=128,256 --steps 1 --out "$WORK/lt-fail" --resume \
        >"$WORK/lt-fail.txt" 2>&1 || status=1
    grep -q "resuming: 1 of 2 points already done" "$WORK/lt-fail.txt" && grep -q "1/1 point 0: hidden=128" "$WORK/lt-fail.txt" || status=1
    rm -f Cluster/.loadtest-weights.yaml
    [ "$status" -eq 0 ]
}
check "a failed point is recorded with its error, the sweep goes on, and --resume retries it" lt_failed_point_ok

# --- the cost model alone, at paper scale
check "loadtest --model-only sweeps DeepSeek-V3 from EP 8 to 256 on H800 links" bash -c "
    '$BIN' loadtest --config Cluster/deepseek-v3.yaml --hardware Cluster/hardware/h800.yaml --model-only \
        --sweep workers=8,16,32,64,128,256 --out '$WORK/lt-model' --quiet &&
    [ \$(grep -c ',predicted,' '$WORK/lt-model/points.csv') -eq 6 ]"

#!/usr/bin/env bash
# Predicted against measured step time on this machine: calibrate (unless a profile is given),
# then for a sweep of worker counts and batch sizes run the default model for real and ask the
# cost model, and print a Markdown table with the median absolute relative error.
#   Scripts/costmodel-check.sh [PROFILE]
. "$(dirname "$0")/lib.sh"
cd "$EM_ROOT"
em_install_deps
swift build -c release --product expertmesh 2>&1 | grep -E "error|Build" | tail -n 1
BIN="$(em_release_bin)"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
PROFILE="${1:-$WORK/local.yaml}"
if [ -z "${1:-}" ]; then
    em_log "calibrating this machine with 4 ranks"
    em_mpirun -np 4 "$BIN" calibrate --out "$PROFILE" >"$WORK/calibrate.txt"
fi
echo "| workers | ranks | sequences × tokens | measured ms (median of 5) | predicted ms | relative error |"
echo "|---|---|---|---|---|---|"
errors=()
for workers in 1 2 3; do
    for shape in "1 32" "2 64" "4 128"; do
        set -- $shape
        sed "s/  workers: 3/  workers: $workers/; s/  sequences: 4/  sequences: $1/; s/  tokens: 64/  tokens: $2/; s/  steps: 3/  steps: 6/" \
            Cluster/default.yaml >"$WORK/point.yaml"
        em_mpirun -np $((workers + 1)) "$BIN" run --config "$WORK/point.yaml" --quiet --metrics "$WORK/m.jsonl"
        # The first step warms caches and buffers up: the median of the other five.
        measured=$(python3 - "$WORK/m.jsonl" <<'PY'
import json, statistics, sys
steps = [json.loads(line)["seconds"] for line in open(sys.argv[1])][1:]
print(statistics.median(steps) * 1000)
PY
)
        predicted=$("$BIN" predict --config "$WORK/point.yaml" --hardware "$PROFILE" --json \
            | python3 -c 'import json,sys; print(json.load(sys.stdin)["step_seconds"] * 1000)')
        error=$(python3 -c "print(abs($predicted - $measured) / $measured)")
        errors+=("$error")
        printf '| %d | %d | %d × %d | %.1f | %.1f | %.0f %% |\n' "$workers" $((workers + 1)) "$1" "$2" "$measured" "$predicted" \
            "$(python3 -c "print($error * 100)")"
    done
done
python3 -c "import statistics; e=[${errors[*]/%/,}]; print(f'\nmedian absolute relative error: {statistics.median(e)*100:.0f} % over {len(e)} points')"

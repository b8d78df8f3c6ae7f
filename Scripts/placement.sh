#!/usr/bin/env bash
# The effect of expert placement under skewed routing, measured and predicted:
#   for each routing skew, run the skewed workload and collect its load (run --load-stats),
#   plan placements from that load with 0, 1 and 2 redundant experts per worker (expertmesh plan),
#   then one loadtest over skew x placement (the config's contiguous placement and the three plans),
#   each point predicted from its measured load and placement. The plans are made from the
#   routing of one input (workload.seed 1) and measured on another (seed 2): held out.
#
#   Scripts/placement.sh [OUT]          (default OUT: results/placement; about 4 minutes)
#
# OUT/sweep/report.md is the report; OUT/loads/ and OUT/plans/ hold the loads and the plans.
. "$(dirname "$0")/lib.sh"
cd "$EM_ROOT"
em_install_deps
OUT="${1:-results/placement}"
mkdir -p "$OUT/loads" "$OUT/plans"

em_log "swift build -c release"
swift build -c release 2>&1 | grep -E "error|warning: unre|Compiling|Build" | grep -v "^\[" | tail -n 5
BIN="$(em_release_bin)"
CFG=Cluster/default.yaml
SKEWS=(0 0.2 0.4 0.8)
# Workers run as if each had a device of its own, 4x slower than a core here: on 2 shared cores
# an idle worker would otherwise lend its core to the busy one and hide the imbalance.
DEVICE=(--emulate Cluster/hardware/cpu-1gbe.yaml --sweep bandwidth=10 --sweep flops=8)

for skew in "${SKEWS[@]}"; do
    load="$OUT/loads/skew-$skew.csv"
    if [ ! -s "$load" ]; then
        em_log "load at skew $skew"
        em_mpirun -np 4 "$BIN" run --config "$CFG" --set model.router.skew="$skew" --set workload.seed=1 --steps 2 \
            --load-stats "$load" --quiet
    fi
    mkdir -p "$OUT/plans/skew-$skew"
    for r in 0 1 2; do
        "$BIN" plan --config "$CFG" --load "$load" --redundant "$r" --out "$OUT/plans/skew-$skew/planned-r$r.yaml" \
            --eplb-out "$OUT/plans/skew-$skew/planned-r$r.json" >"$OUT/plans/skew-$skew/planned-r$r.txt"
    done
done

resume=()
[ -e "$OUT/sweep/sweep.json" ] && resume=(--resume)
em_log "loadtest skew x placement"
"$BIN" loadtest --config "$CFG" --out "$OUT/sweep" "${resume[@]}" --steps 4 --repeat 2 --set workload.seed=2 \
    --title "Placement under skewed routing: contiguous against planned with 0, 1, 2 redundant experts per worker" \
    "${DEVICE[@]}" --sweep skew="$(IFS=,; echo "${SKEWS[*]}")" \
    --sweep placement="contiguous,$OUT/plans/skew-{skew}/planned-r0.yaml,$OUT/plans/skew-{skew}/planned-r1.yaml,$OUT/plans/skew-{skew}/planned-r2.yaml" \
    --expert-load "$OUT/loads/skew-{skew}.csv"
em_log "report: $OUT/sweep/report.md"

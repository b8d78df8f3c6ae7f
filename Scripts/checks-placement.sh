# Placement and load balancing checks (sourced by Scripts/test.sh: uses check, expect_bad_input,
# BIN, WORK, CFG, em_mpirun): skewed routing, load statistics, the planner, replicated experts
# exact against the reference, EPLB files, and bad placements and load files.

SKEW=(--set model.router.skew=0.4)
check "run --load-stats writes every expert of every MoE layer, summing to tokens x top-k x steps" bash -c "set -e
    em_mpirun -np 4 '$BIN' run --config '$CFG' ${SKEW[*]} --steps 2 --load-stats '$WORK/load.csv' --quiet
    [ \$(grep -vc '^#' '$WORK/load.csv') -eq \$((1 + 4 * 16)) ]
    # 4 sequences x 64 tokens x top-2 x 2 steps = 1024 per layer
    awk -F, '!/^#/ && NR > 3 { s[\$1] += \$3 } END { for (l in s) if (s[l] != 1024) exit 1 }' '$WORK/load.csv'"
check "plan balances the skewed load with one redundant expert per worker" bash -c "set -e
    '$BIN' plan --config '$CFG' --load '$WORK/load.csv' --redundant 1 --out '$WORK/plan.yaml' --eplb-out '$WORK/plan.json' >'$WORK/plan.txt'
    grep -q 'gets a 2nd copy' '$WORK/plan.txt'
    # every layer's imbalance falls: 'imbalance B → A' with A < B
    grep -o 'imbalance [0-9.]* → [0-9.]*' '$WORK/plan.txt' | awk '{ if (\$4 >= \$2) exit 1 } END { if (NR != 4) exit 1 }'"
check "replicated experts from the plan are exact against the reference" bash -c "set -e
    '$BIN' reference --config '$CFG' ${SKEW[*]} --output '$WORK/skew-ref.npy'
    em_mpirun -np 4 '$BIN' run --config '$CFG' ${SKEW[*]} --set 'cluster.placement={file: $WORK/plan.yaml}' \
        --output '$WORK/skew-run.npy' --load-stats '$WORK/load-planned.csv' --quiet
    '$BIN' compare '$WORK/skew-run.npy' '$WORK/skew-ref.npy' --tolerance 1e-4"
check "an EPLB plan read back gives the same placement file" bash -c "set -e
    '$BIN' plan --config '$CFG' --eplb-in '$WORK/plan.json' --out '$WORK/plan-again.yaml' >/dev/null
    diff <(grep -v '^#' '$WORK/plan.yaml') <(grep -v '^#' '$WORK/plan-again.yaml')"
check "predict takes the measured load: planned placement predicts a shorter experts time" bash -c "set -e
    a=\$('$BIN' predict --config '$CFG' ${SKEW[*]} --expert-load '$WORK/load.csv' --json | grep -o '\"imbalance\" *: *[0-9.]*' | grep -o '[0-9.]*\$')
    b=\$('$BIN' predict --config '$CFG' ${SKEW[*]} --set 'cluster.placement={file: $WORK/plan.yaml}' --expert-load '$WORK/load.csv' --json | grep -o '\"imbalance\" *: *[0-9.]*' | grep -o '[0-9.]*\$')
    awk -v a=\"\$a\" -v b=\"\$b\" 'BEGIN { exit !(a > 1.3 && b < 1.1) }'"

# --- bad placements and load files: one line naming the field or line, status 2
sed 's/^1,3,\([0-9]*\),/1,3,-\1,/' "$WORK/load.csv" >"$WORK/negative.csv"
expect_bad_input "plan names the line of a negative count" "negative.csv: line [0-9]*:.*tokens" \
    "$BIN" plan --config "$CFG" --load "$WORK/negative.csv" --out "$WORK/never.yaml"
grep -v '^2,' "$WORK/load.csv" >"$WORK/missing-layer.csv"
expect_bad_input "plan names a missing layer" "missing-layer.csv: layer 2" \
    "$BIN" plan --config "$CFG" --load "$WORK/missing-layer.csv" --out "$WORK/never.yaml"
printf 'placement:\n  - {worker: 0, experts: [0, 1, 2, 3, 4, 5, 5]}\n  - {worker: 1, experts: [6, 7, 8, 9, 10]}\n  - {worker: 2, experts: [11, 12, 13, 14, 15]}\n' >"$WORK/twice.yaml"
sed "s|placement: contiguous.*|placement: {file: $WORK/twice.yaml}|" "$CFG" >Cluster/.placement-twice.yaml
expect_bad_input "a placement with two copies on one worker names the field" "twice.yaml: placement\[0\].experts\[6\]" \
    "$BIN" validate Cluster/.placement-twice.yaml
printf 'placement:\n  - {worker: 0, experts: [0, 1, 2, 3, 4]}\n  - {worker: 1, experts: [6, 7, 8, 9, 10]}\n  - {worker: 2, experts: [11, 12, 13, 14, 15]}\n' >"$WORK/orphan.yaml"
sed "s|placement: contiguous.*|placement: {file: $WORK/orphan.yaml}|" "$CFG" >Cluster/.placement-orphan.yaml
expect_bad_input "a placement that leaves an expert unplaced is refused" "expert 5 held by none" \
    "$BIN" validate Cluster/.placement-orphan.yaml
rm -f Cluster/.placement-twice.yaml Cluster/.placement-orphan.yaml
test ! -e "$WORK/never.yaml" || { failed=$((failed + 1)); echo "FAIL a refused plan wrote its output"; }

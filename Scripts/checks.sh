# The executable-level checks of Scripts/test.sh (sourced by it: uses check, expect_bad_input,
# BIN, WORK). Each check runs the real expertmesh, under mpirun where ranks are involved.
CFG=Cluster/default.yaml

# --- config validation
check "validate the default config" "$BIN" validate "$CFG"
sed 's/top_k: 2/top_k: 17/' "$CFG" >"$WORK/bad-topk.yaml"
expect_bad_input "validate refuses top_k above experts" "model.top_k" "$BIN" validate "$WORK/bad-topk.yaml"
expect_bad_input "validate names a missing file" "nope.yaml" "$BIN" validate "$WORK/nope.yaml"
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
check "no partial output file was left behind" test ! -e "$WORK/never.npy"

# --- MPI across ranks
check "mpi-check on 4 ranks" em_mpirun -np 4 "$BIN" mpi-check

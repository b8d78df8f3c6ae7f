#!/usr/bin/env bash
# Quick start, step 1: install what is missing, build in release mode, run the default cluster.
. "$(dirname "$0")/lib.sh"
cd "$EM_ROOT"
em_install_deps
em_log "building (release)"
swift build -c release --product expertmesh 2>&1 | tail -n 1
CONFIG="${1:-Cluster/default.yaml}"
BIN="$(em_release_bin)"
RANKS=$("$BIN" validate "$CONFIG" | sed -n 's/.*= \([0-9]*\) ranks.*/\1/p')
em_log "mpirun -np $RANKS expertmesh mpi-check, then the single-process reference of $CONFIG"
em_mpirun -np "$RANKS" "$BIN" mpi-check
"$BIN" reference --config "$CONFIG"

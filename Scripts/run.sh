#!/usr/bin/env bash
# Quick start, step 1: install what is missing, build in release mode, and run the default cluster
# (or the config given as the first argument) under mpirun, printing where the time went.
. "$(dirname "$0")/lib.sh"
cd "$EM_ROOT"
em_install_deps
em_log "building (release)"
swift build -c release --product expertmesh 2>&1 | grep -E "error|Compiling|Build" | tail -n 3
CONFIG="${1:-Cluster/default.yaml}"
shift || true
BIN="$(em_release_bin)"
RANKS=$("$BIN" validate "$CONFIG" | sed -n 's/.*= \([0-9]*\) ranks.*/\1/p')
em_log "mpirun -np $RANKS expertmesh run --config $CONFIG $*"
em_mpirun -np "$RANKS" "$BIN" run --config "$CONFIG" "$@"

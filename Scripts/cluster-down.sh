#!/usr/bin/env bash
# Removes the test cluster of Scripts/cluster-up.sh: every em-h* namespace, em-v* veth and the
# em-br0 bridge, and checks that nothing is left. Idempotent.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
. "$ROOT/Scripts/cluster-lib.sh"
em_cluster_require
em_cluster_down
left="$(em_cluster_leftovers)"
[ -z "$left" ] || { echo "cluster-down: could not remove: $left" >&2; exit 1; }
echo "cluster-down: no test host, veth or bridge left"

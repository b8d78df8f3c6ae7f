#!/usr/bin/env bash
# Sets every test host's link rate (both directions) of the running test cluster:
#   Scripts/cluster-rate.sh RATE       (tc units such as 500mbit, or a number of Gbit/s)
# `expertmesh loadtest --sweep linkrate=...` calls it between points.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
. "$ROOT/Scripts/cluster-lib.sh"
[ $# -eq 1 ] || { echo "usage: Scripts/cluster-rate.sh RATE" >&2; exit 2; }
em_cluster_require
TC_RATE="$(em_cluster_tc_rate "$1")" || { echo "cluster-rate: expected a rate such as 500mbit or 0.5 (Gbit/s), found '$1'" >&2; exit 2; }
hosts=$(ip netns list | awk '{ print $1 }' | grep "^$EM_NS_PREFIX[0-9]*$" | sed "s/^$EM_NS_PREFIX//" | sort -n)
[ -n "$hosts" ] || { echo "cluster-rate: no test host is up (Scripts/cluster-up.sh)" >&2; exit 2; }
for i in $hosts; do em_cluster_set_rate "$i" "$TC_RATE"; done
echo "cluster-rate: $(echo $hosts | wc -w) hosts at $TC_RATE each way"

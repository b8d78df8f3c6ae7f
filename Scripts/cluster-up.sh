#!/usr/bin/env bash
# A real multi-host cluster on one machine: N test hosts, each a Linux network namespace with its
# own address on a test subnet of its own, joined by veth pairs to a bridge the launching side
# also reaches, every host's link rate-limited in both directions with tc (tbf).
#
#   Scripts/cluster-up.sh N --rate RATE [--slots S] [--latency L]
#       RATE: tc's units (100mbit, 1gbit) or a number of Gbit/s; S: ranks per host (default 2)
#
# Writes Cluster/hosts/netns-N (the hostfile), Cluster/hosts/netns-N.map (address -> namespace,
# for Scripts/netns-rsh) and Cluster/hosts/netns-N.env (the mpirun settings: source it, then
# mpirun --hostfile Cluster/hosts/netns-N ... or expertmesh loadtest --hostfile ...). Idempotent:
# an existing test cluster is removed first. On any failure everything made is removed again.
# Only the project's own namespaces (em-h*), veths (em-v*) and bridge (em-br0) are touched.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
. "$ROOT/Scripts/cluster-lib.sh"

usage() { echo "usage: Scripts/cluster-up.sh N --rate RATE [--slots S] [--latency L]" >&2; exit 2; }
[ $# -ge 1 ] || usage
N="$1"; shift
RATE=""; SLOTS=2
while [ $# -gt 0 ]; do
    case "$1" in
        --rate) RATE="${2:-}"; shift 2 || usage ;;
        --slots) SLOTS="${2:-}"; shift 2 || usage ;;
        --latency)
            # tbf and htb shape rate only; a fixed delay needs netem, which this kernel may lack.
            if ! em_cluster_netem_available; then
                echo "cluster-up: --latency needs the netem qdisc, which this kernel does not have (tbf and htb shape rate only)" >&2; exit 2
            fi
            LATENCY="${2:-}"; shift 2 || usage ;;
        *) usage ;;
    esac
done
[[ "$N" =~ ^[0-9]+$ ]] && [ "$N" -ge 1 ] && [ "$N" -le 200 ] || { echo "cluster-up: N: expected 1...200 hosts, found '$N'" >&2; exit 2; }
[[ "$SLOTS" =~ ^[0-9]+$ ]] && [ "$SLOTS" -ge 1 ] || { echo "cluster-up: --slots: expected an integer >= 1, found '$SLOTS'" >&2; exit 2; }
[ -n "$RATE" ] || { echo "cluster-up: --rate: give the link rate, e.g. --rate 1gbit or --rate 0.5" >&2; exit 2; }
TC_RATE="$(em_cluster_tc_rate "$RATE")" || { echo "cluster-up: --rate: expected a rate such as 500mbit, 1gbit or 0.5 (Gbit/s), found '$RATE'" >&2; exit 2; }
em_cluster_require

em_cluster_down
trap 'status=$?; if [ $status -ne 0 ]; then echo "cluster-up: failed; removing what was made" >&2; em_cluster_down; fi' EXIT

ip link add "$EM_BRIDGE" type bridge
ip addr add "$EM_SUBNET_PREFIX.1/24" dev "$EM_BRIDGE"
ip link set "$EM_BRIDGE" up
mkdir -p "$ROOT/Cluster/hosts"
HOSTFILE="$ROOT/Cluster/hosts/netns-$N"
: >"$HOSTFILE.tmp"; : >"$HOSTFILE.map.tmp"
for i in $(seq 1 "$N"); do
    ns="$EM_NS_PREFIX$i" veth="$EM_VETH_PREFIX$i" address="$(em_cluster_address "$i")"
    ip netns add "$ns"
    ip link add "$veth" type veth peer name eth0 netns "$ns"
    ip link set "$veth" master "$EM_BRIDGE" up
    ip -n "$ns" addr add "$address/24" dev eth0
    ip -n "$ns" link set eth0 up
    ip -n "$ns" link set lo up
    em_cluster_set_rate "$i" "$TC_RATE"
    em_cluster_reachable "$ns" "$EM_SUBNET_PREFIX.1" || { echo "cluster-up: host $address ($ns) cannot reach the launcher at $EM_SUBNET_PREFIX.1" >&2; exit 1; }
    echo "$address slots=$SLOTS" >>"$HOSTFILE.tmp"
    echo "$address $ns" >>"$HOSTFILE.map.tmp"
done
mv "$HOSTFILE.tmp" "$HOSTFILE"; mv "$HOSTFILE.map.tmp" "$HOSTFILE.map"
cat >"$HOSTFILE.env.tmp" <<EOF
# mpirun settings for the test hosts of Scripts/cluster-up.sh: source this file, then
# mpirun --hostfile $HOSTFILE ...  (or expertmesh loadtest --hostfile $HOSTFILE ...).
# Ranks start inside their host's namespace through Scripts/netns-rsh, over TCP on the test subnet only.
export OMPI_MCA_plm_rsh_agent="$ROOT/Scripts/netns-rsh"
export OMPI_MCA_plm_rsh_no_tree_spawn=1
export OMPI_MCA_btl=tcp,self
export OMPI_MCA_btl_tcp_if_include=$EM_SUBNET_PREFIX.0/24
export OMPI_MCA_oob_tcp_if_include=$EM_SUBNET_PREFIX.0/24
# Ranks dealt to hosts in turn (rank r on host r mod N), so that exchanges cross the links.
export OMPI_MCA_rmaps_base_mapping_policy=node
export EM_NETNS_MAP="$HOSTFILE.map"
EOF
mv "$HOSTFILE.env.tmp" "$HOSTFILE.env"
trap - EXIT
echo "cluster-up: $N hosts ($EM_SUBNET_PREFIX.11 ...), $SLOTS slots each, links at $TC_RATE each way; hostfile $HOSTFILE (source $HOSTFILE.env)"

# Shared by Scripts/cluster-up.sh, cluster-down.sh and cluster-rate.sh: the names of the test
# cluster's namespaces, links and subnet, and the steps that make and remove them. Source it.

EM_NS_PREFIX=em-h           # namespaces em-h1, em-h2, ...: the test hosts
EM_VETH_PREFIX=em-v         # their veth ends on the launching side
EM_BRIDGE=em-br0            # the bridge joining them; the launcher's address is .1
EM_SUBNET_PREFIX=10.231.0   # the test subnet, 10.231.0.0/24; host i is .(10 + i)

em_cluster_address() { echo "$EM_SUBNET_PREFIX.$((10 + $1))"; }

# Refuses clearly when not root or when ip or tc are missing.
em_cluster_require() {
    [ "$(id -u)" -eq 0 ] || { echo "cluster: must run as root (network namespaces, veth, tc)" >&2; exit 2; }
    command -v ip >/dev/null || { echo "cluster: 'ip' not found: apt-get install -y iproute2" >&2; exit 2; }
    command -v tc >/dev/null || { echo "cluster: 'tc' not found: apt-get install -y iproute2" >&2; exit 2; }
}

# A rate for tc: tc's own units (500mbit, 1gbit) as they are, a bare number as Gbit/s.
em_cluster_tc_rate() {
    local rate="$1"
    if [[ "$rate" =~ ^[0-9]+(\.[0-9]+)?$ ]]; then
        awk -v g="$rate" 'BEGIN { if (g <= 0) exit 1; printf "%dkbit\n", g * 1e6 }'
    elif [[ "$rate" =~ ^[0-9]+(\.[0-9]+)?(kbit|mbit|gbit|kbps|mbps|gbps)$ ]]; then
        echo "$rate"
    else
        return 1
    fi
}

# Host i's link at RATE in both directions: tbf on its eth0 (what it sends) and on the bridge's
# veth end (what it receives). The bucket holds 1 ms at the rate, at least 64 KiB (one GSO
# segment): a larger one lets each layer's exchange, after a pause for computation, pass
# largely at memory speed (20 ms at 0.1 Gbit/s is 250 KB, half a layer's dispatch).
em_cluster_set_rate() {
    local i="$1" rate="$2" burst
    burst="$(awk -v r="$rate" 'BEGIN { v = r + 0; u = r; sub(/^[0-9.]+/, "", u)
        f = (u == "kbit") ? 1e3 : (u == "mbit") ? 1e6 : (u == "gbit") ? 1e9 : (u == "kbps") ? 8e3 : (u == "mbps") ? 8e6 : 8e9
        b = v * f / 8 * 0.001; if (b < 65536) b = 65536; printf "%d\n", b }')"
    ip netns exec "$EM_NS_PREFIX$i" tc qdisc replace dev eth0 root tbf rate "$rate" burst "$burst" latency 200ms
    tc qdisc replace dev "$EM_VETH_PREFIX$i" root tbf rate "$rate" burst "$burst" latency 200ms
}

# Whether namespace NS reaches ADDRESS (a TCP connection attempt; refused counts as reachable).
em_cluster_reachable() {
    local ns="$1" address="$2"
    ip netns exec "$ns" timeout 3 bash -c "exec 3<>/dev/tcp/$address/9 2>/dev/null; exit 0" 2>/dev/null && return 0
    ip netns exec "$ns" ip route get "$address" >/dev/null 2>&1
}

em_cluster_netem_available() {
    tc qdisc add dev lo root netem delay 1ms 2>/dev/null || return 1
    tc qdisc del dev lo root 2>/dev/null
}

# Removes every test host, veth and the bridge; leaves nothing else changed.
em_cluster_down() {
    local ns
    for ns in $(ip netns list 2>/dev/null | awk '{ print $1 }' | grep "^$EM_NS_PREFIX[0-9]*$" || true); do
        ip netns del "$ns" 2>/dev/null || true
    done
    for link in $(ip -o link show 2>/dev/null | awk -F': ' '{ print $2 }' | sed 's/@.*//' | grep -E "^($EM_VETH_PREFIX[0-9]+|$EM_BRIDGE)$" || true); do
        ip link del "$link" 2>/dev/null || true
    done
}

# What is left of the test cluster (empty when nothing).
em_cluster_leftovers() {
    ip netns list 2>/dev/null | awk '{ print $1 }' | grep "^$EM_NS_PREFIX[0-9]*$" || true
    ip -o link show 2>/dev/null | awk -F': ' '{ print $2 }' | sed 's/@.*//' | grep -E "^($EM_VETH_PREFIX[0-9]+|$EM_BRIDGE)$" || true
}

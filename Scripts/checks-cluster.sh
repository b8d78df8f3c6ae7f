# The real multi-host checks (sourced by Scripts/test.sh: uses check, BIN, WORK, CFG): 3 test hosts
# in network namespaces over rate-limited links, mpirun with a hostfile over TCP. Root only.
if [ "$(id -u)" -ne 0 ] || ! command -v ip >/dev/null || ! command -v tc >/dev/null; then
    echo "SKIP cluster checks: they need root and iproute2 (network namespaces, veth, tc)"
else
    # Whatever happens, no test host, veth or bridge outlives the checks.
    trap 'bash "$EM_ROOT/Scripts/cluster-down.sh" >/dev/null 2>&1 || true; rm -rf "$WORK"' EXIT
    check "cluster-up brings up 3 test hosts at 200 Mbit/s" bash -c "
        bash Scripts/cluster-up.sh 3 --rate 0.2 >'$WORK/up.txt' &&
        [ \$(wc -l <Cluster/hosts/netns-3) -eq 3 ] && [ \$(ip netns list | grep -c '^em-h') -eq 3 ] &&
        ip netns exec em-h2 tc qdisc show dev eth0 | grep -q 'tbf.*rate 200Mbit'"
    expect_bad_input "cluster-up refuses a rate that does not parse" "--rate: expected a rate" \
        bash Scripts/cluster-up.sh 2 --rate fast
    cluster_mpirun() { # mpirun across the test hosts, under a timeout
        ( . Cluster/hosts/netns-3.env
          timeout --kill-after=10 120 mpirun --allow-run-as-root --hostfile Cluster/hosts/netns-3 -x OPENBLAS_NUM_THREADS=1 "$@" )
    }
    export -f cluster_mpirun
    check "the distributed run across 3 hosts equals the reference" bash -c "set -e
        '$BIN' reference --config '$CFG' --output '$WORK/cluster-ref.npy' >/dev/null
        cluster_mpirun -np 4 '$BIN' run --config '$CFG' --output '$WORK/hosts.npy' --quiet
        '$BIN' compare '$WORK/hosts.npy' '$WORK/cluster-ref.npy' --tolerance 1e-4"
    check "run --hostfile starts its own job across the hosts" bash -c "set -e
        . Cluster/hosts/netns-3.env
        timeout --kill-after=10 120 '$BIN' run --config '$CFG' --hostfile Cluster/hosts/netns-3 --output '$WORK/hosts2.npy' --quiet
        '$BIN' compare '$WORK/hosts2.npy' '$WORK/cluster-ref.npy' --tolerance 1e-4"
    cluster_rate_ok() {
        ( . Cluster/hosts/netns-3.env
          "$BIN" loadtest --config "$CFG" --hostfile Cluster/hosts/netns-3 --sweep linkrate=0.02,0.5 --steps 1 \
              --step-timeout 30 --out "$WORK/lt-links" --quiet ) || return 1
        # Exchange time (dispatch + combine) per point: the slower link must take longer.
        awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
            { t[$col["link_gbit_s"]] = $col["dispatch_ms"] + $col["combine_ms"]; ok[$col["link_gbit_s"]] = ($col["status"] == "ok") }
            END { print "exchange ms at 0.02 and 0.5 Gbit/s:", t["0.02"], t["0.5"]; exit !(ok["0.02"] && ok["0.5"] && t["0.02"] > t["0.5"]) }' \
            "$WORK/lt-links/points.csv"
    }
    check "a two-point sweep of the real link rate: the slower link takes longer to exchange" cluster_rate_ok
    cluster_link_down_ok() {
        # A link pulled mid-run: a rank names the host it lost within the step timeout. The link cut
        # is the coordinator's host (em-h1: ranks 0 and 3), which every live rank waits on directly;
        # a worker's host would race (the coordinator can sit in an all-to-all with it while another
        # worker, waiting for the coordinator's counts, times out first and names the live host).
        bash Scripts/cluster-rate.sh 1 >/dev/null
        local marker="$WORK/link-down-marker.json" start
        # Every rank logs its way through the job (EXPERTMESH_LOG=info): the link goes down once all
        # four have started the run, not while a slow machine is still loading weights.
        ( . Cluster/hosts/netns-3.env
          exec mpirun --allow-run-as-root --hostfile Cluster/hosts/netns-3 -x OPENBLAS_NUM_THREADS=1 -x EXPERTMESH_LOG=info -np 4 \
              "$BIN" run --config "$CFG" --steps 100000 --step-timeout 6 --summary "$marker" --quiet ) 2>"$WORK/down.txt" &
        local job=$!
        for _ in $(seq 1 600); do [ "$(grep -c 'entering run' "$WORK/down.txt")" -ge 4 ] && break; sleep 0.1; done
        sleep 2
        ip netns exec em-h1 ip link set eth0 down
        start=$(date +%s)
        for _ in $(seq 1 300); do grep -q "error:" "$WORK/down.txt" && break; sleep 0.1; done
        local took=$(( $(date +%s) - start ))
        # mpirun cannot reach the cut-off host to end its ranks: end what is left of the job here.
        sleep 5; kill -TERM "$job" 2>/dev/null; sleep 2
        pkill -KILL -f "$marker" 2>/dev/null; kill -KILL "$job" 2>/dev/null; wait "$job" 2>/dev/null
        ip netns exec em-h1 ip link set eth0 up
        grep "error:" "$WORK/down.txt" | head -n 1
        grep "error:" "$WORK/down.txt" | grep -q "host 10.231.0.11" && [ "$took" -le 10 ] || { echo "took $took s"; cat "$WORK/down.txt" | head -n 5; return 1; }
        ! pgrep -f "$marker" >/dev/null
    }
    check "a link removed mid-run: the job names the host within the step timeout, nothing left running" cluster_link_down_ok
    check "cluster-down removes every test host, veth and the bridge" bash -c "
        bash Scripts/cluster-down.sh >/dev/null && [ -z \"\$(ip netns list | grep '^em-h')\" ] &&
        ! ip -o link show | grep -qE ': (em-v[0-9]+|em-br0)[:@]'"
fi

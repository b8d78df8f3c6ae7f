#!/usr/bin/env bash
# The headline scaling report: throughput against link bandwidth and against device FLOP/s,
# measured under mpirun on this machine with the emulated interconnect of a CPU cluster on
# Ethernet (Cluster/hardware/cpu-1gbe.yaml), beside the cost model's prediction; as root, the
# same over real rate-limited links between test hosts in network namespaces; strong scaling
# over workers; the latency-throughput curve of open-loop serving; and DeepSeek-V3 at paper
# scale from the cost model alone. About 6 minutes on 2 cores after the release build.
#
#   Scripts/scaling.sh [OUT]          (default OUT: results/scaling)
#
# Every sweep writes OUT/NAME/{points.csv,summary.json,report.md,plots/}; OUT/report.md links
# them and shows the headline plots. An interrupted run continues where it stopped when run again.
. "$(dirname "$0")/lib.sh"
cd "$EM_ROOT"
em_install_deps
OUT="${1:-results/scaling}"
mkdir -p "$OUT"

em_log "swift build -c release"
swift build -c release 2>&1 | grep -E "error|warning: unre|Compiling|Build" | grep -v "^\[" | tail -n 5
BIN="$(em_release_bin)"
CFG=Cluster/default.yaml
LINKS=Cluster/hardware/cpu-1gbe.yaml
STEPS=4

# A sweep, resumed if it ran before: sweep NAME ARGS...
sweep() {
    local name="$1"; shift
    local resume=()
    [ -e "$OUT/$name/sweep.json" ] && resume=(--resume)
    em_log "loadtest $name"
    "$BIN" loadtest --config "$CFG" --out "$OUT/$name" "${resume[@]}" "$@"
}

# 1. Bandwidth: the links of CPU nodes on Ethernet, from 50 Mbit/s to 10 Gbit/s.
sweep bandwidth --emulate "$LINKS" --steps "$STEPS" --repeat 2 \
    --sweep bandwidth=0.05,0.1,0.2,0.5,1,2,5,10
# 2. FLOP/s: devices from 8x slower than this machine's core (31.5 GFLOP/s) to as fast, while the links bind
#    (0.1 Gbit/s) and while they do not (10 Gbit/s).
sweep flops --emulate "$LINKS" --steps "$STEPS" --repeat 2 \
    --sweep bandwidth=0.1,10 --sweep flops=4,8,16,31
# 3. Workers: strong scaling at 1 Gbit/s (every rank shares this machine's 2 cores).
sweep workers --emulate "$LINKS" --steps "$STEPS" --repeat 2 \
    --sweep workers=1,2,3
# 4. Serving: open-loop Poisson arrivals against offered load.
sweep serving --requests 64 --output-tokens 8 \
    --sweep rate=2,4,8,16,32,48,64
# 5. DeepSeek-V3 on H800 nodes, predicted: expert parallelism from 8 to 256 GPUs, and the
#    inter-node bandwidth from 25 to 800 Gbit/s at EP144.
CFG=Cluster/deepseek-v3.yaml sweep deepseek-ep --model-only --hardware Cluster/hardware/h800.yaml \
    --sweep workers=8,16,32,64,128,256
CFG=Cluster/deepseek-v3.yaml sweep deepseek-bandwidth --model-only --hardware Cluster/hardware/h800.yaml \
    --sweep bandwidth=25,50,100,200,400,800

# 6. Real links (root only): 4 test hosts in network namespaces, one rank each, their links
#    rate-limited with tc, the same rates as the emulated sweep; measured against predicted.
if [ "$(id -u)" -eq 0 ] && command -v tc >/dev/null; then
    trap 'bash Scripts/cluster-down.sh >/dev/null 2>&1 || true' EXIT
    bash Scripts/cluster-up.sh 4 --rate 1 --slots 1
    ( . Cluster/hosts/netns-4.env
      sweep real-links --hostfile Cluster/hosts/netns-4 --steps "$STEPS" --repeat 2 --step-timeout 60 --point-timeout 120 \
          --sweep linkrate=0.05,0.1,0.2,0.5,1,2,5
      # FLOP/s over real links at 0.1 and 5 Gbit/s: the device is emulated (this machine's own
      # profile as the "emulated" links, so that only the device is slowed), the links are real.
      sweep real-links-flops --hostfile Cluster/hosts/netns-4 --steps "$STEPS" --step-timeout 60 --point-timeout 120 \
          --emulate Cluster/hardware/local.yaml --sweep linkrate=0.1,5 --sweep flops=4,8,16,31 )
    bash Scripts/cluster-down.sh
    trap - EXIT
else
    em_log "skipping the real-links sweep: it needs root and tc (network namespaces)"
fi

# The index: every sweep's report, and the headline plots.
{
    echo "# ExpertMesh scaling report"
    echo
    echo "Made by \`Scripts/scaling.sh\` on $(date -u +%Y-%m-%d) on $(nproc) cores ($(uname -m)), release build."
    echo "Measured runs emulate the links of \`$LINKS\`; predictions use this machine's profile"
    echo "(\`Cluster/hardware/local.yaml\`) with those links. Docs/LoadTesting.md explains every column and plot."
    echo
    for name in bandwidth real-links real-links-flops flops workers serving deepseek-ep deepseek-bandwidth; do
        [ -f "$OUT/$name/report.md" ] || continue
        echo "## $name"
        echo
        echo "[Full report]($name/report.md), [points.csv]($name/points.csv)"
        echo
        for plot in "$OUT/$name"/plots/*.png; do
            [ -e "$plot" ] || continue
            case "$(basename "$plot")" in
                breakdown*|predicted-vs-measured*) continue ;;
            esac
            echo "![$name: $(basename "$plot" .png)]($name/plots/$(basename "$plot"))"
            echo
        done
    done
} >"$OUT/report.md.tmp" && mv "$OUT/report.md.tmp" "$OUT/report.md"
# The headline picture (the README shows a copy of it: Docs/images/scaling-bandwidth.png).
cp "$OUT/bandwidth/plots/throughput-vs-bandwidth.png" "$OUT/headline.png" 2>/dev/null || true
em_log "report: $OUT/report.md"

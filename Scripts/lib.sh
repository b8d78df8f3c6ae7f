# Shared shell helpers for ExpertMesh scripts. Source it: `. "$(dirname "$0")/lib.sh"`.
set -euo pipefail

EM_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PATH="/opt/swift/usr/bin:$PATH"

# apt packages ExpertMesh needs on Debian/Ubuntu: MPI, BLAS, gnuplot for the plots.
EM_APT_PACKAGES=(libopenmpi-dev openmpi-bin libopenblas-dev gnuplot-nox pkg-config)

em_log() { printf '== %s\n' "$*" >&2; }

# Installs whatever of EM_APT_PACKAGES is missing (needs root or sudo).
em_install_deps() {
    local missing=()
    for p in "${EM_APT_PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
    done
    if [ ${#missing[@]} -gt 0 ]; then
        em_log "installing ${missing[*]}"
        local sudo=""
        [ "$(id -u)" -eq 0 ] || sudo="sudo"
        $sudo apt-get update -q >/dev/null
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q "${missing[@]}" >/dev/null
    fi
    command -v swift >/dev/null || { echo "swift not found: install Swift 6 (expected at /opt/swift)" >&2; exit 2; }
}

# mpirun with what this machine needs: root is allowed, more ranks than cores are allowed,
# no binding (ranks share 2 cores), one OpenBLAS thread per rank, TCP/shared memory only.
# Always under a timeout so that nothing hangs: EM_MPI_TIMEOUT seconds (default 300).
em_mpirun() {
    local extra=()
    [ "$(id -u)" -eq 0 ] && extra+=(--allow-run-as-root)
    timeout --kill-after=10 "${EM_MPI_TIMEOUT:-300}" mpirun "${extra[@]}" --oversubscribe --bind-to none \
        -x OPENBLAS_NUM_THREADS="${OPENBLAS_NUM_THREADS:-1}" "$@"
}

em_release_bin() { echo "$EM_ROOT/.build/release/expertmesh"; }
em_debug_bin() { echo "$EM_ROOT/.build/debug/expertmesh"; }

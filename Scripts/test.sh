#!/usr/bin/env bash
# Quick start, step 2: every test. Swift Testing suites, then the CLI and multi-rank checks
# that need the real executable (and mpirun), each printed as PASS/FAIL with a closing count.
. "$(dirname "$0")/lib.sh"
cd "$EM_ROOT"
em_install_deps
export OPENBLAS_NUM_THREADS=1

em_log "swift build (debug, with tests)"
swift build --build-tests 2>&1 | grep -E "error|warning: var|Compiling|Build" | grep -v "^\[" | tail -n 20
em_log "swift test"
swift test --skip-build 2>&1 | tee /tmp/expertmesh-swift-test.log | grep -E "^✘|Test run|error:" || true
grep -q "Test run with .* passed" /tmp/expertmesh-swift-test.log || { echo "swift test failed" >&2; exit 1; }

BIN="$(em_debug_bin)"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
passed=0; failed=0
check() { # check NAME COMMAND... : the command must succeed
    local name="$1"; shift
    if "$@" >"$WORK/out.txt" 2>&1; then passed=$((passed + 1)); echo "PASS $name"
    else failed=$((failed + 1)); echo "FAIL $name"; sed 's/^/    /' "$WORK/out.txt" | tail -n 20; fi
}
expect_bad_input() { # expect_bad_input NAME PATTERN COMMAND...: exit status 2, one line matching PATTERN
    local name="$1" pattern="$2"; shift 2
    local status=0
    "$@" >"$WORK/out.txt" 2>"$WORK/err.txt" || status=$?
    if [ "$status" -eq 2 ] && [ "$(wc -l <"$WORK/err.txt")" -eq 1 ] && grep -q -- "$pattern" "$WORK/err.txt"; then
        passed=$((passed + 1)); echo "PASS $name"
    else
        failed=$((failed + 1)); echo "FAIL $name (status $status)"; sed 's/^/    /' "$WORK/err.txt" | head -n 5
    fi
}
expect_failure() { # expect_failure NAME STATUS PATTERN COMMAND...: that exit status (or any non-zero for "nonzero"), stderr matching PATTERN
    local name="$1" want="$2" pattern="$3"; shift 3
    local status=0
    "$@" >"$WORK/out.txt" 2>"$WORK/err.txt" || status=$?
    if { [ "$want" = nonzero ] && [ "$status" -ne 0 ]; } || [ "$status" = "$want" ]; then
        if grep -q -- "$pattern" "$WORK/err.txt"; then passed=$((passed + 1)); echo "PASS $name"; return; fi
    fi
    failed=$((failed + 1)); echo "FAIL $name (status $status, wanted $want and '$pattern')"; sed 's/^/    /' "$WORK/err.txt" | head -n 8
}
. "$EM_ROOT/Scripts/checks.sh"
for more in checks-serving.sh checks-loadtest.sh checks-placement.sh checks-cluster.sh; do
    if [ -f "$EM_ROOT/Scripts/$more" ]; then . "$EM_ROOT/Scripts/$more"; fi
done

echo
echo "checks: $passed passed, $failed failed"
[ "$failed" -eq 0 ]

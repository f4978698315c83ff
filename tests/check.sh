# Sourced by the shell test suites: `check DESCRIPTION COMMAND...` counts a pass when the command
# succeeds and prints "FAIL DESCRIPTION" when it does not; `check_summary NAME` prints the counts
# and returns the suite's status.
passed=0 failed=0
check() {
    local what=$1; shift
    if "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL $what"; fi
}
check_summary() {
    echo "$1: $passed passed, $failed failed"
    [ "$failed" -eq 0 ]
}

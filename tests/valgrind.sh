#!/usr/bin/env bash
# Runs each program given under valgrind memcheck, as many at a time as there are cores (valgrind
# runs a program's threads one at a time, so two programs use two cores), and prints one line per
# program: its result, seconds, memcheck's error count and definitely lost bytes. The full report
# goes to DIR/<program>.log and the program's output to DIR/<program>.out. Fails if any program
# fails or memcheck finds an error or a definitely lost byte (VALGRIND_FLAGS: the Makefile's).
#   VALGRIND=valgrind VALGRIND_FLAGS="..." bash tests/valgrind.sh DIR PROGRAM...
set -u
dir=$1; shift
: "${VALGRIND:=valgrind}" "${VALGRIND_FLAGS:?the Makefile sets VALGRIND_FLAGS}" "${VALGRIND_JOBS:=$(nproc)}"
export VALGRIND VALGRIND_FLAGS dir

one() {
    local t=$1 n start r
    n=$(basename "$t"); start=$SECONDS
    # shellcheck disable=SC2086  # VALGRIND_FLAGS is a list of options
    if SENT_TEST_QUICK=1 $VALGRIND $VALGRIND_FLAGS --log-file="$dir/$n.log" "$t" > "$dir/$n.out" 2>&1; then r=ok; else r=FAILED; fi
    printf '%-22s %-6s %4d s  %s, definitely lost: %s\n' "$n" "$r" $((SECONDS - start)) \
        "$(sed -n 's/^==[0-9]*== ERROR SUMMARY: \([0-9]*\) errors.*/\1 errors/p' "$dir/$n.log" | tail -1)" \
        "$(sed -n 's/^==[0-9]*==    definitely lost: \([0-9,]*\) bytes.*/\1 bytes/p' "$dir/$n.log" | tail -1 | grep . || echo 0 bytes)"
}
export -f one

start=$SECONDS
# The slowest first (test_kernels alone takes a third of the total), so the others fill the
# remaining cores around it.
lines=$(for t in "$@"; do echo "$t"; done | sort -t/ -k1,1 | awk '/test_kernels$/ {print; next} {rest = rest $0 "\n"} END {printf "%s", rest}' \
    | xargs -P "$VALGRIND_JOBS" -I{} bash -c 'one "$1"' _ {})
sort <<< "$lines"
echo "valgrind: $((SECONDS - start)) s, $VALGRIND_JOBS at a time"
failed=$(awk '$2 != "ok" {printf " %s", $1}' <<< "$lines")
[ "$(grep -c . <<< "$lines")" -eq $# ] || { echo "valgrind: $# programs given, $(grep -c . <<< "$lines") reported"; exit 1; }
[ -z "$failed" ] || { echo "valgrind: failed:$failed"; exit 1; }

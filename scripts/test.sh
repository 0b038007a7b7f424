#!/bin/bash
# test.sh - the one command that installs, builds and runs every test:
#
#   sudo scripts/test.sh
#
# Stages:
#   1. scripts/install-deps.sh      Debian packages (does nothing if present)
#   2. make clean && make all unit  normal build, unit tests
#   3. make clean && make SAN=1 all unit system
#                                   AddressSanitizer + UBSan build, unit and
#                                   system tests (the system tests need root)
#   4. make SAN=1 interop           the same build against a real LAC
#                                   (xl2tpd + pppd in a qemu guest, built
#                                   once into /var/tmp/l2tpns-interop;
#                                   fails if it cannot be built)
#   5. make clean && make fuzz-smoke
#                                   short fuzzing run, when the Makefile has
#                                   that target
#
# Stops at the first failure with a non-zero status.  PYTEST_ARGS is passed
# on to pytest (e.g. PYTEST_ARGS="-k shipped").

set -eu
set -o pipefail

cd "$(dirname "$0")/.."

start=$(date +%s)
stage_no=0

banner() {
	stage_no=$((stage_no + 1))
	printf '\n==================================================================\n'
	printf '== stage %d: %s\n' "$stage_no" "$*"
	printf '==================================================================\n'
}

elapsed() {
	local s=$(( $(date +%s) - start ))
	printf '%dm%02ds' $((s / 60)) $((s % 60))
}

on_exit() {
	local rc=$?
	if [ "$rc" -eq 0 ]; then
		printf '\n== test.sh: all stages passed in %s\n' "$(elapsed)"
	else
		printf '\n== test.sh: FAILED in stage %d (exit %d) after %s\n' \
		    "$stage_no" "$rc" "$(elapsed)" >&2
	fi
}
trap on_exit EXIT

# Sanitizer reports must fail the run, with a readable stack.
export ASAN_OPTIONS="${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

banner "install dependencies (scripts/install-deps.sh)"
scripts/install-deps.sh

banner "normal build and unit tests (make all unit)"
make clean
make all unit

banner "sanitizer build, unit and system tests (make SAN=1 all unit system)"
make clean
make SAN=1 all unit system

banner "interoperability with a real LAC in qemu (make SAN=1 interop)"
make SAN=1 interop

if make -n fuzz-smoke >/dev/null 2>&1; then
	banner "fuzz smoke run (make fuzz-smoke)"
	make clean
	make fuzz-smoke
else
	printf '\n== (no fuzz-smoke target in the Makefile: fuzz stage skipped)\n'
fi

#!/bin/sh
# fault-sweep.sh - the whole I/O fault sweep: tests/cli/faults.bats with
# every call number N (not CI's sample), in four modes: EIO on that call
# only, ENOSPC from that call on, and the other two combinations.
#   scripts/fault-sweep.sh [BUILD_DIR]     (default: build)
# Prints one line per command: trials, calls, failures.
set -eu
here=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$here/build}
case $build in /*) ;; *) build=$PWD/$build ;; esac
if [ ! -x "$build/secretctl" ] || [ ! -f "$build/libscfault.so" ]; then
	echo "fault-sweep: build secretctl and the scfault target in '$build' first" >&2
	exit 2
fi
SC_FAULT_ALL=1 SECRETCTL_BIN=$build/secretctl SC_BUILD_DIR=$build \
	exec bats "$here/tests/cli/faults.bats"

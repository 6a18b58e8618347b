#!/bin/bash
# mutants.sh - mutation check (make mutants; not in CI): applies each small
# bug of scripts/mutants.list, one at a time, to a scratch copy of the tree,
# builds what its tests need, runs them, and reports each mutant killed (by
# which tests) or survived. Fails on a survivor without a written reason, a
# pattern that no longer matches exactly once, or a mutant that does not build.
#   MUTANTS_TIER=1       only tier 1 (the critical part); default: all
#   MUTANTS_ONLY=REGEX   only mutants whose id matches
#   MUTANTS_FULL=1       run the whole suite for each mutant, not its subset
#   MUTANTS_DIR=DIR      scratch directory (default /tmp/secretctl-mutants)
#   MUTANTS_CHECK=1      only check that every pattern matches once
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
work=${MUTANTS_DIR:-/tmp/secretctl-mutants}
tree=$work/tree
jobs=${JOBS:-2}
ids=() files=() olds=() news=() tests=() reasons=() tiers=()
cur_tier=1
tier() { cur_tier=$1; }
m() {
	ids+=("$1") files+=("$2") olds+=("$3") news+=("$4") tests+=("$5") reasons+=("${6:-}")
	tiers+=("$cur_tier")
}
# shellcheck source=scripts/mutants.list disable=SC1091
. "$top/scripts/mutants.list"

# apply FILE OLD NEW: replace the one occurrence of OLD (exit 3 if not one)
apply() {
	python3 - "$@" <<'PY'
import sys
def unesc(s):
    out, i = [], 0
    while i < len(s):
        if s[i] == "\\" and i + 1 < len(s) and s[i + 1] in "nt\\":
            out.append({"n": "\n", "t": "\t", "\\": "\\"}[s[i + 1]]); i += 2
        else:
            out.append(s[i]); i += 1
    return "".join(out)
path, old = sys.argv[1], unesc(sys.argv[2])
new = unesc(sys.argv[3]) if len(sys.argv) > 3 else None
text = open(path).read()
n = text.count(old)
if n != 1:
    print(f"{path}: pattern found {n} times, not once: {sys.argv[2]!r}", file=sys.stderr)
    sys.exit(3)
if new is not None:
    open(path, "w").write(text.replace(old, new))
PY
}

selected() {
	local i=$1
	[ "${MUTANTS_TIER:-}" = "" ] || [ "${tiers[$i]}" -le "$MUTANTS_TIER" ] || return 1
	[ "${MUTANTS_ONLY:-}" = "" ] || [[ "${ids[$i]}" =~ $MUTANTS_ONLY ]] || return 1
}

bad=0
for i in "${!ids[@]}"; do
	selected "$i" || continue
	apply "$top/${files[$i]}" "${olds[$i]}" || bad=1
done
[ "$bad" -eq 0 ] || { echo "mutants: stale patterns in scripts/mutants.list" >&2; exit 1; }
[ "${MUTANTS_CHECK:-}" != 1 ] || { echo "mutants: every pattern matches once"; exit 0; }

# the scratch tree: a copy of the committed and working files, one build dir
mkdir -p "$tree"
# (its build directory is kept between runs: the next build is incremental)
find "$tree" -mindepth 1 -maxdepth 1 ! -name build -exec rm -rf {} +
(cd "$top" && tar cf - --exclude='./build*' --exclude=./.git .) | (cd "$tree" && tar xf -)
cmake -S "$tree" -B "$tree/build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$tree/build" -j"$jobs" >/dev/null
# the tests that need the SDK find it through the copied node_modules

# the build targets a test regex needs
targets_for() {
	local t=() r=$1
	t+=(secretctl)
	for f in "$tree"/tests/unit/test_*.c; do
		n=$(basename "$f" .c)
		[[ "unit/$n" =~ $r ]] && t+=("$n")
	done
	for f in "$tree"/tests/fuzz/fuzz_*.c; do
		n=$(basename "$f" .c)
		[[ "fuzz/$n" =~ $r ]] && t+=("replay_$n")
	done
	echo "${t[@]}"
}

report=$work/report.txt
: >"$report"
killed=0 survived=0 explained=0 broken=0 total=0
start_all=$(date +%s)
for i in "${!ids[@]}"; do
	selected "$i" || continue
	id=${ids[$i]} f=${files[$i]} regex=${tests[$i]}
	[ "${MUTANTS_FULL:-}" != 1 ] || regex=.
	total=$((total + 1))
	t0=$(date +%s)
	cp "$top/$f" "$tree/$f"
	apply "$tree/$f" "${olds[$i]}" "${news[$i]}"
	log=$work/$id.log
	# shellcheck disable=SC2046
	if ! cmake --build "$tree/build" -j"$jobs" --target $(targets_for "$regex") >"$log" 2>&1; then
		res="BROKEN (does not build: see $log)"
		broken=$((broken + 1))
	else
		failed=$( (cd "$tree/build" && ctest -R "$regex" -j"$jobs" --timeout 600 2>&1 || true) |
			tee -a "$log" | sed -n 's/^[[:space:]]*[0-9]* - \([^ ]*\) (.*/\1/p' | paste -sd, -)
		if [ -n "$failed" ]; then
			res="killed by $failed"
			killed=$((killed + 1))
		elif [ -n "${reasons[$i]}" ]; then
			res="survived (explained: ${reasons[$i]})"
			explained=$((explained + 1))
		else
			res="SURVIVED, no reason given"
			survived=$((survived + 1))
		fi
	fi
	cp "$top/$f" "$tree/$f"
	line=$(printf '%-28s %-44s %4ss  %s' "$id" "$f" "$(($(date +%s) - t0))" "$res")
	echo "$line"
	echo "$line" >>"$report"
done
# put the scratch build back to the unmutated sources
cmake --build "$tree/build" -j"$jobs" >/dev/null 2>&1 || true
summary="mutants: $total run, $killed killed, $explained survived with a reason, $survived survived without one, $broken did not build ($(($(date +%s) - start_all))s)"
echo "$summary"
echo "$summary" >>"$report"
[ "$survived" -eq 0 ] && [ "$broken" -eq 0 ]

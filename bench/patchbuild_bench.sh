#!/usr/bin/env bash
# patchbuild build, stage by stage, against its floor; and the diff stage alone.
#
#   bench/patchbuild_bench.sh [BUILD_DIR]     (default build/)
#   env: RUNS=3                 measured builds (and floors) per example; medians are printed
#        EXAMPLES="cmdline ..."  examples to build (default: every examples/*/ with a .patch, except SKIP)
#        SKIP="bad testmod-show" examples never built (bad/: refusals; testmod-show: out-of-tree module)
#        PARTS="examples diff"   which parts to run
#        DIFF_DIR=fs/ext4        directory of the diff part; DIFF_PATCH=bench/ext4_shutdown_check.patch
#        BENCH_CACHE_DIR=/var/tmp/fleetpatch-bench-cache   prepared trees (--cache-dir)
#        FLEETPATCH_TEST_CACHE=/var/tmp/fleetpatch-test-cache   where the diff part keeps its object pairs
#
# Part "examples" (issue 3: one-file fix; issue 5: every example). For each example: one
# `patchbuild build --json` first (prepares the tree or reuses it, builds the original objects,
# fetches symbols), then RUNS timed builds; the stage times and total_seconds come from the JSON.
# After each build the floor: the bare kbuild compile of the same units twice (original, then
# patched) with the twin compile's make argv (KCFLAGS with -I kmod/include, exactly as the build's:
# other KCFLAGS would rebuild prepare-time objects), by `patchbuild_tree_bench --floor-only` in the same
# prepared tree (it puts the tree back exactly as it was); builds and floors alternate so that both
# see the same machine load. Printed: median per stage, total, floor, ratio total/floor against
# the goal 1.2. The timed builds find the units' original objects stamped by the warm-up
# (patchbuild/build/original_stamp.hpp) and skip the original side's make; last, one "first
# build" after `patchbuild_tree_bench --drop-originals` shows the cost when the originals must be
# compiled (a unit this tree never built).
#
# Part "diff": `patchbuild_diff_bench` over every object of DIFF_DIR compiled twice (original and
# with DIFF_PATCH) in a scratch copy of the prepared tree: MB/s of DiffFiles in process.
#
# The trees live in their own cache (BENCH_CACHE_DIR), not in the tests' shared one: a build
# waiting for the shared tree's lock while a kernel test holds it would count the wait as
# "prepare". The first run prepares that tree (unpack + make prepare, a few minutes).
# Load average is printed before each example: on a shared machine the figures are upper bounds.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "${here}/.." && pwd)
build=$(cd "${1:-${root}/build}" && pwd)
RUNS=${RUNS:-3}
SKIP=${SKIP:-bad testmod-show}
PARTS=${PARTS:-examples diff}
DIFF_DIR=${DIFF_DIR:-fs/ext4}
DIFF_PATCH=${DIFF_PATCH:-${here}/ext4_shutdown_check.patch}
cache=${BENCH_CACHE_DIR:-/var/tmp/fleetpatch-bench-cache}
pb=${build}/patchbuild/patchbuild
tree_bench=${build}/tests/patchbuild/build/patchbuild_tree_bench
diff_bench=${build}/bench/patchbuild_diff_bench
# shellcheck source-path=SCRIPTDIR source=../scripts/lib/target-kernel.sh
source "${root}/scripts/lib/target-kernel.sh"
release=$(lp_target_release)

for tool in "${pb}" "${tree_bench}" "${diff_bench}"; do
	[[ -x ${tool} ]] || { echo "bench: ${tool} is not built (cmake --build ${build} --target $(basename "${tool}"))" >&2; exit 1; }
done
command -v python3 >/dev/null || { echo "bench: python3 is missing (scripts/install-deps)" >&2; exit 1; }

work=$(mktemp -d /tmp/patchbuild-bench.XXXXXX)
trap 'rm -rf "${work}"' EXIT

load() { cut -d' ' -f1-3 /proc/loadavg; }

echo "patchbuild bench: $(date -u '+%F %T UTC'), $(nproc) cores, load $(load), target ${release}"
echo "  commit $(git -C "${root}" rev-parse --short HEAD 2>/dev/null || echo '?'), build dir ${build}, RUNS=${RUNS}, tree cache ${cache}"

# The examples to build: EXAMPLES, or every examples/*/ holding a .patch, minus SKIP.
example_list() {
	if [[ -n ${EXAMPLES:-} ]]; then
		printf '%s\n' "${EXAMPLES}" | tr ' ' '\n' | sed '/^$/d'
		return
	fi
	local d name
	for d in "${root}"/examples/*/; do
		name=$(basename "${d}")
		[[ " ${SKIP} " == *" ${name} "* ]] && continue
		compgen -G "${d}*.patch" >/dev/null || continue
		echo "${name}"
	done
}

# summarize NAME FLOOR.json... -- BUILD.json...: the medians of one example.
summarize() {
	python3 - "$@" <<'PY'
import json, statistics, sys
name, *files = sys.argv[1:]
sep = files.index("--")
floors = [json.load(open(f)) for f in files[:sep]]
rest = files[sep + 1:]
first = json.load(open(rest[rest.index("--") + 1])) if "--" in rest else None
builds = [json.load(open(f)) for f in (rest[:rest.index("--")] if first else rest)]
floor = {"units": floors[0]["units"], "runs": [r for f in floors for r in f["runs"]]}
stages = [s["name"] for s in builds[0]["stages"]]
med = lambda xs: statistics.median(xs)
print(f"  {'stage':<12} {'median':>8} {'min':>8} {'max':>8}")
row = {}
for st in stages:
    xs = [next(s["seconds"] for s in b["stages"] if s["name"] == st) for b in builds]
    row[st] = med(xs)
    print(f"  {st:<12} {med(xs):8.2f} {min(xs):8.2f} {max(xs):8.2f}")
total = med([b["total_seconds"] for b in builds])
fl = med([r["seconds"] for r in floor["runs"]])
fo = med([r["original"] for r in floor["runs"]])
fp = med([r["patched"] for r in floor["runs"]])
ratio = total / fl
print(f"  {'total':<12} {total:8.2f} {min(b['total_seconds'] for b in builds):8.2f} {max(b['total_seconds'] for b in builds):8.2f}")
print(f"  {'floor':<12} {fl:8.2f}   (bare make: original {fo:.2f} s + patched {fp:.2f} s; units: {' '.join(floor['units'])})")
fmin = min(r["seconds"] for r in floor["runs"])
tmin = min(b["total_seconds"] for b in builds)
verdict = "met" if ratio <= 1.2 else f"missed by {ratio / 1.2 - 1:.0%}"
top = sorted(row.items(), key=lambda kv: -kv[1])[:2]
print(f"  ratio total/floor {ratio:.2f} (goal <= 1.20: {verdict}; largest stages: " +
      ", ".join(f"{k} {v:.2f} s" for k, v in top) + f"); fastest build / fastest floor {tmin / fmin:.2f}")
first_cells = []
if first:
    ft = first["total_seconds"]
    fc = next(s["seconds"] for s in first["stages"] if s["name"] == "compile")
    print(f"  first build of these units in this tree (originals compiled, once): total {ft:.2f} s, compile {fc:.2f} s, "
          f"total/floor {ft / fl:.2f}")
    first_cells = [f"first={ft:.2f}", f"first/floor={ft / fl:.2f}"]
print("ROW\t" + "\t".join([name, str(len(floor["units"]))] + [f"{st}={row[st]:.2f}" for st in stages] +
                          [f"{total:.2f}", f"{fl:.2f}", f"{ratio:.2f}"] + first_cells))
PY
}

run_examples() {
	"${pb}" keys init "${work}/keys" >/dev/null
	local name patches files p i rows=() out
	while read -r name; do
		patches=() files=()
		for p in "${root}/examples/${name}"/*.patch; do
			patches+=(--patch "${p}")
			files+=("${p#"${root}"/}")
		done
		echo
		echo "== ${name}: ${files[*]}, load $(load)"
		out=${work}/${name}
		mkdir -p "${out}"
		if ! "${pb}" build --json --target "${release}" "${patches[@]}" --keys "${work}/keys" --name "lp_bench" \
			--cache-dir "${cache}" -o "${out}/warm" >"${out}/warm.json" 2>"${out}/warm.err"; then
			echo "  skipped: the warm-up build failed: $(tail -n1 "${out}/warm.err")"
			continue
		fi
		# Builds and floors alternate, so both see the same load.
		for ((i = 1; i <= RUNS; i++)); do
			"${pb}" build --json --target "${release}" "${patches[@]}" --keys "${work}/keys" --name "lp_bench" \
				--cache-dir "${cache}" -o "${out}/out${i}" >"${out}/run${i}.json" 2>"${out}/run${i}.err" ||
				{ echo "  build ${i} failed: $(tail -n1 "${out}/run${i}.err")"; continue 2; }
			"${tree_bench}" --floor-only --json --target "${release}" "${patches[@]}" --cache-dir "${cache}" \
				--include-dir "${root}/kmod/include" \
				--out "${out}/floor" >"${out}/floor${i}.json" 2>"${out}/floor${i}.err" ||
				{ echo "  floor ${i} failed: $(tail -n1 "${out}/floor${i}.err")"; continue 2; }
		done
		# The first build of these units in this tree: their objects and
		# stamps dropped, so the original side compiles (no stamp to skip it).
		"${tree_bench}" --drop-originals --target "${release}" "${patches[@]}" --cache-dir "${cache}" \
			--include-dir "${root}/kmod/include" --out "${out}/floor" >"${out}/drop.out" 2>&1 ||
			{ echo "  dropping the originals failed: $(tail -n1 "${out}/drop.out")"; continue; }
		"${pb}" build --json --target "${release}" "${patches[@]}" --keys "${work}/keys" --name "lp_bench" \
			--cache-dir "${cache}" -o "${out}/first" >"${out}/first.json" 2>"${out}/first.err" ||
			{ echo "  first build failed: $(tail -n1 "${out}/first.err")"; continue; }
		summarize "${name}" "${out}"/floor*.json -- "${out}"/run*.json -- "${out}/first.json" >"${out}/summary"
		grep -v '^ROW' "${out}/summary"
		rows+=("$(sed -n 's/^ROW\t//p' "${out}/summary")")
	done < <(example_list)
	echo
	echo "== summary (medians of ${RUNS}; seconds): example, units, stages, total, floor, total/floor; load $(load)"
	printf '%s\n' "${rows[@]}"
}

run_diff() {
	echo
	echo "== diff stage alone: every object of ${DIFF_DIR}, original vs $(basename "${DIFF_PATCH}"), load $(load)"
	"${diff_bench}" --target "${release}" --patch "${DIFF_PATCH}" --dir "${DIFF_DIR}" --runs "${RUNS}" \
		--cache-dir "${cache}"
	echo "  load after: $(load)"
}

for part in ${PARTS}; do
	case ${part} in
	examples) run_examples ;;
	diff) run_diff ;;
	*) echo "bench: unknown part ${part}" >&2; exit 1 ;;
	esac
done
echo
echo "done: $(date -u '+%F %T UTC'), load $(load)"

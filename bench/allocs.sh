#!/usr/bin/env bash
# bench/allocs.sh: heap allocations per hello-world exchange, from the root
# package's in-process benchmarks (go test -bench -benchmem), for the
# library of this tree and, with BASE_REV set, for the library as of that
# revision (extracted with git archive into a temporary directory, its own
# benchmarks run there), side by side.
#
# The benchmarks (root package, bench_test.go):
#   BenchmarkHelloWorldTCP  one keep-alive exchange over loopback TCP with a
#                           client that allocates nothing: allocs/op is what
#                           the server and the application allocate per request
#   BenchmarkHelloWorld     the same over net.Pipe (whose deadlines allocate)
#   BenchmarkPipelined16    a batch of 16 pipelined requests over net.Pipe
#                           (allocs/op is per batch of 16)
# TestHelloWorldAllocations (alloc_test.go) holds the TCP exchange to its
# budget in CI; this script prints the figures themselves.
#
# Usage: bash bench/allocs.sh            # this tree
#        BASE_REV=a238aae bash bench/allocs.sh   # and the library as of a238aae
# Settings: BENCH [^Benchmark(HelloWorldTCP|HelloWorld|Pipelined16)$]
#   COUNT [3] runs per benchmark (the median is shown)  BENCHTIME [1s]
#   CPU [1,2] GOMAXPROCS values (run.sh's pinned servers run with 1)
# ns/op is not shown: on a shared machine it is noise; allocs/op and B/op
# are not.
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(git -C "$BENCH_DIR" rev-parse --show-toplevel)
BENCH=${BENCH:-'^Benchmark(HelloWorldTCP|HelloWorld|Pipelined16)$'}
COUNT=${COUNT:-3}
BENCHTIME=${BENCHTIME:-1s}
CPU=${CPU:-1,2}
BASE_REV=${BASE_REV:-}

TMP=$(mktemp -d "${TMPDIR:-/tmp}/tinyhttp-allocs.XXXXXX")
trap 'rm -rf "$TMP"' EXIT

# run_bench DIR LABEL runs the benchmarks of the root package in DIR and
# prints "label benchmark gomaxprocs allocs/op B/op" per benchmark, medians
# over COUNT runs.
run_bench() {
	local dir=$1 label=$2 out=$TMP/bench-$2.txt
	if ! (cd "$dir" && GOWORK=off go test -run '^$' -bench "$BENCH" -benchmem -count "$COUNT" \
		-benchtime "$BENCHTIME" -cpu "$CPU" .) >"$out" 2>&1; then
		echo "allocs.sh: the benchmarks failed in $dir:" >&2
		cat "$out" >&2
		return 1
	fi
	awk -v label="$label" '
		$1 ~ /^Benchmark/ {
			name = $1; procs = 1
			if (match(name, /-[0-9]+$/)) { procs = substr(name, RSTART + 1); name = substr(name, 1, RSTART - 1) }
			sub(/^Benchmark/, "", name)
			a = ""; b = ""
			for (i = 2; i < NF; i++) {
				if ($(i + 1) == "allocs/op") a = $i
				if ($(i + 1) == "B/op") b = $i
			}
			k = name SUBSEP procs
			if (!(k in n)) order[++keys] = k
			n[k]++; allocs[k, n[k]] = a; bytes[k, n[k]] = b
		}
		function med(arr, k, c,   v, i, j, t) {
			for (i = 1; i <= c; i++) v[i] = arr[k, i] + 0
			for (i = 1; i <= c; i++) for (j = i + 1; j <= c; j++) if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
			return c % 2 ? v[(c + 1) / 2] : (v[c / 2] + v[c / 2 + 1]) / 2
		}
		END {
			for (i = 1; i <= keys; i++) {
				k = order[i]; split(k, p, SUBSEP)
				printf "%s %s %s %s %s\n", label, p[1], p[2], med(allocs, k, n[k]), med(bytes, k, n[k])
			}
		}' "$out"
}

rows=$TMP/rows.txt
: >"$rows"
echo "allocs.sh: this tree ($(git -C "$REPO" describe --always --dirty --exclude '*'))" >&2
run_bench "$REPO" tree >>"$rows"
if [ -n "$BASE_REV" ]; then
	commit=$(git -C "$REPO" rev-parse --verify --quiet "$BASE_REV^{commit}") || {
		echo "allocs.sh: BASE_REV=$BASE_REV is not a commit" >&2
		exit 1
	}
	mkdir "$TMP/base"
	git -C "$REPO" archive --format=tar "$commit" | tar -x -C "$TMP/base"
	echo "allocs.sh: base ${commit:0:12} ($(git -C "$REPO" log -1 --format=%s "$commit"))" >&2
	run_bench "$TMP/base" "base-${commit:0:7}" >>"$rows"
fi
printf '%-14s %-14s %10s %10s %10s\n' library benchmark GOMAXPROCS allocs/op B/op
sort -k2,2 -k3,3n -s "$rows" | awk '{ printf "%-14s %-14s %10s %10s %10s\n", $1, $2, $3, $4, $5 }'

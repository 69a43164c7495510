#!/usr/bin/env bash
# bench/reuseport.sh: one process against two SO_REUSEPORT processes on one
# port, same machine, same run (issue 14's scale-out benchmark).
#
# Both shapes run examples/prefork (its children answer "hello from PID"):
#   one   1 child,  GOMAXPROCS=2: one process using both cores
#   two   2 children, GOMAXPROCS=1 each: the kernel spreads connections
# wrk (1 thread, CONNS keep-alive connections, DURATION) shares the machine
# with the servers in both shapes, unpinned, so that the comparison is of
# the server's shape alone. The script prints requests per second, the CPU
# the server processes used, and requests per CPU-second (the per-core
# figure), as the median of RUNS alternating runs, and the ratio two/one.
#
# Settings (environment variables, defaults in brackets):
#   RUNS [3]  DURATION [10s]  CONNS [64]  PORT [18300]
set -euo pipefail
RUNS=${RUNS:-3}
DURATION=${DURATION:-10s}
CONNS=${CONNS:-64}
PORT=${PORT:-18300}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
WORK=$(mktemp -d)
CLK_TCK=$(getconf CLK_TCK)
trap 'pkill -TERM -f "$WORK/prefork" 2>/dev/null || true; rm -rf "$WORK"' EXIT

command -v wrk >/dev/null || { echo "reuseport.sh: wrk is missing (bash scripts/install-deps.sh)" >&2; exit 1; }
(cd "$ROOT" && go build -o "$WORK/prefork" ./examples/prefork)

# cpu_ticks prints the user+system clock ticks of the children of $1.
cpu_ticks() {
	local total=0 pid
	for pid in $(pgrep -P "$1"); do
		total=$((total + $(awk '{print $14 + $15}' "/proc/$pid/stat")))
	done
	echo "$total"
}

# run_shape N GOMAXPROCS prints "req/s cpu-seconds".
run_shape() {
	local n=$1 procs=$2 pid out t0 t1 rps
	GOMAXPROCS=$procs "$WORK/prefork" -addr "127.0.0.1:$PORT" -n "$n" >"$WORK/server.log" 2>&1 &
	pid=$!
	for _ in $(seq 100); do
		grep -q "^listening" "$WORK/server.log" && break
		sleep 0.1 # waiting for the children to report that they listen
	done
	grep -q "^listening" "$WORK/server.log" || { cat "$WORK/server.log" >&2; exit 1; }
	wrk -t1 -c"$CONNS" -d2s "http://127.0.0.1:$PORT/" >/dev/null # warm-up
	t0=$(cpu_ticks "$pid")
	out=$(wrk -t1 -c"$CONNS" -d"$DURATION" "http://127.0.0.1:$PORT/")
	t1=$(cpu_ticks "$pid")
	kill -TERM "$pid"
	wait "$pid" || true
	if grep -q "Non-2xx\|Socket errors" <<<"$out"; then
		echo "reuseport.sh: errors in the run:" >&2
		echo "$out" >&2
		exit 1
	fi
	rps=$(awk '/^Requests\/sec/ {print int($2)}' <<<"$out")
	echo "$rps $(awk -v t=$((t1 - t0)) -v h="$CLK_TCK" 'BEGIN {printf "%.2f", t / h}')"
}

median() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }

declare -a one_rps one_cpu two_rps two_cpu
for r in $(seq "$RUNS"); do
	read -r rps cpu < <(run_shape 1 2)
	one_rps+=("$rps"); one_cpu+=("$cpu")
	read -r rps cpu < <(run_shape 2 1)
	two_rps+=("$rps"); two_cpu+=("$cpu")
	echo "run $r: one ${one_rps[-1]} req/s (${one_cpu[-1]} CPU-s), two ${two_rps[-1]} req/s (${two_cpu[-1]} CPU-s)" >&2
done
secs=${DURATION%s}
awk -v o="$(median "${one_rps[@]}")" -v oc="$(median "${one_cpu[@]}")" \
	-v t="$(median "${two_rps[@]}")" -v tc="$(median "${two_cpu[@]}")" -v s="$secs" -v c="$(nproc)" 'BEGIN {
	printf "cores: %d, %d keep-alive connections, medians of %d runs of %ss\n", c, '"$CONNS"', '"$RUNS"', s
	printf "| shape | req/s | server CPU (cores) | req per CPU-second |\n|---|---|---|---|\n"
	printf "| one process, GOMAXPROCS=2 | %d | %.2f | %d |\n", o, oc / s, o * s / oc
	printf "| two reuse-port processes, GOMAXPROCS=1 | %d | %.2f | %d |\n", t, tc / s, t * s / tc
	printf "two / one: %.2fx req/s, %.2fx req per CPU-second\n", t / o, (t * s / tc) / (o * s / oc)
}'

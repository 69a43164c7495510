#!/usr/bin/env bash
# bench/h2load.sh: HTTP/2 with h2load (nghttp2-client), tinyhttp against
# net/http's HTTP/2 server in the same run (issue 13's benchmark).
#
# Each peer serves cleartext HTTP/2 with prior knowledge (-h2c), pinned to
# SERVER_CPU, and h2load, pinned to CLIENT_CPU, opens CONNS connections with
# STREAMS concurrent streams each (-c 64 -m 10) for DURATION after a warm-up.
# Peers: tinyhttp (pull API, Respond), tinyhttp-handler (net/http's handler
# through ServeHandler) and nethttp (the same handler on net/http's server).
# It prints, as the median of RUNS runs per peer (alternating peers): req/s,
# server CPU µs per request, server heap allocations per request (the
# peer's runtime.MemStats.Mallocs at exit over the requests served), and the
# ratios against nethttp; any failed or
# errored request fails the script.
#
# Settings (environment variables, defaults in brackets):
#   RUNS [3]  DURATION [10]  WARMUP [2] (seconds)  CONNS [64]  STREAMS [10]
#   SERVER_CPU [0]  CLIENT_CPU [1]  PORT [18400]
#   PEERS ["tinyhttp tinyhttp-handler nethttp"]
set -euo pipefail
RUNS=${RUNS:-3}
DURATION=${DURATION:-10}
WARMUP=${WARMUP:-2}
CONNS=${CONNS:-64}
STREAMS=${STREAMS:-10}
SERVER_CPU=${SERVER_CPU:-0}
CLIENT_CPU=${CLIENT_CPU:-1}
PORT=${PORT:-18400}
PEERS=${PEERS:-"tinyhttp tinyhttp-handler nethttp"}
BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
WORK=$(mktemp -d)
CLK_TCK=$(getconf CLK_TCK)
SERVER_PID=""
trap '[ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null; rm -rf "$WORK"' EXIT

command -v h2load >/dev/null || { echo "h2load.sh: h2load is missing (Debian nghttp2-client; bash scripts/install-deps.sh)" >&2; exit 1; }
for peer in $PEERS; do
	(cd "$BENCH_DIR" && go build -mod=mod -o "$WORK/$peer" "./cmd/$peer")
done

# cpu_ticks prints the user+system clock ticks of process $1.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# run_peer prints "req/s µs-per-request" for one run of peer $1.
run_peer() {
	local peer=$1 out t0 t1 done_ rps
	taskset -c "$SERVER_CPU" "$WORK/$peer" -port "$PORT" -h2c >"$WORK/$peer.log" 2>&1 &
	SERVER_PID=$!
	for _ in $(seq 100); do
		curl -s --max-time 1 --http2-prior-knowledge -o /dev/null "http://127.0.0.1:$PORT/" && break
		sleep 0.1 # waiting for the server to listen
	done
	t0=$(cpu_ticks "$SERVER_PID")
	out=$(taskset -c "$CLIENT_CPU" h2load -c "$CONNS" -m "$STREAMS" -D "$DURATION" --warm-up-time "$WARMUP" "http://127.0.0.1:$PORT/")
	t1=$(cpu_ticks "$SERVER_PID")
	kill "$SERVER_PID"
	wait "$SERVER_PID" 2>/dev/null || true
	SERVER_PID=""
	mallocs=$(sed -n 's/.*mallocs=\([0-9]*\).*/\1/p' "$WORK/$peer.log")
	if ! grep -q " 0 failed, 0 errored" <<<"$out" || ! grep -q "^status codes: [1-9][0-9]* 2xx, 0 3xx, 0 4xx, 0 5xx" <<<"$out"; then
		echo "h2load.sh: $peer: requests failed:" >&2
		echo "$out" >&2
		exit 1
	fi
	rps=$(sed -n 's/^finished in .*, \([0-9.]*\) req\/s.*/\1/p' <<<"$out")
	done_=$(sed -n 's/^requests: .* \([0-9]*\) succeeded.*/\1/p' <<<"$out")
	# The CPU delta includes the warm-up: per request, over every request served.
	awk -v r="$rps" -v t=$((t1 - t0)) -v h="$CLK_TCK" -v n="$done_" -v d="$DURATION" -v w="$WARMUP" -v m="${mallocs:-0}" \
		'BEGIN { printf "%d %.2f %.1f\n", r, t / h * 1e6 / (n + r * w), m / (n + r * w) }'
}

median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }

declare -A RPS CPU ALLOCS
for r in $(seq "$RUNS"); do
	for peer in $PEERS; do
		read -r rps us allocs < <(run_peer "$peer")
		RPS[$peer]="${RPS[$peer]:-} $rps"
		CPU[$peer]="${CPU[$peer]:-} $us"
		ALLOCS[$peer]="${ALLOCS[$peer]:-} $allocs"
		echo "run $r: $peer $rps req/s, $us µs CPU per request, $allocs allocations per request" >&2
	done
done
echo "h2c, h2load -c $CONNS -m $STREAMS, ${DURATION}s after ${WARMUP}s warm-up, medians of $RUNS runs; $(nproc) cores, server on CPU $SERVER_CPU, h2load on CPU $CLIENT_CPU"
echo "| peer | req/s | server CPU µs/request | server allocations/request | req/s ÷ nethttp | CPU/request ÷ nethttp |"
echo "|---|---|---|---|---|---|"
base_rps=$(median ${RPS[nethttp]:-0})
base_cpu=$(median ${CPU[nethttp]:-0})
for peer in $PEERS; do
	rps=$(median ${RPS[$peer]})
	us=$(median ${CPU[$peer]})
	allocs=$(median ${ALLOCS[$peer]})
	awk -v p="$peer" -v r="$rps" -v u="$us" -v a="$allocs" -v br="$base_rps" -v bu="$base_cpu" 'BEGIN {
		printf "| %s | %d | %.2f | %.1f | %s | %s |\n", p, r, u, a, (br > 0 ? sprintf("%.2fx", r / br) : "-"), (bu > 0 ? sprintf("%.2fx", u / bu) : "-") }'
done

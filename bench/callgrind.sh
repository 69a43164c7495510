#!/usr/bin/env bash
# bench/callgrind.sh: user-space instructions per keep-alive request, per
# Go peer, counted by valgrind's callgrind.
#
# Timings on this machine drift by ±15%; instruction counts do not. Each
# peer runs under callgrind (pinned to SERVER_CPU, asynchronous preemption
# off, which callgrind's signal handling needs) twice, under wrk -c64 for
# SHORT and for LONG; the difference of the two totals divided by the
# difference of the two request counts is what one request costs the
# server in user space, start-up excluded. The kernel's share (about three
# quarters of a keep-alive server's CPU here) is not counted.
#
# Usage: bash bench/callgrind.sh [peer ...]   (default: tinyhttp fasthttp nethttp)
# Settings: SHORT [2s]  LONG [6s]  CONNS [64]  SERVER_CPU [0]  CLIENT_CPU [1]
#   BASE_PORT [18900]  KEEP [empty: set to a directory to keep callgrind's
#   output files, for callgrind_annotate]
# Needs: valgrind, wrk, curl (scripts/install-deps.sh), and bench/bin built
# by bench/run.sh (or `go build -o bin/NAME ./cmd/NAME` in bench/).
set -uo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SHORT=${SHORT:-2s}
LONG=${LONG:-6s}
CONNS=${CONNS:-64}
SERVER_CPU=${SERVER_CPU:-0}
CLIENT_CPU=${CLIENT_CPU:-1}
PORT=${BASE_PORT:-18900}
KEEP=${KEEP:-}
START_TIMEOUT=60 # seconds: a server under callgrind starts slowly

for tool in valgrind wrk curl taskset; do
	command -v "$tool" >/dev/null || {
		echo "callgrind.sh: $tool is missing (bash scripts/install-deps.sh)" >&2
		exit 2
	}
done
OUTDIR=$(mktemp -d)
trap 'rm -rf "$OUTDIR"' EXIT

# measure runs peer $1 under callgrind for wrk duration $2 and prints
# "requests instructions".
measure() {
	local peer=$1 dur=$2 out pid n i
	PORT=$((PORT + 1))
	out=$OUTDIR/callgrind.$peer.$dur
	GODEBUG=asyncpreemptoff=1,cpu.rdtscp=off taskset -c "$SERVER_CPU" valgrind --tool=callgrind \
		--callgrind-out-file="$out" "$BENCH_DIR/bin/$peer" -port "$PORT" >/dev/null 2>"$out.err" &
	pid=$!
	for ((i = 0; i < START_TIMEOUT * 5; i++)); do
		curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$PORT/" && break
		sleep 0.2
	done
	n=$(taskset -c "$CLIENT_CPU" wrk -t1 -c"$CONNS" -d"$dur" "http://127.0.0.1:$PORT/" | awk '/requests in/ {print $1}')
	kill -TERM "$pid"
	wait "$pid" 2>/dev/null
	[ -n "$KEEP" ] && mkdir -p "$KEEP" && cp "$out" "$KEEP/"
	echo "${n:-0} $(grep -o 'summary: [0-9]*' "$out" | awk '{print $2}')"
}

printf '%-10s %16s %20s\n' peer "instr/request" "requests (short, long)"
for peer in "${@:-tinyhttp fasthttp nethttp}"; do
	for p in $peer; do
		[ -x "$BENCH_DIR/bin/$p" ] || {
			echo "callgrind.sh: $BENCH_DIR/bin/$p is not built" >&2
			continue
		}
		read -r n1 i1 < <(measure "$p" "$SHORT")
		read -r n2 i2 < <(measure "$p" "$LONG")
		if [ -z "$i1" ] || [ -z "$i2" ] || [ "$n2" -le "$n1" ]; then
			echo "callgrind.sh: $p: no usable measurement" >&2
			continue
		fi
		printf '%-10s %16.0f %20s\n' "$p" "$(awk -v a="$i1" -v b="$i2" -v m="$n1" -v n="$n2" 'BEGIN { print (b - a) / (n - m) }')" "$n1, $n2"
	done
done

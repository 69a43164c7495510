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
#   A peer is a Go peer of bench/cmd (tinyhttp, nethttp, fasthttp) or
#   tinyhttp-base: bench/cmd/tinyhttp built against the library as of
#   BASE_REV (bench/build-base.sh); it is added to the peers when BASE_REV
#   is set.
# Settings: SHORT [2s]  LONG [6s] (whole seconds)  CONNS [64]  SERVER_CPU [0]  CLIENT_CPU [1]
#   BASE_PORT [18900]  KEEP [empty: set to a directory to keep callgrind's
#   output files, for callgrind_annotate]  BASE_REV [a238aae]
#   BUILD [1: build the peers into bench/bin first; 0: use bench/bin as it is]
#   REPEAT [1] measurements per peer, the peers taken in turn; with more
#   than one, the median is printed at the end. The count per request moves
#   by up to ±15% from one measurement to the next when the machine is
#   busy (see bench/README.md), so compare medians of several.
#   GRACE [1s] the tinyhttp peers' -grace (ServerConfig.BufferGrace), see
#   below; empty: the library's default (20 ms).
# Needs: valgrind, wrk, curl, go (scripts/install-deps.sh).
#
# Time under callgrind runs some 50 times slower for the server, not for
# the clock: each of the 64 connections gets its next request about 16 ms
# after its last instead of 0.3 ms. tinyhttp's read-buffer grace is wall
# time (20 ms), so under callgrind the buffered wait renews its deadline on
# nearly every request and often outlives it (the buffer goes back to its
# pool and is fetched again): about 2,000 to 4,000 instructions per request
# that the server at full speed does not spend (bench/RESULTS.md). GRACE
# scales the grace by the same 50 so that the measured path is the one the
# server takes at full speed. Peers that have no -grace (tinyhttp-base
# built from a revision before it) run with their own 20 ms.
set -uo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SHORT=${SHORT:-2s}
LONG=${LONG:-6s}
CONNS=${CONNS:-64}
SERVER_CPU=${SERVER_CPU:-0}
CLIENT_CPU=${CLIENT_CPU:-1}
PORT=${BASE_PORT:-18900}
KEEP=${KEEP:-}
BUILD=${BUILD:-1}
REPEAT=${REPEAT:-1}
GRACE=${GRACE-1s}
START_TIMEOUT=60 # seconds: a server under callgrind starts slowly
STOP_TIMEOUT=30  # seconds for it to write its totals and exit after SIGTERM
PEERS=${*:-tinyhttp fasthttp nethttp}
if [ -n "${BASE_REV:-}" ] && [[ " $PEERS " != *" tinyhttp-base "* ]]; then
	PEERS="$PEERS tinyhttp-base"
fi
BASE_REV=${BASE_REV:-a238aae}

for tool in valgrind wrk curl taskset; do
	command -v "$tool" >/dev/null || {
		echo "callgrind.sh: $tool is missing (bash scripts/install-deps.sh)" >&2
		exit 2
	}
done
OUTDIR=$(mktemp -d)
trap 'rm -rf "$OUTDIR"' EXIT

# build builds peer $1 into bench/bin (a failed build leaves none there).
build() {
	rm -f "$BENCH_DIR/bin/$1"
	case "$1" in
	tinyhttp-base) BASE_REV=$BASE_REV bash "$BENCH_DIR/build-base.sh" "$BENCH_DIR/bin/tinyhttp-base" ;;
	*) (cd "$BENCH_DIR" && go build -mod=mod -o "bin/$1" "./cmd/$1") ;;
	esac
}

if [ "$BUILD" = 1 ]; then
	for p in $PEERS; do
		build "$p" >"$OUTDIR/build-$p.log" 2>&1 || {
			echo "callgrind.sh: $p failed to build:" >&2
			cat "$OUTDIR/build-$p.log" >&2
		}
	done
fi
[[ " $PEERS " == *" tinyhttp "* ]] &&
	echo "tinyhttp: the library of this tree, $(git -C "$BENCH_DIR" describe --always --dirty --exclude '*' 2>/dev/null)"
[ -n "$GRACE" ] && [[ " $PEERS " == *" tinyhttp"* ]] &&
	echo "tinyhttp peers that take -grace: -grace $GRACE (the 20 ms buffer grace scaled to callgrind's slowdown)"
[[ " $PEERS " == *" tinyhttp-base "* ]] && [ -f "$BENCH_DIR/bin/tinyhttp-base.rev" ] &&
	echo "tinyhttp-base: the library as of $(cat "$BENCH_DIR/bin/tinyhttp-base.rev")"

# port_free reports whether nothing accepts connections on 127.0.0.1:$1
# (another benchmark may be running on this machine, with the same ports).
port_free() { ! (: <"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# next_port prints the first free port above $1.
next_port() {
	local p=$(($1 + 1))
	until port_free "$p"; do p=$((p + 1)); done
	echo "$p"
}

# takes_grace reports whether peer $1 is a tinyhttp peer with -grace.
takes_grace() {
	[[ $1 == tinyhttp* ]] && "$BENCH_DIR/bin/$1" -h 2>&1 | grep -q -- '-grace'
}

# cpu_ticks prints the user+system time of process $1 in clock ticks.
cpu_ticks() {
	local stat
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return
	awk '{ print $12 + $13 }' <<<"${stat##*) }"
}

# measure runs peer $1 under callgrind on port $3 for wrk duration $2 and
# prints "requests instructions share" (nothing when the server did not
# start), share being the % of the wrk run's wall time the server was on a
# CPU: below 100, something else took part of its core.
# Its output file is callgrind.<peer>.<duration>[.<repeat>] ($4: repeat).
#
# GODEBUG: asynchronous preemption off, which callgrind's signal handling
# needs; cpu.rdtscp=off because valgrind 3.19 advertises RDTSCP in the CPUID
# it emulates but cannot execute it where the host's CPU flags lack it (as
# in some VMs), and Go's runtime.cputicks would then die of SIGILL.
measure() {
	local peer=$1 dur=$2 port=$3 out pid n="" i up="" c0 c1 t0 t1 share="" args
	out=$OUTDIR/callgrind.$peer.$dur${4:+.$4}
	args=(-port "$port")
	[ -n "$GRACE" ] && takes_grace "$peer" && args+=(-grace "$GRACE")
	GODEBUG=asyncpreemptoff=1,cpu.rdtscp=off taskset -c "$SERVER_CPU" valgrind --tool=callgrind \
		--callgrind-out-file="$out" "$BENCH_DIR/bin/$peer" "${args[@]}" >/dev/null 2>"$out.err" &
	pid=$!
	for ((i = 0; i < START_TIMEOUT * 5; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$port/" && up=1 && break
		sleep 0.2
	done
	# The answer must come from this server: if it died (say, its port was
	# taken in the meantime), another process answered.
	sleep 0.5
	kill -0 "$pid" 2>/dev/null || up=""
	if [ -z "$up" ]; then
		echo "callgrind.sh: $peer did not start under callgrind: $(grep -m1 -E 'Unrecognised|SIGILL|panic|error' "$out.err")" >&2
	else
		c0=$(cpu_ticks "$pid") t0=$(date +%s%N)
		n=$(timeout --kill-after=5 $((${dur%s} + 30)) taskset -c "$CLIENT_CPU" wrk -t1 -c"$CONNS" -d"$dur" "http://127.0.0.1:$port/" |
			awk '/requests in/ {print $1}')
		c1=$(cpu_ticks "$pid") t1=$(date +%s%N)
		share=$(awk -v c="$((${c1:-0} - ${c0:-0}))" -v t="$((t1 - t0))" -v hz="$(getconf CLK_TCK)" \
			'BEGIN { printf "%.0f", (t > 0 ? c / hz * 1e9 / t * 100 : 0) }')
	fi
	kill -TERM "$pid" 2>/dev/null
	for ((i = 0; i < STOP_TIMEOUT * 10; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null # callgrind then writes no totals: "no usable measurement"
	wait "$pid" 2>/dev/null
	[ -z "$up" ] && return
	[ -n "$KEEP" ] && mkdir -p "$KEEP" && cp "$out" "$out.err" "$KEEP/"
	grep -q '^summary: ' "$out" ||
		echo "callgrind.sh: $peer ($dur) wrote no totals; its last words: $(tail -n 3 "$out.err" | tr '\n' ' ')" >&2
	echo "${n:-0} $(grep -o 'summary: [0-9]*' "$out" | awk '{print $2}') ${share:-0}"
}

# Each repeat goes through every peer in turn, so that a change in what else
# the machine runs falls on every peer alike.
declare -A RESULTS=()
printf '%-14s %16s %22s %s\n' peer "instr/request" "requests (short, long)" "server's CPU share (short, long)"
for ((r = 1; r <= REPEAT; r++)); do
	for p in $PEERS; do
		[ -x "$BENCH_DIR/bin/$p" ] || {
			[ "$r" = 1 ] && echo "callgrind.sh: $BENCH_DIR/bin/$p is not built" >&2
			continue
		}
		n1="" i1="" n2="" i2="" s1="" s2=""
		tag=""
		[ "$REPEAT" -gt 1 ] && tag=$r
		# A fresh free port for each server: no wait for the last one's to
		# free, and no other benchmark's server measured by mistake.
		PORT=$(next_port "$PORT")
		read -r n1 i1 s1 < <(measure "$p" "$SHORT" "$PORT" "$tag")
		PORT=$(next_port "$PORT")
		read -r n2 i2 s2 < <(measure "$p" "$LONG" "$PORT" "$tag")
		if [ -z "$i1" ] || [ -z "$i2" ] || [ "${n2:-0}" -le "${n1:-0}" ]; then
			echo "callgrind.sh: $p: no usable measurement (requests, instructions, server's CPU share: $SHORT ${n1:-?} ${i1:-?} ${s1:-?}%, $LONG ${n2:-?} ${i2:-?} ${s2:-?}%)" >&2
			continue
		fi
		v=$(awk -v a="$i1" -v b="$i2" -v m="$n1" -v n="$n2" 'BEGIN { printf "%.0f", (b - a) / (n - m) }')
		RESULTS[$p]+="$v "
		note=""
		[ "${s1:-0}" -lt 90 ] || [ "${s2:-0}" -lt 90 ] && note="  <- below 90%: the server was not on its core all the time (another process took it, or the client was slow)"
		printf '%-14s %16s %22s %s%s\n' "$p" "$v" "$n1, $n2" "$s1%, $s2%" "$note"
	done
done
if [ "$REPEAT" -gt 1 ]; then
	printf '\n%-14s %16s %s\n' peer "median" "(all)"
	for p in $PEERS; do
		[ -n "${RESULTS[$p]:-}" ] || continue
		printf '%-14s %16s (%s)\n' "$p" "$(printf '%s\n' ${RESULTS[$p]} | sort -n |
			awk '{ v[NR] = $1 } END { printf "%.0f", (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }')" "${RESULTS[$p]% }"
	done
fi

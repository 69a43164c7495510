#!/usr/bin/env bash
# bench/run.sh: the side-by-side benchmark of tinyhttp against net/http,
# fasthttp and the original Rust tiny-http.
#
# It builds every peer, then runs them one at a time on 127.0.0.1, the server
# pinned to one CPU and the load generator to another, under each load
# (see bench/README.md), and writes:
#   results/runs.csv     one row per measured run
#   results/latest.json  medians per peer and load, and tinyhttp's ratios
#   results/latest.md    the same as markdown tables
#   results/latest.svg   a bar chart
#   results/logs/        server, wrk and build output of the last run
#
# Settings (environment variables, defaults in brackets):
#   RUNS [3]  DURATION [10s]  WARMUP [3s]  CONNS [64]  DEPTH [16]
#   IDLE_CONNS ["1000 10000"] connection counts of the idle load
#   BUSY_CONNS [IDLE_CONNS] connection counts of the busy load
#   BUSY_DURATION [10s] whole seconds every busy connection cycles requests
#   FILE_MB [1024]  SERVER_CPU [0]  CLIENT_CPU [1]
#   PEERS ["tinyhttp nethttp fasthttp rust-tiny-http"]; also available:
#     tinyhttp-handler (net/http's handler, peer.Handler, through
#     ServeHandler) and fasthttpadaptor (the same handler on fasthttp);
#     tinyhttp-base is
#     bench/cmd/tinyhttp built against the library as of BASE_REV
#     (bench/build-base.sh), run when listed or when BASE_REV is set
#   BASE_REV [a238aae]
#   LOADS ["keepalive pipelined close sleep idle busy file"]
#   BASE_PORT [18100]  OUT [bench/results]  CARGO [cargo on PATH, else ~/.cargo/bin/cargo]
#   QUIET_WAIT [30] seconds to wait before each load for both CPUs to be
#   below QUIET_PCT [15] % busy; a run during which other processes took
#   over NOISE_MAX [20] % of the server's core is redone up to RETRIES [2] times
#
# A peer that does not build, start or answer correctly is recorded as
# failed and the script goes on; every wait is bounded.
set -uo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
RUNS=${RUNS:-3}
DURATION=${DURATION:-10s}
WARMUP=${WARMUP:-3s}
CONNS=${CONNS:-64}
DEPTH=${DEPTH:-16}
IDLE_CONNS=${IDLE_CONNS:-"1000 10000"}
BUSY_CONNS=${BUSY_CONNS:-$IDLE_CONNS}
BUSY_DURATION=${BUSY_DURATION:-10s}
FILE_MB=${FILE_MB:-1024}
SERVER_CPU=${SERVER_CPU:-0}
CLIENT_CPU=${CLIENT_CPU:-1}
PEERS=${PEERS:-"tinyhttp nethttp fasthttp rust-tiny-http"}
if [ -n "${BASE_REV:-}" ] && [[ " $PEERS " != *" tinyhttp-base "* ]]; then
	PEERS="$PEERS tinyhttp-base"
fi
BASE_REV=${BASE_REV:-a238aae}
LOADS=${LOADS:-"keepalive pipelined close sleep idle busy file"}
BASE_PORT=${BASE_PORT:-18100}
OUT=${OUT:-$BENCH_DIR/results}
CARGO=${CARGO:-$(command -v cargo || echo "$HOME/.cargo/bin/cargo")}

BIN=$BENCH_DIR/bin
LOGS=$OUT/logs
RUNS_CSV=$OUT/runs.csv
LUA=$BENCH_DIR/wrk/bench.lua
START_TIMEOUT=10   # seconds for a server to answer its first request
STOP_TIMEOUT=5     # seconds for a server to exit after SIGTERM
IDLE_TIMEOUT=120   # seconds for idleconns to set up every connection
BUSY_TAIL=30       # seconds after BUSY_DURATION for idleconns to report
FILE_TIMEOUT=300   # seconds for one file download
QUIET_WAIT=${QUIET_WAIT:-30} # seconds to wait for a quiet machine before each load
QUIET_PCT=${QUIET_PCT:-15}   # busy % of a pinned CPU that counts as quiet
NOISE_MAX=${NOISE_MAX:-20}   # other load % on the server's core above which a run is redone
RETRIES=${RETRIES:-2}        # how many times a disturbed run is redone
CLK_TCK=$(getconf CLK_TCK)

SERVER_PID=""
HELPER_PID=""
NEXT_PORT=$BASE_PORT
WORK=""
FILE=""

log() { printf '[%s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# seconds_of turns a wrk duration (10s, 2m, 1h, or bare seconds) into seconds.
seconds_of() {
	local d=$1
	case "$d" in
	*h) echo $((${d%h} * 3600)) ;;
	*m) echo $((${d%m} * 60)) ;;
	*s) echo "${d%s}" ;;
	*) echo "$d" ;;
	esac
}

# cleanup stops whatever this script started; it runs on exit.
cleanup() {
	stop_helper
	stop_server
	[ -n "$WORK" ] && rm -rf "$WORK"
	return 0
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---------------------------------------------------------------- recording

# COLUMNS are the runs file's columns (results.Columns in Go).
COLUMNS=(peer load run status req_per_sec p50_us p99_us errors requests cpu_us rss_kib
	peak_rss_kib base_rss_kib mb_per_sec open other_cpu_pct note min_per_conn)

# record appends one row to the runs file from column=value arguments;
# columns not given are left empty.
record() {
	local -A row=()
	local kv col out=()
	for kv in "$@"; do
		row[${kv%%=*}]=${kv#*=}
	done
	row[note]=${row[note]:-}
	row[note]=${row[note]//$'\n'/ }
	row[note]=\"${row[note]//\"/\"\"}\" # CSV-quoted: it may hold commas and quotes
	for col in "${COLUMNS[@]}"; do
		out+=("${row[$col]:-}")
	done
	(
		IFS=,
		echo "${out[*]}"
	) >>"$RUNS_CSV"
}

# record_failed records that PEER could not be measured under LOAD.
record_failed() {
	local peer=$1 load=$2 note=$3
	log "$peer/$load: FAILED: $note"
	record peer="$peer" load="$load" run=0 status=failed note="$note"
}

# ---------------------------------------------------------------- /proc readers

# cpu_us prints the user+system CPU time of process $1 in µs.
cpu_us() {
	local stat
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || {
		echo 0
		return
	}
	# Drop "pid (comm) " so that a space in comm cannot shift the fields;
	# utime and stime are then fields 12 and 13.
	awk -v tck="$CLK_TCK" '{printf "%.0f\n", ($12 + $13) * 1000000 / tck}' <<<"${stat##*) }"
}

# now_us prints the wall-clock time in µs.
now_us() { echo $(($(date +%s%N) / 1000)); }

# core_busy_us prints the non-idle time of CPU $1 since boot, in µs, from
# /proc/stat (user, nice, system, irq, softirq, steal).
core_busy_us() {
	awk -v c="cpu$1" -v tck="$CLK_TCK" '$1 == c {printf "%.0f\n", ($2 + $3 + $4 + $7 + $8 + $9) * 1000000 / tck}' /proc/stat
}

# other_cpu_pct T0 T1 BUSY0 BUSY1 CPU0 CPU1 prints the share of the
# server's core that something other than the server used between T0 and T1.
other_cpu_pct() {
	awk -v t="$(($2 - $1))" -v b="$(($4 - $3))" -v s="$(($6 - $5))" \
		'BEGIN { o = (t > 0 ? (b - s) * 100 / t : 0); printf "%.1f\n", (o < 0 ? 0 : o) }'
}

# port_free reports whether nothing accepts connections on 127.0.0.1:$1.
port_free() { ! (: <"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# status_kib prints field $2 (VmRSS, VmHWM) of /proc/$1/status in KiB.
status_kib() {
	awk -v f="$2:" '$1 == f {print $2}' "/proc/$1/status" 2>/dev/null || echo 0
}

# ---------------------------------------------------------------- build

# build_all builds the helpers (fatal on failure) and every peer (recorded
# as failed on failure). It sets BUILT to the peers that built.
build_all() {
	mkdir -p "$BIN"
	log "building helpers"
	(cd "$BENCH_DIR" && go build -mod=mod -o "$BIN/" ./cmd/idleconns ./cmd/report ./cmd/chart) >"$LOGS/build-helpers.log" 2>&1 || {
		log "helpers failed to build; see $LOGS/build-helpers.log"
		cat "$LOGS/build-helpers.log" >&2
		exit 1
	}
	local peer load
	BUILT=()
	for peer in $PEERS; do
		log "building $peer"
		if build_peer "$peer" >"$LOGS/build-$peer.log" 2>&1; then
			BUILT+=("$peer")
		else
			log "$peer failed to build; see $LOGS/build-$peer.log"
			for load in $LOAD_LIST; do record_failed "$peer" "$load" "build failed"; done
		fi
	done
}

# build_peer builds one peer into $BIN/<peer>.
build_peer() {
	rm -f "$BIN/$1"
	case "$1" in
	rust-tiny-http)
		(cd "$BENCH_DIR/rust-tiny-http" && "$CARGO" build --release --offline) &&
			cp "$BENCH_DIR/rust-tiny-http/target/release/rust-tiny-http" "$BIN/"
		;;
	tinyhttp-base) BASE_REV=$BASE_REV bash "$BENCH_DIR/build-base.sh" "$BIN/tinyhttp-base" ;;
	*) (cd "$BENCH_DIR" && go build -mod=mod -o "$BIN/$1" "./cmd/$1") ;;
	esac
}

# ---------------------------------------------------------------- quiet

# wait_quiet waits, at most QUIET_WAIT seconds, until both pinned CPUs were
# less than QUIET_PCT % busy over one second, so that a compiler or a test
# run elsewhere on the machine does not skew a load. It goes on regardless
# after the wait; the other_cpu_pct column still shows any interference.
wait_quiet() {
	local i t0 s0 c0 t1 s1 c1 b0 b1
	for ((i = 0; i < QUIET_WAIT; i++)); do
		t0=$(now_us) s0=$(core_busy_us "$SERVER_CPU") c0=$(core_busy_us "$CLIENT_CPU")
		sleep 1
		t1=$(now_us) s1=$(core_busy_us "$SERVER_CPU") c1=$(core_busy_us "$CLIENT_CPU")
		b0=$(((s1 - s0) * 100 / (t1 - t0))) b1=$(((c1 - c0) * 100 / (t1 - t0)))
		[ "$b0" -lt "$QUIET_PCT" ] && [ "$b1" -lt "$QUIET_PCT" ] && return 0
	done
	log "warning: the machine is busy (CPU $SERVER_CPU ${b0}%, CPU $CLIENT_CPU ${b1}%); measuring anyway"
}

# ---------------------------------------------------------------- server

# start_server starts peer $1 pinned to SERVER_CPU on a fresh port and waits
# until it answers correctly. It sets SERVER_PID and PORT; it fails (and
# leaves no process behind) if the server exits, hangs or answers wrongly.
start_server() {
	local peer=$1 tag=$2 i
	# A free port: another benchmark may be running with the same ports,
	# and its server must not answer for this one.
	until port_free "$NEXT_PORT"; do NEXT_PORT=$((NEXT_PORT + 1)); done
	PORT=$NEXT_PORT
	NEXT_PORT=$((NEXT_PORT + 1))
	taskset -c "$SERVER_CPU" "$BIN/$peer" -port "$PORT" -file "$FILE" >"$LOGS/server-$peer-$tag.log" 2>&1 &
	SERVER_PID=$!
	for ((i = 0; i < START_TIMEOUT * 10; i++)); do
		if ! kill -0 "$SERVER_PID" 2>/dev/null; then
			wait "$SERVER_PID" 2>/dev/null
			SERVER_PID=""
			START_ERROR="exited at start: $(tail -n 1 "$LOGS/server-$peer-$tag.log")"
			return 1
		fi
		if curl -s --max-time 1 -o /dev/null "http://127.0.0.1:$PORT/" 2>/dev/null; then
			sleep 0.2 # a server that could not bind its port is gone by now
			if ! kill -0 "$SERVER_PID" 2>/dev/null; then
				wait "$SERVER_PID" 2>/dev/null
				SERVER_PID=""
				START_ERROR="exited at start (another process answered on its port): $(tail -n 1 "$LOGS/server-$peer-$tag.log")"
				return 1
			fi
			check_answers "$PORT" && return 0
			stop_server
			return 1
		fi
		sleep 0.1
	done
	START_ERROR="no answer within ${START_TIMEOUT}s"
	stop_server
	return 1
}

# check_answers verifies that the server on port $1 answers / and /sleep
# with 200, text/plain and exactly "hello world". It sets START_ERROR.
check_answers() {
	local path out
	for path in / /sleep; do
		out=$(curl -s --max-time 5 -w '\n%{http_code} %{content_type}' "http://127.0.0.1:$1$path")
		if [ "$out" != $'hello world\n200 text/plain; charset=UTF-8' ] &&
			[ "$out" != $'hello world\n200 text/plain; charset=utf-8' ]; then
			START_ERROR="wrong answer on $path: ${out//$'\n'/ | }"
			return 1
		fi
	done
}

# stop_server stops the running server: SIGTERM, then SIGKILL after
# STOP_TIMEOUT seconds.
stop_server() {
	[ -z "$SERVER_PID" ] && return 0
	stop_pid "$SERVER_PID"
	SERVER_PID=""
}

# stop_helper stops the running idleconns, if any.
stop_helper() {
	[ -z "$HELPER_PID" ] && return 0
	stop_pid "$HELPER_PID"
	HELPER_PID=""
}

# stop_pid ends one process this script started, bounded in time.
stop_pid() {
	local pid=$1 i
	kill -TERM "$pid" 2>/dev/null
	for ((i = 0; i < STOP_TIMEOUT * 10; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
}

# server_alive reports whether the server is still running.
server_alive() { [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; }

# ---------------------------------------------------------------- wrk

# run_wrk DURATION LOGFILE PATH [wrk args...] runs wrk pinned to CLIENT_CPU
# against the server; WRK_PIPELINE in the environment sets pipelining.
run_wrk() {
	local dur=$1 logfile=$2 path=$3
	shift 3
	timeout --kill-after=5 $(($(seconds_of "$dur") + 30)) \
		taskset -c "$CLIENT_CPU" wrk -t1 -c"$CONNS" -d"$dur" --timeout 5s --latency -s "$LUA" "$@" \
		"http://127.0.0.1:$PORT$path" >"$logfile" 2>&1
}

# wrk_field prints field $2 of the WRKRESULT line in file $1.
wrk_field() {
	awk -v k="$2" '$1 == "WRKRESULT" { for (i = 2; i <= NF; i++) { split($i, kv, "="); if (kv[1] == k) print kv[2] } }' "$1"
}

# announces_close reports whether the server answers a "Connection: close"
# request with "Connection: close" (RFC 9112 §9.6), which wrk needs to tell
# a close it was told of from a connection that broke.
announces_close() {
	curl -s --max-time 5 -D - -o /dev/null -H "Connection: close" "http://127.0.0.1:$PORT/" |
		grep -qi '^connection: *close'
}

# load_settings sets LOAD_PATH, LOAD_PIPELINE and LOAD_ARGS for a request load.
load_settings() {
	LOAD_PATH=/
	LOAD_PIPELINE=1
	LOAD_ARGS=()
	case "$1" in
	keepalive) ;;
	pipelined) LOAD_PIPELINE=$DEPTH ;;
	close) LOAD_ARGS=(-H "Connection: close") ;;
	sleep)
		LOAD_PATH=/sleep
		LOAD_PIPELINE=$DEPTH
		;;
	esac
}

# request_one measures peer $1 under request load $2 once (run $3), on a
# fresh server: warm-up, then one measured run.
request_one() {
	local peer=$1 load=$2 run=$3
	start_server "$peer" "$load-$run" || {
		record_failed "$peer" "$load" "$START_ERROR"
		return 1
	}
	load_settings "$load"
	LOAD_NOTE=""
	[ "$load" = close ] && ! announces_close && LOAD_NOTE="the server closes without sending Connection: close, so wrk counts every close as a read error (the answers were whole)"
	WRK_PIPELINE=$LOAD_PIPELINE run_wrk "$WARMUP" "$LOGS/wrk-$peer-$load-warmup-$run.log" "$LOAD_PATH" "${LOAD_ARGS[@]}"
	measure_one request_run "$peer" "$load" "$run"
	stop_server
}

# request_run makes one wrk run and sets ROW and OTHER (see measure_one).
request_run() {
	local peer=$1 load=$2 run=$3 out=$LOGS/wrk-$1-$2-$3.log
	local t0 t1 busy0 busy1 cpu0 cpu1 req dur errors rps share note="" status=ok
	if ! server_alive; then
		ROW=(peer="$peer" load="$load" run="$run" status=failed note="server died")
		return
	fi
	t0=$(now_us) busy0=$(core_busy_us "$SERVER_CPU") cpu0=$(cpu_us "$SERVER_PID")
	WRK_PIPELINE=$LOAD_PIPELINE run_wrk "$DURATION" "$out" "$LOAD_PATH" "${LOAD_ARGS[@]}"
	t1=$(now_us) busy1=$(core_busy_us "$SERVER_CPU") cpu1=$(cpu_us "$SERVER_PID")
	req=$(wrk_field "$out" requests)
	if [ -z "$req" ] || [ "$req" = 0 ] || ! server_alive; then
		ROW=(peer="$peer" load="$load" run="$run" status=failed note="wrk failed, no request completed, or server died")
		return
	fi
	dur=$(wrk_field "$out" duration_us)
	errors=$(awk '$1 == "WRKRESULT" { n = 0; for (i = 2; i <= NF; i++) { split($i, kv, "="); if (kv[1] ~ /^(connect|read|write|status|timeout)$/) n += kv[2] } print n }' "$out")
	[ "$errors" -gt 0 ] && status=errors
	rps=$(awk -v r="$req" -v d="$dur" 'BEGIN { printf "%.1f", (d > 0 ? r * 1000000 / d : 0) }')
	share=$(wrk_field "$out" share)
	[ "$share" != 1.000 ] && note="wrk's percentiles are taken over the $(awk -v s="$share" 'BEGIN { printf "%.0f", s * 100 }')% of its samples it can see (see README)"
	[ -n "$LOAD_NOTE" ] && note=$LOAD_NOTE
	OTHER=$(other_cpu_pct "$t0" "$t1" "$busy0" "$busy1" "$cpu0" "$cpu1")
	log "$peer/$load run $run: $rps req/s, p99 $(wrk_field "$out" p99_us) µs, $errors errors, other load ${OTHER}%"
	ROW=(peer="$peer" load="$load" run="$run" status="$status" req_per_sec="$rps"
		p50_us="$(wrk_field "$out" p50_us)" p99_us="$(wrk_field "$out" p99_us)" errors="$errors" requests="$req"
		cpu_us=$((cpu1 - cpu0)) rss_kib="$(status_kib "$SERVER_PID" VmRSS)" peak_rss_kib="$(status_kib "$SERVER_PID" VmHWM)"
		other_cpu_pct="$OTHER" note="$note")
}

# measure_one calls $1 (request_run or file_run) with the other arguments,
# the last of which is the run number, and records the ROW it sets. A run
# during which something else took more than NOISE_MAX % of the server's
# core (OTHER) is measured again after waiting for quiet, at most RETRIES
# times; the last try is recorded, with its other_cpu_pct.
measure_one() {
	local fn=$1 try
	shift
	for ((try = 0; ; try++)); do
		ROW=() OTHER=0
		"$fn" "$@"
		[ "${OTHER%.*}" -le "$NOISE_MAX" ] || [ "$try" -ge "$RETRIES" ] && break
		log "run ${*: -1} was disturbed (other load ${OTHER}% > ${NOISE_MAX}%); measuring it again"
		wait_quiet
	done
	record "${ROW[@]}"
}

# ---------------------------------------------------------------- idle, busy

# wait_line PATTERN FILE SECONDS prints the first line of FILE that matches
# PATTERN, waiting for it at most SECONDS and only while the helper runs.
wait_line() {
	local i
	for ((i = 0; i <= $3 * 10; i++)); do
		grep -m1 "$1" "$2" 2>/dev/null && return 0
		kill -0 "$HELPER_PID" 2>/dev/null || break
		sleep 0.1
	done
	grep -m1 "$1" "$2" 2>/dev/null
}

# line_field prints the value of KEY=value field $2 in line $1.
line_field() { sed -n "s/.* $2=\([0-9]*\).*/\1/p" <<<" $1"; }

# median prints the median of its integer arguments (nothing for none).
median() { printf '%s\n' "$@" | sort -n | awk '{ v[NR] = $1 } END { if (NR) print (NR % 2 ? v[(NR + 1) / 2] : int((v[NR / 2] + v[NR / 2 + 1]) / 2)) }'; }

# memory_one measures peer $1 under memory load $2 (idle or busy) at $3
# connections (run $4), with a fresh server so that VmHWM is that run's own.
memory_one() {
	local peer=$1 kind=$2 n=$3 run=$4
	start_server "$peer" "$kind-$n-$run" || {
		record_failed "$peer" "$kind-$n" "$START_ERROR"
		return 1
	}
	"${kind}_run" "$peer" "$run" "$n"
	stop_server
}

# idle_run opens $3 connections with idleconns, waits for its ready line,
# reads the server's memory, and records it.
idle_run() {
	local peer=$1 run=$2 n=$3 load=idle-$3 out=$LOGS/idle-$1-$3-$2.log base line ok failed open status=ok note=""
	sleep 0.5
	base=$(status_kib "$SERVER_PID" VmRSS)
	timeout --kill-after=5 $((IDLE_TIMEOUT + 60)) taskset -c "$CLIENT_CPU" "$BIN/idleconns" \
		-addr "127.0.0.1:$PORT" -n "$n" -hold 60s >"$out" 2>"$out.err" &
	HELPER_PID=$!
	line=$(wait_line '^ready ' "$out" "$IDLE_TIMEOUT")
	if [ -z "$line" ] || ! server_alive; then
		stop_helper
		record peer="$peer" load="$load" run="$run" status=failed note="idleconns did not finish or server died"
		return
	fi
	sleep 1 # let the server settle with every connection idle
	ok=$(line_field "$line" ok) failed=$(line_field "$line" failed) open=$(line_field "$line" open)
	if [ "${failed:-1}" -gt 0 ]; then
		status=errors
		note="$failed of $n connections failed; first: $(head -n 1 "$out.err")"
	fi
	log "$peer/$load run $run: $ok ok, $failed failed, $open open, RSS $(status_kib "$SERVER_PID" VmRSS) KiB (base $base)"
	record peer="$peer" load="$load" run="$run" status="$status" errors="$failed" requests="$ok" \
		rss_kib="$(status_kib "$SERVER_PID" VmRSS)" peak_rss_kib="$(status_kib "$SERVER_PID" VmHWM)" \
		base_rss_kib="$base" open="$open" note="$note"
	stop_helper
}

# busy_run opens $3 connections with idleconns and makes them all cycle
# requests for BUSY_DURATION. From 30% of the way in until idleconns
# reports the end, it samples the server's VmRSS every half second; it
# records their median as rss_kib and VmHWM at the end as peak_rss_kib.
busy_run() {
	local peer=$1 run=$2 n=$3 load=busy-$3 out=$LOGS/busy-$1-$3-$2.log
	local base line done_line dur t0 now next settle cpu0 cpu1 samples=() rss failed conns req errs status=ok note=""
	dur=$(seconds_of "$BUSY_DURATION")
	sleep 0.5
	base=$(status_kib "$SERVER_PID" VmRSS)
	timeout --kill-after=5 $((IDLE_TIMEOUT + dur + BUSY_TAIL + 60)) taskset -c "$CLIENT_CPU" "$BIN/idleconns" \
		-addr "127.0.0.1:$PORT" -n "$n" -busy "${dur}s" -hold 60s >"$out" 2>"$out.err" &
	HELPER_PID=$!
	line=$(wait_line '^busy ' "$out" "$IDLE_TIMEOUT")
	t0=$(now_us) cpu0=$(cpu_us "$SERVER_PID")
	if [ -z "$line" ] || ! server_alive; then
		stop_helper
		record peer="$peer" load="$load" run="$run" status=failed note="idleconns did not set up the connections or server died"
		return
	fi
	settle=$((t0 + dur * 300000)) next=$settle
	while :; do
		done_line=$(grep -m1 '^done ' "$out" 2>/dev/null) && break
		now=$(now_us)
		kill -0 "$HELPER_PID" 2>/dev/null && [ "$now" -le $((t0 + (dur + BUSY_TAIL) * 1000000)) ] || break
		if [ "$now" -ge "$next" ]; then
			samples+=("$(status_kib "$SERVER_PID" VmRSS)")
			next=$((now + 500000))
		fi
		sleep 0.1
	done
	cpu1=$(cpu_us "$SERVER_PID")
	if [ -z "$done_line" ] || [ "${#samples[@]}" -eq 0 ] || ! server_alive; then
		stop_helper
		record peer="$peer" load="$load" run="$run" status=failed note="idleconns did not finish, no RSS sample while busy, or server died"
		return
	fi
	rss=$(median "${samples[@]}")
	failed=$(line_field "$(grep -m1 '^ready ' "$out")" failed)
	conns=$(line_field "$line" conns)
	req=$(line_field "$done_line" requests) errs=$(line_field "$done_line" errors)
	if [ $((failed + errs)) -gt 0 ]; then
		status=errors
		note="$failed of $n connections failed at set-up, $errs while busy; first: $(head -n 1 "$out.err")"
	fi
	log "$peer/$load run $run: $conns busy, $req requests (fewest $(line_field "$done_line" min) on one connection), $errs failed, RSS $rss KiB (median of ${#samples[@]}), peak $(status_kib "$SERVER_PID" VmHWM) KiB (base $base)"
	record peer="$peer" load="$load" run="$run" status="$status" errors=$((failed + errs)) requests="$req" \
		req_per_sec="$(awk -v r="$req" -v d="$dur" 'BEGIN { printf "%.1f", r / d }')" cpu_us=$((cpu1 - cpu0)) \
		rss_kib="$rss" peak_rss_kib="$(status_kib "$SERVER_PID" VmHWM)" base_rss_kib="$base" \
		open=$((conns - errs)) min_per_conn="$(line_field "$done_line" min)" note="$note"
	stop_helper
}

# ---------------------------------------------------------------- file

# make_file creates the FILE_MB file served at /file, once.
make_file() {
	[ -n "$FILE" ] && return 0
	WORK=$(mktemp -d)
	FILE=$WORK/payload.bin
	log "creating a $FILE_MB MiB file"
	dd if=/dev/zero of="$FILE" bs=1M count="$FILE_MB" status=none
}

# file_one measures peer $1 sending the file over one connection (run $2),
# after a warm-up download that also brings the file into the page cache.
file_one() {
	local peer=$1 run=$2
	start_server "$peer" "file-$run" || {
		record_failed "$peer" file "$START_ERROR"
		return 1
	}
	download >/dev/null
	measure_one file_run "$peer" "$run"
	stop_server
}

# download fetches /file once with curl pinned to CLIENT_CPU and prints
# "status bytes bytes_per_second".
download() {
	taskset -c "$CLIENT_CPU" curl -s -o /dev/null --max-time "$FILE_TIMEOUT" \
		-w '%{http_code} %{size_download} %{speed_download}' "http://127.0.0.1:$PORT/file"
}

# file_run makes one download and sets ROW and OTHER (see measure_one).
file_run() {
	local peer=$1 run=$2 t0 t1 busy0 busy1 cpu0 cpu1 res code size speed errors=0 status=ok mbps want
	want=$((FILE_MB * 1024 * 1024))
	t0=$(now_us) busy0=$(core_busy_us "$SERVER_CPU") cpu0=$(cpu_us "$SERVER_PID")
	res=$(download)
	t1=$(now_us) busy1=$(core_busy_us "$SERVER_CPU") cpu1=$(cpu_us "$SERVER_PID")
	read -r code size speed <<<"$res"
	if [ "$code" != 200 ] || [ "$size" != "$want" ]; then
		errors=1
		status=errors
	fi
	mbps=$(awk -v s="${speed:-0}" 'BEGIN { printf "%.1f", s / 1000000 }')
	OTHER=$(other_cpu_pct "$t0" "$t1" "$busy0" "$busy1" "$cpu0" "$cpu1")
	log "$peer/file run $run: $mbps MB/s, status $code, $size bytes, other load ${OTHER}%"
	ROW=(peer="$peer" load=file run="$run" status="$status" errors="$errors" requests=1 cpu_us=$((cpu1 - cpu0))
		rss_kib="$(status_kib "$SERVER_PID" VmRSS)" peak_rss_kib="$(status_kib "$SERVER_PID" VmHWM)" mb_per_sec="$mbps"
		other_cpu_pct="$OTHER")
}

# ---------------------------------------------------------------- main

# write_meta describes the machine and settings for the report.
write_meta() {
	{
		echo "date=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
		echo "machine=$(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo)"
		echo "cpu=$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)"
		echo "kernel=$(uname -r)"
		echo "pinning=server on CPU $SERVER_CPU, load generator on CPU $CLIENT_CPU (taskset)"
		echo "runs=$RUNS per load (median), each after a $WARMUP warm-up, peers interleaved run by run"
		echo "duration=$DURATION per run"
		echo "connections=$CONNS (wrk -t1); pipelining depth $DEPTH; idle connections $IDLE_CONNS; busy connections $BUSY_CONNS for ${BUSY_DURATION}; file $FILE_MB MiB"
		echo "tinyhttp=the library of this tree, $(git -C "$BENCH_DIR" describe --always --dirty --exclude '*' 2>/dev/null || echo "not a git tree")"
		[ -f "$BIN/tinyhttp-base.rev" ] && [[ " ${BUILT[*]} " == *" tinyhttp-base "* ]] &&
			echo "tinyhttp-base=the library as of $(cat "$BIN/tinyhttp-base.rev")"
		echo "go=$(go version | awk '{print $3}')"
		echo "rust=$("$CARGO" --version 2>/dev/null | awk '{print $2}'), tiny_http 0.12 (Debian)"
		echo "wrk=$(wrk -v 2>&1 | awk 'NR == 1 {print $2}')"
	} >"$OUT/meta.txt"
}

# check_tools exits early when a required tool is missing.
check_tools() {
	local t missing=()
	for t in go wrk curl taskset timeout awk; do
		command -v "$t" >/dev/null || missing+=("$t")
	done
	if [ "${#missing[@]}" -gt 0 ]; then
		log "missing tools: ${missing[*]}; run: bash scripts/install-deps.sh"
		exit 1
	fi
}

# raise_fd_limit lifts the open-files limit to the hard limit, for the
# memory loads.
raise_fd_limit() {
	local n most=0
	for n in $IDLE_CONNS $BUSY_CONNS; do most=$((n > most ? n : most)); done
	ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
	if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt $((most + 100)) ]; then
		log "warning: open-files limit $(ulimit -n) is below $most connections + 100"
	fi
}

# expand_loads prints LOADS with each memory load once per connection count
# (idle-1000 idle-10000 ...), and exits on a bad load or count.
expand_loads() {
	local load n counts
	for load in $LOADS; do
		case "$load" in
		idle | busy)
			counts=$IDLE_CONNS
			[ "$load" = busy ] && counts=$BUSY_CONNS
			for n in $counts; do
				[[ "$n" =~ ^[1-9][0-9]*$ ]] || {
					log "bad connection count '$n' for the $load load"
					exit 2
				}
				echo "$load-$n"
			done
			;;
		keepalive | pipelined | close | sleep | file) echo "$load" ;;
		*)
			log "unknown load '$load'"
			exit 2
			;;
		esac
	done
}

# run_load measures every built peer under load $1, RUNS times, the peers
# interleaved. A peer that fails to start is recorded once and skipped.
run_load() {
	local load=$1 run i n=${#BUILT[@]} peer failed=" "
	for ((run = 1; run <= RUNS; run++)); do
		for ((i = 0; i < n; i++)); do
			peer=${BUILT[(i + run - 1) % n]}
			[[ "$failed" == *" $peer "* ]] && continue
			case "$load" in
			idle-* | busy-*) memory_one "$peer" "${load%%-*}" "${load#*-}" "$run" ;;
			file) file_one "$peer" "$run" ;;
			*) request_one "$peer" "$load" "$run" ;;
			esac || failed+="$peer "
		done
	done
}

main() {
	check_tools
	LOAD_LIST=$(expand_loads) || exit 2
	[[ "$(seconds_of "$BUSY_DURATION")" =~ ^[1-9][0-9]*$ ]] || {
		log "BUSY_DURATION must be whole seconds, 1s or more"
		exit 2
	}
	raise_fd_limit
	mkdir -p "$OUT" "$LOGS"
	rm -f "$LOGS"/*.log "$LOGS"/*.err
	(
		IFS=,
		echo "${COLUMNS[*]}"
	) >"$RUNS_CSV"
	local peer load
	build_all
	[[ " $LOADS " == *" file "* ]] && make_file
	[ -z "$FILE" ] && FILE=/dev/null
	write_meta
	# Load by load, and within a load run by run, each run going through
	# every peer in turn (starting one peer further each time): a ratio then
	# compares runs seconds apart, so the machine's drift in speed (seen
	# here: ±15% over minutes) bears on every peer alike.
	for load in $LOAD_LIST; do
		log "=== $load"
		wait_quiet
		run_load "$load"
	done
	"$BIN/report" -runs "$RUNS_CSV" -meta "$OUT/meta.txt" -json "$OUT/latest.json" -md "$OUT/latest.md" -chart latest.svg &&
		"$BIN/chart" -in "$OUT/latest.json" -out "$OUT/latest.svg" &&
		log "wrote $OUT/latest.json, latest.md and latest.svg"
	cat "$OUT/latest.md"
}

main "$@"

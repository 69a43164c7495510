#!/usr/bin/env bash
# install-deps.sh installs the Debian packages that tinyhttp's benchmarks and
# real-client checks use. It is idempotent: packages already installed are
# left alone, and `apt-get update` runs only when something is missing.
#
# Usage (as root): bash scripts/install-deps.sh [--browser] [--no-optional] [--tests]
#   --browser      also install chromium (for browser checks)
#   --no-optional  skip optional packages (python3-h11)
#   --tests        only the real clients and proxies the test suite uses
#                  (curl, wget, python3, chromium, nginx, haproxy); what CI installs
set -euo pipefail

# Packages every benchmark or client check needs.
REQUIRED=(
	wrk               # load generator for bench/run.sh
	apache2-utils     # ab, a second load generator
	nghttp2-client    # h2load and nghttp, to check HTTP/2 preface handling
	curl              # real-client checks, file download benchmark
	wget              # resumed-download checks
	util-linux        # taskset, used to pin server and load generator
	ca-certificates   # curl over TLS in checks
	librust-tiny-http-dev # the original Rust crate, built offline by bench/rust-tiny-http
	valgrind          # bench/callgrind.sh: instructions per request, immune to timing noise
)
# Packages that help but whose absence is not fatal.
OPTIONAL=(
	python3-h11       # a second, independent HTTP/1.1 parser for conformance checks
)
BROWSER=(chromium)
# The real clients and proxies the test suite drives (tests skip one that is
# absent). tests/proxy puts nginx (its stream module, packaged separately,
# sends the PROXY header) and HAProxy (send-proxy-v2) in front of tinyhttp.
TEST_CLIENTS=(curl wget python3 ca-certificates chromium nginx libnginx-mod-stream haproxy)

want_optional=1
want_browser=0
want_tests_only=0
for arg in "$@"; do
	case "$arg" in
	--browser) want_browser=1 ;;
	--no-optional) want_optional=0 ;;
	--tests) want_tests_only=1 ;;
	-h | --help)
		sed -n '2,11p' "$0"
		exit 0
		;;
	*)
		echo "install-deps: unknown flag $arg" >&2
		exit 2
		;;
	esac
done

# is_installed reports whether the Debian package $1 is fully installed.
is_installed() {
	dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null | grep -qx installed
}

# missing_of prints those of its arguments that are not installed.
missing_of() {
	local p
	for p in "$@"; do
		is_installed "$p" || echo "$p"
	done
}

# as_root runs a command as root, through sudo when needed and available.
as_root() {
	if [ "$(id -u)" -eq 0 ]; then
		"$@"
	elif command -v sudo >/dev/null; then
		sudo "$@"
	else
		echo "install-deps: must run as root (or with sudo) to install: $*" >&2
		return 1
	fi
}

updated=0
# install_list installs the missing packages among its arguments.
install_list() {
	local missing
	mapfile -t missing < <(missing_of "$@")
	if [ "${#missing[@]}" -eq 0 ]; then
		echo "install-deps: already installed: $*"
		return 0
	fi
	if [ "$updated" -eq 0 ]; then
		echo "install-deps: apt-get update"
		as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
		updated=1
	fi
	echo "install-deps: installing: ${missing[*]}"
	as_root env DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

if [ "$want_tests_only" -eq 1 ]; then
	install_list "${TEST_CLIENTS[@]}"
	echo "install-deps: done"
	exit 0
fi
install_list "${REQUIRED[@]}"
if [ "$want_optional" -eq 1 ]; then
	install_list "${OPTIONAL[@]}" || echo "install-deps: optional packages failed; continuing" >&2
fi
if [ "$want_browser" -eq 1 ]; then
	install_list "${BROWSER[@]}"
fi
echo "install-deps: done"

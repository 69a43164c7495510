#!/usr/bin/env bash
# bench/build-base.sh: builds the tinyhttp-base peer, the bench/cmd/tinyhttp
# program of this tree built against the library as of git revision
# BASE_REV, so that the old and the new library can be measured side by
# side (bench/run.sh, bench/callgrind.sh).
#
# The library at BASE_REV is extracted with `git archive` into a temporary
# directory (the working tree, the index and the repository's worktrees are
# left alone), and bench/cmd/tinyhttp is built with a temporary copy of
# bench/go.mod whose replace directive points there (go build -modfile).
# The temporary directory is removed on exit.
#
# If this tree's bench/cmd/tinyhttp does not compile against the old
# library (its API changed), the program as of BASE_REV is built instead,
# and the .rev file says so.
#
# Usage: BASE_REV=<rev> bash bench/build-base.sh [OUTPUT]
#   BASE_REV [a238aae]  any commit-ish of this repository
#   OUTPUT   [bench/bin/tinyhttp-base]; OUTPUT.rev gets one line:
#            "<commit> (<subject>), program: <which bench/cmd/tinyhttp>"
set -euo pipefail

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BASE_REV=${BASE_REV:-a238aae}
OUT=${1:-$BENCH_DIR/bin/tinyhttp-base}
MODULE=github.com/c0c8f223/tinyhttp

say() { echo "build-base: $*" >&2; }

REPO=$(git -C "$BENCH_DIR" rev-parse --show-toplevel)
commit=$(git -C "$REPO" rev-parse --verify --quiet "$BASE_REV^{commit}") || {
	say "BASE_REV=$BASE_REV is not a commit of $REPO"
	exit 1
}
subject=$(git -C "$REPO" log -1 --format=%s "$commit")

TMP=$(mktemp -d "${TMPDIR:-/tmp}/tinyhttp-base.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
mkdir "$TMP/src"
git -C "$REPO" archive --format=tar "$commit" | tar -x -C "$TMP/src"
[ -f "$TMP/src/go.mod" ] || {
	say "$commit has no go.mod at its root"
	exit 1
}

# The bench module's go.mod and go.sum, with the library replaced by the
# extracted tree; -mod=mod lets go add what the old library requires.
cp "$BENCH_DIR/go.mod" "$TMP/go.mod"
cp "$BENCH_DIR/go.sum" "$TMP/go.sum"
go mod edit -replace="$MODULE=$TMP/src" "$TMP/go.mod"

mkdir -p "$(dirname "$OUT")"
rm -f "$OUT" "$OUT.rev"
how="this tree's bench/cmd/tinyhttp"
if ! (cd "$BENCH_DIR" && GOWORK=off go build -mod=mod -modfile="$TMP/go.mod" -o "$OUT" ./cmd/tinyhttp); then
	[ -d "$TMP/src/bench/cmd/tinyhttp" ] || {
		say "bench/cmd/tinyhttp does not build against $commit, which has no bench/cmd/tinyhttp of its own"
		exit 1
	}
	say "bench/cmd/tinyhttp does not build against $commit; building that revision's own bench/cmd/tinyhttp"
	how="bench/cmd/tinyhttp as of $commit (this tree's did not build against it)"
	(cd "$TMP/src/bench" && GOWORK=off go build -mod=mod -o "$OUT" ./cmd/tinyhttp)
fi
echo "$commit ($subject), program: $how" >"$OUT.rev"
say "built $OUT: tinyhttp at ${commit:0:12} ($subject), $how"

#!/usr/bin/env bash
# Security and robustness checks run by `make check` and .ci/run, one
# subcommand each, each failing (non-zero exit) on a finding:
#
#   .ci/checks.sh gosec        static security analysis (exceptions are #nosec
#                              comments in the code, each with its reason)
#   .ci/checks.sh govulncheck  known vulnerabilities in the code irbot calls
#   .ci/checks.sh fuzz         each fuzz test for FUZZTIME (default 10s),
#                              FUZZMINIMIZETIME (1s) to shrink a new input
#
# No internet: every tool comes from the Go module proxy (`go install` or
# `go run` of pkg@version). govulncheck's database is built locally from the
# golang.org/x/vulndb module (its data/osv files, indexed by the module's own
# cmd/indexdb) and kept in the Go build cache, so a warm run is quick. To
# take newer advisories, set VULNDB_VERSION to a newer pseudo-version of
# golang.org/x/vulndb (`go list -m golang.org/x/vulndb@master` names one).
set -euo pipefail
cd "$(dirname "$0")/.."

GOSEC_VERSION=${GOSEC_VERSION:-v2.30.0}
VULN_VERSION=${VULN_VERSION:-v1.9.0}
VULNDB_VERSION=${VULNDB_VERSION:-v0.0.0-20261105234957-e22db6528018}
FUZZTIME=${FUZZTIME:-10s}
# How long a worker may spend shrinking an input that found new code before
# going on (Go's default, 60s, is longer than a CI run's FUZZTIME: a slow
# target such as the scenario loader then spent all of it minimizing).
FUZZMINIMIZETIME=${FUZZMINIMIZETIME:-1s}

# The fuzz tests CI runs: package and function. Their seed corpora live in
# each package's testdata/fuzz/NAME.
FUZZERS=(
	"./internal/slackbot FuzzParseCommand"
	"./internal/campaign FuzzParse"
	"./internal/httpapi FuzzDecodeBodies"
	"./playbooks FuzzParsePlaybook"
	"./playbooks FuzzParseScenario"
	"./playbooks FuzzParseRules"
	"./internal/clockcmd FuzzParseAt"
	"./internal/clockcmd FuzzParseAffected"
	"./internal/store FuzzCanonicalCheckAgrees"
)

# gosec runs a binary built once into the Go build cache (compiling gosec
# takes minutes; `go run` would link it again on every run). Test files are
# scanned too: exceptions there are #nosec comments like anywhere else.
gosec() {
	local bin
	bin="$(go env GOCACHE)/irbot-gosec-$GOSEC_VERSION"
	if [ ! -x "$bin/gosec" ]; then
		GOBIN=$bin go install "github.com/securego/gosec/v2/cmd/gosec@$GOSEC_VERSION" >&2
	fi
	"$bin/gosec" -quiet -exclude-generated ./...
	echo "gosec: no findings"
}

vulndb() {
	local dir
	dir="$(go env GOCACHE)/irbot-vulndb-$VULNDB_VERSION"
	if [ ! -f "$dir/index/db.json" ]; then
		local src tmp
		src=$(cd "$(mktemp -d)" && go mod download -json "golang.org/x/vulndb@$VULNDB_VERSION" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
		# The database comes from the Go module proxy (the only source
		# reachable here). Without it the check fails; it never passes
		# unchecked.
		[ -d "$src/data/osv" ] || {
			echo "govulncheck: cannot get the vulnerability database golang.org/x/vulndb@$VULNDB_VERSION from the Go module proxy ($(go env GOPROXY)); no vulnerability check was made" >&2
			return 1
		}
		tmp=$(mktemp -d)
		go run "golang.org/x/vulndb/cmd/indexdb@$VULNDB_VERSION" -vulns "$src/data/osv" -out "$tmp/db" >&2
		mkdir -p "$(dirname "$dir")"
		rm -rf "$dir"
		mv "$tmp/db" "$dir"
	fi
	echo "$dir"
}

# vulncheck runs govulncheck built once into the Go build cache: `go run`
# turns every non-zero exit into 1, and exit 3 ("vulnerable code found")
# must be told apart from govulncheck failing.
vulncheck() {
	local bin
	bin="$(go env GOCACHE)/irbot-govulncheck-$VULN_VERSION"
	if [ ! -x "$bin/govulncheck" ]; then
		GOBIN=$bin go install "golang.org/x/vuln/cmd/govulncheck@$VULN_VERSION" >&2
	fi
	"$bin/govulncheck" "$@"
}

govulncheck() {
	local db
	db=$(vulndb)
	echo "vulnerability database: golang.org/x/vulndb@$VULNDB_VERSION ($(ls "$db/ID" | wc -l) entries)"
	# Two passes, the second only when needed. Package level first (about a
	# minute warm): does irbot import any package with a known
	# vulnerability? If no module package is even imported, the symbol
	# level (call graph of the whole program with the Temporal server: ~6
	# minutes) could only confirm it. If one is, the symbol level decides
	# whether irbot calls the vulnerable code, as before.
	local out rc=0
	out=$(vulncheck -db "file://$db" -scan package ./... 2>&1) || rc=$?
	if [ "$rc" -eq 0 ]; then
		echo "$out"
		return 0
	fi
	if [ "$rc" -ne 3 ]; then # not a finding: govulncheck itself failed
		echo "$out"
		return "$rc"
	fi
	if grep -q '^  Module: ' <<<"$out"; then
		echo "govulncheck: a package irbot imports has a known vulnerability; checking whether irbot calls it (symbol level)"
		rc=0
		out=$(vulncheck -db "file://$db" ./... 2>&1) || rc=$?
		echo "$out"
		[ "$rc" -eq 0 ] && return 0
		[ "$rc" -ne 3 ] && return "$rc"
		if grep -q '^  Module: ' <<<"$out"; then
			echo "govulncheck: a module irbot calls has a known vulnerability: upgrade it (see above)" >&2
			return 1
		fi
	else
		echo "$out"
	fi
	# Findings only in the standard library are fixed by a newer Go than
	# this machine's toolchain (go.mod's go line, the Go CI has): they are
	# listed above and do not fail the run, unless GOVULNCHECK_STDLIB=fail.
	if [ "${GOVULNCHECK_STDLIB:-}" = fail ]; then
		return 1
	fi
	echo "govulncheck: no vulnerable module; the standard library findings above are fixed only by a newer Go than $(go env GOVERSION) (not failed on; GOVULNCHECK_STDLIB=fail fails on them)"
}

# fuzz builds each package's instrumented test binary once (`go test -c
# -fuzz`: the packages it reaches are compiled with coverage
# instrumentation, a build of their own that the Go build cache keeps, so
# only the first run pays for it) and runs each of its fuzz tests for
# FUZZTIME from the package's directory (its testdata/fuzz seeds), with the
# corpus `go test -fuzz` keeps in the Go build cache. The time spent on each
# is printed.
fuzz() {
	local f pkg name bin exe ip t0 t1 t2 module
	module=$(go list -m)
	bin=$(mktemp -d)
	# shellcheck disable=SC2064 # $bin is meant to be expanded now
	trap "rm -rf '$bin'" EXIT
	local -A built=()
	for f in "${FUZZERS[@]}"; do
		read -r pkg name <<<"$f"
		exe="$bin/${pkg//[\/.]/_}.test"
		t0=$(date +%s)
		if [ -z "${built[$pkg]:-}" ]; then
			echo "+ go test -c -fuzz . $pkg"
			go test -c -fuzz . -o "$exe" "$pkg"
			built[$pkg]=1
		fi
		t1=$(date +%s)
		ip="$module/${pkg#./}"
		echo "+ $name -test.fuzztime $FUZZTIME ($pkg)"
		(cd "$pkg" && "$exe" -test.run '^$' -test.fuzz "^$name\$" -test.fuzztime "$FUZZTIME" \
			-test.fuzzminimizetime "$FUZZMINIMIZETIME" -test.fuzzcachedir "$(go env GOCACHE)/fuzz/$ip")
		t2=$(date +%s)
		echo "fuzz: $name: build $((t1 - t0))s, fuzz $((t2 - t1))s"
	done
	echo "fuzz: ${#FUZZERS[@]} fuzz tests, no failure"
}

case "${1:-}" in
gosec | govulncheck | fuzz) "$1" ;;
*)
	echo "usage: .ci/checks.sh gosec|govulncheck|fuzz" >&2
	exit 2
	;;
esac

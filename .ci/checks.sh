#!/usr/bin/env bash
# Security and robustness checks run by `make check` and .ci/run, one
# subcommand each, each failing (non-zero exit) on a finding:
#
#   .ci/checks.sh gosec        static security analysis (exceptions are #nosec
#                              comments in the code, each with its reason)
#   .ci/checks.sh govulncheck  known vulnerabilities in the code irbot calls
#   .ci/checks.sh fuzz         each fuzz test for FUZZTIME (default 10s)
#
# No internet: every tool comes from the Go module proxy with `go run
# pkg@version`. govulncheck's database is built locally from the
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

# The fuzz tests CI runs: package and function. Their seed corpora live in
# each package's testdata/fuzz/NAME.
FUZZERS=(
	"./internal/slackbot FuzzParseCommand"
	"./internal/campaign FuzzParse"
	"./internal/httpapi FuzzDecodeBodies"
	"./playbooks FuzzParsePlaybook"
	"./playbooks FuzzParseScenario"
	"./playbooks FuzzParseRules"
	"./internal/clockcmd FuzzParseAffected"
	"./internal/store FuzzCanonicalCheckAgrees"
)

gosec() {
	go run "github.com/securego/gosec/v2/cmd/gosec@$GOSEC_VERSION" -quiet -exclude-generated ./...
	echo "gosec: no findings"
}

vulndb() {
	local dir
	dir="$(go env GOCACHE)/irbot-vulndb-$VULNDB_VERSION"
	if [ ! -f "$dir/index/db.json" ]; then
		local src tmp
		src=$(cd "$(mktemp -d)" && go mod download -json "golang.org/x/vulndb@$VULNDB_VERSION" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')
		[ -d "$src/data/osv" ] || { echo "golang.org/x/vulndb@$VULNDB_VERSION has no data/osv" >&2; return 1; }
		tmp=$(mktemp -d)
		go run "golang.org/x/vulndb/cmd/indexdb@$VULNDB_VERSION" -vulns "$src/data/osv" -out "$tmp/db" >&2
		mkdir -p "$(dirname "$dir")"
		rm -rf "$dir"
		mv "$tmp/db" "$dir"
	fi
	echo "$dir"
}

govulncheck() {
	local db
	db=$(vulndb)
	echo "vulnerability database: golang.org/x/vulndb@$VULNDB_VERSION ($(ls "$db/ID" | wc -l) entries)"
	local out rc=0
	out=$(go run "golang.org/x/vuln/cmd/govulncheck@$VULN_VERSION" -db "file://$db" ./... 2>&1) || rc=$?
	echo "$out"
	[ "$rc" -eq 0 ] && return 0
	[ "$rc" -ne 3 ] && return "$rc" # not a finding: govulncheck itself failed
	# Exit 3 is "your code calls a vulnerable function". A vulnerable module
	# fails the run (upgrade it). Findings only in the standard library are
	# fixed by a newer Go than this machine's pinned toolchain (go.mod's go
	# line): they are listed above and fail the run only with
	# GOVULNCHECK_STDLIB=fail, until the toolchain moves.
	if grep -q '^  Module: ' <<<"$out"; then
		echo "govulncheck: a module irbot calls has a known vulnerability: upgrade it (see above)" >&2
		return 1
	fi
	if [ "${GOVULNCHECK_STDLIB:-}" = fail ]; then
		return 1
	fi
	echo "govulncheck: no vulnerable module; the standard library findings above need Go $(go env GOVERSION | sed 's/^go//') to move to a patch release"
}

fuzz() {
	local f pkg name
	for f in "${FUZZERS[@]}"; do
		read -r pkg name <<<"$f"
		echo "+ go test -run '^\$' -fuzz '^$name\$' -fuzztime $FUZZTIME $pkg"
		go test -run '^$' -fuzz "^$name\$" -fuzztime "$FUZZTIME" "$pkg"
	done
}

case "${1:-}" in
gosec | govulncheck | fuzz) "$1" ;;
*)
	echo "usage: .ci/checks.sh gosec|govulncheck|fuzz" >&2
	exit 2
	;;
esac

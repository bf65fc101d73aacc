package evidence

import (
	"fmt"
	"strings"
)

// verifyGuide is VERIFY.md: how to check the pack by hand.
func verifyGuide(id, head string, events int) string {
	var b strings.Builder
	fmt.Fprintf(&b, `# Verifying the evidence pack of %s

This pack holds %d timeline events. The chain head (the hash of the last
event) is:

    %s

Compare it with a copy held elsewhere (a message in the incident channel, a
signed checkpoint, an earlier export): if it matches, nothing in the
timeline before it can have been changed without detection.

## 1. Every file is as exported

manifest.json lists every other file with its SHA-256. Recompute them:

    sha256sum -c <(python3 -c 'import json;[print(f["sha256"]+"  "+f["path"]) for f in json.load(open("manifest.json"))["files"]]')

or run `+"`irbot verify --evidence PACK.zip`"+` (offline: no server, no database).

## 2. The chain recomputes

Each event's hash is the lower-case hex SHA-256 of its canonical bytes, a
JSON array without whitespace:

    ["irbot.timeline.v1",incident_id,seq,key,at,kind,actor,data,prev_hash]

- at is RFC 3339 in UTC with exactly six fractional digits
  (2026-03-01T09:30:00.000000Z);
- data is the event's JSON object with keys sorted by their UTF-8 bytes, no
  whitespace, numbers exactly as written, strings escaping only '"', '\'
  and control characters (\b \t \n \f \r, others \u00xx) and every other
  character as literal UTF-8;
- prev_hash is the previous event's hash, 64 zeros for event 1.

`+"`python3 verify_chain.py timeline.json`"+` does exactly this with the
Python standard library. timeline.csv carries the same fields (cells that
began with = + - @ tab, CR or ' have one ' prefixed; drop it first).

## 3. Notices are what was approved and sent

Each notices/N.json carries the notice's subject, text and HTML and its
content_hash:

    %s

The same content_hash appears in the timeline's notice.approved and
notice.sent events, so it is covered by the chain. When notices/N.eml is
present it is the exact message handed to the mail server; its SHA-256 is
eml_sha256 in the notice's metadata.

## 4. What the rest is

incident.json is the incident's state as the server reported it;
register.json/csv its notification register rows; breach-register.json its
breach register row (derived from the timeline); verify.json the server's
own check at export time; report.pdf the readable report (characters its
font lacks appear as [U+XXXX]: the JSON files have the exact text).
`, id, events, head, ContentHashScheme)
	return b.String()
}

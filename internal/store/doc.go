// Package store is irbot's timeline store: what must outlive Temporal's
// retention. It holds, per incident, an append-only, hash-chained event log
// (table timeline_events) with its chain head (timeline_heads); the incident
// index; the incident-ID allocator; and the notification register (every
// notice and every decision not to notify).
//
// One implementation serves two databases through database/sql: SQLite
// (modernc.org/sqlite, the driver the embedded Temporal server already links)
// in the data directory by default, and PostgreSQL (pgx) when
// IRBOT_DATABASE_URL is a postgres:// URL. The schema is embedded and
// migrated at Open, in one transaction, under an advisory lock on PostgreSQL.
//
// # Canonical encoding (version "irbot.timeline.v1")
//
// An event's hash is the lower-case hex SHA-256 of its canonical bytes,
// which are a JSON array without whitespace:
//
//	["irbot.timeline.v1",incident_id,seq,key,at,kind,actor,data,prev_hash]
//
// where:
//
//   - incident_id, key, kind, actor, prev_hash are JSON strings;
//   - seq is the decimal integer, 1 for the first event;
//   - at is a JSON string, RFC 3339 in UTC with exactly six fractional digits
//     (2006-01-02T15:04:05.000000Z); times are truncated to microseconds;
//   - data is the event's JSON object in canonical form: object keys sorted by
//     their UTF-8 bytes, no insignificant whitespace, numbers exactly as
//     written (never re-formatted through float64, so 1.0 stays 1.0 and large
//     integers are exact), literals true/false/null. Duplicate keys and
//     invalid UTF-8 are rejected. Empty data is {};
//   - prev_hash is the previous event's hash; 64 zeros for seq 1.
//
// Strings are written with '"' and '\' escaped, control characters below
// U+0020 as \b \t \n \f \r or \u00xx (lower-case hex), and every other
// character as literal UTF-8 (no HTML escaping, no \u escapes). This is
// close to RFC 8785 (JCS) except for numbers, which JCS would re-format.
// The store keeps data in exactly its canonical bytes, so what Events
// returns is what was hashed, and Event.ComputeHash re-checks any event.
// The version string is part of the hashed bytes: a future encoding gets a
// new name and old chains still verify.
//
// # Tamper evidence
//
// Appends serialise per incident (SQLite: BEGIN IMMEDIATE; PostgreSQL:
// SELECT ... FOR UPDATE on the incident's chain head row) and move the chain
// head in the same transaction. Verify walks the chain in seq order and
// reports the first bad seq and why, in plain words. It detects, without any
// secret:
//
//   - an edited event, in any column (the hash no longer matches; a time or
//     data value not written in the store's exact form also counts);
//   - a deleted event: first or middle (a gap in seq, or a renumbered event
//     whose hash only fits its old seq), or last (the chain head records more
//     events, or another last hash);
//   - an inserted event (its hash or prev_hash does not fit; renumbered
//     successors are recognised by the seq they were written with; an extra
//     event past the chain head is named);
//   - reordered events (each event's hash covers its own seq and its
//     predecessor's hash).
//
// What it cannot detect on its own: someone with write access who rewrites
// the chain from the first changed event onwards with freshly computed
// hashes and moves the chain head to match. The hash chain makes that
// rewrite visible to anyone holding an earlier head hash (an export, a
// message in the incident channel), so publish the head where the database's
// writers cannot reach it.
//
// irbot itself never updates or deletes a timeline row: corrections are new
// events. Appends are idempotent by (incident_id, key), so an activity retry
// returns the stored event; reusing a key for different content is
// ErrKeyConflict.
package store

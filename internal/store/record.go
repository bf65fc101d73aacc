package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Snapshot is an incident's whole state after one accepted change, kept so
// that every read answers from the store once Temporal's history is gone.
type Snapshot struct {
	IncidentID string          `json:"incident_id"`
	Seq        int64           `json:"seq"` // the event whose data carries snapshot_sha256
	At         time.Time       `json:"at"`
	State      json.RawMessage `json:"state"`  // canonical JSON
	SHA256     string          `json:"sha256"` // hex SHA-256 of the digest
}

// SnapshotKey is the event data key that carries a snapshot's hash.
const SnapshotKey = "snapshot_sha256"

// RegisterKey is the event data key that binds a register row to the chain:
// {"id": entry ID, "sha256": RegisterHash of the row as written}.
const RegisterKey = "register_row"

// RecordStore keeps the state snapshots.
type RecordStore interface {
	// PutSnapshot stores state (a JSON object) as the snapshot following
	// event seq; digest is SnapshotDigest's first result. A repeat with the
	// same state is a no-op.
	PutSnapshot(ctx context.Context, incidentID string, seq int64, at time.Time, state, digest []byte) error
	// AppendRecord appends w.Event as Append does and, in the same
	// transaction, writes what the event vouches for: the incident's index
	// row (UpsertIncident), a register row (PutRegister) and the state
	// snapshot that follows the event (PutSnapshot). All or nothing; a
	// repeat of a stored event still writes the rest, as separate calls
	// would.
	AppendRecord(ctx context.Context, w RecordWrite) (stored Event, created bool, err error)
	// LatestSnapshot is the incident's newest snapshot (ErrNotFound).
	LatestSnapshot(ctx context.Context, incidentID string) (Snapshot, error)
	// DeclaredSummary is the summary the incident was declared with, from
	// its incident.declared entry ("" when it has none). Snapshots leave
	// the summary out: it never changes, and would be copied into each.
	DeclaredSummary(ctx context.Context, incidentID string) (string, error)
	// PurgeIncident deletes a closed incident's records and leaves a
	// tombstone with its final chain head; an open one is refused
	// (ErrInvalid). PurgeClosedBefore does it for every incident closed
	// (last updated) before cutoff. Tombstones lists what was purged.
	PurgeIncident(ctx context.Context, id, reason string) (Tombstone, error)
	PurgeClosedBefore(ctx context.Context, cutoff time.Time, reason string) ([]Tombstone, error)
	Tombstones(ctx context.Context) ([]Tombstone, error)
}

var _ RecordStore = (*sqlStore)(nil)

// SnapshotDigest canonicalises a state (a JSON object) and returns it, its
// digest (canonical JSON: the state's SHA-256 and one SHA-256 per item) and
// the digest's hex SHA-256, which is what the chain carries. Items are the
// state's top-level fields; an object field is split into its members
// ("facts.affected") and an array into its elements, named by their "id",
// "key" or "name" (else their index): "clocks[eu-gdpr/supervisory-authority]".
func SnapshotDigest(state []byte) (canon, digest []byte, sum string, err error) {
	canon, err = canonicalObject(state)
	if err != nil {
		return nil, nil, "", fmt.Errorf("%w: snapshot: %w", ErrInvalid, err)
	}
	var top map[string]json.RawMessage
	if err := json.Unmarshal(canon, &top); err != nil {
		return nil, nil, "", fmt.Errorf("%w: snapshot: %w", ErrInvalid, err)
	}
	items := map[string]string{}
	for k, v := range top {
		v = bytes.TrimSpace(v)
		switch {
		case len(v) > 0 && v[0] == '{':
			var m map[string]json.RawMessage
			_ = json.Unmarshal(v, &m)
			if len(m) == 0 {
				items[k] = hashHex(v)
			}
			for mk, mv := range m {
				items[k+"."+mk] = hashHex(mv)
			}
		case len(v) > 0 && v[0] == '[':
			var a []json.RawMessage
			_ = json.Unmarshal(v, &a)
			if len(a) == 0 {
				items[k] = hashHex(v)
			}
			for i, e := range a {
				name := itemName(e, i)
				if _, dup := items[k+"["+name+"]"]; dup {
					name = fmt.Sprint(i)
				}
				items[k+"["+name+"]"] = hashHex(e)
			}
		default:
			items[k] = hashHex(v)
		}
	}
	d, err := json.Marshal(map[string]any{"sha256": hashHex(canon), "items": items})
	if err != nil {
		return nil, nil, "", err
	}
	digest, err = canonicalObject(d)
	if err != nil {
		return nil, nil, "", err
	}
	return canon, digest, hashHex(digest), nil
}

func itemName(e json.RawMessage, i int) string {
	var m map[string]any
	if json.Unmarshal(e, &m) == nil {
		if r, ok := m["regime"].(string); ok {
			if o, ok := m["obligation"].(string); ok {
				return r + "/" + o
			}
		}
		for _, k := range []string{"id", "key", "name", "user", "role"} {
			if s, ok := m[k].(string); ok && s != "" {
				return s
			}
		}
	}
	return fmt.Sprint(i)
}

func hashHex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func (s *sqlStore) PutSnapshot(ctx context.Context, incidentID string, seq int64, at time.Time, state, digest []byte) error {
	if err := checkText("incident ID", incidentID, true); err != nil {
		return err
	}
	canon, want, sum, err := SnapshotDigest(state)
	if err != nil {
		return err
	}
	if digest != nil && !bytes.Equal(digest, want) {
		return invalid("snapshot of %s after event %d: the digest does not match the state", incidentID, seq)
	}
	defer s.lockWrites()()
	return s.putSnapshot(ctx, s.db, incidentID, seq, at, canon, want, sum)
}

// putSnapshot is PutSnapshot's write, on ex, of a state checked by
// SnapshotDigest (canon, its digest want and the digest's hash sum).
func (s *sqlStore) putSnapshot(ctx context.Context, ex dbtx, incidentID string, seq int64, at time.Time, canon, want []byte, sum string) error {
	stored := canon
	if s.ring != nil {
		// The state holds the facts (personal data): sealed with the
		// incident's data key like the timeline's data (crypt.go). The
		// digest and hash are of the plain state, so verify still names
		// an edited item.
		k, err := s.dataKey(ctx, ex, incidentID, true)
		if err != nil {
			return fmt.Errorf("store: put snapshot of %s: %w", incidentID, err)
		}
		if stored, err = sealEvent(k.aead, incidentID, snapshotKey(seq), canon); err != nil {
			return fmt.Errorf("store: put snapshot of %s: %w", incidentID, err)
		}
	}
	_, err := ex.ExecContext(ctx, s.q(`INSERT INTO incident_snapshots (incident_id, version, at, state, digest, sha256) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (incident_id, version) DO NOTHING`), incidentID, seq, s.timeArg(at), string(stored), string(want), sum)
	if err != nil {
		return fmt.Errorf("store: put snapshot of %s: %w", incidentID, err)
	}
	return nil
}

// RecordWrite is one timeline entry with the rows it vouches for
// (AppendRecord). Nil parts are not written.
type RecordWrite struct {
	Event    Event
	Incident *Incident
	Register *RegisterEntry
	// State and Digest are the snapshot after Event: a JSON object and
	// SnapshotDigest's digest of it.
	State, Digest []byte
}

func (s *sqlStore) AppendRecord(ctx context.Context, w RecordWrite) (Event, bool, error) {
	ev, data, err := s.checkEvent(w.Event)
	if err != nil {
		return Event{}, false, err
	}
	var canon, want []byte
	var sum string
	if w.State != nil {
		if canon, want, sum, err = SnapshotDigest(w.State); err != nil {
			return Event{}, false, err
		}
		if w.Digest != nil && !bytes.Equal(w.Digest, want) {
			return Event{}, false, invalid("snapshot of %s after event %s: the digest does not match the state", ev.IncidentID, ev.Key)
		}
	}
	defer s.lockWrites()()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return Event{}, false, fmt.Errorf("store: append record: begin: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	stored, created, err := s.appendTx(ctx, tx, ev, data, s.ring != nil)
	if err != nil {
		return Event{}, false, err
	}
	if w.Incident != nil {
		if err := s.upsertIncident(ctx, tx, *w.Incident); err != nil {
			return Event{}, false, err
		}
	}
	if w.Register != nil {
		if err := s.putRegister(ctx, tx, *w.Register); err != nil {
			return Event{}, false, err
		}
	}
	if canon != nil {
		if err := s.putSnapshot(ctx, tx, ev.IncidentID, stored.Seq, stored.At, canon, want, sum); err != nil {
			return Event{}, false, err
		}
	}
	if err := tx.Commit(); err != nil {
		return Event{}, false, fmt.Errorf("store: append record: commit: %w", err)
	}
	return stored, created, nil
}

func (s *sqlStore) LatestSnapshot(ctx context.Context, incidentID string) (Snapshot, error) {
	var sn Snapshot
	var at dbTime
	var state string
	err := s.db.QueryRowContext(ctx, s.q(`SELECT incident_id, version, at, state, sha256 FROM incident_snapshots WHERE incident_id = ? ORDER BY version DESC LIMIT 1`), incidentID).
		Scan(&sn.IncidentID, &sn.Seq, &at, &state, &sn.SHA256)
	if errors.Is(err, sql.ErrNoRows) {
		return Snapshot{}, fmt.Errorf("%w: no snapshot of %s", ErrNotFound, incidentID)
	}
	if err != nil {
		return Snapshot{}, fmt.Errorf("store: snapshot of %s: %w", incidentID, err)
	}
	plain, err := s.openEvent(ctx, s.db, Event{IncidentID: incidentID, Seq: sn.Seq, Key: snapshotKey(sn.Seq), Data: json.RawMessage(state)})
	if err != nil {
		return Snapshot{}, fmt.Errorf("store: snapshot of %s: %w", incidentID, err)
	}
	sn.At, sn.State = at.t, plain
	return sn, nil
}

// DeclaredKind is the kind of an incident's declaration, the first entry
// of its timeline.
const DeclaredKind = "incident.declared"

// DeclaredSummary reads one row: the declaration is the timeline's first
// entry, so the scan stops there.
func (s *sqlStore) DeclaredSummary(ctx context.Context, incidentID string) (string, error) {
	se, err := scanEvent(s.db.QueryRowContext(ctx, s.q(`SELECT `+eventColumns+` FROM timeline_events WHERE incident_id = ? AND kind = ? ORDER BY seq LIMIT 1`), incidentID, DeclaredKind))
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("store: declaration of %s: %w", incidentID, err)
	}
	plain, err := s.openEvent(ctx, s.db, se.Event)
	if err != nil {
		return "", fmt.Errorf("store: declaration of %s: %w", incidentID, err)
	}
	var d struct {
		Summary string `json:"summary"`
	}
	if err := json.Unmarshal(plain, &d); err != nil {
		return "", fmt.Errorf("store: declaration of %s: %w", incidentID, err)
	}
	return d.Summary, nil
}

// snapshotKey binds a sealed snapshot to its place, as an event's key does.
func snapshotKey(seq int64) string { return fmt.Sprintf("snapshot/%d", seq) }

// RegisterHash is the hex SHA-256 of a register row's canonical JSON as
// the store keeps it (times in microseconds UTC, no recipients as none),
// without RecordedAt, which the store may keep from an earlier write. It
// covers the free text in the clear, as PutRegister received it, even where
// the column holds it sealed.
func RegisterHash(r RegisterEntry) string {
	norm := func(t *time.Time) *time.Time {
		if t == nil {
			return nil
		}
		n := normTime(*t)
		return &n
	}
	r.DueAt, r.SentAt, r.RecordedAt = norm(r.DueAt), norm(r.SentAt), time.Time{}
	if len(r.To) == 0 {
		r.To = nil
	}
	b, _ := json.Marshal(r)
	c, err := CanonicalJSON(b)
	if err != nil {
		return ""
	}
	return hashHex(c)
}

// VerifyItem is one stored record that is not as the chain says it was
// written: a register row, a notice's message, a snapshot.
type VerifyItem struct {
	Item   string `json:"item"` // e.g. "register row notice/N1", "notice N1 attempt 2 message", "snapshot after event 12: facts.affected"
	Reason string `json:"reason"`
}

var (
	registerKeyJSON = []byte(`"` + RegisterKey + `"`)
	snapshotKeyJSON = []byte(`"` + SnapshotKey + `"`)
)

// mayVouch says whether an event's data can hold a register row's or a
// snapshot's hash: a cheap byte search before decoding, which errs only
// towards decoding (the key's text elsewhere in the data).
func mayVouch(raw []byte) bool {
	return bytes.Contains(raw, registerKeyJSON) || bytes.Contains(raw, snapshotKeyJSON)
}

// verifyRecord checks the rows the chain vouches for against the (already
// verified) events: register rows, notice messages and snapshots.
func (s *sqlStore) verifyRecord(ctx context.Context, q querier, incidentID string, events []storedEvent) ([]VerifyItem, error) {
	var out []VerifyItem
	// What the chain says, by item.
	regs := map[string]struct {
		seq int64
		sum string
	}{}
	raws := map[string]string{} // "notice/attempt" -> raw_sha256
	snaps := map[int64]string{}
	causes := map[int64]string{} // seq -> what the event changed ("fact.set subjects_count")
	// opaque: some events' data cannot be read here (sealed and this
	// process has no keys, or erased), so a row no readable event vouches
	// for may still be vouched for by one of them.
	opaque := false
	for _, e := range events {
		raw := e.rawData
		if _, sealed := parseSealed(raw); sealed {
			plain, err := s.openEvent(ctx, q, Event{IncidentID: incidentID, Seq: e.Seq, Key: e.Key, Data: raw})
			if err != nil {
				return nil, fmt.Errorf("store: verify records of %s: %w", incidentID, err)
			}
			if _, still := parseSealed(plain); still || string(plain) == `{"erased":true}` {
				opaque = true
				continue
			}
			raw = plain
		}
		if !mayVouch(raw) && e.Kind != "notice.attempt" {
			continue // most events: nothing here to decode
		}
		var d map[string]json.RawMessage
		if json.Unmarshal(raw, &d) != nil {
			continue
		}
		if v, ok := d[RegisterKey]; ok {
			var r struct{ ID, SHA256 string }
			if json.Unmarshal(v, &r) == nil && r.ID != "" {
				regs[r.ID] = struct {
					seq int64
					sum string
				}{e.Seq, r.SHA256}
			}
		}
		if v, ok := d[SnapshotKey]; ok {
			var sum string
			if json.Unmarshal(v, &sum) == nil {
				snaps[e.Seq] = sum
				causes[e.Seq] = snapshotCause(e.Kind, d)
			}
		}
		if e.Kind == "notice.attempt" {
			var a struct {
				Notice    string `json:"notice"`
				Attempt   int    `json:"attempt"`
				RawSHA256 string `json:"raw_sha256"`
			}
			if json.Unmarshal(e.rawData, &a) == nil && a.RawSHA256 != "" {
				raws[fmt.Sprintf("%s/%d", a.Notice, a.Attempt)] = a.RawSHA256
			}
		}
	}

	// Register rows.
	rows, err := s.listRegister(ctx, q, incidentID, true)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for _, r := range rows {
		seen[r.ID] = true
		want, ok := regs[r.ID]
		switch {
		case !ok && !opaque && (len(regs) > 0 || len(snaps) > 0):
			// Incidents recorded before rows were chained have no such
			// events at all; in one that has them, a row without is forged.
			out = append(out, VerifyItem{Item: "register row " + r.ID, Reason: fmt.Sprintf("no timeline event vouches for register row %s: it was added outside irbot", r.ID)})
		case !ok:
		case RegisterHash(r) != want.sum:
			out = append(out, VerifyItem{Item: "register row " + r.ID, Reason: fmt.Sprintf("register row %s was edited: it differs from what event %d recorded (status %q, on_time %s, sent_at %s)",
				r.ID, want.seq, r.Status, boolText(r.OnTime), timeText(r.SentAt))})
		}
	}
	for _, id := range sortedKeys(regs) {
		if !seen[id] {
			out = append(out, VerifyItem{Item: "register row " + id, Reason: fmt.Sprintf("register row %s recorded by event %d is missing", id, regs[id].seq)})
		}
	}

	// Notice messages.
	nrows, err := s.noticeRows(ctx, q, incidentID, "")
	if err != nil {
		return nil, err
	}
	for _, n := range nrows {
		item := fmt.Sprintf("notice %s attempt %d message", n.noticeID, n.a.N)
		got := RawSHA256(n.raw)
		if got != n.a.RawSHA256 {
			out = append(out, VerifyItem{Item: item, Reason: fmt.Sprintf("the stored bytes of notice %s attempt %d were edited: their SHA-256 is %s, stored as %s", n.noticeID, n.a.N, got[:12], short(n.a.RawSHA256))})
			continue
		}
		if want, ok := raws[fmt.Sprintf("%s/%d", n.noticeID, n.a.N)]; ok && want != got {
			out = append(out, VerifyItem{Item: item, Reason: fmt.Sprintf("the stored message of notice %s attempt %d is not the one sent: its SHA-256 is %s, the timeline recorded %s", n.noticeID, n.a.N, got[:12], short(want))})
		}
	}

	// Snapshots.
	srows, err := q.QueryContext(ctx, s.q(`SELECT version, state, digest, sha256 FROM incident_snapshots WHERE incident_id = ? ORDER BY version`), incidentID)
	if err != nil {
		return nil, fmt.Errorf("store: verify snapshots of %s: %w", incidentID, err)
	}
	defer srows.Close()
	for srows.Next() {
		var seq int64
		var state, digest, sum string
		if err := srows.Scan(&seq, &state, &digest, &sum); err != nil {
			return nil, fmt.Errorf("store: verify snapshots of %s: %w", incidentID, err)
		}
		item := fmt.Sprintf("snapshot after event %d", seq)
		// whole names a snapshot whose edited item cannot be told: the
		// incident and the change it followed, never its content.
		whole := fmt.Sprintf("%s (%s)", item, causes[seq])
		what := fmt.Sprintf("the snapshot of %s after event %d (its state after %s)", incidentID, seq, causes[seq])
		want, ok := snaps[seq]
		if !ok && opaque {
			continue // its event may be one this process cannot read
		}
		if !ok {
			out = append(out, VerifyItem{Item: item, Reason: fmt.Sprintf("event %d does not vouch for a snapshot (added outside irbot)", seq)})
			continue
		}
		if _, sealed := parseSealed([]byte(state)); sealed {
			plain, err := s.openEvent(ctx, q, Event{IncidentID: incidentID, Seq: seq, Key: snapshotKey(seq), Data: json.RawMessage(state)})
			switch {
			case err != nil:
				out = append(out, VerifyItem{Item: whole, Reason: fmt.Sprintf("%s is sealed and does not open: its ciphertext was edited; which item changed cannot be told without the plaintext (%s)",
					what, digestOutline(digest, want))})
				continue
			case string(plain) == `{"erased":true}` || string(plain) == state:
				// Erased, or no keys here: the chain vouches for the hashes.
				if sum != want {
					out = append(out, VerifyItem{Item: whole, Reason: fmt.Sprintf("%s was edited: its recorded hash is not the one event %d carries", what, seq)})
				}
				continue
			}
			state = string(plain)
		}
		_, recomputed, _, err := SnapshotDigest([]byte(state))
		if err != nil {
			out = append(out, VerifyItem{Item: whole, Reason: what + ": the state is not a JSON object: it was edited"})
			continue
		}
		if hashHex([]byte(digest)) != want {
			// The digest itself was rewritten: the items cannot be named.
			out = append(out, VerifyItem{Item: whole, Reason: fmt.Sprintf("%s was edited: it does not match the hash event %d carries", what, seq)})
			continue
		}
		// The digest is the one the chain vouches for: it names the items.
		for _, n := range changedItems([]byte(digest), recomputed) {
			out = append(out, VerifyItem{Item: item + ": " + n, Reason: fmt.Sprintf("%s in the snapshot after event %d was edited", n, seq)})
		}
		if sum != want {
			out = append(out, VerifyItem{Item: whole, Reason: fmt.Sprintf("%s was edited: its recorded hash is not the one event %d carries", what, seq)})
		}
	}
	return out, srows.Err()
}

// snapshotCause names the change a snapshot followed: the event's kind and
// what it acted on (a fact's name, a task, a notice, a gate, a clock),
// never a value, so naming it shows no personal data.
func snapshotCause(kind string, data map[string]json.RawMessage) string {
	str := func(k string) string {
		var v string
		if json.Unmarshal(data[k], &v) != nil || v == "" || len(v) > 64 || strings.ContainsAny(v, "\x00\r\n") {
			return ""
		}
		return v
	}
	if r, o := str("regime"), str("obligation"); r != "" && o != "" && !strings.HasPrefix(kind, "notice.") {
		return kind + " " + r + "/" + o
	}
	for _, k := range []string{"name", "task", "notice", "gate", "role"} {
		if v := str(k); v != "" {
			return kind + " " + v
		}
	}
	return kind
}

// digestOutline says what a sealed snapshot holds, from its digest (item
// names only, which the chain vouches for when the digest's hash is want).
func digestOutline(digest, want string) string {
	var d struct {
		Items map[string]string `json:"items"`
	}
	if hashHex([]byte(digest)) != want || json.Unmarshal([]byte(digest), &d) != nil {
		return "its digest does not match the chain either"
	}
	groups := map[string]bool{}
	for name := range d.Items {
		if i := strings.IndexAny(name, ".["); i > 0 {
			name = name[:i]
		}
		groups[name] = true
	}
	return fmt.Sprintf("it holds %d items: %s", len(d.Items), strings.Join(sortedKeys(groups), ", "))
}

// changedItems names the items whose hashes differ between a stored digest
// and one recomputed from the state.
func changedItems(stored, recomputed []byte) []string {
	var a, b struct {
		SHA256 string            `json:"sha256"`
		Items  map[string]string `json:"items"`
	}
	if json.Unmarshal(stored, &a) != nil || json.Unmarshal(recomputed, &b) != nil {
		return []string{"the digest"}
	}
	var out []string
	for k, v := range b.Items {
		if a.Items[k] != v {
			out = append(out, k)
		}
	}
	for k := range a.Items {
		if _, ok := b.Items[k]; !ok {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	if len(out) == 0 && a.SHA256 != b.SHA256 {
		out = []string{"the state"}
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func boolText(b *bool) string {
	if b == nil {
		return "unset"
	}
	return fmt.Sprint(*b)
}

func timeText(t *time.Time) string {
	if t == nil {
		return "unset"
	}
	return t.UTC().Format(time.RFC3339)
}

func short(h string) string {
	if len(h) > 12 {
		return h[:12]
	}
	return strings.TrimSpace(h)
}

// Tombstone is what is left of a purged incident: enough to show it existed
// and to match its final chain head against checkpoints and exports.
type Tombstone struct {
	IncidentID string    `json:"incident_id"`
	Title      string    `json:"title"`
	DeclaredAt time.Time `json:"declared_at"`
	ClosedAt   time.Time `json:"closed_at"`
	PurgedAt   time.Time `json:"purged_at"`
	Events     int64     `json:"events"`
	FinalHash  string    `json:"final_hash"`
	Reason     string    `json:"reason"`
}

// StatusClosed is the incident index status of a closed incident.
const StatusClosed = "closed"

// PurgeClosedBefore purges every closed incident last updated before
// cutoff (see PurgeIncident) and returns their tombstones.
func (s *sqlStore) PurgeClosedBefore(ctx context.Context, cutoff time.Time, reason string) ([]Tombstone, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT id FROM incidents WHERE status = ? AND updated_at < ? ORDER BY id`), StatusClosed, s.timeArg(cutoff))
	if err != nil {
		return nil, fmt.Errorf("store: purge: %w", err)
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("store: purge: %w", errors.Join(err, rows.Close()))
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: purge: %w", errors.Join(err, rows.Close()))
	}
	// Closed before purging: PurgeIncident needs a connection of its own.
	if err := rows.Close(); err != nil {
		return nil, fmt.Errorf("store: purge: %w", err)
	}
	out := []Tombstone{}
	for _, id := range ids {
		t, err := s.PurgeIncident(ctx, id, reason)
		if err != nil {
			return out, err
		}
		out = append(out, t)
	}
	return out, nil
}

// PurgeIncident deletes a closed incident's records (timeline, snapshots,
// notice messages, register rows, index) in one transaction and leaves a
// tombstone with its final chain head. An open incident is never purged.
func (s *sqlStore) PurgeIncident(ctx context.Context, id, reason string) (Tombstone, error) {
	if err := checkText("purge reason", reason, true); err != nil {
		return Tombstone{}, err
	}
	defer s.lockWrites()()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return Tombstone{}, fmt.Errorf("store: purge %s: %w", id, err)
	}
	defer func() { _ = tx.Rollback() }()
	var t Tombstone
	var status string
	var declared, updated dbTime
	err = tx.QueryRowContext(ctx, s.q(`SELECT id, title, status, declared_at, updated_at FROM incidents WHERE id = ?`+s.forUpdate()), id).
		Scan(&t.IncidentID, &t.Title, &status, &declared, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return Tombstone{}, fmt.Errorf("%w: incident %s", ErrNotFound, id)
	}
	if err != nil {
		return Tombstone{}, fmt.Errorf("store: purge %s: %w", id, err)
	}
	if status != StatusClosed {
		return Tombstone{}, invalid("incident %s is %s: only closed incidents are purged", id, status)
	}
	t.DeclaredAt, t.ClosedAt, t.PurgedAt, t.Reason, t.FinalHash = declared.t, updated.t, normTime(time.Now()), reason, ZeroHash
	if err := tx.QueryRowContext(ctx, s.q(`SELECT last_seq, last_hash FROM timeline_heads WHERE incident_id = ?`), id).Scan(&t.Events, &t.FinalHash); err != nil && !errors.Is(err, sql.ErrNoRows) {
		return Tombstone{}, fmt.Errorf("store: purge %s: %w", id, err)
	}
	for _, table := range []string{"timeline_events", "timeline_heads", "incident_snapshots", "notice_messages", "register_entries"} {
		if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM `+table+` WHERE incident_id = ?`), id); err != nil {
			return Tombstone{}, fmt.Errorf("store: purge %s from %s: %w", id, table, err)
		}
	}
	if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM incidents WHERE id = ?`), id); err != nil {
		return Tombstone{}, fmt.Errorf("store: purge %s: %w", id, err)
	}
	if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO tombstones (incident_id, title, declared_at, closed_at, purged_at, events, final_hash, reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`),
		t.IncidentID, t.Title, s.timeArg(t.DeclaredAt), s.timeArg(t.ClosedAt), s.timeArg(t.PurgedAt), t.Events, t.FinalHash, t.Reason); err != nil {
		return Tombstone{}, fmt.Errorf("store: purge %s: tombstone: %w", id, err)
	}
	if err := tx.Commit(); err != nil {
		return Tombstone{}, fmt.Errorf("store: purge %s: %w", id, err)
	}
	return t, nil
}

func (s *sqlStore) Tombstones(ctx context.Context) ([]Tombstone, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT incident_id, title, declared_at, closed_at, purged_at, events, final_hash, reason FROM tombstones ORDER BY incident_id`)
	if err != nil {
		return nil, fmt.Errorf("store: tombstones: %w", err)
	}
	defer rows.Close()
	out := []Tombstone{}
	for rows.Next() {
		var t Tombstone
		var d, c, p dbTime
		if err := rows.Scan(&t.IncidentID, &t.Title, &d, &c, &p, &t.Events, &t.FinalHash, &t.Reason); err != nil {
			return nil, fmt.Errorf("store: tombstones: %w", err)
		}
		t.DeclaredAt, t.ClosedAt, t.PurgedAt = d.t, c.t, p.t
		out = append(out, t)
	}
	return out, rows.Err()
}

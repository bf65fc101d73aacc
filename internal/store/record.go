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
	// LatestSnapshot is the incident's newest snapshot (ErrNotFound).
	LatestSnapshot(ctx context.Context, incidentID string) (Snapshot, error)
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
	_, err = s.db.ExecContext(ctx, s.q(`INSERT INTO incident_snapshots (incident_id, version, at, state, digest, sha256) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (incident_id, version) DO NOTHING`), incidentID, seq, s.timeArg(at), string(canon), string(want), sum)
	if err != nil {
		return fmt.Errorf("store: put snapshot of %s: %w", incidentID, err)
	}
	return nil
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
	sn.At, sn.State = at.t, json.RawMessage(state)
	return sn, nil
}

// RegisterHash is the hex SHA-256 of a register row's canonical JSON as
// the store keeps it (times in microseconds UTC, no recipients as none),
// without RecordedAt, which the store may keep from an earlier write.
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
	for _, e := range events {
		var d map[string]json.RawMessage
		if json.Unmarshal([]byte(e.rawData), &d) != nil {
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
			}
		}
		if e.Kind == "notice.attempt" {
			var a struct {
				Notice    string `json:"notice"`
				Attempt   int    `json:"attempt"`
				RawSHA256 string `json:"raw_sha256"`
			}
			if json.Unmarshal([]byte(e.rawData), &a) == nil && a.RawSHA256 != "" {
				raws[fmt.Sprintf("%s/%d", a.Notice, a.Attempt)] = a.RawSHA256
			}
		}
	}

	// Register rows.
	rows, err := s.listRegister(ctx, q, incidentID)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for _, r := range rows {
		seen[r.ID] = true
		want, ok := regs[r.ID]
		switch {
		case !ok && (len(regs) > 0 || len(snaps) > 0):
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
		want, ok := snaps[seq]
		if !ok {
			out = append(out, VerifyItem{Item: item, Reason: fmt.Sprintf("event %d does not vouch for a snapshot (added outside irbot)", seq)})
			continue
		}
		_, recomputed, _, err := SnapshotDigest([]byte(state))
		if err != nil {
			out = append(out, VerifyItem{Item: item, Reason: "the snapshot's state is not a JSON object: it was edited"})
			continue
		}
		if hashHex([]byte(digest)) != want {
			// The digest itself was rewritten: the items cannot be named.
			out = append(out, VerifyItem{Item: item, Reason: fmt.Sprintf("the snapshot after event %d was edited: it does not match the hash event %d carries", seq, seq)})
			continue
		}
		// The digest is the one the chain vouches for: it names the items.
		for _, n := range changedItems([]byte(digest), recomputed) {
			out = append(out, VerifyItem{Item: item + ": " + n, Reason: fmt.Sprintf("%s in the snapshot after event %d was edited", n, seq)})
		}
		if sum != want {
			out = append(out, VerifyItem{Item: item, Reason: fmt.Sprintf("the snapshot after event %d was edited: its recorded hash is not the one event %d carries", seq, seq)})
		}
	}
	return out, srows.Err()
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

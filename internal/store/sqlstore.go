package store

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"
	_ "modernc.org/sqlite"             // database/sql driver "sqlite", the one the embedded Temporal server links

	"github.com/irbot/irbot/internal/keyring"
)

type dialect int

const (
	dialectSQLite dialect = iota
	dialectPostgres
)

func (d dialect) String() string {
	if d == dialectPostgres {
		return "postgres"
	}
	return "sqlite"
}

// sqlStore is the one Store implementation; d selects the few places where
// SQLite and PostgreSQL differ (placeholders, time columns, row locks).
type sqlStore struct {
	db *sql.DB
	d  dialect
	// writeMu serialises this process's SQLite write transactions, so they
	// queue in Go rather than spin on SQLITE_BUSY. Other processes are kept
	// out by BEGIN IMMEDIATE and the busy timeout. Unused for PostgreSQL.
	writeMu sync.Mutex
	// ring seals personal data (crypt.go); nil: stored as given.
	ring  *keyring.Ring
	keyMu sync.Mutex
	keys  map[string]*incidentKey // unwrapped data keys by incident
}

var _ Store = (*sqlStore)(nil)

// sqliteDSN: WAL so readers never block the writer; a busy timeout so a
// second process waits for the write lock instead of failing; every
// read-write transaction starts with BEGIN IMMEDIATE so appends serialise
// before they read the chain head. secure_delete overwrites deleted and
// replaced content with zeros, so a destroyed data key (crypto-erasure) is
// not left in a free page of irbot.db for anyone with a copy of the file.
const sqliteParams = "?_pragma=busy_timeout(10000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)&_pragma=secure_delete(1)&_txlock=immediate"

func openSQLite(ctx context.Context, path string) (*sqlStore, error) {
	if strings.Contains(path, "?") {
		return nil, fmt.Errorf("store: the data directory path must not contain '?': %s", path)
	}
	db, err := sql.Open("sqlite", path+sqliteParams)
	if err != nil {
		return nil, fmt.Errorf("store: open SQLite %s: %w", path, err)
	}
	s := &sqlStore{db: db, d: dialectSQLite, keys: map[string]*incidentKey{}}
	if err := s.migrate(ctx); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("store: SQLite %s: %w", path, err)
	}
	if err := s.ensureInstallation(ctx); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("store: SQLite %s: %w", path, err)
	}
	return s, nil
}

func openPostgres(ctx context.Context, databaseURL string) (*sqlStore, error) {
	db, err := sql.Open("pgx", databaseURL)
	if err != nil {
		return nil, fmt.Errorf("store: open PostgreSQL: %w", err)
	}
	db.SetConnMaxIdleTime(5 * time.Minute)
	s := &sqlStore{db: db, d: dialectPostgres, keys: map[string]*incidentKey{}}
	if err := db.PingContext(ctx); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("store: connect to PostgreSQL (%s): %w", DatabaseURLEnv, err)
	}
	if err := s.migrate(ctx); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("store: PostgreSQL: %w", err)
	}
	if err := s.ensureInstallation(ctx); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("store: PostgreSQL: %w", err)
	}
	return s, nil
}

// rawDB is the test hook: internal tests tamper with rows through it.
func rawDB(s Store) *sql.DB { return s.(*sqlStore).db }

// q rewrites '?' placeholders as $1, $2, ... for PostgreSQL. Queries in
// this package never contain a literal '?'.
func (s *sqlStore) q(query string) string {
	if s.d != dialectPostgres {
		return query
	}
	var b strings.Builder
	n := 0
	for _, r := range query {
		if r == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// forUpdate locks the selected row until commit on PostgreSQL. SQLite has
// no row locks; there the whole write transaction is already exclusive.
func (s *sqlStore) forUpdate() string {
	if s.d == dialectPostgres {
		return " FOR UPDATE"
	}
	return ""
}

// timeArg is how a time is written: TEXT in the fixed layout for SQLite (so
// it compares and sorts as text), timestamptz for PostgreSQL.
func (s *sqlStore) timeArg(t time.Time) any {
	if s.d == dialectPostgres {
		return normTime(t)
	}
	return formatTime(t)
}

func (s *sqlStore) nullTimeArg(t *time.Time) any {
	if t == nil {
		return nil
	}
	return s.timeArg(*t)
}

func (s *sqlStore) lockWrites() func() {
	if s.d != dialectSQLite {
		return func() {}
	}
	s.writeMu.Lock()
	return s.writeMu.Unlock
}

// dbTime scans a time column of either dialect. raw keeps SQLite's text so
// Verify can insist on the exact layout the store writes.
type dbTime struct {
	t     time.Time
	valid bool
	raw   string
	exact bool // raw (or the timestamptz) is exactly what the store writes
}

func (d *dbTime) Scan(v any) error {
	*d = dbTime{}
	switch x := v.(type) {
	case nil:
		return nil
	case time.Time:
		d.t, d.valid, d.exact = normTime(x), true, x.Equal(normTime(x))
		d.raw = formatTime(x)
		return nil
	case []byte:
		return d.parse(string(x))
	case string:
		return d.parse(x)
	default:
		return fmt.Errorf("store: cannot read a time from %T", v)
	}
}

func (d *dbTime) parse(s string) error {
	d.raw = s
	if t, err := time.Parse(TimeLayout, s); err == nil {
		d.t, d.valid, d.exact = t, true, true
		return nil
	}
	// Someone wrote this row by hand: read what can be read, and let Verify
	// say the row was edited.
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05.999999999Z07:00", "2006-01-02 15:04:05.999999999", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			d.t, d.valid = normTime(t), true
			return nil
		}
	}
	return nil
}

func (d dbTime) ptr() *time.Time {
	if !d.valid {
		return nil
	}
	t := d.t
	return &t
}

func invalid(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalid}, args...)...)
}

func checkText(field, v string, required bool) error {
	if required && strings.TrimSpace(v) == "" {
		return invalid("%s is required", field)
	}
	if !utf8.ValidString(v) || strings.ContainsRune(v, 0) {
		return invalid("%s is not valid UTF-8 text", field)
	}
	return nil
}

// ---- timeline ----

const eventColumns = "incident_id, seq, event_key, at, kind, actor, data, prev_hash, hash"

// storedEvent is a row as read, with what Verify needs beyond the Event.
type storedEvent struct {
	Event
	at      dbTime
	rawData []byte // the data column as stored (Data shares it when it is JSON)
}

func scanEvent(row interface{ Scan(...any) error }) (storedEvent, error) {
	var se storedEvent
	err := row.Scan(&se.IncidentID, &se.Seq, &se.Key, &se.at, &se.Kind, &se.Actor, &se.rawData, &se.PrevHash, &se.Hash)
	if err != nil {
		return se, err
	}
	se.At = se.at.t
	if isCanonicalObject(se.rawData) || json.Valid(se.rawData) {
		se.Data = json.RawMessage(se.rawData)
	} else {
		// Hand-edited into something that is not JSON: show it as a JSON
		// string so the timeline still renders (Verify reports the edit).
		b, _ := json.Marshal(string(se.rawData))
		se.Data = b
	}
	return se, nil
}

func (s *sqlStore) Append(ctx context.Context, e Event) (Event, bool, error) {
	return s.appendEvent(ctx, e, s.ring != nil)
}

// appendEvent is Append; seal says whether the event's data is sealed with
// the incident's data key (crypt.go).
func (s *sqlStore) appendEvent(ctx context.Context, e Event, seal bool) (Event, bool, error) {
	ev, data, err := s.checkEvent(e)
	if err != nil {
		return Event{}, false, err
	}
	defer s.lockWrites()()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return Event{}, false, fmt.Errorf("store: append: begin: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	stored, created, err := s.appendTx(ctx, tx, ev, data, seal)
	if err != nil || !created {
		return stored, false, err
	}
	if err := tx.Commit(); err != nil {
		return Event{}, false, fmt.Errorf("store: append: commit: %w", err)
	}
	return stored, true, nil
}

// checkEvent validates an event to append and returns it as it will be
// stored (At normalised, now when zero) with its canonical data.
func (s *sqlStore) checkEvent(e Event) (Event, []byte, error) {
	for _, f := range [...]struct {
		name, val string
		required  bool
	}{{"incident ID", e.IncidentID, true}, {"event key", e.Key, true}, {"event kind", e.Kind, true}, {"actor", e.Actor, false}} {
		if err := checkText(f.name, f.val, f.required); err != nil {
			return Event{}, nil, err
		}
	}
	data, err := canonicalObject(e.Data)
	if err != nil {
		return Event{}, nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	at := e.At
	if at.IsZero() {
		at = time.Now()
	}
	return Event{IncidentID: e.IncidentID, Key: e.Key, At: normTime(at), Kind: e.Kind, Actor: e.Actor, Data: data}, data, nil
}

// appendTx appends ev (checked by checkEvent; data is its canonical data)
// inside tx, whose caller holds the write lock and commits. A repeat of an
// event already stored under its key returns that event and created=false.
func (s *sqlStore) appendTx(ctx context.Context, tx *sql.Tx, ev Event, data []byte, seal bool) (Event, bool, error) {
	// The head row is both the end of the chain and the per-incident lock.
	if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO timeline_heads (incident_id, last_seq, last_hash) VALUES (?, 0, ?) ON CONFLICT (incident_id) DO NOTHING`), ev.IncidentID, ZeroHash); err != nil {
		return Event{}, false, fmt.Errorf("store: append: create chain head: %w", err)
	}
	var lastSeq int64
	var lastHash string
	if err := tx.QueryRowContext(ctx, s.q(`SELECT last_seq, last_hash FROM timeline_heads WHERE incident_id = ?`+s.forUpdate()), ev.IncidentID).Scan(&lastSeq, &lastHash); err != nil {
		return Event{}, false, fmt.Errorf("store: append: lock chain head: %w", err)
	}

	prior, err := scanEvent(tx.QueryRowContext(ctx, s.q(`SELECT `+eventColumns+` FROM timeline_events WHERE incident_id = ? AND event_key = ?`), ev.IncidentID, ev.Key))
	switch {
	case err == nil:
		priorData, err := s.openEvent(ctx, tx, prior.Event)
		if err != nil {
			return Event{}, false, fmt.Errorf("store: append: read the event with the same key: %w", err)
		}
		if prior.Kind != ev.Kind || prior.Actor != ev.Actor || !bytes.Equal(priorData, data) {
			return Event{}, false, fmt.Errorf("%w: incident %s already has event %d with key %q (kind %q); the new one differs in kind, actor or data",
				ErrKeyConflict, ev.IncidentID, prior.Seq, ev.Key, prior.Kind)
		}
		if !bytes.Equal(priorData, prior.Data) {
			prior.Sealed, prior.Data = prior.Data, priorData
		}
		return prior.Event, false, nil
	case !errors.Is(err, sql.ErrNoRows):
		return Event{}, false, fmt.Errorf("store: append: look up key: %w", err)
	}

	if seal {
		k, err := s.dataKey(ctx, tx, ev.IncidentID, true)
		if err != nil {
			return Event{}, false, fmt.Errorf("store: append: %w", err)
		}
		if ev.Data, err = sealEvent(k.aead, ev.IncidentID, ev.Key, data); err != nil {
			return Event{}, false, fmt.Errorf("store: append: %w", err)
		}
	}
	ev.Seq = lastSeq + 1
	ev.PrevHash = lastHash
	ev.Hash = ev.ComputeHash()
	if ev.Hash == "" { // unreachable: inputs were validated above
		return Event{}, false, invalid("event cannot be encoded")
	}
	if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO timeline_events (`+eventColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`),
		ev.IncidentID, ev.Seq, ev.Key, s.timeArg(ev.At), ev.Kind, ev.Actor, string(ev.Data), ev.PrevHash, ev.Hash); err != nil {
		return Event{}, false, fmt.Errorf("store: append: insert event: %w", err)
	}
	if _, err := tx.ExecContext(ctx, s.q(`UPDATE timeline_heads SET last_seq = ?, last_hash = ? WHERE incident_id = ?`), ev.Seq, ev.Hash, ev.IncidentID); err != nil {
		return Event{}, false, fmt.Errorf("store: append: move chain head: %w", err)
	}
	if seal {
		// The caller sees what it wrote; the row holds the sealed form.
		ev.Sealed, ev.Data = ev.Data, data
	}
	return ev, true, nil
}

func (s *sqlStore) Events(ctx context.Context, incidentID string) ([]Event, error) {
	rows, err := s.readEvents(ctx, s.db, incidentID, 0)
	if err != nil {
		return nil, err
	}
	out := make([]Event, len(rows))
	for i, r := range rows {
		out[i] = r.Event
		plain, err := s.openEvent(ctx, s.db, r.Event)
		if err != nil {
			return nil, err
		}
		if !bytes.Equal(plain, r.Data) {
			out[i].Sealed, out[i].Data = r.Data, plain
		}
	}
	return out, nil
}

type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// dbtx is what a write needs: *sql.DB for a write on its own, *sql.Tx
// for one among others in a transaction (AppendRecord).
type dbtx interface {
	querier
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
}

// readEvents reads an incident's timeline in order; sizeHint (the chain
// head's length, when known) saves growing the slice through a long one.
func (s *sqlStore) readEvents(ctx context.Context, q querier, incidentID string, sizeHint int64) ([]storedEvent, error) {
	rows, err := q.QueryContext(ctx, s.q(`SELECT `+eventColumns+` FROM timeline_events WHERE incident_id = ? ORDER BY seq`), incidentID)
	if err != nil {
		return nil, fmt.Errorf("store: read timeline of %s: %w", incidentID, err)
	}
	defer rows.Close()
	out := make([]storedEvent, 0, max(0, min(sizeHint, 1<<20)))
	for rows.Next() {
		se, err := scanEvent(rows)
		if err != nil {
			return nil, fmt.Errorf("store: read timeline of %s: %w", incidentID, err)
		}
		out = append(out, se)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: read timeline of %s: %w", incidentID, err)
	}
	return out, nil
}

func (s *sqlStore) Verify(ctx context.Context, incidentID string) (VerifyResult, error) {
	// One snapshot, so an append that commits mid-walk is not mistaken for
	// an event added outside the store.
	opts := &sql.TxOptions{ReadOnly: true}
	if s.d == dialectPostgres {
		opts.Isolation = sql.LevelRepeatableRead
	}
	tx, err := s.db.BeginTx(ctx, opts)
	if err != nil {
		return VerifyResult{}, fmt.Errorf("store: verify: begin: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	var head *chainHead
	var h chainHead
	err = tx.QueryRowContext(ctx, s.q(`SELECT last_seq, last_hash FROM timeline_heads WHERE incident_id = ?`), incidentID).Scan(&h.lastSeq, &h.lastHash)
	switch {
	case err == nil:
		head = &h
	case !errors.Is(err, sql.ErrNoRows):
		return VerifyResult{}, fmt.Errorf("store: verify: read chain head: %w", err)
	}
	rows, err := s.readEvents(ctx, tx, incidentID, h.lastSeq)
	if err != nil {
		return VerifyResult{}, err
	}
	res := verifyChain(rows, head)
	if !res.OK {
		return res, nil
	}
	// The chain is intact, so what its events say about the other rows
	// can be trusted.
	items, err := s.verifyRecord(ctx, tx, incidentID, rows)
	if err != nil {
		return VerifyResult{}, err
	}
	cp, err := s.verifyCheckpoint(ctx, tx, incidentID, rows)
	if err != nil {
		return VerifyResult{}, err
	}
	items = append(cp, items...)
	if len(items) > 0 {
		res.OK, res.Items, res.Reason = false, items, items[0].Reason
		if len(items) > 1 {
			res.Reason += fmt.Sprintf(" (and %d more)", len(items)-1)
		}
	}
	return res, nil
}

// ---- incident IDs ----

func (s *sqlStore) ReserveIncidentID(ctx context.Context, prefix, requestKey string) (string, bool, error) {
	if err := checkText("incident ID prefix", prefix, true); err != nil {
		return "", false, err
	}
	if err := checkText("request key", requestKey, false); err != nil {
		return "", false, err
	}
	defer s.lockWrites()()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return "", false, fmt.Errorf("store: reserve incident ID: begin: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	if requestKey != "" {
		// Claim the key first: on PostgreSQL a concurrent claim of the same
		// key waits here until this transaction ends, then finds our ID.
		res, err := tx.ExecContext(ctx, s.q(`INSERT INTO incident_id_requests (request_key, prefix, incident_id, created_at) VALUES (?, ?, '', ?) ON CONFLICT (request_key) DO NOTHING`),
			requestKey, prefix, s.timeArg(time.Now()))
		if err != nil {
			return "", false, fmt.Errorf("store: reserve incident ID: claim request key: %w", err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return "", false, fmt.Errorf("store: reserve incident ID: %w", err)
		}
		if n == 0 {
			var id string
			if err := tx.QueryRowContext(ctx, s.q(`SELECT incident_id FROM incident_id_requests WHERE request_key = ?`), requestKey).Scan(&id); err != nil {
				return "", false, fmt.Errorf("store: reserve incident ID: read request key: %w", err)
			}
			return id, false, nil
		}
	}
	var n int64
	if err := tx.QueryRowContext(ctx, s.q(`INSERT INTO incident_id_counters (prefix, last_value) VALUES (?, 1)
		ON CONFLICT (prefix) DO UPDATE SET last_value = incident_id_counters.last_value + 1 RETURNING last_value`), prefix).Scan(&n); err != nil {
		return "", false, fmt.Errorf("store: reserve incident ID: next number: %w", err)
	}
	id := fmt.Sprintf("%s-%04d", prefix, n)
	if requestKey != "" {
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE incident_id_requests SET incident_id = ? WHERE request_key = ?`), id, requestKey); err != nil {
			return "", false, fmt.Errorf("store: reserve incident ID: record request key: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return "", false, fmt.Errorf("store: reserve incident ID: commit: %w", err)
	}
	return id, true, nil
}

// ---- incident index ----

const incidentColumns = "id, title, severity, mode, status, phase, declared_by, workflow_id, declared_at, updated_at, slack_channel"

func (s *sqlStore) UpsertIncident(ctx context.Context, inc Incident) error {
	defer s.lockWrites()()
	return s.upsertIncident(ctx, s.db, inc)
}

// upsertIncident is UpsertIncident's write, on ex.
func (s *sqlStore) upsertIncident(ctx context.Context, ex dbtx, inc Incident) error {
	if err := checkText("incident ID", inc.ID, true); err != nil {
		return err
	}
	for _, v := range []string{inc.Title, inc.Severity, inc.Mode, inc.Status, inc.Phase, inc.DeclaredBy, inc.WorkflowID, inc.SlackChannel} {
		if err := checkText("incident field", v, false); err != nil {
			return err
		}
	}
	now := time.Now()
	if inc.UpdatedAt.IsZero() {
		inc.UpdatedAt = now
	}
	keepDeclared := inc.DeclaredAt.IsZero()
	if keepDeclared {
		inc.DeclaredAt = now
	}
	set := `title = excluded.title, severity = excluded.severity, mode = excluded.mode, status = excluded.status,
		phase = excluded.phase, declared_by = excluded.declared_by, workflow_id = excluded.workflow_id, updated_at = excluded.updated_at,
		slack_channel = CASE WHEN excluded.slack_channel = '' THEN incidents.slack_channel ELSE excluded.slack_channel END`
	if !keepDeclared {
		set += `, declared_at = excluded.declared_at`
	}
	_, err := ex.ExecContext(ctx, s.q(`INSERT INTO incidents (`+incidentColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET `+set+` WHERE excluded.updated_at >= incidents.updated_at`),
		inc.ID, inc.Title, inc.Severity, inc.Mode, inc.Status, inc.Phase, inc.DeclaredBy, inc.WorkflowID, s.timeArg(inc.DeclaredAt), s.timeArg(inc.UpdatedAt), inc.SlackChannel)
	if err != nil {
		return fmt.Errorf("store: upsert incident %s: %w", inc.ID, err)
	}
	return nil
}

func scanIncident(row interface{ Scan(...any) error }) (Incident, error) {
	var inc Incident
	var declared, updated dbTime
	if err := row.Scan(&inc.ID, &inc.Title, &inc.Severity, &inc.Mode, &inc.Status, &inc.Phase, &inc.DeclaredBy, &inc.WorkflowID, &declared, &updated, &inc.SlackChannel); err != nil {
		return inc, err
	}
	inc.DeclaredAt, inc.UpdatedAt = declared.t, updated.t
	return inc, nil
}

func (s *sqlStore) GetIncident(ctx context.Context, id string) (Incident, error) {
	inc, err := scanIncident(s.db.QueryRowContext(ctx, s.q(`SELECT `+incidentColumns+` FROM incidents WHERE id = ?`), id))
	if errors.Is(err, sql.ErrNoRows) {
		return Incident{}, fmt.Errorf("%w: incident %s", ErrNotFound, id)
	}
	if err != nil {
		return Incident{}, fmt.Errorf("store: get incident %s: %w", id, err)
	}
	return inc, nil
}

func (s *sqlStore) ListIncidents(ctx context.Context) ([]Incident, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT `+incidentColumns+` FROM incidents ORDER BY declared_at DESC, id DESC`)
	if err != nil {
		return nil, fmt.Errorf("store: list incidents: %w", err)
	}
	defer rows.Close()
	out := []Incident{}
	for rows.Next() {
		inc, err := scanIncident(rows)
		if err != nil {
			return nil, fmt.Errorf("store: list incidents: %w", err)
		}
		out = append(out, inc)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: list incidents: %w", err)
	}
	return out, nil
}

func (s *sqlStore) IncidentByChannel(ctx context.Context, channelID string) (Incident, error) {
	if channelID == "" {
		return Incident{}, fmt.Errorf("%w: no channel given", ErrNotFound)
	}
	inc, err := scanIncident(s.db.QueryRowContext(ctx, s.q(`SELECT `+incidentColumns+` FROM incidents WHERE slack_channel = ? ORDER BY declared_at DESC LIMIT 1`), channelID))
	if errors.Is(err, sql.ErrNoRows) {
		return Incident{}, fmt.Errorf("%w: no incident in channel %s", ErrNotFound, channelID)
	}
	if err != nil {
		return Incident{}, fmt.Errorf("store: incident by channel: %w", err)
	}
	return inc, nil
}

// ---- notification register ----

const registerColumns = `id, incident_id, kind, regime, obligation, recipient, to_addrs, status, due_at, sent_at, on_time,
	late_reason, reference, message_id, content_hash, decided_by, rationale, recorded_at, language`

func (s *sqlStore) PutRegister(ctx context.Context, r RegisterEntry) error {
	defer s.lockWrites()()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: put register entry %s: %w", r.ID, err)
	}
	defer func() { _ = tx.Rollback() }()
	if err := s.putRegister(ctx, tx, r); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: put register entry %s: %w", r.ID, err)
	}
	return nil
}

// putRegister is PutRegister's write, inside the caller's transaction.
func (s *sqlStore) putRegister(ctx context.Context, tx *sql.Tx, r RegisterEntry) error {
	if err := checkText("register entry ID", r.ID, true); err != nil {
		return err
	}
	if err := checkText("register entry incident ID", r.IncidentID, true); err != nil {
		return err
	}
	if r.Kind != RegisterNotice && r.Kind != RegisterNotNotified {
		return invalid("register entry %s: kind %q is neither %q nor %q", r.ID, r.Kind, RegisterNotice, RegisterNotNotified)
	}
	for _, v := range append([]string{r.Regime, r.Obligation, r.Recipient, r.Status, r.LateReason, r.Reference,
		r.MessageID, r.ContentHash, r.DecidedBy, r.Rationale, r.Language}, r.To...) {
		if err := checkText("register entry field", v, false); err != nil {
			return err
		}
	}
	for _, f := range []struct{ name, v string }{{"rationale", r.Rationale}, {"late reason", r.LateReason}} {
		// With keys every text is sealed, whatever it starts with; without,
		// text kept in clear must not look sealed to a later process that
		// has keys.
		if s.ring == nil && strings.HasPrefix(f.v, sealedTextPrefix) {
			return invalid("register entry %s: the %s may not start with %q (the mark of sealed text)", r.ID, f.name, sealedTextPrefix)
		}
	}
	to := r.To
	if to == nil {
		to = []string{}
	}
	toJSON, err := json.Marshal(to)
	if err != nil {
		return fmt.Errorf("store: put register entry %s: %w", r.ID, err)
	}
	keepRecorded := r.RecordedAt.IsZero()
	if keepRecorded {
		r.RecordedAt = time.Now()
	}
	var onTime any
	if r.OnTime != nil {
		onTime = *r.OnTime
	}
	set := `incident_id = excluded.incident_id, kind = excluded.kind, regime = excluded.regime, obligation = excluded.obligation,
		recipient = excluded.recipient, to_addrs = excluded.to_addrs, status = excluded.status, due_at = excluded.due_at,
		sent_at = excluded.sent_at, on_time = excluded.on_time, late_reason = excluded.late_reason, reference = excluded.reference,
		message_id = excluded.message_id, content_hash = excluded.content_hash, decided_by = excluded.decided_by,
		rationale = excluded.rationale, language = excluded.language`
	if !keepRecorded {
		set += `, recorded_at = excluded.recorded_at`
	}
	lateReason, rationale, toAddrs := r.LateReason, r.Rationale, string(toJSON)
	if s.ring != nil && (lateReason != "" || rationale != "" || len(r.To) > 0) {
		// Free text a person typed, and the addresses a notice went to (a
		// notice to individuals names data subjects): sealed with the
		// incident's data key (crypt.go), as the timeline events that
		// quote them are. RegisterHash stays over the plain row, so verify
		// checks it wherever the events that vouch for the row can be read.
		k, err := s.dataKey(ctx, tx, r.IncidentID, true)
		if err != nil {
			return fmt.Errorf("store: put register entry %s: %w", r.ID, err)
		}
		if len(r.To) > 0 {
			if toAddrs, err = sealText(k, toAddrs, registerAAD(r.IncidentID, r.ID, "to_addrs")); err != nil {
				return fmt.Errorf("store: put register entry %s: %w", r.ID, err)
			}
		}
		if lateReason, err = sealText(k, lateReason, registerAAD(r.IncidentID, r.ID, "late_reason")); err != nil {
			return fmt.Errorf("store: put register entry %s: %w", r.ID, err)
		}
		if rationale, err = sealText(k, rationale, registerAAD(r.IncidentID, r.ID, "rationale")); err != nil {
			return fmt.Errorf("store: put register entry %s: %w", r.ID, err)
		}
	}
	_, err = tx.ExecContext(ctx, s.q(`INSERT INTO register_entries (`+registerColumns+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET `+set),
		r.ID, r.IncidentID, r.Kind, r.Regime, r.Obligation, r.Recipient, toAddrs, r.Status,
		s.nullTimeArg(r.DueAt), s.nullTimeArg(r.SentAt), onTime,
		lateReason, r.Reference, r.MessageID, r.ContentHash, r.DecidedBy, rationale, s.timeArg(r.RecordedAt), r.Language)
	if err != nil {
		return fmt.Errorf("store: put register entry %s: %w", r.ID, err)
	}
	return nil
}

func (s *sqlStore) ListRegister(ctx context.Context) ([]RegisterEntry, error) {
	return s.listRegister(ctx, s.db, "", false)
}

// listRegister lists every entry, or only incidentID's when it is set,
// with sealed free text opened. A sealed field that does not open is an
// error, unless asStored is set (verify): then it keeps its stored form,
// whose hash then differs from what the chain recorded.
func (s *sqlStore) listRegister(ctx context.Context, q querier, incidentID string, asStored bool) ([]RegisterEntry, error) {
	query, args := `SELECT `+registerColumns+` FROM register_entries ORDER BY recorded_at, id`, []any{}
	if incidentID != "" {
		query, args = `SELECT `+registerColumns+` FROM register_entries WHERE incident_id = ? ORDER BY recorded_at, id`, []any{incidentID}
	}
	rows, err := q.QueryContext(ctx, s.q(query), args...)
	if err != nil {
		return nil, fmt.Errorf("store: list register: %w", err)
	}
	defer rows.Close()
	out := []RegisterEntry{}
	var toStored []string // to_addrs as stored: JSON, or sealed JSON
	for rows.Next() {
		var r RegisterEntry
		var toJSON string
		var due, sent, recorded dbTime
		var onTime sql.NullBool
		if err := rows.Scan(&r.ID, &r.IncidentID, &r.Kind, &r.Regime, &r.Obligation, &r.Recipient, &toJSON, &r.Status,
			&due, &sent, &onTime, &r.LateReason, &r.Reference, &r.MessageID, &r.ContentHash, &r.DecidedBy, &r.Rationale, &recorded, &r.Language); err != nil {
			return nil, fmt.Errorf("store: list register: %w", err)
		}
		toStored = append(toStored, toJSON)
		r.DueAt, r.SentAt, r.RecordedAt = due.ptr(), sent.ptr(), recorded.t
		if onTime.Valid {
			b := onTime.Bool
			r.OnTime = &b
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: list register: %w", err)
	}
	// Closed before opening: the data key look-up may need q's connection.
	if err := rows.Close(); err != nil {
		return nil, fmt.Errorf("store: list register: %w", err)
	}
	for i := range out {
		r := &out[i]
		toJSON, err := s.openText(ctx, q, r.IncidentID, toStored[i], registerAAD(r.IncidentID, r.ID, "to_addrs"))
		switch {
		case errors.Is(err, errSealedText) && asStored:
			r.To = []string{toStored[i]}
		case err != nil:
			return nil, fmt.Errorf("store: list register: entry %s recipients: %w", r.ID, err)
		case toJSON == "": // erased
		default:
			if err := json.Unmarshal([]byte(toJSON), &r.To); err != nil {
				return nil, fmt.Errorf("store: list register: entry %s recipients: %w", r.ID, err)
			}
		}
		if len(r.To) == 0 {
			r.To = nil
		}
		for _, f := range []struct {
			name string
			v    *string
		}{{"late_reason", &r.LateReason}, {"rationale", &r.Rationale}} {
			plain, err := s.openText(ctx, q, r.IncidentID, *f.v, registerAAD(r.IncidentID, r.ID, f.name))
			switch {
			case errors.Is(err, errSealedText) && asStored:
			case err != nil:
				return nil, fmt.Errorf("store: list register: entry %s %s: %w", r.ID, f.name, err)
			default:
				*f.v = plain
			}
		}
	}
	return out, nil
}

// ---- lifecycle ----

// Ping reads the schema version table, so it fails when the database is
// unreachable or not this store's.
func (s *sqlStore) Ping(ctx context.Context) error {
	var n int
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations`).Scan(&n); err != nil {
		return fmt.Errorf("store: ping %s: %w", s.d, err)
	}
	return nil
}

func (s *sqlStore) Close() error { return s.db.Close() }

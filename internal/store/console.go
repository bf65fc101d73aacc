package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// ConsoleStore keeps what the web console needs beyond the timeline:
// sessions, single-use sign-in links, the record of sign-ins, and a paged,
// filtered incident list.
type ConsoleStore interface {
	// SessionFind returns an unexpired session's data (found=false when
	// there is none), SessionCommit inserts or replaces it, SessionDelete
	// removes it: the contract of github.com/alexedwards/scs/v2's Store.
	SessionFind(ctx context.Context, token string) (data []byte, found bool, err error)
	SessionCommit(ctx context.Context, token string, data []byte, expiry time.Time) error
	SessionDelete(ctx context.Context, token string) error
	// SessionsDeleteExpired removes every session past its expiry.
	SessionsDeleteExpired(ctx context.Context) (int64, error)

	// CreateLoginLink stores a new single-use link (by its hash only).
	CreateLoginLink(ctx context.Context, l LoginLink) error
	// LoginLink reads a link by its hash (ErrNotFound).
	LoginLink(ctx context.Context, tokenHash string) (LoginLink, error)
	// ConsumeLoginLink marks an unused, unexpired link used in one UPDATE,
	// so of two concurrent uses exactly one wins. ErrNotFound when the link
	// is unknown, used or expired (LoginLink tells which).
	ConsumeLoginLink(ctx context.Context, tokenHash string, now time.Time, from string) (LoginLink, error)

	// RecordSignIn appends one sign-in attempt; ListSignIns returns the
	// newest first.
	RecordSignIn(ctx context.Context, s SignIn) error
	ListSignIns(ctx context.Context, limit int) ([]SignIn, error)

	// ListIncidentsPage lists incidents with filters, newest declared first,
	// one page at a time, with the total that match.
	ListIncidentsPage(ctx context.Context, f IncidentFilter) (IncidentPage, error)
}

// LoginLink is a single-use console sign-in link. The secret itself is
// never stored, only its SHA-256.
type LoginLink struct {
	TokenHash string     `json:"-"`
	UserID    string     `json:"user_id"`
	CreatedBy string     `json:"created_by"`
	CreatedAt time.Time  `json:"created_at"`
	ExpiresAt time.Time  `json:"expires_at"`
	UsedAt    *time.Time `json:"used_at,omitempty"`
	UsedFrom  string     `json:"used_from,omitempty"`
}

// SignIn is one console sign-in attempt.
type SignIn struct {
	At     time.Time `json:"at"`
	UserID string    `json:"user_id"`
	Method string    `json:"method"` // link, token, proxy
	OK     bool      `json:"ok"`
	Remote string    `json:"remote"`
	Reason string    `json:"reason,omitempty"`
}

// IncidentFilter selects a page of incidents. Empty fields do not filter.
type IncidentFilter struct {
	Mode     string
	Status   string
	Severity string
	// Regime keeps incidents declared with this regime id.
	Regime string
	// From and To bound the declaration time: From inclusive, To exclusive.
	From, To *time.Time
	Limit    int // default 50, at most 500
	Offset   int
}

// IncidentPage is one page of incidents and how many match in all.
type IncidentPage struct {
	Incidents []Incident `json:"incidents"`
	Total     int        `json:"total"`
}

var _ ConsoleStore = (*sqlStore)(nil)

func (s *sqlStore) SessionFind(ctx context.Context, token string) ([]byte, bool, error) {
	var data []byte
	err := s.db.QueryRowContext(ctx, s.q(`SELECT data FROM console_sessions WHERE token = ? AND expiry > ?`), token, s.timeArg(time.Now())).Scan(&data)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, fmt.Errorf("store: find session: %w", err)
	}
	return data, true, nil
}

func (s *sqlStore) SessionCommit(ctx context.Context, token string, data []byte, expiry time.Time) error {
	defer s.lockWrites()()
	_, err := s.db.ExecContext(ctx, s.q(`INSERT INTO console_sessions (token, data, expiry) VALUES (?, ?, ?)
		ON CONFLICT (token) DO UPDATE SET data = excluded.data, expiry = excluded.expiry`), token, data, s.timeArg(expiry))
	if err != nil {
		return fmt.Errorf("store: commit session: %w", err)
	}
	return nil
}

func (s *sqlStore) SessionDelete(ctx context.Context, token string) error {
	defer s.lockWrites()()
	if _, err := s.db.ExecContext(ctx, s.q(`DELETE FROM console_sessions WHERE token = ?`), token); err != nil {
		return fmt.Errorf("store: delete session: %w", err)
	}
	return nil
}

func (s *sqlStore) SessionsDeleteExpired(ctx context.Context) (int64, error) {
	defer s.lockWrites()()
	res, err := s.db.ExecContext(ctx, s.q(`DELETE FROM console_sessions WHERE expiry <= ?`), s.timeArg(time.Now()))
	if err != nil {
		return 0, fmt.Errorf("store: delete expired sessions: %w", err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}

const loginLinkColumns = "token_hash, user_id, created_by, created_at, expires_at, used_at, used_from"

func scanLoginLink(row interface{ Scan(...any) error }) (LoginLink, error) {
	var l LoginLink
	var created, expires, used dbTime
	if err := row.Scan(&l.TokenHash, &l.UserID, &l.CreatedBy, &created, &expires, &used, &l.UsedFrom); err != nil {
		return l, err
	}
	l.CreatedAt, l.ExpiresAt, l.UsedAt = created.t, expires.t, used.ptr()
	return l, nil
}

func (s *sqlStore) CreateLoginLink(ctx context.Context, l LoginLink) error {
	for _, f := range []struct{ name, v string }{{"link hash", l.TokenHash}, {"user", l.UserID}} {
		if err := checkText(f.name, f.v, true); err != nil {
			return err
		}
	}
	if err := checkText("created_by", l.CreatedBy, false); err != nil {
		return err
	}
	if l.CreatedAt.IsZero() {
		l.CreatedAt = time.Now()
	}
	if !l.ExpiresAt.After(l.CreatedAt) {
		return invalid("a sign-in link must expire after it is created")
	}
	defer s.lockWrites()()
	_, err := s.db.ExecContext(ctx, s.q(`INSERT INTO console_login_links (token_hash, user_id, created_by, created_at, expires_at, used_from)
		VALUES (?, ?, ?, ?, ?, '')`), l.TokenHash, l.UserID, l.CreatedBy, s.timeArg(l.CreatedAt), s.timeArg(l.ExpiresAt))
	if err != nil {
		return fmt.Errorf("store: create sign-in link: %w", err)
	}
	return nil
}

func (s *sqlStore) LoginLink(ctx context.Context, tokenHash string) (LoginLink, error) {
	l, err := scanLoginLink(s.db.QueryRowContext(ctx, s.q(`SELECT `+loginLinkColumns+` FROM console_login_links WHERE token_hash = ?`), tokenHash))
	if errors.Is(err, sql.ErrNoRows) {
		return LoginLink{}, fmt.Errorf("%w: no such sign-in link", ErrNotFound)
	}
	if err != nil {
		return LoginLink{}, fmt.Errorf("store: read sign-in link: %w", err)
	}
	return l, nil
}

func (s *sqlStore) ConsumeLoginLink(ctx context.Context, tokenHash string, now time.Time, from string) (LoginLink, error) {
	if err := checkText("remote address", from, false); err != nil {
		return LoginLink{}, err
	}
	defer s.lockWrites()()
	l, err := scanLoginLink(s.db.QueryRowContext(ctx, s.q(`UPDATE console_login_links SET used_at = ?, used_from = ?
		WHERE token_hash = ? AND used_at IS NULL AND expires_at > ?
		RETURNING `+loginLinkColumns), s.timeArg(now), from, tokenHash, s.timeArg(now)))
	if errors.Is(err, sql.ErrNoRows) {
		return LoginLink{}, fmt.Errorf("%w: the sign-in link is unknown, used or expired", ErrNotFound)
	}
	if err != nil {
		return LoginLink{}, fmt.Errorf("store: consume sign-in link: %w", err)
	}
	return l, nil
}

func (s *sqlStore) RecordSignIn(ctx context.Context, si SignIn) error {
	for _, v := range []string{si.UserID, si.Method, si.Remote, si.Reason} {
		if err := checkText("sign-in field", v, false); err != nil {
			return err
		}
	}
	if si.At.IsZero() {
		si.At = time.Now()
	}
	ok := 0
	if si.OK {
		ok = 1
	}
	defer s.lockWrites()()
	_, err := s.db.ExecContext(ctx, s.q(`INSERT INTO console_sign_ins (at, user_id, method, ok, remote, reason) VALUES (?, ?, ?, ?, ?, ?)`),
		s.timeArg(si.At), si.UserID, si.Method, ok, si.Remote, si.Reason)
	if err != nil {
		return fmt.Errorf("store: record sign-in: %w", err)
	}
	return nil
}

func (s *sqlStore) ListSignIns(ctx context.Context, limit int) ([]SignIn, error) {
	if limit <= 0 || limit > 1000 {
		limit = 200
	}
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT at, user_id, method, ok, remote, reason FROM console_sign_ins ORDER BY id DESC LIMIT ?`), limit)
	if err != nil {
		return nil, fmt.Errorf("store: list sign-ins: %w", err)
	}
	defer rows.Close()
	out := []SignIn{}
	for rows.Next() {
		var si SignIn
		var at dbTime
		var ok int
		if err := rows.Scan(&at, &si.UserID, &si.Method, &ok, &si.Remote, &si.Reason); err != nil {
			return nil, fmt.Errorf("store: list sign-ins: %w", err)
		}
		si.At, si.OK = at.t, ok == 1
		out = append(out, si)
	}
	return out, rows.Err()
}

func (s *sqlStore) ListIncidentsPage(ctx context.Context, f IncidentFilter) (IncidentPage, error) {
	if f.Limit <= 0 {
		f.Limit = 50
	}
	f.Limit = min(f.Limit, 500)
	f.Offset = max(f.Offset, 0)
	var where []string
	var args []any
	for _, c := range []struct{ col, v string }{{"mode", f.Mode}, {"status", f.Status}, {"severity", f.Severity}} {
		if c.v != "" {
			where = append(where, c.col+" = ?")
			args = append(args, c.v)
		}
	}
	if f.From != nil {
		where = append(where, "declared_at >= ?")
		args = append(args, s.timeArg(*f.From))
	}
	if f.To != nil {
		where = append(where, "declared_at < ?")
		args = append(args, s.timeArg(*f.To))
	}
	if f.Regime != "" {
		// Regimes are fixed at declaration and written in the first
		// timeline event as canonical JSON: "regimes":["eu-gdpr",...].
		if strings.ContainsAny(f.Regime, `"%_\`) {
			return IncidentPage{}, invalid("regime %q is not a regime id", f.Regime)
		}
		if s.ring != nil {
			// The event's data is sealed: the database cannot look
			// inside it, so the regimes are read here.
			return s.listIncidentsByRegime(ctx, f, where, args)
		}
		where = append(where, `EXISTS (SELECT 1 FROM timeline_events e WHERE e.incident_id = incidents.id AND e.seq = 1 AND e.data LIKE ?)`)
		args = append(args, `%"regimes":[%"`+f.Regime+`"%`)
	}
	cond := ""
	if len(where) > 0 {
		cond = " WHERE " + strings.Join(where, " AND ")
	}
	var page IncidentPage
	if err := s.db.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM incidents`+cond), args...).Scan(&page.Total); err != nil {
		return IncidentPage{}, fmt.Errorf("store: count incidents: %w", err)
	}
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT `+incidentColumns+` FROM incidents`+cond+` ORDER BY declared_at DESC, id DESC LIMIT ? OFFSET ?`),
		append(args, f.Limit, f.Offset)...)
	if err != nil {
		return IncidentPage{}, fmt.Errorf("store: list incidents: %w", err)
	}
	defer rows.Close()
	page.Incidents = []Incident{}
	for rows.Next() {
		inc, err := scanIncident(rows)
		if err != nil {
			return IncidentPage{}, fmt.Errorf("store: list incidents: %w", err)
		}
		page.Incidents = append(page.Incidents, inc)
	}
	return page, rows.Err()
}

// listIncidentsByRegime is ListIncidentsPage's regime filter for a store
// that seals event data: it reads each candidate's declaration (decrypted)
// and pages the ones declared with f.Regime.
func (s *sqlStore) listIncidentsByRegime(ctx context.Context, f IncidentFilter, where []string, args []any) (IncidentPage, error) {
	cond := ""
	if len(where) > 0 {
		cond = " WHERE " + strings.Join(where, " AND ")
	}
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT `+incidentColumns+` FROM incidents`+cond+` ORDER BY declared_at DESC, id DESC`), args...)
	if err != nil {
		return IncidentPage{}, fmt.Errorf("store: list incidents: %w", err)
	}
	var all []Incident
	for rows.Next() {
		inc, err := scanIncident(rows)
		if err != nil {
			_ = rows.Close()
			return IncidentPage{}, fmt.Errorf("store: list incidents: %w", err)
		}
		all = append(all, inc)
	}
	if err := rows.Close(); err != nil {
		return IncidentPage{}, fmt.Errorf("store: list incidents: %w", err)
	}
	page := IncidentPage{Incidents: []Incident{}}
	for _, inc := range all {
		var e Event
		var raw string
		err := s.db.QueryRowContext(ctx, s.q(`SELECT event_key, data FROM timeline_events WHERE incident_id = ? AND seq = 1`), inc.ID).Scan(&e.Key, &raw)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return IncidentPage{}, fmt.Errorf("store: list incidents: %w", err)
		}
		e.IncidentID, e.Seq, e.Data = inc.ID, 1, json.RawMessage(raw)
		data, err := s.openEvent(ctx, s.db, e)
		if err != nil {
			return IncidentPage{}, fmt.Errorf("store: list incidents: %w", err)
		}
		var d struct {
			Regimes []string `json:"regimes"`
		}
		if json.Unmarshal(data, &d) != nil || !slices.Contains(d.Regimes, f.Regime) {
			continue
		}
		if page.Total >= f.Offset && len(page.Incidents) < f.Limit {
			page.Incidents = append(page.Incidents, inc)
		}
		page.Total++
	}
	return page, nil
}

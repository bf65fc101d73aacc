package store

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"time"
)

// NoticeAttempt is one SMTP attempt of a notice, as the store keeps it:
// the outcome beside the SHA-256 of the exact bytes handed to the server.
type NoticeAttempt struct {
	N         int        `json:"n"`
	Revision  int        `json:"revision"`
	MessageID string     `json:"message_id"`
	RawSHA256 string     `json:"raw_sha256"`
	Size      int        `json:"size"`
	StoredAt  time.Time  `json:"stored_at"`
	At        *time.Time `json:"at"`      // when the outcome was known; nil while in flight
	Outcome   string     `json:"outcome"` // "" while in flight, else delivered, temporary, permanent, recorded
	Code      int        `json:"code,omitempty"`
	Stage     string     `json:"stage,omitempty"`
	Uncertain bool       `json:"uncertain,omitempty"`
	Error     string     `json:"error,omitempty"`
	Server    string     `json:"server,omitempty"`
}

// NoticeMessage is the exact email of one notice: the RFC 5322 bytes of the
// attempt that was delivered (or, when none was, of the latest attempt),
// and every attempt made.
type NoticeMessage struct {
	IncidentID string `json:"incident_id"`
	NoticeID   string `json:"notice_id"`
	Attempt    int    `json:"attempt"` // the attempt whose bytes Raw holds
	Revision   int    `json:"revision"`
	MessageID  string `json:"message_id"`
	// ContentHash is the notice's content hash (subject, text, HTML) as the
	// timeline carries it; RawSHA256 is the hex SHA-256 of Raw.
	ContentHash string          `json:"content_hash"`
	RawSHA256   string          `json:"raw_sha256"`
	Raw         []byte          `json:"-"`
	Delivered   bool            `json:"delivered"`
	Attempts    []NoticeAttempt `json:"attempts"`
}

// MaxNoticeMessageBytes bounds one stored message (attachments are not
// sent; a notice is text and HTML).
const MaxNoticeMessageBytes = 10 << 20

// NoticeStore keeps the exact messages sent for notices, and the
// installation's identity that makes their Message-IDs unique.
type NoticeStore interface {
	// InstallationID is this installation's random ID, created when the
	// store was first opened and never changed.
	InstallationID(ctx context.Context) (string, error)
	// PutNoticeMessage stores the bytes of attempt a.N of a notice before
	// they are handed to SMTP. Repeating it with the same bytes is a no-op;
	// different bytes replace an attempt whose outcome is not yet recorded
	// and are refused (ErrKeyConflict) once it is.
	PutNoticeMessage(ctx context.Context, incidentID, noticeID, contentHash string, a NoticeAttempt, raw []byte) error
	// RecordNoticeAttempt records the outcome of a stored attempt
	// (a.N; Outcome, At, Code, Stage, Uncertain, Error, Server). ErrNotFound
	// when the attempt's bytes were never stored.
	RecordNoticeAttempt(ctx context.Context, incidentID, noticeID string, a NoticeAttempt) error
	// NoticeMessage returns the notice's message: the delivered attempt's
	// bytes, or the latest attempt's when none was delivered. ErrNotFound
	// when no attempt was stored.
	NoticeMessage(ctx context.Context, incidentID, noticeID string) (NoticeMessage, error)
	// NoticeMessages returns NoticeMessage for each notice of the incident
	// that has a stored attempt, by notice ID.
	NoticeMessages(ctx context.Context, incidentID string) ([]NoticeMessage, error)
}

var _ NoticeStore = (*sqlStore)(nil)

// RawSHA256 is the hex SHA-256 of a stored message's bytes.
func RawSHA256(raw []byte) string {
	sum := sha256.Sum256(raw)
	return hex.EncodeToString(sum[:])
}

// ensureInstallation creates the installation row on first open.
func (s *sqlStore) ensureInstallation(ctx context.Context) error {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return fmt.Errorf("installation ID: %w", err)
	}
	defer s.lockWrites()()
	_, err := s.db.ExecContext(ctx, s.q(`INSERT INTO installation (singleton, installation_id, created_at) VALUES (1, ?, ?) ON CONFLICT (singleton) DO NOTHING`),
		hex.EncodeToString(b[:]), s.timeArg(time.Now()))
	if err != nil {
		return fmt.Errorf("installation ID: %w", err)
	}
	return nil
}

func (s *sqlStore) InstallationID(ctx context.Context) (string, error) {
	var id string
	if err := s.db.QueryRowContext(ctx, `SELECT installation_id FROM installation WHERE singleton = 1`).Scan(&id); err != nil {
		return "", fmt.Errorf("store: installation ID: %w", err)
	}
	return id, nil
}

func (s *sqlStore) PutNoticeMessage(ctx context.Context, incidentID, noticeID, contentHash string, a NoticeAttempt, raw []byte) error {
	for _, f := range []struct{ n, v string }{{"incident ID", incidentID}, {"notice ID", noticeID}, {"Message-ID", a.MessageID}} {
		if err := checkText(f.n, f.v, true); err != nil {
			return err
		}
	}
	if err := checkText("content hash", contentHash, false); err != nil {
		return err
	}
	if a.N <= 0 {
		return invalid("notice %s: attempt number %d is not positive", noticeID, a.N)
	}
	if len(raw) == 0 {
		return invalid("notice %s attempt %d: the message is empty", noticeID, a.N)
	}
	if len(raw) > MaxNoticeMessageBytes {
		return invalid("notice %s attempt %d: the message is %d bytes, over the %d-byte limit", noticeID, a.N, len(raw), MaxNoticeMessageBytes)
	}
	sum := RawSHA256(raw)
	defer s.lockWrites()()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("store: put notice message: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	var oldSum, outcome string
	err = tx.QueryRowContext(ctx, s.q(`SELECT raw_sha256, outcome FROM notice_messages WHERE incident_id = ? AND notice_id = ? AND attempt = ?`+s.forUpdate()),
		incidentID, noticeID, a.N).Scan(&oldSum, &outcome)
	switch {
	case err == nil && oldSum == sum:
		return nil
	case err == nil && outcome != "":
		return fmt.Errorf("%w: notice %s attempt %d already has an outcome (%s) for other bytes", ErrKeyConflict, noticeID, a.N, outcome)
	case err == nil:
		_, err = tx.ExecContext(ctx, s.q(`DELETE FROM notice_messages WHERE incident_id = ? AND notice_id = ? AND attempt = ?`), incidentID, noticeID, a.N)
		if err != nil {
			return fmt.Errorf("store: put notice message: %w", err)
		}
	case !errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("store: put notice message: %w", err)
	}
	if s.ring != nil {
		// The exact bytes are personal data (names, addresses, the text):
		// sealed with the incident's data key (crypt.go); raw_sha256 stays
		// the digest of the plain bytes.
		k, err := s.dataKey(ctx, tx, incidentID, true)
		if err != nil {
			return fmt.Errorf("store: put notice message: %w", err)
		}
		if raw, err = sealBlob(k, raw, noticeAAD(incidentID, noticeID, a.N)); err != nil {
			return fmt.Errorf("store: put notice message: %w", err)
		}
	}
	if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO notice_messages
		(incident_id, notice_id, attempt, revision, message_id, content_hash, raw_sha256, raw, stored_at, outcome, code, stage, uncertain, error, server, attempted_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, '', 0, '', 0, '', '', NULL)`),
		incidentID, noticeID, a.N, a.Revision, a.MessageID, contentHash, sum, raw, s.timeArg(time.Now())); err != nil {
		return fmt.Errorf("store: put notice message: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("store: put notice message: %w", err)
	}
	return nil
}

func (s *sqlStore) RecordNoticeAttempt(ctx context.Context, incidentID, noticeID string, a NoticeAttempt) error {
	if a.Outcome == "" {
		return invalid("notice %s attempt %d: outcome is required", noticeID, a.N)
	}
	for _, v := range []string{a.Outcome, a.Stage, a.Error, a.Server} {
		if err := checkText("notice attempt field", v, false); err != nil {
			return err
		}
	}
	at := time.Now()
	if a.At != nil {
		at = *a.At
	}
	uncertain := 0
	if a.Uncertain {
		uncertain = 1
	}
	defer s.lockWrites()()
	res, err := s.db.ExecContext(ctx, s.q(`UPDATE notice_messages SET outcome = ?, code = ?, stage = ?, uncertain = ?, error = ?, server = ?, attempted_at = ?
		WHERE incident_id = ? AND notice_id = ? AND attempt = ?`),
		a.Outcome, a.Code, a.Stage, uncertain, a.Error, a.Server, s.timeArg(at), incidentID, noticeID, a.N)
	if err != nil {
		return fmt.Errorf("store: record notice attempt: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("%w: notice %s of %s has no stored attempt %d", ErrNotFound, noticeID, incidentID, a.N)
	}
	return nil
}

type noticeRow struct {
	incidentID, noticeID, contentHash string
	raw                               []byte
	a                                 NoticeAttempt
}

func (s *sqlStore) noticeRows(ctx context.Context, q querier, incidentID, noticeID string) ([]noticeRow, error) {
	query := `SELECT incident_id, notice_id, attempt, revision, message_id, content_hash, raw_sha256, raw, stored_at, outcome, code, stage, uncertain, error, server, attempted_at
		FROM notice_messages WHERE incident_id = ?`
	args := []any{incidentID}
	if noticeID != "" {
		query += ` AND notice_id = ?`
		args = append(args, noticeID)
	}
	rows, err := q.QueryContext(ctx, s.q(query+` ORDER BY notice_id, attempt`), args...)
	if err != nil {
		return nil, fmt.Errorf("store: notice messages of %s: %w", incidentID, err)
	}
	defer rows.Close()
	var out []noticeRow
	for rows.Next() {
		var r noticeRow
		var stored, at dbTime
		var uncertain int
		if err := rows.Scan(&r.incidentID, &r.noticeID, &r.a.N, &r.a.Revision, &r.a.MessageID, &r.contentHash, &r.a.RawSHA256, &r.raw,
			&stored, &r.a.Outcome, &r.a.Code, &r.a.Stage, &uncertain, &r.a.Error, &r.a.Server, &at); err != nil {
			return nil, fmt.Errorf("store: notice messages of %s: %w", incidentID, err)
		}
		if r.raw, err = s.openBlob(ctx, q, r.incidentID, r.raw, noticeAAD(r.incidentID, r.noticeID, r.a.N)); err != nil {
			return nil, fmt.Errorf("store: notice messages of %s: %w", incidentID, err)
		}
		r.a.StoredAt, r.a.At, r.a.Uncertain, r.a.Size = stored.t, at.ptr(), uncertain != 0, len(r.raw)
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: notice messages of %s: %w", incidentID, err)
	}
	return out, nil
}

// noticeMessages groups rows (ordered by notice, attempt) into messages.
func noticeMessages(rows []noticeRow) []NoticeMessage {
	var out []NoticeMessage
	for i := 0; i < len(rows); {
		j := i
		for j < len(rows) && rows[j].noticeID == rows[i].noticeID {
			j++
		}
		pick := j - 1
		for k := i; k < j; k++ {
			if rows[k].a.Outcome == "delivered" {
				pick = k
				break
			}
		}
		p := rows[pick]
		m := NoticeMessage{IncidentID: p.incidentID, NoticeID: p.noticeID, Attempt: p.a.N, Revision: p.a.Revision, MessageID: p.a.MessageID,
			ContentHash: p.contentHash, RawSHA256: p.a.RawSHA256, Raw: bytes.Clone(p.raw), Delivered: p.a.Outcome == "delivered"}
		for k := i; k < j; k++ {
			m.Attempts = append(m.Attempts, rows[k].a)
		}
		out = append(out, m)
		i = j
	}
	return out
}

func (s *sqlStore) NoticeMessage(ctx context.Context, incidentID, noticeID string) (NoticeMessage, error) {
	if noticeID == "" {
		return NoticeMessage{}, invalid("notice ID is required")
	}
	rows, err := s.noticeRows(ctx, s.db, incidentID, noticeID)
	if err != nil {
		return NoticeMessage{}, err
	}
	ms := noticeMessages(rows)
	if len(ms) == 0 {
		return NoticeMessage{}, fmt.Errorf("%w: no message stored for notice %s of %s", ErrNotFound, noticeID, incidentID)
	}
	return ms[0], nil
}

func (s *sqlStore) NoticeMessages(ctx context.Context, incidentID string) ([]NoticeMessage, error) {
	rows, err := s.noticeRows(ctx, s.db, incidentID, "")
	if err != nil {
		return nil, err
	}
	out := noticeMessages(rows)
	if out == nil {
		out = []NoticeMessage{}
	}
	return out, nil
}

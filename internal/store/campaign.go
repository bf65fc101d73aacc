package store

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/irbot/irbot/internal/keyring"
)

// Campaign recipient statuses.
const (
	RecipientPending = "pending"
	RecipientSending = "sending" // handed to SMTP, outcome not yet recorded
	RecipientSent    = "sent"
	RecipientFailed  = "failed"
)

// CampaignRecipient is one person of a customer notification campaign.
type CampaignRecipient struct {
	CampaignID   string     `json:"campaign_id"`
	Email        string     `json:"email"`
	Name         string     `json:"name"`
	Jurisdiction string     `json:"jurisdiction"`
	Language     string     `json:"language"`
	Row          int        `json:"row"` // the CSV row it came from; also the sending order
	Status       string     `json:"status"`
	Attempts     int        `json:"attempts"`
	MessageID    string     `json:"message_id"`
	LastCode     int        `json:"last_code"`
	LastError    string     `json:"last_error,omitempty"`
	SentAt       *time.Time `json:"sent_at"`
	UpdatedAt    time.Time  `json:"updated_at"`
	// Key names the person in the campaign without revealing them: the
	// email column as stored, a digest keyed by the incident's data key
	// when the store seals (the address itself without keys). A campaign
	// Message-ID is derived from it, so nobody holding a copy of the
	// database and a list of addresses can confirm who was written to.
	Key string `json:"-"`
}

// CampaignCounts counts a campaign's people by status (Pending includes
// the ones being sent).
type CampaignCounts struct {
	Total   int `json:"total"`
	Pending int `json:"pending"`
	Sent    int `json:"sent"`
	Failed  int `json:"failed"`
}

// CampaignStore keeps campaign recipients and their delivery status.
type CampaignStore interface {
	// AddCampaignRecipients inserts people not yet in the campaign (by
	// lower-cased email) as pending and returns how many were new. People
	// already there keep their status.
	AddCampaignRecipients(ctx context.Context, campaignID string, rs []CampaignRecipient) (int, error)
	// NextCampaignRecipients returns up to limit pending or sending people
	// in row order.
	NextCampaignRecipients(ctx context.Context, campaignID string, limit int) ([]CampaignRecipient, error)
	// MarkCampaignSending records that a message with messageID is being
	// handed to SMTP and counts the attempt.
	MarkCampaignSending(ctx context.Context, campaignID, email, messageID string) error
	// MarkCampaignResult records an attempt's outcome: sent, failed, or
	// pending again (a temporary failure) with the reply code.
	MarkCampaignResult(ctx context.Context, campaignID, email, status string, code int, errText string, sentAt *time.Time) error
	// CampaignCounts counts the campaign's people; resetFailed first turns
	// failed people back to pending (a campaign sent again).
	CampaignCounts(ctx context.Context, campaignID string, resetFailed bool) (CampaignCounts, error)
	// CampaignRecipients lists every person of the campaign in row order.
	CampaignRecipients(ctx context.Context, campaignID string) ([]CampaignRecipient, error)
}

var _ CampaignStore = (*sqlStore)(nil)

func (s *sqlStore) AddCampaignRecipients(ctx context.Context, campaignID string, rs []CampaignRecipient) (int, error) {
	if err := checkText("campaign ID", campaignID, true); err != nil {
		return 0, err
	}
	for _, r := range rs {
		for _, f := range []struct{ n, v string }{{"email", r.Email}, {"name", r.Name}, {"jurisdiction", r.Jurisdiction}, {"language", r.Language}} {
			if err := checkText("campaign recipient "+f.n, f.v, f.n == "email"); err != nil {
				return 0, err
			}
		}
	}
	defer s.lockWrites()()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("store: add campaign recipients: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	now := s.timeArg(time.Now())
	var key *incidentKey
	if s.ring != nil {
		if key, err = s.dataKey(ctx, tx, campaignIncident(campaignID), true); err != nil {
			return 0, fmt.Errorf("store: add campaign recipients: %w", err)
		}
	}
	added := 0
	for _, r := range rs {
		email, name, sealed := strings.ToLower(strings.TrimSpace(r.Email)), r.Name, ""
		if key != nil {
			if email, name, sealed, err = sealRecipient(key, campaignID, email, r.Name); err != nil {
				return 0, fmt.Errorf("store: add campaign recipients: %w", err)
			}
		}
		res, err := tx.ExecContext(ctx, s.q(`INSERT INTO campaign_recipients
			(campaign_id, email, name, jurisdiction, language, row_num, status, attempts, message_id, last_code, last_error, sent_at, updated_at, sealed)
			VALUES (?, ?, ?, ?, ?, ?, ?, 0, '', 0, '', NULL, ?, ?)
			ON CONFLICT (campaign_id, email) DO NOTHING`),
			campaignID, email, name, r.Jurisdiction, r.Language, r.Row, RecipientPending, now, sealed)
		if err != nil {
			return 0, fmt.Errorf("store: add campaign recipients: %w", err)
		}
		if n, _ := res.RowsAffected(); n > 0 {
			added++
		}
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("store: add campaign recipients: %w", err)
	}
	return added, nil
}

const recipientColumns = `campaign_id, email, name, jurisdiction, language, row_num, status, attempts, message_id, last_code, last_error, sent_at, updated_at, sealed`

func (s *sqlStore) scanRecipients(ctx context.Context, rows *sql.Rows) ([]CampaignRecipient, error) {
	defer rows.Close()
	out := []CampaignRecipient{}
	for rows.Next() {
		var r CampaignRecipient
		var sent, updated dbTime
		var sealed string
		if err := rows.Scan(&r.CampaignID, &r.Email, &r.Name, &r.Jurisdiction, &r.Language, &r.Row, &r.Status, &r.Attempts,
			&r.MessageID, &r.LastCode, &r.LastError, &sent, &updated, &sealed); err != nil {
			return nil, err
		}
		r.SentAt, r.UpdatedAt, r.Key = sent.ptr(), updated.t, r.Email
		if sealed != "" {
			if err := s.openRecipient(ctx, &r, sealed); err != nil {
				return nil, err
			}
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

func (s *sqlStore) NextCampaignRecipients(ctx context.Context, campaignID string, limit int) ([]CampaignRecipient, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT `+recipientColumns+` FROM campaign_recipients
		WHERE campaign_id = ? AND status IN (?, ?) ORDER BY row_num, email LIMIT ?`), campaignID, RecipientPending, RecipientSending, limit)
	if err != nil {
		return nil, fmt.Errorf("store: next campaign recipients: %w", err)
	}
	out, err := s.scanRecipients(ctx, rows)
	if err != nil {
		return nil, fmt.Errorf("store: next campaign recipients: %w", err)
	}
	return out, nil
}

func (s *sqlStore) CampaignRecipients(ctx context.Context, campaignID string) ([]CampaignRecipient, error) {
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT `+recipientColumns+` FROM campaign_recipients
		WHERE campaign_id = ? ORDER BY row_num, email`), campaignID)
	if err != nil {
		return nil, fmt.Errorf("store: campaign recipients: %w", err)
	}
	out, err := s.scanRecipients(ctx, rows)
	if err != nil {
		return nil, fmt.Errorf("store: campaign recipients: %w", err)
	}
	return out, nil
}

func (s *sqlStore) MarkCampaignSending(ctx context.Context, campaignID, email, messageID string) error {
	lookup, err := s.recipientLookup(ctx, campaignID, email)
	if err != nil {
		return err
	}
	defer s.lockWrites()()
	res, err := s.db.ExecContext(ctx, s.q(`UPDATE campaign_recipients SET status = ?, attempts = attempts + 1, message_id = ?, updated_at = ?
		WHERE campaign_id = ? AND email = ? AND status IN (?, ?)`),
		RecipientSending, messageID, s.timeArg(time.Now()), campaignID, lookup, RecipientPending, RecipientSending)
	if err != nil {
		return fmt.Errorf("store: mark campaign recipient sending: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("%w: campaign %s has no pending recipient with that address", ErrNotFound, campaignID)
	}
	return nil
}

func (s *sqlStore) MarkCampaignResult(ctx context.Context, campaignID, email, status string, code int, errText string, sentAt *time.Time) error {
	switch status {
	case RecipientSent, RecipientFailed, RecipientPending:
	default:
		return invalid("campaign recipient status %q", status)
	}
	errText = redactAddresses(errText)
	if err := checkText("campaign recipient error", errText, false); err != nil {
		return err
	}
	lookup, err := s.recipientLookup(ctx, campaignID, email)
	if err != nil {
		return err
	}
	defer s.lockWrites()()
	_, err = s.db.ExecContext(ctx, s.q(`UPDATE campaign_recipients SET status = ?, last_code = ?, last_error = ?, sent_at = ?, updated_at = ?
		WHERE campaign_id = ? AND email = ? AND status <> ?`),
		status, code, errText, s.nullTimeArg(sentAt), s.timeArg(time.Now()), campaignID, lookup, RecipientSent)
	if err != nil {
		return fmt.Errorf("store: mark campaign recipient: %w", err)
	}
	return nil
}

func (s *sqlStore) CampaignCounts(ctx context.Context, campaignID string, resetFailed bool) (CampaignCounts, error) {
	if resetFailed {
		unlock := s.lockWrites()
		_, err := s.db.ExecContext(ctx, s.q(`UPDATE campaign_recipients SET status = ?, attempts = 0, updated_at = ? WHERE campaign_id = ? AND status = ?`),
			RecipientPending, s.timeArg(time.Now()), campaignID, RecipientFailed)
		unlock()
		if err != nil {
			return CampaignCounts{}, fmt.Errorf("store: reset failed campaign recipients: %w", err)
		}
	}
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT status, COUNT(*) FROM campaign_recipients WHERE campaign_id = ? GROUP BY status`), campaignID)
	if err != nil {
		return CampaignCounts{}, fmt.Errorf("store: campaign counts: %w", err)
	}
	defer rows.Close()
	var c CampaignCounts
	for rows.Next() {
		var st string
		var n int
		if err := rows.Scan(&st, &n); err != nil {
			return CampaignCounts{}, fmt.Errorf("store: campaign counts: %w", err)
		}
		c.Total += n
		switch st {
		case RecipientSent:
			c.Sent += n
		case RecipientFailed:
			c.Failed += n
		default:
			c.Pending += n
		}
	}
	return c, rows.Err()
}

// recipientLookup is the email column's value for an address: the address
// itself in a clear store, its keyed digest in an encrypted one.
func (s *sqlStore) recipientLookup(ctx context.Context, campaignID, email string) (string, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	if s.ring == nil {
		return email, nil
	}
	k, err := s.dataKey(ctx, s.db, campaignIncident(campaignID), false)
	if errors.Is(err, ErrNotFound) {
		return email, nil // a campaign stored before encryption
	}
	if err != nil {
		return "", fmt.Errorf("store: campaign %s: %w", campaignID, err)
	}
	return emailDigest(k, campaignID, email), nil
}

type sealedRecipient struct {
	Email string `json:"email"`
	Name  string `json:"name"`
}

func recipientAAD(campaignID, digest string) []byte {
	return []byte("irbot.recipient.v1\x00" + campaignID + "\x00" + digest)
}

// sealRecipient returns the email column (a digest), the name column
// (empty) and the sealed address and name.
func sealRecipient(k *incidentKey, campaignID, email, name string) (string, string, string, error) {
	digest := emailDigest(k, campaignID, email)
	plain, err := json.Marshal(sealedRecipient{Email: email, Name: name})
	if err != nil {
		return "", "", "", err
	}
	ct, err := keyring.SealWith(k.aead, plain, recipientAAD(campaignID, digest))
	if err != nil {
		return "", "", "", err
	}
	return digest, "", base64.StdEncoding.EncodeToString(ct), nil
}

// openRecipient fills r's address and name from the sealed column; after
// erasure they read as empty.
func (s *sqlStore) openRecipient(ctx context.Context, r *CampaignRecipient, sealed string) error {
	if s.ring == nil {
		return nil
	}
	k, err := s.dataKey(ctx, s.db, campaignIncident(r.CampaignID), false)
	if errors.Is(err, ErrErased) {
		r.Email, r.Name = "", ""
		return nil
	}
	if err != nil {
		return fmt.Errorf("campaign %s: %w", r.CampaignID, err)
	}
	ct, err := base64.StdEncoding.DecodeString(sealed)
	if err != nil {
		return fmt.Errorf("campaign %s: sealed recipient is not base64", r.CampaignID)
	}
	plain, err := keyring.OpenWith(k.aead, ct, recipientAAD(r.CampaignID, r.Email))
	if err != nil {
		return fmt.Errorf("campaign %s: %w", r.CampaignID, err)
	}
	var sr sealedRecipient
	if err := json.Unmarshal(plain, &sr); err != nil {
		return fmt.Errorf("campaign %s: %w", r.CampaignID, err)
	}
	r.Email, r.Name = sr.Email, sr.Name
	return nil
}

// emailLike matches what an SMTP server quotes of a recipient.
var emailLike = regexp.MustCompile(`[^\s<>"'(),;:@]+@[^\s<>"'(),;:@]+`)

// redactAddresses replaces every address in an SMTP error text with
// "<address>": servers quote the recipient they refuse, and the error
// column is kept in clear (the recipient's address and name are sealed).
func redactAddresses(s string) string {
	return emailLike.ReplaceAllString(s, "address")
}

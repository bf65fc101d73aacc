package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"strings"
	"time"
)

// Event is one entry of an incident's hash-chained timeline.
type Event struct {
	IncidentID string          `json:"incident_id"`
	Seq        int64           `json:"seq"`       // 1-based per incident, assigned by the store
	Key        string          `json:"key"`       // idempotency key, unique per incident
	At         time.Time       `json:"at"`        // stored UTC, truncated to microseconds
	Kind       string          `json:"kind"`      // e.g. "incident.declared", "task.completed"
	Actor      string          `json:"actor"`     // who did it
	Data       json.RawMessage `json:"data"`      // a JSON object ("{}" when empty)
	Hash       string          `json:"hash"`      // hex SHA-256
	PrevHash   string          `json:"prev_hash"` // hex SHA-256 of the previous event; 64 zeros for seq 1
	// Sealed is the data as stored when the store encrypts it (crypt.go):
	// the hash covers these bytes, Data holds them decrypted. Empty when
	// the data is stored in clear.
	Sealed json.RawMessage `json:"sealed,omitempty"`
}

// Incident is the index used for listing; the workflow holds the live state.
type Incident struct {
	ID         string    `json:"id"`
	Title      string    `json:"title"`
	Severity   string    `json:"severity"`
	Mode       string    `json:"mode"`
	Status     string    `json:"status"`
	Phase      string    `json:"phase"`
	DeclaredBy string    `json:"declared_by"`
	WorkflowID string    `json:"workflow_id"`
	DeclaredAt time.Time `json:"declared_at"`
	UpdatedAt  time.Time `json:"updated_at"`
	// SlackChannel is the incident's Slack channel ID; an upsert with an
	// empty one keeps the stored value.
	SlackChannel string `json:"slack_channel,omitempty"`
}

// Register entry kinds.
const (
	RegisterNotice      = "notice"
	RegisterNotNotified = "not_notified"
)

// RegisterEntry is one notice or one decision not to notify (GDPR Art. 33(5)).
type RegisterEntry struct {
	ID          string     `json:"id"` // business key, upsert by it
	IncidentID  string     `json:"incident_id"`
	Kind        string     `json:"kind"` // "notice" | "not_notified"
	Regime      string     `json:"regime"`
	Obligation  string     `json:"obligation"`
	Recipient   string     `json:"recipient"`
	To          []string   `json:"to,omitempty"`
	Status      string     `json:"status"`
	DueAt       *time.Time `json:"due_at"`
	SentAt      *time.Time `json:"sent_at"`
	OnTime      *bool      `json:"on_time"`
	LateReason  string     `json:"late_reason,omitempty"`
	Reference   string     `json:"reference,omitempty"` // regulator's reference
	MessageID   string     `json:"message_id,omitempty"`
	ContentHash string     `json:"content_hash,omitempty"`
	DecidedBy   string     `json:"decided_by,omitempty"`
	Rationale   string     `json:"rationale,omitempty"`
	RecordedAt  time.Time  `json:"recorded_at"`
	// Language is the notice's BCP 47 tag; empty on rows from before
	// languages (English), so their hashes do not change.
	Language string `json:"language,omitempty"`
}

// VerifyResult is the outcome of walking one incident's chain.
type VerifyResult struct {
	OK          bool   `json:"ok"`
	Events      int    `json:"events"`
	FirstBadSeq int64  `json:"first_bad_seq"`    // 0 when OK
	Reason      string `json:"reason,omitempty"` // plain words, e.g. "event 4 is missing"
	// Items lists the stored records (register rows, notice messages,
	// snapshots) that differ from what the intact chain says was written.
	Items []VerifyItem `json:"items,omitempty"`
}

// Store is the timeline store. Implementations are safe for concurrent use
// by many goroutines and, on the same database, by many processes.
type Store interface {
	// Append adds e at the end of e.IncidentID's chain, assigning Seq, PrevHash and Hash.
	// Idempotent by (IncidentID, Key): a repeat returns the stored event and created=false.
	// The same key with different Kind/Actor/Data is an error (ErrKeyConflict), never a second row.
	// A zero At means now. IncidentID, Key and Kind are required; Data must be a JSON object.
	Append(ctx context.Context, e Event) (stored Event, created bool, err error)
	// Events returns the incident's timeline by seq (empty for an unknown incident).
	Events(ctx context.Context, incidentID string) ([]Event, error)
	// Verify walks the chain and reports the first event that is not as
	// written. An incident with no events and no chain head verifies OK with 0 events.
	Verify(ctx context.Context, incidentID string) (VerifyResult, error)
	// ReserveIncidentID hands out "<prefix>-0001", "<prefix>-0002", ... per prefix (e.g. prefix "INC-2026").
	// A non-empty requestKey makes it idempotent: the same key returns the same ID and created=false
	// (whatever prefix the repeat asks for).
	ReserveIncidentID(ctx context.Context, prefix, requestKey string) (id string, created bool, err error)
	// UpsertIncident inserts or replaces the index row for inc.ID. A zero
	// UpdatedAt means now; a zero DeclaredAt keeps the stored one (now for a
	// new row). A write whose UpdatedAt is older than the stored row's is
	// ignored, so a late retry cannot roll the index back.
	UpsertIncident(ctx context.Context, inc Incident) error
	GetIncident(ctx context.Context, id string) (Incident, error) // ErrNotFound
	ListIncidents(ctx context.Context) ([]Incident, error)        // newest declared first
	// IncidentByChannel finds the incident whose Slack channel is channelID (ErrNotFound).
	IncidentByChannel(ctx context.Context, channelID string) (Incident, error)
	// PutRegister inserts or replaces the entry with r.ID. A zero RecordedAt
	// keeps the stored one (now for a new entry).
	PutRegister(ctx context.Context, r RegisterEntry) error
	ListRegister(ctx context.Context) ([]RegisterEntry, error) // by RecordedAt, then ID
	// CampaignStore keeps customer campaigns' recipients (campaign.go).
	CampaignStore
	// MetricsStore counts what /metrics shows (metrics.go).
	MetricsStore
	// ConsoleStore keeps the web console's sessions and sign-ins (console.go).
	ConsoleStore
	// KeyStore erases an incident's personal data and re-wraps data keys (crypt.go).
	KeyStore
	// NoticeStore keeps the exact bytes of every notice sent (notices.go).
	NoticeStore
	// RecordStore keeps the incident's state snapshots (record.go).
	RecordStore
	// CheckpointStore keeps signed checkpoints of the chain heads (checkpoint.go).
	CheckpointStore
	Ping(ctx context.Context) error
	Close() error
}

var (
	// ErrNotFound is returned when the asked-for row does not exist.
	ErrNotFound = errors.New("store: not found")
	// ErrKeyConflict is returned by Append when the idempotency key is
	// already used in the incident by an event with a different kind, actor
	// or data.
	ErrKeyConflict = errors.New("store: idempotency key already used for a different event")
	// ErrInvalid wraps every rejection of a caller's input (missing field,
	// data that is not a JSON object, ...). Retrying will not help.
	ErrInvalid = errors.New("store: invalid input")
)

// DatabaseURLEnv is the environment variable whose value callers pass to
// Open as databaseURL; it is named in Open's errors.
const DatabaseURLEnv = "IRBOT_DATABASE_URL"

// DBFileName is the SQLite file Open uses inside the data directory.
const DBFileName = "irbot.db"

// Open opens (creating and migrating as needed) the store.
//
// databaseURL "" selects SQLite at filepath.Join(dataDir, "irbot.db"),
// creating dataDir; "postgres://..." or "postgresql://..." selects
// PostgreSQL. Anything else is an error that names IRBOT_DATABASE_URL.
func Open(ctx context.Context, databaseURL, dataDir string, opts ...Option) (Store, error) {
	s, err := openBackend(ctx, databaseURL, dataDir)
	if err != nil {
		return nil, err
	}
	for _, o := range opts {
		o(s)
	}
	return s, nil
}

func openBackend(ctx context.Context, databaseURL, dataDir string) (*sqlStore, error) {
	switch {
	case databaseURL == "":
		if dataDir == "" {
			return nil, errors.New("store: no data directory for the SQLite timeline store (set IRBOT_DATA_DIR)")
		}
		if err := PrivateFile(filepath.Join(dataDir, DBFileName)); err != nil {
			return nil, fmt.Errorf("store: %w", err)
		}
		return openSQLite(ctx, filepath.Join(dataDir, DBFileName))
	case hasScheme(databaseURL, "postgres"), hasScheme(databaseURL, "postgresql"):
		s, err := openPostgres(ctx, databaseURL)
		if err != nil {
			return nil, redact(err, databaseURL)
		}
		return s, nil
	default:
		what := "a value without a scheme"
		if i := strings.Index(databaseURL, "://"); i > 0 && !strings.ContainsAny(databaseURL[:i], "@:/") {
			what = fmt.Sprintf("a %q URL", databaseURL[:i])
		}
		return nil, fmt.Errorf("store: %s is %s; accepted: unset or empty (SQLite in the data directory) or a PostgreSQL URL postgres://user:password@host:5432/dbname (postgresql:// also works)", DatabaseURLEnv, what)
	}
}

func hasScheme(s, scheme string) bool {
	return len(s) > len(scheme)+3 && strings.EqualFold(s[:len(scheme)+3], scheme+"://")
}

// redact removes the URL's password from an error's text: driver errors may
// quote the connection string.
func redact(err error, databaseURL string) error {
	u, perr := url.Parse(databaseURL)
	if perr != nil {
		// Unparseable: hide everything between "://" and the last '@'.
		msg := err.Error()
		if i, j := strings.Index(databaseURL, "://"), strings.LastIndex(databaseURL, "@"); i >= 0 && j > i {
			msg = strings.ReplaceAll(msg, databaseURL[i+3:j], "REDACTED")
		}
		return &redactedError{msg: msg, err: err}
	}
	pw, ok := u.User.Password()
	if !ok || pw == "" {
		return err
	}
	msg := err.Error()
	msg = strings.ReplaceAll(msg, pw, "REDACTED")
	msg = strings.ReplaceAll(msg, url.QueryEscape(pw), "REDACTED")
	msg = strings.ReplaceAll(msg, url.PathEscape(pw), "REDACTED")
	return &redactedError{msg: msg, err: err}
}

type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }

// Unwrap keeps errors.Is working; callers that print the unwrapped chain
// themselves opt out of redaction.
func (e *redactedError) Unwrap() error { return e.err }

package store

import (
	"context"
	"crypto/ed25519"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// CheckpointVersion names the checkpoint body format.
const CheckpointVersion = "irbot.checkpoint.v1"

// ChainHead is one incident's chain head: its last event's seq and hash.
type ChainHead struct {
	IncidentID string `json:"incident_id"`
	Seq        int64  `json:"seq"`
	Hash       string `json:"hash"`
}

// CheckpointBody is what a checkpoint signs (as canonical JSON): every
// incident's chain head at one moment.
type CheckpointBody struct {
	Version      string      `json:"version"`
	Installation string      `json:"installation"`
	At           string      `json:"at"` // RFC 3339, UTC
	Heads        []ChainHead `json:"heads"`
}

// Checkpoint is a signed record of every chain head. Copies sent elsewhere
// (the daily digest) let a rewrite of the whole database be caught.
type Checkpoint struct {
	ID        int64           `json:"id"`
	At        time.Time       `json:"at"`
	Body      json.RawMessage `json:"body"`       // canonical JSON of a CheckpointBody, exactly the bytes signed
	PublicKey string          `json:"public_key"` // hex Ed25519 public key
	Signature string          `json:"signature"`  // hex Ed25519 signature of Body
}

// CheckSignature reports whether the checkpoint is signed by its key.
func (c Checkpoint) CheckSignature() error {
	pub, err := hex.DecodeString(c.PublicKey)
	if err != nil || len(pub) != ed25519.PublicKeySize {
		return errors.New("the checkpoint's public key is not a hex Ed25519 key")
	}
	sig, err := hex.DecodeString(c.Signature)
	if err != nil || !ed25519.Verify(ed25519.PublicKey(pub), c.Body, sig) {
		return errors.New("the checkpoint's signature does not match its body")
	}
	return nil
}

// CheckpointStore keeps signed checkpoints of the chain heads.
type CheckpointStore interface {
	// ChainHeads lists every incident's chain head, by incident ID.
	ChainHeads(ctx context.Context) ([]ChainHead, error)
	// SignCheckpoint signs every current chain head with key and stores it.
	SignCheckpoint(ctx context.Context, key ed25519.PrivateKey, at time.Time) (Checkpoint, error)
	// LatestCheckpoint is the newest checkpoint (ErrNotFound).
	LatestCheckpoint(ctx context.Context) (Checkpoint, error)
	// CheckpointByID is checkpoint id (ErrNotFound).
	CheckpointByID(ctx context.Context, id int64) (Checkpoint, error)
}

var _ CheckpointStore = (*sqlStore)(nil)

func (s *sqlStore) ChainHeads(ctx context.Context) ([]ChainHead, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT incident_id, last_seq, last_hash FROM timeline_heads WHERE last_seq > 0 ORDER BY incident_id`)
	if err != nil {
		return nil, fmt.Errorf("store: chain heads: %w", err)
	}
	defer rows.Close()
	out := []ChainHead{}
	for rows.Next() {
		var h ChainHead
		if err := rows.Scan(&h.IncidentID, &h.Seq, &h.Hash); err != nil {
			return nil, fmt.Errorf("store: chain heads: %w", err)
		}
		out = append(out, h)
	}
	return out, rows.Err()
}

func (s *sqlStore) SignCheckpoint(ctx context.Context, key ed25519.PrivateKey, at time.Time) (Checkpoint, error) {
	if len(key) != ed25519.PrivateKeySize {
		return Checkpoint{}, invalid("checkpoint key is not an Ed25519 private key")
	}
	heads, err := s.ChainHeads(ctx)
	if err != nil {
		return Checkpoint{}, err
	}
	inst, err := s.InstallationID(ctx)
	if err != nil {
		return Checkpoint{}, err
	}
	at = normTime(at)
	raw, err := json.Marshal(CheckpointBody{Version: CheckpointVersion, Installation: inst, At: at.Format(time.RFC3339Nano), Heads: heads})
	if err != nil {
		return Checkpoint{}, err
	}
	body, err := canonicalObject(raw)
	if err != nil {
		return Checkpoint{}, err
	}
	c := Checkpoint{At: at, Body: body, PublicKey: hex.EncodeToString(key.Public().(ed25519.PublicKey)), Signature: hex.EncodeToString(ed25519.Sign(key, body))}
	defer s.lockWrites()()
	// Numbers are handed out as MAX+1; replicas signing at the same moment
	// on PostgreSQL (checkpoints are now taken on demand, not only by the
	// daily digest) may pick the same one: the loser takes the next.
	for range 8 {
		err := s.db.QueryRowContext(ctx, s.q(`INSERT INTO checkpoints (id, at, body, public_key, signature)
			VALUES ((SELECT COALESCE(MAX(id), 0) + 1 FROM checkpoints), ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING RETURNING id`),
			s.timeArg(at), string(body), c.PublicKey, c.Signature).Scan(&c.ID)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return Checkpoint{}, fmt.Errorf("store: sign checkpoint: %w", err)
		}
		return c, nil
	}
	return Checkpoint{}, errors.New("store: sign checkpoint: its number was taken 8 times in a row by concurrent signers")
}

func (s *sqlStore) LatestCheckpoint(ctx context.Context) (Checkpoint, error) {
	return s.latestCheckpoint(ctx, s.db)
}

func (s *sqlStore) latestCheckpoint(ctx context.Context, q querier) (Checkpoint, error) {
	return scanCheckpoint(q.QueryRowContext(ctx, `SELECT id, at, body, public_key, signature FROM checkpoints ORDER BY id DESC LIMIT 1`), "no checkpoint")
}

func (s *sqlStore) CheckpointByID(ctx context.Context, id int64) (Checkpoint, error) {
	return scanCheckpoint(s.db.QueryRowContext(ctx, s.q(`SELECT id, at, body, public_key, signature FROM checkpoints WHERE id = ?`), id),
		fmt.Sprintf("no checkpoint %d", id))
}

// scanCheckpoint reads one checkpoints row; missing is the ErrNotFound text.
func scanCheckpoint(row *sql.Row, missing string) (Checkpoint, error) {
	var c Checkpoint
	var at dbTime
	var body string
	err := row.Scan(&c.ID, &at, &body, &c.PublicKey, &c.Signature)
	if errors.Is(err, sql.ErrNoRows) {
		return Checkpoint{}, fmt.Errorf("%w: %s", ErrNotFound, missing)
	}
	if err != nil {
		return Checkpoint{}, fmt.Errorf("store: checkpoint: %w", err)
	}
	c.At, c.Body = at.t, json.RawMessage(body)
	return c, nil
}

// verifyCheckpoint checks the incident's chain against the latest signed
// checkpoint: the event at the checkpoint's seq must still have its hash.
func (s *sqlStore) verifyCheckpoint(ctx context.Context, q querier, incidentID string, events []storedEvent) ([]VerifyItem, error) {
	c, err := s.latestCheckpoint(ctx, q)
	if errors.Is(err, ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	item := fmt.Sprintf("checkpoint %d", c.ID)
	if err := c.CheckSignature(); err != nil {
		return []VerifyItem{{Item: item, Reason: fmt.Sprintf("checkpoint %d cannot be trusted: %v", c.ID, err)}}, nil
	}
	p, _, err := c.HeadProblem(incidentID, len(events), func(seq int64) string { return events[seq-1].Hash })
	if err != nil {
		return []VerifyItem{{Item: item, Reason: fmt.Sprintf("checkpoint %d cannot be read: %v", c.ID, err)}}, nil
	}
	if p != "" {
		return []VerifyItem{{Item: item, Reason: p}}, nil
	}
	return nil, nil
}

// ReadBody decodes the signed body.
func (c Checkpoint) ReadBody() (CheckpointBody, error) {
	var body CheckpointBody
	if err := json.Unmarshal(c.Body, &body); err != nil {
		return body, errors.New("its body is not a checkpoint body")
	}
	if body.Version != CheckpointVersion {
		return body, fmt.Errorf("its body has version %q, this irbot reads %q", body.Version, CheckpointVersion)
	}
	return body, nil
}

// HeadProblem checks an incident's chain of count events (hashAt gives
// event seq's hash) against the head this checkpoint saw for it: the event
// at that seq must still exist and still have that hash. It answers ""
// when the chain matches; covered is false when the checkpoint holds no
// head for the incident (so it vouches for nothing). The one rule for the
// store's verify and for checks made away from the server (irbot verify
// --checkpoint).
func (c Checkpoint) HeadProblem(incidentID string, count int, hashAt func(seq int64) string) (problem string, covered bool, err error) {
	body, err := c.ReadBody()
	if err != nil {
		return "", false, err
	}
	for _, h := range body.Heads {
		if h.IncidentID != incidentID {
			continue
		}
		switch {
		case h.Seq < 1:
			return fmt.Sprintf("checkpoint %d holds seq %d for %s, which no chain has", c.ID, h.Seq, incidentID), true, nil
		case int64(count) < h.Seq:
			return fmt.Sprintf("checkpoint %d (signed %s) saw %d events; %d remain: events were deleted", c.ID, body.At, h.Seq, count), true, nil
		case hashAt(h.Seq) != h.Hash:
			return fmt.Sprintf("event %d is not the event checkpoint %d (signed %s) saw: the chain was rewritten", h.Seq, c.ID, body.At), true, nil
		}
		return "", true, nil
	}
	return "", false, nil
}

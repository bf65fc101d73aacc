package store

import (
	"bytes"
	"context"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/irbot/irbot/internal/keyring"
)

// Encryption at rest. With a key ring (WithKeyRing), every incident gets a
// random data key, stored wrapped by the ring's current key in
// incident_keys. Each timeline event's data object is sealed with it
// (AES-256-GCM, bound to the incident and the event key) and stored as the
// canonical JSON object
//
//	{"enc":"irbot.sealed.v1","sealed":"BASE64(nonce || ciphertext || tag)"}
//
// and the hash chain covers those bytes, so Verify needs no key and still
// passes after the data key is destroyed. Events decrypts transparently.
// Campaign recipients' addresses and names are sealed with the same key.
//
// Erasure (EraseIncidentData) destroys the wrapped data key: the sealed data
// can no longer be read by anyone, the chain still verifies, and Events
// shows erased data as {"erased":true}.

// SealedEncoding is the "enc" member of a sealed event's data.
const SealedEncoding = "irbot.sealed.v1"

// Event kinds the store itself writes.
const (
	// KindDataErased records that an incident's personal data was erased
	// by destroying its data key; its data is not sealed.
	KindDataErased = "incident.data_erased"
)

// ErrErased is returned for personal data whose data key was destroyed.
var ErrErased = errors.New("store: the incident's personal data was erased")

// Option configures Open.
type Option func(*sqlStore)

// WithKeyRing makes the store seal personal data with per-incident data
// keys wrapped by ring. Without it, data is stored as given (and sealed data
// written by another process reads as sealed).
func WithKeyRing(ring *keyring.Ring) Option {
	return func(s *sqlStore) { s.ring = ring }
}

// KeyStore is what the key commands need beyond Store.
type KeyStore interface {
	// EraseIncidentData destroys a closed incident's data key and records
	// KindDataErased on its timeline (idempotent: a repeat returns the first
	// record). It refuses (ErrInvalid) an incident that is not closed.
	EraseIncidentData(ctx context.Context, incidentID, actor, reason string) (Event, error)
	// RewrapDataKeys re-wraps every live data key not wrapped by the ring's
	// current key and returns how many it re-wrapped and how many it
	// checked.
	RewrapDataKeys(ctx context.Context) (rewrapped, total int, err error)
}

var _ KeyStore = (*sqlStore)(nil)

type sealedData struct {
	Enc    string `json:"enc"`
	Sealed string `json:"sealed"`
}

func dataKeyAAD(incidentID string) []byte { return []byte("irbot.datakey.v1\x00" + incidentID) }

func eventAAD(incidentID, key string) []byte {
	return []byte("irbot.event.v1\x00" + incidentID + "\x00" + key)
}

var sealedPrefix = []byte(`{"enc":"` + SealedEncoding + `","sealed":"`)

// parseSealed reports whether raw is a sealed envelope and returns it.
func parseSealed(raw []byte) (sealedData, bool) {
	if !bytes.HasPrefix(raw, []byte(`{"enc":"`+SealedEncoding+`"`)) {
		return sealedData{}, false
	}
	// Fast path: the exact form sealEvent writes (base64 holds no quote or
	// backslash), without a JSON decode per event when a long timeline is read.
	if rest, ok := bytes.CutPrefix(raw, sealedPrefix); ok {
		if b64, ok := bytes.CutSuffix(rest, []byte(`"}`)); ok && bytes.IndexAny(b64, `"\\`) < 0 {
			return sealedData{Enc: SealedEncoding, Sealed: string(b64)}, true
		}
	}
	var sd sealedData
	if err := json.Unmarshal(raw, &sd); err != nil || sd.Enc != SealedEncoding {
		return sealedData{}, false
	}
	return sd, true
}

// incidentKey is an incident's unwrapped data key: the cipher that seals
// its data and the MAC key derived from it for lookup digests.
type incidentKey struct {
	aead   cipher.AEAD
	mac    []byte
	loaded time.Time // when it was read from incident_keys
}

// dataKeyRecheck is how long an unwrapped data key is used before the
// store reads incident_keys again. An erasure by this process forgets the
// key at once; one by another process (`irbot keys erase` beside a running
// server, another replica) is seen within this time, after which the
// incident's data reads as erased here too.
const dataKeyRecheck = time.Minute

func newIncidentKey(dk []byte) (*incidentKey, error) {
	aead, err := keyring.NewAEAD(dk)
	if err != nil {
		return nil, err
	}
	m := hmac.New(sha256.New, dk)
	m.Write([]byte("irbot.lookup.v1"))
	return &incidentKey{aead: aead, mac: m.Sum(nil)}, nil
}

// dataKey returns the incident's data key, creating it when
// create is set and there is none. It returns ErrErased for an erased one.
func (s *sqlStore) dataKey(ctx context.Context, q querier, incidentID string, create bool) (*incidentKey, error) {
	s.keyMu.Lock()
	k, ok := s.keys[incidentID]
	s.keyMu.Unlock()
	if ok && time.Since(k.loaded) < dataKeyRecheck {
		return k, nil
	}
	var keyID, wrapped string
	var erased dbTime
	err := q.QueryRowContext(ctx, s.q(`SELECT key_id, wrapped, erased_at FROM incident_keys WHERE incident_id = ?`), incidentID).Scan(&keyID, &wrapped, &erased)
	switch {
	case errors.Is(err, sql.ErrNoRows) && create:
		ex, ok := q.(interface {
			ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
		})
		if !ok {
			return nil, errors.New("store: a data key can only be created in a write transaction")
		}
		dk, err := keyring.NewDataKey()
		if err != nil {
			return nil, err
		}
		kid, sealed, err := s.ring.Seal(dk, dataKeyAAD(incidentID))
		if err != nil {
			return nil, err
		}
		if _, err := ex.ExecContext(ctx, s.q(`INSERT INTO incident_keys (incident_id, key_id, wrapped, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (incident_id) DO NOTHING`),
			incidentID, kid, base64.StdEncoding.EncodeToString(sealed), s.timeArg(time.Now())); err != nil {
			return nil, fmt.Errorf("store: create data key: %w", err)
		}
		k, err := s.dataKey(ctx, q, incidentID, false)
		// Not cached until committed: the transaction may still roll back.
		s.keyMu.Lock()
		delete(s.keys, incidentID)
		s.keyMu.Unlock()
		return k, err
	case errors.Is(err, sql.ErrNoRows):
		return nil, fmt.Errorf("%w: no data key for incident %s", ErrNotFound, incidentID)
	case err != nil:
		return nil, fmt.Errorf("store: read data key: %w", err)
	}
	if erased.valid || wrapped == "" {
		s.keyMu.Lock()
		delete(s.keys, incidentID)
		s.keyMu.Unlock()
		return nil, ErrErased
	}
	if s.ring == nil {
		return nil, errors.New("store: the incident's data is encrypted and this process has no encryption keys")
	}
	sealed, err := base64.StdEncoding.DecodeString(wrapped)
	if err != nil {
		return nil, fmt.Errorf("store: data key of %s: %w", incidentID, err)
	}
	dk, err := s.ring.Open(keyID, sealed, dataKeyAAD(incidentID))
	if err != nil {
		return nil, fmt.Errorf("store: data key of %s: %w", incidentID, err)
	}
	k, err = newIncidentKey(dk)
	if err != nil {
		return nil, err
	}
	k.loaded = time.Now()
	s.keyMu.Lock()
	s.keys[incidentID] = k
	s.keyMu.Unlock()
	return k, nil
}

// sealEvent returns the canonical sealed envelope of an event's canonical data.
func sealEvent(aead cipher.AEAD, incidentID, key string, data []byte) ([]byte, error) {
	ct, err := keyring.SealWith(aead, data, eventAAD(incidentID, key))
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	b.WriteString(`{"enc":`)
	writeString(&b, SealedEncoding)
	b.WriteString(`,"sealed":`)
	writeString(&b, base64.StdEncoding.EncodeToString(ct))
	b.WriteByte('}')
	return b.Bytes(), nil
}

// openEvent turns stored event data into what readers see: the plain data,
// {"erased":true} after erasure, or the envelope itself when this process
// has no keys.
func (s *sqlStore) openEvent(ctx context.Context, q querier, e Event) (json.RawMessage, error) {
	sd, ok := parseSealed(e.Data)
	if !ok || s.ring == nil {
		return e.Data, nil
	}
	k, err := s.dataKey(ctx, q, e.IncidentID, false)
	if errors.Is(err, ErrErased) {
		return json.RawMessage(`{"erased":true}`), nil
	}
	if err != nil {
		return nil, err
	}
	ct, err := base64.StdEncoding.DecodeString(sd.Sealed)
	if err != nil {
		return nil, fmt.Errorf("store: event %d of %s: sealed data is not base64", e.Seq, e.IncidentID)
	}
	plain, err := keyring.OpenWith(k.aead, ct, eventAAD(e.IncidentID, e.Key))
	if err != nil {
		return nil, fmt.Errorf("store: event %d of %s: %w", e.Seq, e.IncidentID, err)
	}
	return plain, nil
}

func (s *sqlStore) EraseIncidentData(ctx context.Context, incidentID, actor, reason string) (Event, error) {
	if err := checkText("incident ID", incidentID, true); err != nil {
		return Event{}, err
	}
	if err := checkText("reason", reason, true); err != nil {
		return Event{}, err
	}
	inc, err := s.GetIncident(ctx, incidentID)
	if err != nil {
		return Event{}, err
	}
	if inc.Status != "closed" {
		return Event{}, invalid("incident %s is %s: only a closed incident's personal data is erased (at the end of its retention)", incidentID, inc.Status)
	}
	var keyID string
	err = s.db.QueryRowContext(ctx, s.q(`SELECT key_id FROM incident_keys WHERE incident_id = ?`), incidentID).Scan(&keyID)
	if errors.Is(err, sql.ErrNoRows) {
		return Event{}, invalid("incident %s has no data key: its data was stored before encryption (or it has none)", incidentID)
	}
	if err != nil {
		return Event{}, fmt.Errorf("store: erase: %w", err)
	}
	data, err := json.Marshal(map[string]string{"reason": reason, "method": "data key destroyed"})
	if err != nil {
		return Event{}, err
	}
	// The record first (unsealed: nobody could read it afterwards), then
	// the key; a crash in between is finished by the repeat, which finds
	// the record by its key.
	ev, _, err := s.appendEvent(ctx, Event{IncidentID: incidentID, Key: "data-erased", Kind: KindDataErased, Actor: actor, Data: data}, false)
	if err != nil {
		return Event{}, err
	}
	unlock := s.lockWrites()
	_, err = s.db.ExecContext(ctx, s.q(`UPDATE incident_keys SET wrapped = '', erased_at = ?, erased_by = ? WHERE incident_id = ? AND erased_at IS NULL`),
		s.timeArg(time.Now()), actor, incidentID)
	unlock()
	if err != nil {
		return Event{}, fmt.Errorf("store: erase data key of %s: %w", incidentID, err)
	}
	s.keyMu.Lock()
	delete(s.keys, incidentID)
	s.keyMu.Unlock()
	if s.d == dialectSQLite {
		// The page that held the wrapped key is still in the write-ahead
		// log until a checkpoint copies the new page over it; truncate the
		// log now rather than leave the key in irbot.db-wal.
		if _, err := s.db.ExecContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
			return Event{}, fmt.Errorf("store: the data key of %s is destroyed but may remain in the write-ahead log until the next checkpoint (erase again to retry): %w", incidentID, err)
		}
	}
	return ev, nil
}

func (s *sqlStore) RewrapDataKeys(ctx context.Context) (int, int, error) {
	if s.ring == nil {
		return 0, 0, errors.New("store: no encryption keys")
	}
	current := s.ring.Current()
	rows, err := s.db.QueryContext(ctx, `SELECT incident_id, key_id, wrapped FROM incident_keys WHERE erased_at IS NULL AND wrapped <> '' ORDER BY incident_id`)
	if err != nil {
		return 0, 0, fmt.Errorf("store: rewrap: %w", err)
	}
	type row struct{ id, kid, wrapped string }
	var all []row
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.id, &r.kid, &r.wrapped); err != nil {
			return 0, 0, fmt.Errorf("store: rewrap: %w", errors.Join(err, rows.Close()))
		}
		all = append(all, r)
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return 0, 0, fmt.Errorf("store: rewrap: %w", err)
	}
	n := 0
	for _, r := range all {
		if r.kid == current {
			continue
		}
		sealed, err := base64.StdEncoding.DecodeString(r.wrapped)
		if err != nil {
			return n, len(all), fmt.Errorf("store: rewrap %s: %w", r.id, err)
		}
		dk, err := s.ring.Open(r.kid, sealed, dataKeyAAD(r.id))
		if err != nil {
			return n, len(all), fmt.Errorf("store: rewrap %s: %w", r.id, err)
		}
		kid, resealed, err := s.ring.Seal(dk, dataKeyAAD(r.id))
		if err != nil {
			return n, len(all), err
		}
		unlock := s.lockWrites()
		// Only if nobody erased or re-wrapped it meanwhile.
		_, err = s.db.ExecContext(ctx, s.q(`UPDATE incident_keys SET key_id = ?, wrapped = ? WHERE incident_id = ? AND key_id = ? AND erased_at IS NULL`),
			kid, base64.StdEncoding.EncodeToString(resealed), r.id, r.kid)
		unlock()
		if err != nil {
			return n, len(all), fmt.Errorf("store: rewrap %s: %w", r.id, err)
		}
		n++
	}
	return n, len(all), nil
}

// campaignIncident is the incident a campaign belongs to ("INC-…/N1").
func campaignIncident(campaignID string) string {
	id, _, _ := strings.Cut(campaignID, "/")
	return id
}

// emailDigest is the keyed digest that stands in for an address in an
// encrypted store's campaign_recipients.email column: equal addresses of a
// campaign get equal digests, and nobody without the data key can test a
// guess.
func emailDigest(k *incidentKey, campaignID, email string) string {
	m := hmac.New(sha256.New, k.mac)
	m.Write([]byte(campaignID + "\x00" + strings.ToLower(strings.TrimSpace(email))))
	return "h:" + hex.EncodeToString(m.Sum(nil))
}

// sealedBlobPrefix marks a BLOB column sealed with the incident's data key
// (notice messages' exact bytes): the prefix, then nonce || ciphertext || tag.
var sealedBlobPrefix = []byte("irbot.sealed.v1\x00")

func noticeAAD(incidentID, noticeID string, attempt int) []byte {
	return fmt.Appendf(nil, "irbot.notice.v1\x00%s\x00%s\x00%d", incidentID, noticeID, attempt)
}

// sealBlob seals plain for a BLOB column.
func sealBlob(k *incidentKey, plain, aad []byte) ([]byte, error) {
	ct, err := keyring.SealWith(k.aead, plain, aad)
	if err != nil {
		return nil, err
	}
	return append(bytes.Clone(sealedBlobPrefix), ct...), nil
}

// openBlob returns a BLOB column's plain bytes: as stored when not sealed,
// nil after erasure or without keys.
func (s *sqlStore) openBlob(ctx context.Context, q querier, incidentID string, raw, aad []byte) ([]byte, error) {
	if !bytes.HasPrefix(raw, sealedBlobPrefix) {
		return raw, nil
	}
	if s.ring == nil {
		return nil, nil
	}
	k, err := s.dataKey(ctx, q, incidentID, false)
	if errors.Is(err, ErrErased) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return keyring.OpenWith(k.aead, raw[len(sealedBlobPrefix):], aad)
}

// sealedTextPrefix marks a TEXT column sealed with the incident's data key
// (the register's free text): the prefix, then base64(nonce || ciphertext ||
// tag). PutRegister refuses plain text that starts with it, so a stored
// value with the prefix is always sealed.
const sealedTextPrefix = "irbot.sealed.v1:"

// registerAAD binds a sealed register field to its row and column, so a
// sealed rationale cannot be moved to another row or field unnoticed.
func registerAAD(incidentID, entryID, field string) []byte {
	return []byte("irbot.register.v1\x00" + incidentID + "\x00" + entryID + "\x00" + field)
}

// sealText seals a non-empty text for a TEXT column; empty stays empty.
func sealText(k *incidentKey, plain string, aad []byte) (string, error) {
	if plain == "" {
		return "", nil
	}
	ct, err := keyring.SealWith(k.aead, []byte(plain), aad)
	if err != nil {
		return "", err
	}
	return sealedTextPrefix + base64.StdEncoding.EncodeToString(ct), nil
}

// errSealedText is a sealed TEXT column that does not open with its
// incident's data key: altered, or moved from another row.
var errSealedText = errors.New("sealed text does not open with the incident's data key (altered or moved)")

// openText returns a TEXT column's plain value: as stored when not sealed
// (written before encryption) or when this process has no keys, empty after
// erasure.
func (s *sqlStore) openText(ctx context.Context, q querier, incidentID, stored string, aad []byte) (string, error) {
	b64, ok := strings.CutPrefix(stored, sealedTextPrefix)
	if !ok || s.ring == nil {
		return stored, nil
	}
	k, err := s.dataKey(ctx, q, incidentID, false)
	if errors.Is(err, ErrErased) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	ct, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return "", errSealedText
	}
	plain, err := keyring.OpenWith(k.aead, ct, aad)
	if err != nil {
		return "", errSealedText
	}
	return string(plain), nil
}

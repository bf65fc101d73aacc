// Package keyring holds irbot's encryption keys: AES-256-GCM keys, each with
// an ID, one of them current. Everything irbot encrypts at rest (Temporal
// payloads through the codec, per-incident data keys in the store) names the
// key it used, so a new key can become current while the old ones stay to
// read what they sealed.
//
// Key material comes from IRBOT_ENCRYPTION_KEYS (inline), from the file
// IRBOT_ENCRYPTION_KEYS_FILE, or, when neither is set, from the file
// "encryption.keys" in the data directory, generated on first start with
// mode 0600. Both forms are a list of "ID:BASE64" entries (standard base64 of
// 32 random bytes), one per line or separated by commas; '#' starts a
// comment line; the last entry is the current key.
package keyring

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// Environment variables and the default file name.
const (
	EnvKeys     = "IRBOT_ENCRYPTION_KEYS"
	EnvKeysFile = "IRBOT_ENCRYPTION_KEYS_FILE"
	// DefaultFile is the generated key file inside the data directory.
	DefaultFile = "encryption.keys"
)

// KeySize is the AES-256 key length in bytes.
const KeySize = 32

var idPattern = regexp.MustCompile(`^[A-Za-z0-9._-]{1,32}$`)

// ErrUnknownKey means a sealed value names a key the ring does not hold.
var ErrUnknownKey = errors.New("keyring: unknown key")

// Ring is a set of keys with one current. It is safe for concurrent use.
type Ring struct {
	mu      sync.RWMutex
	ids     []string // in file order; the last is current
	aeads   map[string]cipher.AEAD
	secrets map[string][]byte
	// path is the file the ring was read from ("" when inline), where
	// Rotate writes the new key.
	path string
	// source names where the keys came from, for error messages.
	source string
}

// ErrSharedNeedsKeys is why a replica against a shared Temporal and
// PostgreSQL does not start without keys: each would generate its own, and a
// workflow sealed by one fails on the next replica that cannot open its
// input (seen in the cluster test: the incident's workflow failed at the
// first task another replica ran).
var ErrSharedNeedsKeys = fmt.Errorf("%s or %s must be set when TEMPORAL_ADDRESS and IRBOT_DATABASE_URL are: every replica needs the same keys (a key generated in one replica's data directory cannot be read by the others); make one with `head -c 32 /dev/urandom | base64` and set %s=k1:BASE64 on every replica", EnvKeys, EnvKeysFile, EnvKeys)

// Source says where to find the keys: the values of the two variables and
// the data directory for the generated default.
type Source struct {
	Inline  string // IRBOT_ENCRYPTION_KEYS
	File    string // IRBOT_ENCRYPTION_KEYS_FILE
	DataDir string // IRBOT_DATA_DIR: where the default file is generated
	// Shared is set when the process shares its data with other replicas
	// (TEMPORAL_ADDRESS and IRBOT_DATABASE_URL both set): a key generated in
	// one replica's data directory would seal payloads and data keys the
	// others cannot open, so Load never generates one then.
	Shared bool
}

// Load reads the ring from src. Inline keys win over a file; with neither,
// the default file in the data directory is read, or generated with one
// fresh key when it does not exist. Every error names the variable (or the
// file) whose content is wrong, in one line.
func Load(src Source) (*Ring, error) {
	switch {
	case strings.TrimSpace(src.Inline) != "":
		r, err := Parse(src.Inline)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", EnvKeys, err)
		}
		r.source = EnvKeys
		return r, nil
	case strings.TrimSpace(src.File) != "":
		b, err := os.ReadFile(src.File)
		if err != nil {
			return nil, fmt.Errorf("%s: cannot read the key file: %w", EnvKeysFile, err)
		}
		r, err := Parse(string(b))
		if err != nil {
			return nil, fmt.Errorf("%s (%s): %w", EnvKeysFile, src.File, err)
		}
		r.path, r.source = src.File, EnvKeysFile
		return r, nil
	}
	if src.DataDir == "" {
		return nil, fmt.Errorf("%s: no keys and no data directory to keep a generated key in", EnvKeys)
	}
	path := filepath.Join(src.DataDir, DefaultFile)
	b, err := os.ReadFile(path) // #nosec G304 -- the generated key file in the operator's data directory (IRBOT_DATA_DIR)
	switch {
	case err == nil:
		r, err := Parse(string(b))
		if err != nil {
			return nil, fmt.Errorf("%s (the generated key file %s): %w", EnvKeysFile, path, err)
		}
		r.path, r.source = path, path
		return r, nil
	case !errors.Is(err, os.ErrNotExist):
		return nil, fmt.Errorf("key file %s: %w", path, err)
	}
	if src.Shared {
		return nil, ErrSharedNeedsKeys
	}
	if err := os.MkdirAll(src.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("key file %s: %w", path, err)
	}
	r := &Ring{aeads: map[string]cipher.AEAD{}, secrets: map[string][]byte{}, path: path, source: path}
	if _, err := r.addNew(); err != nil {
		return nil, err
	}
	if err := r.save(true); err != nil {
		return nil, err
	}
	return r, nil
}

// Parse reads "ID:BASE64" entries (lines or commas; '#' comment lines);
// the last entry is current.
func Parse(s string) (*Ring, error) {
	r := &Ring{aeads: map[string]cipher.AEAD{}, secrets: map[string][]byte{}}
	n := 0
	var entries []string
	for _, line := range strings.Split(s, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "#") {
			continue
		}
		entries = append(entries, strings.Split(line, ",")...)
	}
	for _, line := range entries {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		n++
		id, b64, ok := strings.Cut(line, ":")
		id = strings.TrimSpace(id)
		if !ok {
			return nil, fmt.Errorf("entry %d is not ID:BASE64", n)
		}
		if !idPattern.MatchString(id) {
			return nil, fmt.Errorf("entry %d: key ID must be 1 to 32 letters, digits, '.', '_' or '-'", n)
		}
		secret, err := base64.StdEncoding.DecodeString(strings.TrimSpace(b64))
		if err != nil || len(secret) != KeySize {
			// Never quote the material itself.
			return nil, fmt.Errorf("key %s is not the standard base64 of %d bytes (generate one with: head -c 32 /dev/urandom | base64)", id, KeySize)
		}
		if _, dup := r.aeads[id]; dup {
			return nil, fmt.Errorf("key ID %s appears twice", id)
		}
		if err := r.add(id, secret); err != nil {
			return nil, err
		}
	}
	if len(r.ids) == 0 {
		return nil, errors.New("no keys (expected ID:BASE64 entries)")
	}
	return r, nil
}

func (r *Ring) add(id string, secret []byte) error {
	block, err := aes.NewCipher(secret)
	if err != nil {
		return fmt.Errorf("key %s: %w", id, err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return fmt.Errorf("key %s: %w", id, err)
	}
	r.ids = append(r.ids, id)
	r.aeads[id] = aead
	r.secrets[id] = slices.Clone(secret)
	return nil
}

// addNew generates a key with the next free ID "kN" and makes it current.
func (r *Ring) addNew() (string, error) {
	secret := make([]byte, KeySize)
	if _, err := rand.Read(secret); err != nil {
		return "", fmt.Errorf("keyring: generate a key: %w", err)
	}
	id := ""
	for n := len(r.ids) + 1; ; n++ {
		id = "k" + strconv.Itoa(n)
		if _, taken := r.aeads[id]; !taken {
			break
		}
	}
	return id, r.add(id, secret)
}

// save writes the ring to its file with mode 0600, through a temporary
// file and a rename so a crash leaves either the old or the new ring.
func (r *Ring) save(create bool) error {
	var b strings.Builder
	b.WriteString("# irbot encryption keys: one ID:BASE64 per line; the last one is current. Keep this file secret and backed up;\n")
	b.WriteString("# without it the encrypted payloads and personal data in the store cannot be read.\n")
	for _, id := range r.ids {
		b.WriteString(id + ":" + base64.StdEncoding.EncodeToString(r.secrets[id]) + "\n")
	}
	dir := filepath.Dir(r.path)
	tmp, err := os.CreateTemp(dir, ".encryption-keys-*")
	if err != nil {
		return fmt.Errorf("keyring: write %s: %w", r.path, err)
	}
	defer func() { _ = os.Remove(tmp.Name()) }()
	if err := tmp.Chmod(0o600); err != nil {
		_ = tmp.Close()
		return fmt.Errorf("keyring: write %s: %w", r.path, err)
	}
	if _, err := tmp.WriteString(b.String()); err != nil {
		_ = tmp.Close()
		return fmt.Errorf("keyring: write %s: %w", r.path, err)
	}
	if err := tmp.Sync(); err != nil {
		_ = tmp.Close()
		return fmt.Errorf("keyring: write %s: %w", r.path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("keyring: write %s: %w", r.path, err)
	}
	if create {
		// Two processes starting at once: the first file wins.
		if err := os.Link(tmp.Name(), r.path); err != nil {
			return fmt.Errorf("keyring: create %s: %w", r.path, err)
		}
		return nil
	}
	if err := os.Rename(tmp.Name(), r.path); err != nil {
		return fmt.Errorf("keyring: write %s: %w", r.path, err)
	}
	return nil
}

// Rotate adds a fresh key, makes it current and writes the ring back to its
// file. Keys given inline cannot be rotated by irbot: the operator adds an
// entry to the variable.
func (r *Ring) Rotate() (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.path == "" {
		return "", fmt.Errorf("keyring: the keys come from %s; add a new ID:BASE64 entry at its end yourself (head -c 32 /dev/urandom | base64)", EnvKeys)
	}
	id, err := r.addNew()
	if err != nil {
		return "", err
	}
	if err := r.save(false); err != nil {
		r.ids = r.ids[:len(r.ids)-1]
		delete(r.aeads, id)
		delete(r.secrets, id)
		return "", err
	}
	return id, nil
}

// Current is the ID of the key new values are sealed with.
func (r *Ring) Current() string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.ids[len(r.ids)-1]
}

// IDs lists the key IDs, oldest first.
func (r *Ring) IDs() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return slices.Clone(r.ids)
}

// Path is the key file ("" for inline keys).
func (r *Ring) Path() string { return r.path }

// Seal encrypts plain with the current key. The result is the random
// 12-byte nonce followed by the ciphertext and tag; aad is authenticated,
// not stored (bind a value to its place, e.g. an incident ID).
func (r *Ring) Seal(plain, aad []byte) (keyID string, sealed []byte, err error) {
	r.mu.RLock()
	id := r.ids[len(r.ids)-1]
	aead := r.aeads[id]
	r.mu.RUnlock()
	sealed, err = SealWith(aead, plain, aad)
	return id, sealed, err
}

// Open decrypts what Seal returned with the key keyID.
func (r *Ring) Open(keyID string, sealed, aad []byte) ([]byte, error) {
	r.mu.RLock()
	aead, ok := r.aeads[keyID]
	r.mu.RUnlock()
	if !ok {
		return nil, fmt.Errorf("%w %q (the ring holds %s)", ErrUnknownKey, keyID, strings.Join(r.IDs(), ", "))
	}
	return OpenWith(aead, sealed, aad)
}

// NewAEAD makes an AES-256-GCM cipher from a 32-byte key (per-incident data keys).
func NewAEAD(key []byte) (cipher.AEAD, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("keyring: a data key has %d bytes, want %d", len(key), KeySize)
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

// NewDataKey returns 32 random bytes.
func NewDataKey() ([]byte, error) {
	k := make([]byte, KeySize)
	if _, err := rand.Read(k); err != nil {
		return nil, fmt.Errorf("keyring: generate a data key: %w", err)
	}
	return k, nil
}

// SealWith encrypts with aead: nonce || ciphertext || tag.
func SealWith(aead cipher.AEAD, plain, aad []byte) ([]byte, error) {
	nonce := make([]byte, aead.NonceSize(), aead.NonceSize()+len(plain)+aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return nil, fmt.Errorf("keyring: nonce: %w", err)
	}
	return aead.Seal(nonce, nonce, plain, aad), nil
}

// OpenWith decrypts what SealWith returned.
func OpenWith(aead cipher.AEAD, sealed, aad []byte) ([]byte, error) {
	if len(sealed) < aead.NonceSize()+aead.Overhead() {
		return nil, errors.New("keyring: sealed value is too short")
	}
	n := aead.NonceSize()
	plain, err := aead.Open(nil, sealed[:n], sealed[n:], aad)
	if err != nil {
		return nil, errors.New("keyring: cannot decrypt: wrong key or altered data")
	}
	return plain, nil
}

// Package checkpoint loads the Ed25519 key that signs checkpoints of every
// incident's chain head (internal/store, CheckpointStore).
package checkpoint

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/irbot/irbot/internal/store"
)

// Environment variables, in the order they are tried.
const (
	// KeyEnv holds the key's 32-byte seed as 64 hex digits.
	KeyEnv = "IRBOT_CHECKPOINT_KEY"
	// KeyFileEnv names a file holding the seed (64 hex digits). Unset: the
	// file checkpoint.key in the data directory, generated at first start
	// with mode 0600.
	KeyFileEnv = "IRBOT_CHECKPOINT_KEY_FILE"
)

// DefaultKeyFile is the key's file name in the data directory.
const DefaultKeyFile = "checkpoint.key"

// LoadKey returns the checkpoint signing key from the environment (getenv),
// or from the key file, creating the default file when it does not exist.
// Errors name the variable, never the key.
func LoadKey(getenv func(string) string, dataDir string) (ed25519.PrivateKey, error) {
	if v := strings.TrimSpace(getenv(KeyEnv)); v != "" {
		k, err := parseSeed(v)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", KeyEnv, err)
		}
		return k, nil
	}
	path := strings.TrimSpace(getenv(KeyFileEnv))
	explicit := path != ""
	if !explicit {
		if dataDir == "" {
			return nil, fmt.Errorf("no checkpoint key: set %s or %s, or a data directory", KeyEnv, KeyFileEnv)
		}
		path = filepath.Join(dataDir, DefaultKeyFile)
	}
	b, err := os.ReadFile(path) // #nosec G304 -- the operator's IRBOT_CHECKPOINT_KEY_FILE or the data directory's generated key
	switch {
	case err == nil:
		k, err := parseSeed(strings.TrimSpace(string(b)))
		if err != nil {
			return nil, fmt.Errorf("checkpoint key file %s (%s): %w", path, KeyFileEnv, err)
		}
		return k, nil
	case errors.Is(err, os.ErrNotExist) && !explicit:
		return createKey(path)
	default:
		return nil, fmt.Errorf("checkpoint key file %s (%s): %w", path, KeyFileEnv, err)
	}
}

func parseSeed(v string) (ed25519.PrivateKey, error) {
	seed, err := hex.DecodeString(v)
	if err != nil || len(seed) != ed25519.SeedSize {
		return nil, fmt.Errorf("want %d hex digits (an Ed25519 seed)", 2*ed25519.SeedSize)
	}
	return ed25519.NewKeyFromSeed(seed), nil
}

func createKey(path string) (ed25519.PrivateKey, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("checkpoint key: %w", err)
	}
	seed := make([]byte, ed25519.SeedSize)
	if _, err := rand.Read(seed); err != nil {
		return nil, fmt.Errorf("checkpoint key: %w", err)
	}
	// O_EXCL: two first starts at once keep one key.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600) // #nosec G304 -- the key file in the operator's data directory
	if errors.Is(err, os.ErrExist) {
		b, rerr := os.ReadFile(path) // #nosec G304 -- the same file, written by a concurrent first start
		if rerr != nil {
			return nil, fmt.Errorf("checkpoint key: %w", rerr)
		}
		return parseSeed(strings.TrimSpace(string(b)))
	}
	if err != nil {
		return nil, fmt.Errorf("checkpoint key: %w", err)
	}
	if _, err := f.WriteString(hex.EncodeToString(seed) + "\n"); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("checkpoint key: %w", err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("checkpoint key: %w", err)
	}
	return ed25519.NewKeyFromSeed(seed), nil
}

// Summary is the checkpoint as the digest shows it: enough to compare with
// the store later (id, time, key, signature, every head).
func Summary(c store.Checkpoint) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Chain checkpoint %d, signed %s (Ed25519 key %s)\n", c.ID, c.At.UTC().Format("2006-01-02T15:04:05Z"), c.PublicKey)
	fmt.Fprintf(&b, "body: %s\nsignature: %s\n", c.Body, c.Signature)
	return b.String()
}

package main

import (
	"context"
	"crypto/ed25519"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/irbot/irbot/activities"
	"github.com/irbot/irbot/internal/checkpoint"
	"github.com/irbot/irbot/internal/store"
)

// wireCheckpoints loads (or, on first start, creates) the checkpoint
// signing key, signs a checkpoint of every chain head now, and has the
// daily digest sign and carry a new one, so a copy of each is held outside
// the database (the compliance channel and its email).
//
// With IRBOT_RETENTION set, closed incidents older than it are purged (a
// tombstone keeps each one's final chain head) at start and before each
// digest's checkpoint. It returns the key, which also signs checkpoints on
// demand (POST /api/v1/checkpoints).
func wireCheckpoints(ctx context.Context, dataDir string, st store.Store, digest *activities.Digest) (ed25519.PrivateKey, error) {
	key, err := checkpoint.LoadKey(os.Getenv, dataDir)
	if err != nil {
		return nil, err
	}
	retention, err := parseRetention(os.Getenv(RetentionEnv))
	if err != nil {
		return nil, err
	}
	purge := func(ctx context.Context) error {
		if retention == 0 {
			return nil
		}
		_, err := st.PurgeClosedBefore(ctx, time.Now().Add(-retention), RetentionEnv+"="+os.Getenv(RetentionEnv))
		return err
	}
	if err := purge(ctx); err != nil {
		return nil, fmt.Errorf("%s: purge: %w", RetentionEnv, err)
	}
	if _, err := st.SignCheckpoint(ctx, key, time.Now()); err != nil {
		return nil, fmt.Errorf("first checkpoint: %w", err)
	}
	digest.Checkpoint = func(ctx context.Context) (string, error) {
		if err := purge(ctx); err != nil {
			return "", fmt.Errorf("%s: purge: %w", RetentionEnv, err)
		}
		c, err := st.SignCheckpoint(ctx, key, time.Now())
		if err != nil {
			return "", err
		}
		return checkpoint.Summary(c), nil
	}
	return key, nil
}

// RetentionEnv is how long closed incidents are kept in the store.
const RetentionEnv = "IRBOT_RETENTION"

// parseRetention reads IRBOT_RETENTION: unset or "forever" keeps everything
// (0); otherwise days ("2555d") or a Go duration ("8760h"), at least a day.
func parseRetention(v string) (time.Duration, error) {
	v = strings.TrimSpace(v)
	if v == "" || strings.EqualFold(v, "forever") {
		return 0, nil
	}
	var d time.Duration
	if n, ok := strings.CutSuffix(v, "d"); ok {
		days, err := strconv.Atoi(n)
		if err != nil {
			return 0, fmt.Errorf("%s is not a number of days like 2555d, a duration like 8760h, or forever", RetentionEnv)
		}
		d = time.Duration(days) * 24 * time.Hour
	} else {
		var err error
		if d, err = time.ParseDuration(v); err != nil {
			return 0, fmt.Errorf("%s is not a number of days like 2555d, a duration like 8760h, or forever", RetentionEnv)
		}
	}
	if d < 24*time.Hour {
		return 0, fmt.Errorf("%s must be at least a day (1d), or forever", RetentionEnv)
	}
	return d, nil
}

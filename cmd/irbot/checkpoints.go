package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/irbot/irbot/activities"
	"github.com/irbot/irbot/internal/checkpoint"
	"github.com/irbot/irbot/internal/store"
)

// wireCheckpoints loads (or, on first start, creates) the checkpoint
// signing key, signs a checkpoint of every chain head now, and has the
// daily digest sign and carry a new one, so a copy of each is held outside
// the database (the compliance channel and its email).
func wireCheckpoints(ctx context.Context, dataDir string, st store.CheckpointStore, digest *activities.Digest) error {
	key, err := checkpoint.LoadKey(os.Getenv, dataDir)
	if err != nil {
		return err
	}
	if _, err := st.SignCheckpoint(ctx, key, time.Now()); err != nil {
		return fmt.Errorf("first checkpoint: %w", err)
	}
	digest.Checkpoint = func(ctx context.Context) (string, error) {
		c, err := st.SignCheckpoint(ctx, key, time.Now())
		if err != nil {
			return "", err
		}
		return checkpoint.Summary(c), nil
	}
	return nil
}

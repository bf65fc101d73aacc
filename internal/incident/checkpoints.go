package incident

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/irbot/irbot/internal/apperr"
	"github.com/irbot/irbot/internal/policy"
	"github.com/irbot/irbot/internal/store"
	"github.com/irbot/irbot/workflows"
)

// Checkpoints keeps and signs the checkpoints of every chain head
// (store.CheckpointStore).
type Checkpoints interface {
	LatestCheckpoint(ctx context.Context) (store.Checkpoint, error)
	CheckpointByID(ctx context.Context, id int64) (store.Checkpoint, error)
	SignCheckpoint(ctx context.Context, key ed25519.PrivateKey, at time.Time) (store.Checkpoint, error)
}

var _ Checkpoints = (store.Store)(nil)

// Tombstones lists what retention purged (store.RecordStore).
type Tombstones interface {
	Tombstones(ctx context.Context) ([]store.Tombstone, error)
}

var _ Tombstones = (store.Store)(nil)

// InstallationChain is the installation's own hash chain, beside the
// incidents' ones: a refused record action (reading checkpoints or
// tombstones, signing a checkpoint) belongs to no incident, so it is
// appended here, once per request. No incident takes this ID (theirs are
// INC-... and DRILL-...); checkpoints cover its head like any chain's, and
// the record's readers read and verify it like an incident's timeline
// (`irbot verify INSTALLATION`).
const InstallationChain = "INSTALLATION"

// mayOnRecord refuses a record action (policy.RecordActions) to who may
// not take it, and puts the refusal on the installation's chain.
func (s *Service) mayOnRecord(ctx context.Context, actor workflows.Actor, action, what string) error {
	if err := needAnyRole(actor); err != nil {
		return err
	}
	if !policy.MayOnRecord(action, actor.Roles) {
		err := apperr.New(apperr.Forbidden, "%s: for %s", what, strings.Join(policy.RecordActions[action], ", "))
		s.recordInstallationDenial(ctx, actor, action, apperr.MessageOf(err))
		return err
	}
	return nil
}

// recordInstallationDenial appends a refused record action to the
// installation's chain. If the write fails the refusal still stands, as
// an incident's refusal does when RecordDenial fails.
func (s *Service) recordInstallationDenial(ctx context.Context, actor workflows.Actor, action, reason string) {
	data, err := json.Marshal(map[string]any{"action": shown(action), "reason": shownText(reason), "roles": actor.Roles})
	if err != nil {
		return
	}
	key := fmt.Sprintf("denied:%s:%s:%d", shown(actor.ID), action, s.now().UnixNano())
	_, _, _ = s.Store.Append(ctx, store.Event{IncidentID: InstallationChain, Key: key, At: s.now().UTC(), Kind: kindActionDenied, Actor: shown(actor.ID), Data: data})
}

// Checkpoint returns signed checkpoint id, or the latest one when id is 0,
// exactly as it was signed (the form irbot verify --checkpoint reads).
func (s *Service) Checkpoint(ctx context.Context, actor workflows.Actor, id int64) (store.Checkpoint, error) {
	if err := s.mayOnRecord(ctx, actor, policy.ReadCheckpoints, "checkpoints"); err != nil {
		return store.Checkpoint{}, err
	}
	if s.Checkpoints == nil {
		return store.Checkpoint{}, apperr.New(apperr.Unavailable, "checkpoints are not available")
	}
	if id < 0 {
		return store.Checkpoint{}, apperr.New(apperr.NotFound, "no checkpoint %d: checkpoints are numbered from 1", id)
	}
	var c store.Checkpoint
	var err error
	if id == 0 {
		c, err = s.Checkpoints.LatestCheckpoint(ctx)
	} else {
		c, err = s.Checkpoints.CheckpointByID(ctx, id)
	}
	if errors.Is(err, store.ErrNotFound) {
		if id == 0 {
			return c, apperr.New(apperr.NotFound, "no checkpoint has been signed yet")
		}
		return c, apperr.New(apperr.NotFound, "no checkpoint %d", id)
	}
	return c, err
}

// MaxCheckpointsListed bounds RecentCheckpoints: a page of the newest.
const MaxCheckpointsListed = 50

// RecentCheckpoints returns up to n of the newest signed checkpoints,
// newest first (none yet: an empty list). n is clamped to 1 to
// MaxCheckpointsListed.
func (s *Service) RecentCheckpoints(ctx context.Context, actor workflows.Actor, n int) ([]store.Checkpoint, error) {
	if err := s.mayOnRecord(ctx, actor, policy.ReadCheckpoints, "checkpoints"); err != nil {
		return nil, err
	}
	if s.Checkpoints == nil {
		return nil, apperr.New(apperr.Unavailable, "checkpoints are not available")
	}
	n = min(max(n, 1), MaxCheckpointsListed)
	latest, err := s.Checkpoints.LatestCheckpoint(ctx)
	if errors.Is(err, store.ErrNotFound) {
		return []store.Checkpoint{}, nil
	}
	if err != nil {
		return nil, err
	}
	out := []store.Checkpoint{latest}
	// Numbers are handed out in order; a gap (none today) is skipped, a
	// long run of them is not searched.
	for id := latest.ID - 1; id >= 1 && len(out) < n && latest.ID-id <= int64(2*n); id-- {
		c, err := s.Checkpoints.CheckpointByID(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// SignCheckpoint signs a checkpoint of every incident's chain head now, so
// a copy can be taken away from the server at once rather than with the
// next daily digest.
func (s *Service) SignCheckpoint(ctx context.Context, actor workflows.Actor) (store.Checkpoint, error) {
	if err := s.mayOnRecord(ctx, actor, policy.SignCheckpoint, "signing a checkpoint"); err != nil {
		return store.Checkpoint{}, err
	}
	if s.Checkpoints == nil || len(s.CheckpointKey) == 0 {
		return store.Checkpoint{}, apperr.New(apperr.Unavailable, "this server has no checkpoint key")
	}
	return s.Checkpoints.SignCheckpoint(ctx, s.CheckpointKey, s.now())
}

// TombstoneFilter selects tombstones by when they were purged: From
// inclusive, To exclusive; nil does not filter.
type TombstoneFilter struct {
	From, To *time.Time
}

// Tombstones lists what is left of purged incidents (ID, title, times,
// final chain head, reason), by incident ID, purged within the filter's
// period.
func (s *Service) Tombstones(ctx context.Context, actor workflows.Actor, f TombstoneFilter) ([]store.Tombstone, error) {
	if err := s.mayOnRecord(ctx, actor, policy.ReadTombstones, "tombstones"); err != nil {
		return nil, err
	}
	if f.From != nil && f.To != nil && !f.From.Before(*f.To) {
		return nil, apperr.New(apperr.Invalid, "the period is empty: from %s is not before to %s", f.From.Format(time.RFC3339), f.To.Format(time.RFC3339))
	}
	if s.Purged == nil {
		return nil, apperr.New(apperr.Unavailable, "tombstones are not available")
	}
	all, err := s.Purged.Tombstones(ctx)
	if err != nil {
		return nil, err
	}
	out := []store.Tombstone{}
	for _, t := range all {
		if (f.From == nil || !t.PurgedAt.Before(*f.From)) && (f.To == nil || t.PurgedAt.Before(*f.To)) {
			out = append(out, t)
		}
	}
	return out, nil
}

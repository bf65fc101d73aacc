package incident

import (
	"bytes"
	"crypto/ed25519"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/irbot/irbot/internal/apperr"
	"github.com/irbot/irbot/internal/store"
	"github.com/irbot/irbot/workflows"
)

// Refused record actions belong to no incident: each lands once on the
// installation's chain, which the record's readers read and verify like an
// incident's, and which the next checkpoint covers.
func TestRecordRefusalsGoOnTheInstallationChain(t *testing.T) {
	st, err := store.Open(t.Context(), "", filepath.Join(t.TempDir(), "data"))
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	key := ed25519.NewKeyFromSeed(bytes.Repeat([]byte{3}, ed25519.SeedSize))
	s := &Service{Store: st, Checkpoints: st, CheckpointKey: key, Purged: st}
	ctx := t.Context()
	responder := workflows.Actor{ID: "U-R", Roles: []string{"responder"}}
	compliance := workflows.Actor{ID: "U-C", Roles: []string{"compliance"}}

	_, err = s.SignCheckpoint(ctx, responder)
	require.Equal(t, apperr.Forbidden, apperr.CodeOf(err))
	_, err = s.Tombstones(ctx, responder, TombstoneFilter{})
	require.Equal(t, apperr.Forbidden, apperr.CodeOf(err))
	_, err = s.Checkpoint(ctx, responder, 0)
	require.Equal(t, apperr.Forbidden, apperr.CodeOf(err))
	_, err = s.RecentCheckpoints(ctx, workflows.Actor{ID: "U-X"}, 5)
	require.Equal(t, apperr.Forbidden, apperr.CodeOf(err), "no role at all: refused before the policy, as everywhere")
	_, err = s.Tombstones(ctx, workflows.Actor{}, TombstoneFilter{})
	require.Equal(t, apperr.Unauthorized, apperr.CodeOf(err), "no identity: nothing to record")
	var wg sync.WaitGroup
	for range 5 {
		wg.Go(func() {
			_, err := s.SignCheckpoint(ctx, workflows.Actor{ID: "U-R\x00東", Roles: []string{"responder"}})
			require.Error(t, err)
		})
	}
	wg.Wait()

	events, err := s.Timeline(ctx, compliance, InstallationChain)
	require.NoError(t, err)
	require.Len(t, events, 8, "each policy refusal once, concurrent ones included; none without an identity or a role")
	for _, e := range events {
		require.Equal(t, kindActionDenied, e.Kind)
	}
	require.Equal(t, "U-R", events[0].Actor)
	require.Contains(t, string(events[0].Data), `"action":"sign_checkpoint"`)
	require.Contains(t, string(events[0].Data), `"roles":["responder"]`)
	require.Contains(t, string(events[1].Data), `"action":"read_tombstones"`)

	res, err := s.Verify(ctx, compliance, InstallationChain)
	require.NoError(t, err)
	require.True(t, res.OK)
	require.EqualValues(t, 8, res.Events)
	_, err = s.Verify(ctx, responder, InstallationChain)
	require.Equal(t, apperr.Forbidden, apperr.CodeOf(err), "the installation's chain is for the record's readers")
	_, err = s.Timeline(ctx, responder, InstallationChain)
	require.Equal(t, apperr.Forbidden, apperr.CodeOf(err))
	events, err = s.Timeline(ctx, compliance, InstallationChain)
	require.NoError(t, err)
	require.Len(t, events, 10, "reading the installation's chain without the role is a record refusal too, on that chain")
	require.Equal(t, "U-R", events[9].Actor)
	require.Contains(t, string(events[9].Data), `"action":"read_checkpoints"`)
	require.Contains(t, string(events[9].Data), `the installation's chain: for`)

	cp, err := s.SignCheckpoint(ctx, compliance)
	require.NoError(t, err)
	body, err := cp.ReadBody()
	require.NoError(t, err)
	covered := false
	for _, h := range body.Heads {
		covered = covered || (h.IncidentID == InstallationChain && h.Seq == 10 && h.Hash == events[9].Hash)
	}
	require.True(t, covered, "the checkpoint witnesses the installation's chain head: %+v", body.Heads)
	more, err := s.Timeline(ctx, compliance, InstallationChain)
	require.NoError(t, err)
	require.Len(t, more, 10, "an allowed action adds nothing")
	require.Contains(t, more[3].Actor, "not shown", "an actor ID that is not text is not written as is")
}

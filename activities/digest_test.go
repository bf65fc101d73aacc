package activities_test

import (
	"context"
	"crypto/ed25519"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/irbot/irbot/activities"
	"github.com/irbot/irbot/internal/checkpoint"
	"github.com/irbot/irbot/internal/store"
	"github.com/irbot/irbot/workflows"
)

type openIncidents []workflows.IncidentState

func (o openIncidents) OpenIncidents(context.Context) ([]workflows.IncidentState, error) {
	return o, nil
}

type recordedDigest struct {
	channel, text string
	lines         []workflows.DigestLine
}

func (r *recordedDigest) SendDigest(_ context.Context, channel, text string, lines []workflows.DigestLine) error {
	r.channel, r.text, r.lines = channel, text, lines
	return nil
}

var (
	_ activities.OpenIncidents = openIncidents(nil)
	_ activities.DigestSender  = (*recordedDigest)(nil)
)

func TestDigestListsOpenLiveClocksMostUrgentFirst(t *testing.T) {
	now := time.Date(2026, 3, 4, 8, 0, 0, 0, time.UTC)
	at := func(h int) *time.Time { t := now.Add(time.Duration(h) * time.Hour); return &t }
	states := openIncidents{
		{ID: "INC-2026-0001", Title: "Bucket exposed", Mode: workflows.ModeLive, Status: workflows.StatusOpen, Clocks: []workflows.ClockState{
			{Regime: "eu-gdpr", Obligation: "supervisory-authority", Recipient: "authority", Status: workflows.ClockRunning, DueAt: at(30)},
			{Regime: "eu-gdpr", Obligation: "data-subjects", Recipient: "individuals", Status: workflows.ClockNoDeadline},
			{Regime: "us-ca", Obligation: "residents", Recipient: "individuals", Status: workflows.ClockWaiting, WaitingFor: "discovery"},
		}},
		{ID: "INC-2026-0002", Title: "Laptop stolen", Mode: workflows.ModeLive, Status: workflows.StatusOpen, Clocks: []workflows.ClockState{
			{Regime: "uk-gdpr", Obligation: "ico", Recipient: "authority", Status: workflows.ClockRunning, DueAt: at(-2)},
			{Regime: "eu-nis2", Obligation: "early-warning", Recipient: "authority", Status: workflows.ClockMet, DueAt: at(-20)},
		}},
		{ID: "DRILL-2026-0001", Title: "Tabletop", Mode: workflows.ModeDrill, Status: workflows.StatusOpen, Clocks: []workflows.ClockState{
			{Regime: "eu-gdpr", Obligation: "supervisory-authority", Recipient: "authority", Status: workflows.ClockRunning, DueAt: at(1)},
		}},
	}
	sender := &recordedDigest{}
	d := &activities.Digest{Incidents: states, Sender: sender}
	res, err := d.SendDigest(t.Context(), workflows.DigestRequest{Channel: "C0COMPLIANCE", At: now})
	require.NoError(t, err)
	require.Equal(t, 2, res.Incidents, "drills stay out of the digest")
	require.Equal(t, 3, res.Open)
	require.Equal(t, 1, res.Overdue)
	require.Equal(t, "C0COMPLIANCE", sender.channel)
	var order []string
	for _, l := range sender.lines {
		order = append(order, l.IncidentID+" "+l.Regime)
	}
	require.Equal(t, []string{"INC-2026-0002 uk-gdpr", "INC-2026-0001 eu-gdpr", "INC-2026-0001 us-ca"}, order,
		"overdue first, then soonest due, then clocks waiting for a trigger; settled and no-deadline clocks left out")
	require.Equal(t, workflows.ClockOverdue, sender.lines[0].Status)
	require.Contains(t, sender.text, "3 open across 2 incidents, 1 overdue")
	// Time left worded as on the card and in `irbot clocks` (deadline.Left).
	require.Contains(t, sender.text, "INC-2026-0002 uk-gdpr/ico → authority: overdue by 2 h (was due 2026-03-04 06:00 UTC)")
	require.Contains(t, sender.text, "INC-2026-0001 eu-gdpr/supervisory-authority → authority: due in 1 d 6 h (2026-03-05 14:00 UTC)")
	require.Contains(t, sender.text, "waiting for discovery")
	require.False(t, strings.Contains(sender.text, "DRILL"), "drill clocks never reach the compliance channel")
}

// TestDigestCarriesASignedCheckpoint: the daily digest signs every chain
// head and carries the checkpoint, so a copy lives outside the database.
func TestDigestCarriesASignedCheckpoint(t *testing.T) {
	st, err := store.Open(t.Context(), "", filepath.Join(t.TempDir(), "data"))
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	ev, _, err := st.Append(t.Context(), store.Event{IncidentID: "INC-2026-0001", Key: "k1", Kind: "incident.declared", Actor: "U1"})
	require.NoError(t, err)
	key := ed25519.NewKeyFromSeed(make([]byte, 32))
	sender := &recordedDigest{}
	d := &activities.Digest{Incidents: openIncidents{}, Sender: sender, Checkpoint: func(ctx context.Context) (string, error) {
		c, err := st.SignCheckpoint(ctx, key, time.Now())
		if err != nil {
			return "", err
		}
		return checkpoint.Summary(c), nil
	}}
	_, err = d.SendDigest(t.Context(), workflows.DigestRequest{Channel: "C0COMPLIANCE"})
	require.NoError(t, err)
	c, err := st.LatestCheckpoint(t.Context())
	require.NoError(t, err)
	require.NoError(t, c.CheckSignature())
	require.Contains(t, sender.text, "Chain checkpoint 1")
	require.Contains(t, sender.text, c.Signature, "the digest carries the signature")
	require.Contains(t, sender.text, ev.Hash, "the digest carries every chain head")
}

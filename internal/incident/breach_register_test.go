package incident

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/irbot/irbot/internal/apperr"
	"github.com/irbot/irbot/internal/store"
	"github.com/irbot/irbot/workflows"
)

// TestBreachRegisterRowsFromTheTimeline: one row per live incident from its
// declaration on (settled or not), never a drill, outcomes and decisions
// from the chain; filters honoured, bad ones refused; the HIPAA annual log.
func TestBreachRegisterRowsFromTheTimeline(t *testing.T) {
	st, err := store.Open(t.Context(), "", filepath.Join(t.TempDir(), "data"))
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	ctx := t.Context()
	prefix := "BR" + strings.ReplaceAll(time.Now().Format("150405.000000"), ".", "")
	declare := func(mode string, at time.Time, regimes []string, facts map[string]any) string {
		id, _, err := st.ReserveIncidentID(ctx, prefix, "")
		require.NoError(t, err)
		require.NoError(t, st.UpsertIncident(ctx, store.Incident{ID: id, Title: "t " + id, Mode: mode, Status: "open", DeclaredBy: "U1", DeclaredAt: at}))
		d, _ := json.Marshal(map[string]any{"title": "Fuite — 東京 =1+1", "regimes": regimes, "facts": facts, "aware_at": at.Add(-time.Hour).Format(time.RFC3339)})
		_, _, err = st.Append(ctx, store.Event{IncidentID: id, Key: "declared", At: at, Kind: "incident.declared", Actor: "U1", Data: d})
		require.NoError(t, err)
		return id
	}
	add := func(id, key, kind string, at time.Time, data map[string]any) {
		d, _ := json.Marshal(data)
		_, _, err := st.Append(ctx, store.Event{IncidentID: id, Key: key, At: at, Kind: kind, Actor: "U2", Data: d})
		require.NoError(t, err)
	}
	mar := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	bare := declare(workflows.ModeLive, mar, []string{"eu-gdpr"}, nil)
	full := declare(workflows.ModeLive, mar.Add(24*time.Hour), []string{"eu-gdpr", "us-hipaa"}, map[string]any{"nature": "=HYPERLINK(\"http://x\")"})
	add(full, "c1", "clock.added", mar.Add(25*time.Hour), map[string]any{"regime": "eu-gdpr", "obligation": "supervisory-authority", "recipient": "authority", "due_at": "2026-03-06T08:00:00Z"})
	add(full, "c2", "clock.added", mar.Add(25*time.Hour), map[string]any{"regime": "eu-gdpr", "obligation": "data-subjects", "recipient": "individuals"})
	add(full, "f1", "fact.set", mar.Add(26*time.Hour), map[string]any{"name": "subjects_count", "value": 120})
	add(full, "r1", "notification.recorded", mar.Add(27*time.Hour), map[string]any{"regime": "eu-gdpr", "obligation": "supervisory-authority",
		"sent_at": "2026-03-07T08:00:00Z", "on_time": false, "late_by": "1 d", "late_reason": "forensics"})
	add(full, "n1", "notification.not_required", mar.Add(28*time.Hour), map[string]any{"regime": "eu-gdpr", "obligation": "data-subjects",
		"rationale": "encrypted", "decided_by": []string{"U2", "U3"}})
	add(full, "x1", "incident.closed", mar.Add(29*time.Hour), map[string]any{})
	drill := declare(workflows.ModeDrill, mar, []string{"eu-gdpr"}, nil)
	big := declare(workflows.ModeLive, mar.Add(48*time.Hour), []string{"us-hipaa"}, map[string]any{"subjects_count": 900})

	svc := &Service{Store: st}
	dpo := workflows.Actor{ID: "U9", Roles: []string{"dpo"}}
	all, err := svc.BreachRegister(ctx, dpo, BreachFilter{})
	require.NoError(t, err)
	rows := map[string]BreachEntry{}
	for _, e := range all {
		rows[e.IncidentID] = e
	}
	require.Contains(t, rows, bare, "a breach with nothing settled has a row")
	require.Empty(t, rows[bare].Obligations)
	require.NotContains(t, rows, drill, "drills never appear")
	f := rows[full]
	require.Equal(t, "closed", f.Status)
	require.Equal(t, "120", string(f.SubjectsCount))
	require.Equal(t, []BreachObligation{
		{Regime: "eu-gdpr", Obligation: "supervisory-authority", Recipient: "authority", DueAt: "2026-03-06T08:00:00Z", Outcome: OutcomeLate,
			SentAt: "2026-03-07T08:00:00Z", LateBy: "1 d", LateReason: "forensics", DecidedBy: []string{"U2"}, Seq: 5},
		{Regime: "eu-gdpr", Obligation: "data-subjects", Recipient: "individuals", Outcome: OutcomeNotNotified, DecidedBy: []string{"U2", "U3"}, Rationale: "encrypted", Seq: 6},
	}, f.Obligations)
	require.Len(t, f.NotNotified, 1)

	var csv bytes.Buffer
	require.NoError(t, WriteBreachRegisterCSV(&csv, all))
	require.Contains(t, csv.String(), `"'=HYPERLINK(""http://x"")"`, "a formula cell is neutralised")
	require.Contains(t, csv.String(), "\r\n")

	from, to := mar.Add(12*time.Hour), mar.Add(36*time.Hour)
	got, err := svc.BreachRegister(ctx, dpo, BreachFilter{From: &from, To: &to})
	require.NoError(t, err)
	require.Len(t, got, 1)
	require.Equal(t, full, got[0].IncidentID)

	svc.Rules = nil // no rules: every regime filter is unknown
	for _, bad := range []BreachFilter{{Regime: "us-hipaa"}, {From: &to, To: &from}, {HIPAAYear: 26}} {
		_, err := svc.BreachRegister(ctx, dpo, bad)
		require.Equal(t, apperr.Invalid, apperr.CodeOf(err), "%+v: %v", bad, err)
	}
	_, err = svc.BreachRegister(ctx, workflows.Actor{ID: "U8", Roles: []string{"responder"}}, BreachFilter{})
	require.Equal(t, apperr.Forbidden, apperr.CodeOf(err))

	// The HIPAA annual log of the year: under us-hipaa, under 500 people.
	e := BuildBreachEntry(store.Incident{ID: full}, mustEvents(t, st, full))
	require.True(t, e.inHIPAALog(2026), "120 people, discovered in 2026")
	require.False(t, e.inHIPAALog(2025))
	require.False(t, BuildBreachEntry(store.Incident{ID: big}, mustEvents(t, st, big)).inHIPAALog(2026), "900 people go to HHS within 60 days, not the log")
}

func mustEvents(t *testing.T, st store.Store, id string) []store.Event {
	t.Helper()
	ev, err := st.Events(t.Context(), id)
	require.NoError(t, err)
	return ev
}

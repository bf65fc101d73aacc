package activities_test

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/irbot/irbot/activities"
	"github.com/irbot/irbot/internal/mail"
	"github.com/irbot/irbot/internal/smtptest"
	"github.com/irbot/irbot/internal/store"
	"github.com/irbot/irbot/workflows"
)

type rolePeople map[string][]string

func (p rolePeople) EmailsWithRole(role string) []string { return p[role] }

var _ activities.People = rolePeople(nil)

func newAlertActivities(t *testing.T, sink string) (*activities.Activities, *smtptest.Server) {
	t.Helper()
	srv := smtptest.Start(t)
	m, err := mail.New(mail.Config{Addr: srv.Addr, From: "irbot@example.com", TLS: mail.TLSNone})
	require.NoError(t, err)
	st, err := store.Open(t.Context(), "", filepath.Join(t.TempDir(), "data"))
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	return &activities.Activities{
		Store: st, Mailer: m, DrillSink: sink,
		People: rolePeople{"dpo": {"dpo@example.com"}, "legal": {"legal@example.com", "dpo@example.com"}},
	}, srv
}

func alert(kind, mode string) workflows.ClockAlert {
	due := time.Date(2026, 3, 5, 8, 0, 0, 0, time.UTC)
	return workflows.ClockAlert{
		IncidentID: "INC-2026-0001", Title: "Bucket exposed", Mode: mode, Kind: kind, Regime: "eu-gdpr",
		Obligation: "supervisory-authority", DueAt: due, At: due.Add(-6 * time.Hour), Left: "due in 6 h", // as the workflow words it (deadline.Left)
		Notify: []string{"dpo", "legal"}, Key: "clock/eu-gdpr/supervisory-authority/" + kind + "/x",
	}
}

func TestEscalationsAreEmailedToRoleHolders(t *testing.T) {
	a, srv := newAlertActivities(t, "")
	require.NoError(t, a.ClockAlert(t.Context(), alert("clock.escalation", workflows.ModeLive)))
	msgs := srv.WaitForMessages(t, 1, 5*time.Second)
	require.ElementsMatch(t, []string{"dpo@example.com", "legal@example.com"}, msgs[0].To, "each role holder once")
	require.Contains(t, msgs[0].Subject, "Escalation: INC-2026-0001 eu-gdpr/supervisory-authority")
	first := msgs[0].MessageID

	// A retried activity sends the same Message-ID; a routine reminder is not emailed.
	require.NoError(t, a.ClockAlert(t.Context(), alert("clock.escalation", workflows.ModeLive)))
	require.NoError(t, a.ClockAlert(t.Context(), alert("clock.reminder", workflows.ModeLive)))
	msgs = srv.WaitForMessages(t, 2, 5*time.Second)
	require.Len(t, msgs, 2)
	require.Equal(t, first, msgs[1].MessageID)

	events, err := a.Store.(store.Store).Events(t.Context(), "INC-2026-0001")
	require.NoError(t, err)
	require.Len(t, events, 2, "the escalation is on the timeline once, the reminder once")
}

func TestDrillAlertsNeverLeaveTheDrill(t *testing.T) {
	a, srv := newAlertActivities(t, "")
	require.NoError(t, a.ClockAlert(t.Context(), alert("clock.overdue", workflows.ModeDrill)))
	require.Empty(t, srv.Messages(), "without a drill sink a drill emails nobody")

	a, srv = newAlertActivities(t, "drill-sink@example.com")
	require.NoError(t, a.ClockAlert(t.Context(), alert("clock.overdue", workflows.ModeDrill)))
	msgs := srv.WaitForMessages(t, 1, 5*time.Second)
	require.Equal(t, []string{"drill-sink@example.com"}, msgs[0].To)
	require.Contains(t, msgs[0].Subject, "[DRILL]")
}

package slack

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/irbot/irbot/workflows"
)

// TestChangesSayWhatPeopleMustNotice: one short line per change people must
// notice, nothing when nothing they care about changed, and no addresses of
// affected people in the channel.
func TestChangesSayWhatPeopleMustNotice(t *testing.T) {
	now := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	due, later := now.Add(72*time.Hour), now.Add(96*time.Hour)
	sent := now.Add(time.Hour)
	prev := workflows.IncidentState{ID: "INC-2026-0001", Severity: "high", Status: workflows.StatusOpen, Phase: "contain",
		Phases: []workflows.PhaseState{{ID: "contain", Title: "Contain"}, {ID: "assess", Title: "Assess"}},
		Roles:  []workflows.RoleAssignment{{Role: "commander", User: "U0000000003"}},
		Clocks: []workflows.ClockState{{Regime: "eu-gdpr", Obligation: "supervisory-authority", DueAt: &due, Status: workflows.ClockRunning},
			{Regime: "us-ca", Obligation: "individuals", DueAt: &due, Status: workflows.ClockRunning}},
		Notices: []workflows.NoticeSummary{{ID: "N1", Regime: "eu-gdpr", Obligation: "supervisory-authority", Recipient: "authority", Status: workflows.NoticeSending}},
	}
	require.Empty(t, Changes(prev, prev, now), "no change, no message")

	cur := prev
	cur.Notes, cur.Events = 5, 9 // not something the channel is told
	require.Empty(t, Changes(prev, cur, now))

	cur.Severity, cur.Phase = "critical", "assess"
	cur.Roles = []workflows.RoleAssignment{{Role: "commander", User: "U0000000003"}, {Role: "commander", User: "U0000000005"}}
	cur.Clocks = []workflows.ClockState{{Regime: "eu-gdpr", Obligation: "supervisory-authority", DueAt: &due, Status: workflows.ClockMet},
		{Regime: "us-ca", Obligation: "individuals", DueAt: &later, Status: workflows.ClockRunning},
		{Regime: "br-lgpd", Obligation: "anpd", DueAt: &due, Status: workflows.ClockRunning}}
	cur.Notices = []workflows.NoticeSummary{
		{ID: "N1", Regime: "eu-gdpr", Obligation: "supervisory-authority", Recipient: "authority", Status: workflows.NoticeSent, To: []string{"breach@dpa.example"}, MessageID: "<n1@irbot>", SentAt: &sent},
		{ID: "N2", Regime: "us-ca", Obligation: "individuals", Recipient: "individuals", Status: workflows.NoticeSent, To: []string{"person@example.com"}},
	}
	cur.Status = workflows.StatusClosed
	got := strings.Join(Changes(prev, cur, now), "\n")
	for _, want := range []string{
		"Severity is now *critical* (was high)",
		"<@U0000000005> is now the incident commander, taking over from <@U0000000003>",
		"Clock settled: eu-gdpr/supervisory-authority (met)",
		"Clock changed: us-ca/individuals is now due in 4 d (2026-03-05 10:00 UTC)",
		"New clock: br-lgpd/anpd, due in 3 d (2026-03-04 10:00 UTC)",
		"Notice *N1* (eu-gdpr/supervisory-authority) was sent to breach@dpa.example at 2026-03-01 11:00 UTC · Message-ID `&lt;n1@irbot&gt;`",
		"Notice *N2* (us-ca/individuals) was sent to 1 affected people",
		"Incident INC-2026-0001 is closed.",
	} {
		require.Contains(t, got, want)
	}
	require.NotContains(t, got, "person@example.com", "an affected person's address is personal data: never in the channel")
	require.NotContains(t, got, "Phase:", "a closed incident's phase is not news")

	cur.Status = workflows.StatusOpen
	require.Contains(t, strings.Join(Changes(prev, cur, now), "\n"), "Phase: *Assess* (after Contain)")
}

package incident_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/irbot/irbot/internal/incident"
	"github.com/irbot/irbot/internal/store"
	"github.com/irbot/irbot/playbooks"
	"github.com/irbot/irbot/workflows"
)

var t0 = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// A drill of the ransomware scenario at speed 60: real minute m is T+m hours.
func reportFixture(t *testing.T) (*workflows.DrillState, *workflows.IncidentState) {
	sc, ok := playbooks.EmbeddedScenario("ransomware-exfiltration")
	require.True(t, ok)
	end := t0.Add(72 * time.Minute)
	d := &workflows.DrillState{IncidentID: "DRILL-2026-0001", Scenario: sc.ID, Title: sc.Title, Speed: 60, Status: workflows.DrillEnded,
		StartedAt: t0, EndedAt: &end, Package: *sc}
	due := t0.Add(72 * time.Hour)
	inc := &workflows.IncidentState{ID: d.IncidentID, Clocks: []workflows.ClockState{
		{Regime: "eu-gdpr", Obligation: "supervisory-authority", DueAt: &due, Status: workflows.ClockRunning},
	}}
	return d, inc
}

func at(hours float64) *time.Time {
	x := t0.Add(time.Duration(hours * float64(time.Minute)))
	return &x
}

// The team misses the GDPR 72 h clock: the report says so with the margin,
// rates the objective U, and lists it among the areas for improvement.
func TestDrillReportShowsMissedGDPRClockAndMargin(t *testing.T) {
	d, inc := reportFixture(t)
	inc.Tasks = []workflows.TaskState{{ID: "isolate", Done: true, DoneAt: at(1.5), DoneBy: "U0RESP"}}
	late := t0.Add(80 * time.Minute) // the facilitator let play run to T+80h
	d.EndedAt = &late
	r := incident.BuildDrillReport(d, inc, nil, t0.Add(2*time.Hour))
	require.Len(t, r.Clocks, 1)
	c := r.Clocks[0]
	require.Equal(t, "missed", c.Status)
	require.False(t, c.Met)
	require.Equal(t, "T+72h", c.DueAt)
	require.Equal(t, "-8h", c.Margin, "still open 8 h after it was due when play ended")
	for _, o := range r.Objectives {
		if o.ID == "notify-authority-on-time" {
			require.Equal(t, "U", o.Rating)
		}
	}
	require.Contains(t, strings.Join(r.AreasForImp, "\n"), "eu-gdpr/supervisory-authority was missed")
	require.Equal(t, 1, r.Score.Met, "isolate at T+1h30m met its T+2h target")
	require.Contains(t, r.Markdown(), "| eu-gdpr/supervisory-authority | T+72h |  | missed | -8h |")
}

// Every expected action done before its target scores 100 % and rates every
// objective P; a notice recorded at T+60h meets the clock with 12 h to spare.
func TestDrillReportFullMarks(t *testing.T) {
	d, inc := reportFixture(t)
	inc.Tasks = []workflows.TaskState{
		{ID: "isolate", Done: true, DoneAt: at(1)}, {ID: "preserve-evidence", Done: true, DoneAt: at(5)},
		{ID: "revoke-credentials", Done: true, DoneAt: at(7)}, {ID: "data-categories", Done: true, DoneAt: at(20)},
		{ID: "notify-insurer", Done: true, DoneAt: at(9)},
	}
	inc.Gates = []workflows.GateState{{ID: "risk-assessment", Approved: true, Approvals: []workflows.Approval{{By: "U0DPO", At: *at(30)}}}}
	inc.Clocks[0].Status, inc.Clocks[0].SentAt = workflows.ClockMet, at(60)
	events := []store.Event{{Kind: "task.completed", Actor: "U0COMMS", At: *at(9), Data: json.RawMessage(`{"task":"notify-insurer"}`)}}
	d.Answers = []workflows.DrillAnswerRecord{{Question: "pay-the-ransom", By: "U0CEO", Answer: "Pay"}}
	r := incident.BuildDrillReport(d, inc, events, t0.Add(2*time.Hour))
	require.Equal(t, incident.ReportScore{Met: 7, Total: 7, Percent: 100}, r.Score)
	for _, o := range r.Objectives {
		require.Equal(t, "P", o.Rating, o.ID)
	}
	require.True(t, r.Clocks[0].Met)
	require.Equal(t, "+12h", r.Clocks[0].Margin)
	require.Equal(t, []incident.ReportParticipant{{ID: "U0CEO", Answers: 1}, {ID: "U0COMMS", Actions: 1}}, r.Participants)
	require.False(t, *r.Answers[0].Matches)
	require.Equal(t, "Do not pay", r.Answers[0].Expected)
	html, err := r.HTML()
	require.NoError(t, err)
	require.Contains(t, string(html), "[DRILL] After-Action Report")
}

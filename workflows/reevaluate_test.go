package workflows_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/irbot/irbot/playbooks"
	"github.com/irbot/irbot/workflows"
)

// TestFactsChangeTheClocks: a count crossing a threshold adds obligations,
// awareness moved earlier moves the clock, and a law-enforcement delay pauses
// one; each change is on the timeline.
func TestFactsChangeTheClocks(t *testing.T) {
	ie := newIncidentEnv(t)
	in := breachInput(t, ie.start)
	rules, err := playbooks.MustRules().Subset([]string{"eu-gdpr", "us-hipaa"})
	require.NoError(t, err)
	in.Rules, in.Regimes = *rules, []string{"eu-gdpr", "us-hipaa"}

	var states []workflows.IncidentState
	step := func(at time.Duration, a workflows.Action) {
		ie.env.RegisterDelayedCallback(func() {
			ie.update(a, a.Type+at.String(), func(st *workflows.IncidentState, err error) {
				require.NoError(t, err, "%s", a.Type)
				states = append(states, *st)
			})
		}, at)
	}
	earlier := ie.start.Add(-10 * time.Hour).Format(time.RFC3339)
	step(time.Minute, workflows.Action{Type: workflows.ActionSetFact, Actor: admin, Name: "affected", Value: json.RawMessage(`{"US-CA": 499}`)})
	step(2*time.Minute, workflows.Action{Type: workflows.ActionSetFact, Actor: admin, Name: "affected", Value: json.RawMessage(`{"US-CA": 501}`)})
	step(3*time.Minute, workflows.Action{Type: workflows.ActionSetFact, Actor: admin, Name: "aware_at", Value: json.RawMessage(`"` + earlier + `"`)})
	step(4*time.Minute, workflows.Action{Type: workflows.ActionDelayClock, Actor: lawyer, Regime: "eu-gdpr", Obligation: "supervisory-authority",
		Reason: "Police asked in writing (case 123) to hold notices while they act."})
	ie.env.RegisterDelayedCallback(func() { ie.env.CancelWorkflow() }, 10*time.Minute)
	ie.env.ExecuteWorkflow(workflows.IncidentWorkflowName, in)
	require.Len(t, states, 4)

	media := func(st workflows.IncidentState) *workflows.ClockState { return findClock(st, "us-hipaa", "media") }
	require.Nil(t, media(states[0]), "499 residents of one state do not need media notice")
	require.NotNil(t, media(states[1]), "501 residents of one state add the HIPAA media obligation")

	sa := findClock(states[2], "eu-gdpr", "supervisory-authority")
	require.Equal(t, ie.start.Add(62*time.Hour), sa.DueAt.UTC(), "awareness 10 h earlier moves the 72 h clock 10 h earlier")
	require.Equal(t, workflows.ClockPaused, findClock(states[3], "eu-gdpr", "supervisory-authority").Status)

	events, err := ie.store.Events(t.Context(), in.ID)
	require.NoError(t, err)
	var kinds []string
	for _, e := range events {
		kinds = append(kinds, e.Kind)
	}
	require.Contains(t, kinds, "clock.added")
	require.Contains(t, kinds, "clock.changed")
	require.Contains(t, kinds, "clock.delayed")
}

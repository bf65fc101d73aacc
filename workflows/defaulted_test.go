package workflows_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/irbot/irbot/workflows"
)

// Declaring with an awareness time set discovery to the same value; when
// awareness was corrected earlier, discovery stayed put and the HIPAA and
// US-state clocks (counted from discovery) ran late. A defaulted value now
// follows its source until a person sets it, and the timeline says which
// values were defaulted.
func TestDefaultedDiscoveryFollowsAwarenessUntilSet(t *testing.T) {
	ie := newIncidentEnv(t)
	in := breachInput(t, ie.start)
	earlier := ie.start.Add(-48 * time.Hour).Format(time.RFC3339)
	earliest := ie.start.Add(-96 * time.Hour).Format(time.RFC3339)
	person := ie.start.Add(-72 * time.Hour).Format(time.RFC3339)
	var afterCorrection, afterPerson, afterSecond workflows.IncidentState
	set := func(name, v string, out *workflows.IncidentState) func() {
		return func() {
			ie.update(workflows.Action{Type: workflows.ActionSetFact, Actor: admin, Name: name, Value: json.RawMessage(`"` + v + `"`)}, name+v,
				func(st *workflows.IncidentState, err error) {
					require.NoError(t, err)
					b, err := json.Marshal(st) // a deep copy: the test env shares the live state
					require.NoError(t, err)
					require.NoError(t, json.Unmarshal(b, out))
				})
		}
	}
	ie.env.RegisterDelayedCallback(set("aware_at", earlier, &afterCorrection), time.Minute)
	ie.env.RegisterDelayedCallback(set("discovered_at", person, &afterPerson), 2*time.Minute)
	ie.env.RegisterDelayedCallback(set("aware_at", earliest, &afterSecond), 3*time.Minute)
	ie.env.RegisterDelayedCallback(func() { ie.env.CancelWorkflow() }, time.Hour)
	ie.env.ExecuteWorkflow(workflows.IncidentWorkflowName, in)

	ts := func(s string) string { tm, _ := time.Parse(time.RFC3339, s); return tm.UTC().Format(time.RFC3339Nano) }
	require.Equal(t, ts(earlier), afterCorrection.Facts["discovered_at"], "the defaulted discovery follows the corrected awareness")
	require.Equal(t, ts(person), afterPerson.Facts["discovered_at"])
	require.Empty(t, afterPerson.Defaulted, "a person set it: no longer defaulted")
	require.Equal(t, ts(person), afterSecond.Facts["discovered_at"], "once a person set it, awareness no longer moves it")

	events, err := ie.store.Events(t.Context(), in.ID)
	require.NoError(t, err)
	require.Contains(t, string(events[0].Data), `"defaulted":["discovered_at"]`, "the declare says which values irbot defaulted")
}

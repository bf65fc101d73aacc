package workflows_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/irbot/irbot/workflows"
)

// TestPinnedNoteKeepsItsTimeAuthorAndPinner: a note captured from a pinned
// Slack message is stamped with the message's own time (occurred_at) and
// author, with who pinned it beside.
func TestPinnedNoteKeepsItsTimeAuthorAndPinner(t *testing.T) {
	ie := newIncidentEnv(t)
	in := quietIncident(ie.start, "high", "U-CMD")
	said := ie.start.Add(-20 * time.Minute)
	ie.env.RegisterDelayedCallback(func() {
		ie.update(workflows.Action{Type: workflows.ActionNote, Actor: admin, Text: "Pinned from Slack: attacker IP blocked", At: &said,
			Author: "U-AUTHOR", PinnedBy: "U-PINNER", Source: "slack"}, "pin", func(_ *workflows.IncidentState, err error) { require.NoError(t, err) })
	}, time.Minute)
	ie.env.RegisterDelayedCallback(func() {
		ie.update(workflows.Action{Type: workflows.ActionClose, Actor: admin, Reason: "Done."}, "c1",
			func(_ *workflows.IncidentState, err error) { require.NoError(t, err) })
	}, 2*time.Minute)
	ie.env.ExecuteWorkflow(workflows.IncidentWorkflowName, in)
	require.NoError(t, ie.env.GetWorkflowError())
	events, err := ie.store.Events(t.Context(), in.ID)
	require.NoError(t, err)
	var data map[string]any
	for _, e := range events {
		if e.Kind == "note.added" {
			require.NoError(t, json.Unmarshal(e.Data, &data))
		}
	}
	require.NotNil(t, data, "the note is on the timeline")
	require.Equal(t, said.Format(time.RFC3339Nano), data["occurred_at"])
	require.Equal(t, "U-AUTHOR", data["author"])
	require.Equal(t, "U-PINNER", data["pinned_by"])
}

package workflows_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/irbot/irbot/workflows"
)

// A title with a NUL once made the declare's timeline write fail on every
// attempt, forever, and every action behind it timed out. The input checks
// now refuse it at the door; if such text still reaches the workflow, the
// entry is recorded as withheld, once, and the incident carries on.
func TestTextTheStoreRefusesIsWithheldNotRetriedForever(t *testing.T) {
	ie := newIncidentEnv(t)
	in := breachInput(t, ie.start)
	in.Title = "a\x00b"
	noted := errors.New("the note got no answer")
	ie.env.RegisterDelayedCallback(func() {
		ie.update(workflows.Action{Type: workflows.ActionNote, Actor: admin, Text: "still alive"}, "n1", func(_ *workflows.IncidentState, err error) { noted = err })
	}, time.Minute)
	ie.env.RegisterDelayedCallback(func() { ie.env.CancelWorkflow() }, time.Hour)
	ie.env.ExecuteWorkflow(workflows.IncidentWorkflowName, in)
	require.NoError(t, noted, "the incident takes actions after a record was refused")
	events, err := ie.store.Events(t.Context(), in.ID)
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(events), 2)
	var kinds []string
	for _, e := range events {
		kinds = append(kinds, e.Kind)
	}
	require.Equal(t, 1, strings.Count(strings.Join(kinds, ","), "incident.declared"), "declared once: %v", kinds)
	require.Contains(t, kinds, "note.added")
	inc, err := ie.store.GetIncident(t.Context(), in.ID)
	require.NoError(t, err, "the incident is listed")
	require.Contains(t, inc.Title, "withheld")
}

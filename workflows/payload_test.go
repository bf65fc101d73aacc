package workflows_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/testsuite"

	"github.com/irbot/irbot/workflows"
)

// Every Update's result is kept in the workflow history. With the whole
// state in it, a 900 KB summary made each one-line note add megabytes to
// temporal.db and soon broke the workflow; without the summary it was still
// the whole state (~6 KB, more once sealed) on every action. The result is
// now the outcome (the action's record count and key), and the service
// answers with the store's snapshot: a note's result is a few dozen bytes
// whatever the summary's size, and the snapshot holds the note.
func TestNoteResultIsTheOutcomeNotTheState(t *testing.T) {
	ie := newIncidentEnv(t)
	in := breachInput(t, ie.start)
	in.Summary = strings.Repeat("s", 100_000)
	sizes := make([]int, 0, 10)
	for i := range 10 {
		ie.env.RegisterDelayedCallback(func() {
			ie.env.UpdateWorkflow(workflows.ActionNote, fmt.Sprintf("n%d", i), &testsuite.TestUpdateCallback{
				OnReject: func(err error) { t.Errorf("note %d refused: %v", i, err) },
				OnAccept: func() {},
				OnComplete: func(v any, err error) {
					require.NoError(t, err)
					b, err := json.Marshal(v)
					require.NoError(t, err)
					sizes = append(sizes, len(b))
					res, ok := v.(workflows.ActionResult)
					require.True(t, ok, "an Update answers with its outcome, not %T", v)
					require.Positive(t, res.Outcome.Events)
					require.NotEmpty(t, res.Outcome.Key)
				},
			}, workflows.Action{Type: workflows.ActionNote, Actor: admin, Text: fmt.Sprintf("note %d", i)})
		}, time.Duration(i+1)*time.Minute)
	}
	ie.env.RegisterDelayedCallback(func() {
		st := ie.state(t)
		require.Len(t, st.Summary, 100_000, "the summary is still in the state a Query returns")
		require.Equal(t, 10, st.Notes)
	}, time.Hour-time.Minute)
	ie.cancelAt(time.Hour)
	ie.env.ExecuteWorkflow(workflows.IncidentWorkflowName, in)
	ie.requireCanceled(t)
	require.Len(t, sizes, 10)
	total := 0
	for _, n := range sizes {
		total += n
	}
	t.Logf("bytes of Update result per note with a 100 KB summary: %d (summary: 100000)", total/len(sizes))
	require.Less(t, total/len(sizes), 200, "a note's result is its outcome, not the state")
	sn, err := ie.store.LatestSnapshot(t.Context(), in.ID)
	require.NoError(t, err)
	var st workflows.IncidentState
	require.NoError(t, json.Unmarshal(sn.State, &st))
	require.Equal(t, 10, st.Notes, "the service answers from the snapshot, which holds every note")
}

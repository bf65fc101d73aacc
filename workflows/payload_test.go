package workflows_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/irbot/irbot/workflows"
)

// Every Update's result is kept in the workflow history. With the whole
// state in it, a 900 KB summary made each one-line note add megabytes to
// temporal.db and soon broke the workflow. The result now leaves the
// summary out: a note on an incident with a 100 KB summary costs a few KB.
func TestNoteResultDoesNotCarryTheSummary(t *testing.T) {
	ie := newIncidentEnv(t)
	in := breachInput(t, ie.start)
	in.Summary = strings.Repeat("s", 100_000)
	sizes := make([]int, 0, 10)
	for i := range 10 {
		ie.env.RegisterDelayedCallback(func() {
			ie.update(workflows.Action{Type: workflows.ActionNote, Actor: admin, Text: fmt.Sprintf("note %d", i)}, fmt.Sprintf("n%d", i), func(st *workflows.IncidentState, err error) {
				require.NoError(t, err)
				b, err := json.Marshal(st)
				require.NoError(t, err)
				sizes = append(sizes, len(b))
			})
		}, time.Duration(i+1)*time.Minute)
	}
	ie.env.RegisterDelayedCallback(func() {
		require.Len(t, ie.state(t).Summary, 100_000, "the summary is still in the state a Query returns")
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
	require.Less(t, total/len(sizes), 20_000, "a note's result stays far smaller than the summary")
}

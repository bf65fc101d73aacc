package workflows_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"

	"github.com/irbot/irbot/workflows"
)

// TestActionsArrivingTogetherAreWrittenInFewBatches: 24 notes arriving at
// the same instant are each answered, each written once, in the order the
// workflow accepted them (the chain verifies), with far fewer timeline
// activities than notes: they share RecordBatch activities instead of
// queueing behind one Record round trip each.
func TestActionsArrivingTogetherAreWrittenInFewBatches(t *testing.T) {
	ie := newIncidentEnv(t)
	in := breachInput(t, ie.start)
	batches, batched, single := 0, 0, 0
	counting := false
	ie.env.SetOnActivityStartedListener(func(info *activity.Info, _ context.Context, args converter.EncodedValues) {
		if !counting {
			return
		}
		switch info.ActivityType.Name {
		case workflows.RecordBatchActivityName:
			var b workflows.RecordBatch
			require.NoError(t, args.Get(&b))
			batches++
			batched += len(b.Records)
		case workflows.RecordActivityName:
			single++
		}
	})
	const notes = 24
	answered := make([]error, notes)
	text := func(i int) string {
		return fmt.Sprintf("note %02d · 通知 · уведомление", min(i, notes-2)) // the last two say the same: two notes
	}
	ie.env.RegisterDelayedCallback(func() {
		counting = true
		for i := range notes {
			answered[i] = fmt.Errorf("note %d got no answer", i)
			ie.update(workflows.Action{Type: workflows.ActionNote, Actor: admin, Text: text(i)}, fmt.Sprintf("n%d", i), func(_ *workflows.IncidentState, err error) { answered[i] = err })
		}
	}, time.Minute)
	ie.env.RegisterDelayedCallback(func() { ie.env.CancelWorkflow() }, time.Hour)
	ie.env.ExecuteWorkflow(workflows.IncidentWorkflowName, in)
	for i, err := range answered {
		require.NoError(t, err, "note %d", i)
	}
	t.Logf("%d notes at once: %d RecordBatch activities (%d records), %d single Record activities", notes, batches, batched, single)
	require.GreaterOrEqual(t, batched+single, notes, "every note's record was written")
	require.LessOrEqual(t, batches+single, notes/4, "24 notes at once must share timeline writes, not take one activity each")

	events, err := ie.store.Events(t.Context(), in.ID)
	require.NoError(t, err)
	seen := map[string]int{}
	for _, e := range events {
		if e.Kind != "note.added" {
			continue
		}
		var d struct {
			Text string `json:"text"`
		}
		require.NoError(t, json.Unmarshal(e.Data, &d))
		seen[d.Text]++
	}
	require.Len(t, seen, notes-1, "every note on the timeline: %v", seen)
	for s, n := range seen {
		want := 1
		if s == text(notes-1) {
			want = 2
		}
		require.Equal(t, want, n, "%q", s)
	}
	v, err := ie.store.Verify(t.Context(), in.ID)
	require.NoError(t, err)
	require.True(t, v.OK, "the chain of batched writes verifies: %s", v.Reason)
}

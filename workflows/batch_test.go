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
// writes than notes, and none of them a regular activity: the answer no
// longer waits on one activity round trip per record.
func TestActionsArrivingTogetherAreWrittenInFewBatches(t *testing.T) {
	ie := newIncidentEnv(t)
	in := breachInput(t, ie.start)
	batches, records, regular := 0, 0, 0
	ie.env.SetOnLocalActivityStartedListener(func(info *activity.Info, _ context.Context, args []any) {
		if info.ActivityType.Name == workflows.RecordBatchActivityName {
			batches++
			records += len(args[0].(workflows.RecordBatch).Records)
		}
	})
	ie.env.SetOnActivityStartedListener(func(info *activity.Info, _ context.Context, _ converter.EncodedValues) {
		if info.ActivityType.Name == workflows.RecordActivityName {
			regular++
		}
	})
	const notes = 24
	answered := make([]error, notes)
	ie.env.RegisterDelayedCallback(func() {
		before := batches
		for i := 0; i < notes; i++ {
			answered[i] = fmt.Errorf("note %d got no answer", i)
			text := fmt.Sprintf("note %02d · 通知 · уведомление", min(i, notes-2)) // the last two say the same: two notes
			ie.update(workflows.Action{Type: workflows.ActionNote, Actor: admin, Text: text}, fmt.Sprintf("n%d", i), func(_ *workflows.IncidentState, err error) { answered[i] = err })
		}
		batches -= before // count only the burst's batches from here
	}, time.Minute)
	ie.env.RegisterDelayedCallback(func() { ie.env.CancelWorkflow() }, time.Hour)
	ie.env.ExecuteWorkflow(workflows.IncidentWorkflowName, in)
	for i, err := range answered {
		require.NoError(t, err, "note %d", i)
	}
	t.Logf("%d notes at once: %d RecordBatch calls for the burst, %d records batched in all", notes, batches, records)
	require.Zero(t, regular, "no timeline record goes through a regular activity in the new shape")
	require.Greater(t, records, notes, "every record went through a batch")
	require.LessOrEqual(t, batches, notes/4, "24 notes at once must share batches, not take one write each")

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
	for text, n := range seen {
		want := 1
		if text == fmt.Sprintf("note %02d · 通知 · уведомление", notes-2) {
			want = 2
		}
		require.Equal(t, want, n, "%q", text)
	}
	v, err := ie.store.Verify(t.Context(), in.ID)
	require.NoError(t, err)
	require.True(t, v.OK, "the chain of batched writes verifies: %s", v.Reason)
}

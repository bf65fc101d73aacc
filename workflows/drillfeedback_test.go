package workflows_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/testsuite"

	"github.com/irbot/irbot/workflows"
)

func feedback(env *testsuite.TestWorkflowEnvironment, t *testing.T, in workflows.DrillFeedbackInput, wantErr string) {
	env.UpdateWorkflow(workflows.DrillFeedback, "fb"+time.Now().String(), &testsuite.TestUpdateCallback{
		OnReject: func(err error) {
			if wantErr == "" {
				t.Errorf("feedback refused: %v", err)
			} else {
				require.ErrorContains(t, err, wantErr)
			}
		},
		OnAccept: func() {
			if wantErr != "" {
				t.Errorf("feedback accepted, want refusal %q", wantErr)
			}
		},
		OnComplete: func(any, error) {},
	}, in)
}

// Participant feedback is taken after play and before the report is final,
// one form per person (a second replaces the first), each on the incident's
// timeline as drill.feedback under the person's name.
func TestDrillFeedbackAfterPlayOnTheTimeline(t *testing.T) {
	env, _, in := newDrillEnv(t)
	var mu sync.Mutex
	var events []workflows.EventRecord
	env.RegisterActivityWithOptions(func(_ context.Context, e workflows.EventRecord) error {
		mu.Lock()
		defer mu.Unlock()
		events = append(events, e)
		return nil
	}, activity.RegisterOptions{Name: workflows.NoticeEventActivityName})
	rae := workflows.Actor{ID: "U0RAE", Name: "Rae", Roles: []string{"responder"}}
	env.RegisterDelayedCallback(func() {
		feedback(env, t, workflows.DrillFeedbackInput{Actor: rae, WentWell: "roles", Rating: 4}, "after play")
	}, 10*time.Minute)
	env.RegisterDelayedCallback(func() { control(env, t, workflows.DrillEnd, facilitator, "") }, 20*time.Minute)
	env.RegisterDelayedCallback(func() {
		feedback(env, t, workflows.DrillFeedbackInput{Actor: rae, WentWell: "roles", Rating: 9}, "rating 9")
		feedback(env, t, workflows.DrillFeedbackInput{Actor: rae, WentWell: "roles", Improve: "legal", Rating: 4}, "")
		feedback(env, t, workflows.DrillFeedbackInput{Actor: rae, WentWell: "roles", Improve: "legal, sooner", Rating: 5}, "")
	}, 21*time.Minute)
	env.RegisterDelayedCallback(func() { control(env, t, workflows.DrillFinalize, facilitator, "") }, 22*time.Minute)
	env.RegisterDelayedCallback(func() {
		feedback(env, t, workflows.DrillFeedbackInput{Actor: rae, Rating: 3}, "final")
	}, 22*time.Minute+time.Second)
	env.ExecuteWorkflow(workflows.DrillWorkflowName, in)
	require.NoError(t, env.GetWorkflowError())
	var res workflows.DrillResult
	require.NoError(t, env.GetWorkflowResult(&res))
	require.Len(t, res.State.Feedback, 1)
	require.Equal(t, "legal, sooner", res.State.Feedback[0].Improve)
	require.Equal(t, 5, res.State.Feedback[0].Rating)
	require.Len(t, events, 2, "each accepted form is on the timeline")
	for _, e := range events {
		require.Equal(t, workflows.KindDrillFeedback, e.Kind)
		require.Equal(t, "U0RAE", e.Actor)
		require.Equal(t, in.IncidentID, e.IncidentID)
	}
	require.NotEqual(t, events[0].Key, events[1].Key)
	ratings := []string{string(events[0].Data), string(events[1].Data)}
	require.True(t, strings.Contains(ratings[0]+ratings[1], `"rating":5`) && strings.Contains(ratings[0]+ratings[1], `"rating":4`), "both forms as given: %v", ratings)
}

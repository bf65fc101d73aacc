package workflows_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/mock"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/testsuite"

	"github.com/irbot/irbot/playbooks"
	"github.com/irbot/irbot/workflows"
)

type deliveryLog struct {
	mu  sync.Mutex
	got []workflows.DrillDelivery
	// pauses are the PlayPause signals the drill sent its incident.
	pauses []workflows.PlayPause
}

func (l *deliveryLog) DrillDeliver(_ context.Context, d workflows.DrillDelivery) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.got = append(l.got, d)
	return nil
}

var drillStart = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

func newDrillEnv(t *testing.T) (*testsuite.TestWorkflowEnvironment, *deliveryLog, workflows.DrillInput) {
	t.Helper()
	var s testsuite.WorkflowTestSuite
	env := newEnv(&s)
	env.SetStartTime(drillStart)
	workflows.Register(env)
	log := &deliveryLog{}
	env.RegisterActivityWithOptions(log.DrillDeliver, activity.RegisterOptions{Name: workflows.DrillDeliverActivityName})
	env.OnSignalExternalWorkflow(mock.Anything, "incident/DRILL-2026-0001", "", workflows.SignalDrillPause, mock.Anything).
		Return(nil).Run(func(args mock.Arguments) {
		log.mu.Lock()
		defer log.mu.Unlock()
		log.pauses = append(log.pauses, args.Get(4).(workflows.PlayPause))
	})
	sc, ok := playbooks.EmbeddedScenario("ransomware-exfiltration")
	require.True(t, ok)
	in := workflows.DrillInput{
		IncidentID: "DRILL-2026-0001", Scenario: *sc, Speed: 60, StartedAt: drillStart,
		Facilitator: workflows.Actor{ID: "U0FACIL", Roles: []string{"manager"}},
	}
	return env, log, in
}

func control(env *testsuite.TestWorkflowEnvironment, t *testing.T, name string, c workflows.DrillControl, wantErr string) {
	env.UpdateWorkflow(name, name+c.Event+time.Now().String(), &testsuite.TestUpdateCallback{
		OnReject: func(err error) {
			if wantErr == "" {
				t.Errorf("%s refused: %v", name, err)
			} else {
				require.ErrorContains(t, err, wantErr)
			}
		},
		OnAccept:   func() {},
		OnComplete: func(any, error) {},
	}, c)
}

var facilitator = workflows.DrillControl{Actor: workflows.Actor{ID: "U0FACIL", Roles: []string{"manager"}}}

// With no one steering, every inject and question arrives in scenario order
// at its scenario time divided by the speed, and the drill ends at the
// scenario's duration with a hot wash.
func TestDrillDeliversInOrderAtScaledTimes(t *testing.T) {
	env, log, in := newDrillEnv(t)
	env.ExecuteWorkflow(workflows.DrillWorkflowName, in)
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
	var res workflows.DrillResult
	require.NoError(t, env.GetWorkflowResult(&res))
	st := res.State
	require.Equal(t, workflows.DrillEnded, st.Status)
	require.Len(t, st.Events, len(in.Scenario.Injects())+len(in.Scenario.Questions()))
	var prev playbooks.Span
	for _, ev := range st.Events {
		require.NotNil(t, ev.DeliveredAt, "%s was never delivered", ev.ID)
		require.GreaterOrEqual(t, ev.ScenarioAt, prev, "events out of order")
		prev = ev.ScenarioAt
		want := drillStart.Add(ev.ScenarioAt.D() / 60)
		require.WithinDuration(t, want, *ev.DeliveredAt, time.Second, "%s arrived at the wrong real time", ev.ID)
		require.InDelta(t, float64(ev.ScenarioAt.D()), float64(ev.DeliveredScenarioAt.D()), float64(time.Minute))
	}
	require.WithinDuration(t, drillStart.Add(72*time.Hour/60), *st.EndedAt, time.Second)
	// Deliveries went out in the same order, with the inject's facts.
	require.Len(t, log.got, len(st.Events)+1)
	for i, ev := range st.Events {
		require.Equal(t, ev.ID, log.got[i].ID)
	}
	require.Equal(t, "end", log.got[len(log.got)-1].Kind)
	for _, d := range log.got {
		if d.ID == "count-crosses-threshold" {
			require.Equal(t, map[string]any{"DE": 12000.0, "FR": 6400.0, "US-CA": 640.0}, d.Facts["affected"])
		}
	}
}

// Pausing holds every pending delivery; resuming shifts each by exactly the
// time paused, and scenario time does not move while paused.
func TestDrillPauseShiftsPendingDeliveries(t *testing.T) {
	env, log, in := newDrillEnv(t)
	env.RegisterDelayedCallback(func() { control(env, t, workflows.DrillPause, facilitator, "") }, 10*time.Minute)
	env.RegisterDelayedCallback(func() {
		control(env, t, workflows.DrillPause, facilitator, "already paused")
		control(env, t, workflows.DrillPause, workflows.DrillControl{Actor: workflows.Actor{ID: "U0PLAYER", Roles: []string{"responder"}}}, "only the facilitator")
	}, 20*time.Minute)
	env.RegisterDelayedCallback(func() { control(env, t, workflows.DrillResume, facilitator, "") }, 40*time.Minute)
	env.ExecuteWorkflow(workflows.DrillWorkflowName, in)
	require.NoError(t, env.GetWorkflowError())
	var res workflows.DrillResult
	require.NoError(t, env.GetWorkflowResult(&res))
	st := res.State
	require.Equal(t, 30*time.Minute, st.Paused)
	for _, ev := range st.Events {
		want := drillStart.Add(ev.ScenarioAt.D() / 60)
		if want.After(drillStart.Add(10 * time.Minute)) {
			want = want.Add(30 * time.Minute)
		}
		require.WithinDuration(t, want, *ev.DeliveredAt, time.Second, "%s", ev.ID)
	}
	require.WithinDuration(t, drillStart.Add(72*time.Minute+30*time.Minute), *st.EndedAt, time.Second)
	require.Equal(t, playbooks.Span(72*time.Hour), st.ScenarioTime(*st.EndedAt))
	// The incident (and through it every clock) was told both times, so its
	// clocks stand still exactly as long as the injects do.
	pausedAt := drillStart.Add(10 * time.Minute)
	require.Equal(t, []workflows.PlayPause{{PausedAt: &pausedAt}, {Paused: 30 * time.Minute}}, log.pauses)
}

// End stops every timer at once; inject_now delivers the next event early and
// skip drops one; a question takes answers only from its choices.
func TestDrillControlsEndInjectNowSkipAndAnswers(t *testing.T) {
	env, log, in := newDrillEnv(t)
	env.RegisterDelayedCallback(func() {
		control(env, t, workflows.DrillInjectNow, facilitator, "") // the next event: question isolate-or-observe at T+1h
	}, 30*time.Second)
	env.RegisterDelayedCallback(func() {
		control(env, t, workflows.DrillSkip, workflows.DrillControl{Actor: facilitator.Actor, Event: "journalist-calls"}, "")
		control(env, t, workflows.DrillSkip, workflows.DrillControl{Actor: facilitator.Actor, Event: "nope"}, "not an inject or question still to come")
		env.UpdateWorkflow(workflows.DrillAnswer, "a1", &testsuite.TestUpdateCallback{
			OnReject: func(err error) { t.Errorf("answer refused: %v", err) }, OnAccept: func() {}, OnComplete: func(any, error) {},
		}, workflows.DrillAnswerInput{Actor: workflows.Actor{ID: "U0PLAYER"}, Question: "isolate-or-observe", Answer: "Isolate now"})
		env.UpdateWorkflow(workflows.DrillAnswer, "a2", &testsuite.TestUpdateCallback{
			OnReject: func(err error) { require.ErrorContains(t, err, "not one of the choices") }, OnAccept: func() { t.Error("a made-up choice was accepted") }, OnComplete: func(any, error) {},
		}, workflows.DrillAnswerInput{Actor: workflows.Actor{ID: "U0PLAYER"}, Question: "isolate-or-observe", Answer: "Panic"})
		env.UpdateWorkflow(workflows.DrillAnswer, "a3", &testsuite.TestUpdateCallback{
			OnReject: func(err error) { require.ErrorContains(t, err, "not been asked yet") }, OnAccept: func() { t.Error("an unasked question took an answer") }, OnComplete: func(any, error) {},
		}, workflows.DrillAnswerInput{Actor: workflows.Actor{ID: "U0PLAYER"}, Question: "lessons", Answer: "x"})
	}, 2*time.Minute)
	env.RegisterDelayedCallback(func() { control(env, t, workflows.DrillEnd, facilitator, "") }, 8*time.Minute)
	env.ExecuteWorkflow(workflows.DrillWorkflowName, in)
	require.NoError(t, env.GetWorkflowError())
	var res workflows.DrillResult
	require.NoError(t, env.GetWorkflowResult(&res))
	st := res.State
	require.WithinDuration(t, drillStart.Add(8*time.Minute), *st.EndedAt, time.Second, "end stops the drill at once")
	byID := map[string]workflows.DrillEvent{}
	for _, ev := range st.Events {
		byID[ev.ID] = ev
	}
	require.True(t, byID["isolate-or-observe"].Early, "inject_now delivered the next event early")
	require.WithinDuration(t, drillStart.Add(30*time.Second), *byID["isolate-or-observe"].DeliveredAt, time.Second)
	require.True(t, byID["journalist-calls"].Skipped)
	require.Nil(t, byID["journalist-calls"].DeliveredAt)
	require.Nil(t, byID["samples-posted"].DeliveredAt, "nothing is delivered after end")
	require.Len(t, st.Answers, 1)
	require.Equal(t, "Isolate now", st.Answers[0].Answer)
	require.Equal(t, "end", log.got[len(log.got)-1].Kind)
}

// The Improvement Plan is written after play, checked row by row, and frozen
// once the report is final; the workflow then ends.
func TestDrillImprovementPlanUntilFinal(t *testing.T) {
	env, _, in := newDrillEnv(t)
	n := 0
	update := func(name string, arg any, wantErr string) {
		n++
		env.UpdateWorkflow(name, fmt.Sprint(name, n), &testsuite.TestUpdateCallback{
			OnReject: func(err error) {
				if wantErr == "" {
					t.Errorf("%s refused: %v", name, err)
				} else {
					require.ErrorContains(t, err, wantErr)
				}
			},
			OnAccept: func() {
				if wantErr != "" {
					t.Errorf("%s accepted, want %q", name, wantErr)
				}
			},
			OnComplete: func(any, error) {},
		}, arg)
	}
	row := workflows.Improvement{Issue: "GDPR notice late", Action: "Pre-approve a template", Owner: "DPO", Due: "2026-06-30"}
	env.RegisterDelayedCallback(func() {
		update(workflows.DrillImprove, workflows.DrillImproveInput{Actor: facilitator.Actor, Improvements: []workflows.Improvement{row}}, "end the drill first")
		control(env, t, workflows.DrillEnd, facilitator, "")
	}, time.Minute)
	env.RegisterDelayedCallback(func() {
		bad := row
		bad.Due = "next quarter"
		update(workflows.DrillImprove, workflows.DrillImproveInput{Actor: facilitator.Actor, Improvements: []workflows.Improvement{bad}}, "should be a date")
		// Text printed in the report and its PDF obeys the text rule.
		for field, edit := range map[string]func(*workflows.Improvement){
			"improvement 1 issue contains a NUL":        func(i *workflows.Improvement) { i.Issue = "late\x00" },
			"improvement 1 action contains the control": func(i *workflows.Improvement) { i.Action = "fix \u202e it" },
			"improvement 1 owner contains the control":  func(i *workflows.Improvement) { i.Owner = "DPO\nLegal" },
			"improvement 1 owner is limited to 128":     func(i *workflows.Improvement) { i.Owner = strings.Repeat("o", 129) },
		} {
			bad := row
			edit(&bad)
			update(workflows.DrillImprove, workflows.DrillImproveInput{Actor: facilitator.Actor, Improvements: []workflows.Improvement{bad}}, field)
		}
		update(workflows.DrillImprove, workflows.DrillImproveInput{Actor: workflows.Actor{ID: "U0PLAYER", Roles: []string{"responder"}}, Improvements: []workflows.Improvement{row}}, "only the facilitator")
		update(workflows.DrillImprove, workflows.DrillImproveInput{Actor: facilitator.Actor, Improvements: []workflows.Improvement{row}}, "")
	}, 2*time.Minute)
	env.RegisterDelayedCallback(func() { update(workflows.DrillFinalize, facilitator, "") }, 3*time.Minute)
	env.ExecuteWorkflow(workflows.DrillWorkflowName, in)
	require.NoError(t, env.GetWorkflowError())
	var res workflows.DrillResult
	require.NoError(t, env.GetWorkflowResult(&res))
	require.True(t, res.State.Final)
	require.Equal(t, []workflows.Improvement{row}, res.State.Improvements)
}

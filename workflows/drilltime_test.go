package workflows_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/testsuite"

	"github.com/irbot/irbot/workflows"
)

// timedAlerts records each alert with the real (test clock) time it went out.
type timedAlerts struct {
	mu  sync.Mutex
	env *testsuite.TestWorkflowEnvironment
	got []timedAlert
}

type timedAlert struct {
	real time.Time
	workflows.ClockAlert
}

func (l *timedAlerts) ClockAlert(_ context.Context, a workflows.ClockAlert) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.got = append(l.got, timedAlert{real: l.env.Now().UTC(), ClockAlert: a})
	return nil
}

func (l *timedAlerts) list() []timedAlert {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]timedAlert(nil), l.got...)
}

func drillClock(t *testing.T, start time.Time, speed float64) (*testsuite.TestWorkflowEnvironment, *timedAlerts, workflows.ClockInput) {
	t.Helper()
	var s testsuite.WorkflowTestSuite
	env := newEnv(&s)
	env.SetStartTime(start)
	workflows.Register(env)
	log := &timedAlerts{env: env}
	env.RegisterActivityWithOptions(log.ClockAlert, activity.RegisterOptions{Name: workflows.ClockAlertActivityName})
	in := gdprClockInput(start)
	in.IncidentID, in.Mode, in.Speed, in.Origin = "DRILL-2026-0001", workflows.ModeDrill, speed, start
	return env, log, in
}

// A drill paused for 30 real minutes: the GDPR clock sends nothing while
// paused, and every reminder, escalation and the overdue alert after the
// resume comes exactly 30 minutes later in real time while still naming the
// same scenario time, so the card, /incident clocks and the alerts agree.
func TestDrillClockStandsStillWhilePaused(t *testing.T) {
	start := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC) // a Monday
	env, log, in := drillClock(t, start, 60)
	pausedAt := start.Add(10 * time.Minute)
	env.RegisterDelayedCallback(func() {
		env.SignalWorkflow(workflows.SignalClockDrillPause, workflows.PlayPause{PausedAt: &pausedAt})
	}, 10*time.Minute)
	env.RegisterDelayedCallback(func() {
		env.SignalWorkflow(workflows.SignalClockDrillPause, workflows.PlayPause{Paused: 30 * time.Minute})
	}, 40*time.Minute)
	env.RegisterDelayedCallback(func() {
		env.SignalWorkflow(workflows.SignalClockSettle, workflows.ClockSettle{Status: workflows.ClockLate})
	}, 3*time.Hour)
	env.ExecuteWorkflow(workflows.ClockWorkflowName, in)
	require.NoError(t, env.GetWorkflowError())

	alerts := log.list()
	require.NotEmpty(t, alerts)
	var overdue, esc24 *timedAlert
	before, after := 0, 0
	for i, a := range alerts {
		require.False(t, a.real.After(pausedAt) && a.real.Before(start.Add(40*time.Minute)),
			"%s went out at %s while the drill was paused", a.Kind, a.real.Format(time.TimeOnly))
		// Scenario time back to real time: 1/60 of it, plus the pause once
		// the pause has passed.
		want := start.Add(a.At.Sub(start) / 60)
		if a.real.After(pausedAt) {
			want = want.Add(30 * time.Minute)
			after++
		} else {
			before++
		}
		require.WithinDuration(t, want, a.real, time.Second, "%s at scenario %s", a.Kind, a.At.Sub(start))
		if a.Kind == "clock.overdue" && overdue == nil {
			overdue = &alerts[i]
		}
		if a.Kind == "clock.escalation" && a.Offset == "24h0m0s" {
			esc24 = &alerts[i]
		}
	}
	require.Positive(t, before, "reminders before the pause")
	require.Positive(t, after, "reminders after the resume")
	require.NotNil(t, overdue)
	require.Equal(t, start.Add(72*time.Hour), overdue.At, "overdue at T+72h of scenario time")
	require.Equal(t, start.Add(72*time.Minute+30*time.Minute), overdue.real, "shifted by the 30 minutes paused")
	require.Equal(t, "overdue by under 1 min", overdue.Left)
	require.NotNil(t, esc24)
	require.Equal(t, start.Add(48*time.Minute+30*time.Minute), esc24.real)
	require.Equal(t, "due in 1 d", esc24.Left, "the escalation names scenario time left")
}

// At speed 10000 the playbook's 4-hourly cadence would post every 1.4 real
// seconds; a drill's routine reminders (and the repeated overdue alerts) come
// at least DrillReminderGap apart, while the escalations and the first
// overdue alert are never held back.
func TestDrillClockRemindersDoNotFloodAtHighSpeed(t *testing.T) {
	start := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)
	env, log, in := drillClock(t, start, 10000)
	env.RegisterDelayedCallback(func() {
		env.SignalWorkflow(workflows.SignalClockSettle, workflows.ClockSettle{Status: workflows.ClockLate})
	}, 10*time.Minute)
	env.ExecuteWorkflow(workflows.ClockWorkflowName, in)
	require.NoError(t, env.GetWorkflowError())

	var cadence []timedAlert
	escalations, overdues := 0, 0
	for _, a := range log.list() {
		switch {
		case a.Kind == "clock.escalation":
			escalations++
		case a.Kind == "clock.overdue" && overdues == 0:
			overdues++
			require.Equal(t, start.Add(72*time.Hour), a.At, "the overdue alert is on time")
		default:
			cadence = append(cadence, a)
		}
	}
	require.Equal(t, 3, escalations, "24h, 6h and 1h before the due time")
	require.Equal(t, 1, overdues)
	require.NotEmpty(t, cadence)
	for i := 1; i < len(cadence); i++ {
		require.GreaterOrEqual(t, cadence[i].real.Sub(cadence[i-1].real), workflows.DrillReminderGap,
			"reminders %d and %d flood the channel", i-1, i)
	}
	// 10 real minutes: at most one reminder a minute, instead of ~400
	// cadence ticks (10 min x 10000 = 69 days of 3 a working day).
	require.LessOrEqual(t, len(cadence), 11)
	t.Logf("speed 10000, 10 real minutes: %d routine reminders, %d escalations", len(cadence), escalations)
}

// The incident's own time (the card and /incident clocks) stands still while
// paused and is shifted by the pause afterwards, as the clocks are.
func TestIncidentNowFollowsThePause(t *testing.T) {
	start := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	st := workflows.IncidentState{Mode: workflows.ModeDrill, Speed: 60, DeclaredAt: start}
	require.Equal(t, start.Add(10*time.Hour), workflows.IncidentNow(st, start.Add(10*time.Minute)))
	pausedAt := start.Add(10 * time.Minute)
	st.DrillPause = &workflows.PlayPause{PausedAt: &pausedAt}
	require.Equal(t, start.Add(10*time.Hour), workflows.IncidentNow(st, start.Add(25*time.Minute)), "paused: time stands still")
	st.DrillPause = &workflows.PlayPause{Paused: 30 * time.Minute}
	require.Equal(t, start.Add(11*time.Hour), workflows.IncidentNow(st, start.Add(41*time.Minute)), "resumed: shifted by the pause")
	// Speed 1 drills pause too; live incidents never do.
	st.Speed = 1
	require.Equal(t, start.Add(11*time.Minute), workflows.IncidentNow(st, start.Add(41*time.Minute)))
	st.Mode = workflows.ModeLive
	require.Equal(t, start.Add(41*time.Minute), workflows.IncidentNow(st, start.Add(41*time.Minute)))
}

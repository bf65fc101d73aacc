package workflows_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/testsuite"

	"github.com/irbot/irbot/playbooks"
	"github.com/irbot/irbot/workflows"
)

// alertLog records the alerts a clock sends, as the ClockAlert activity.
type alertLog struct {
	mu     sync.Mutex
	alerts []workflows.ClockAlert
}

func (l *alertLog) ClockAlert(_ context.Context, a workflows.ClockAlert) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.alerts = append(l.alerts, a)
	return nil
}

func (l *alertLog) list() []workflows.ClockAlert {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]workflows.ClockAlert(nil), l.alerts...)
}

func newClockEnv(t *testing.T, start time.Time) (*testsuite.TestWorkflowEnvironment, *alertLog) {
	t.Helper()
	var s testsuite.WorkflowTestSuite
	env := newEnv(&s)
	env.SetStartTime(start)
	workflows.Register(env)
	log := &alertLog{}
	env.RegisterActivityWithOptions(log.ClockAlert, activity.RegisterOptions{Name: workflows.ClockAlertActivityName})
	return env, log
}

func gdprClockInput(start time.Time) workflows.ClockInput {
	return workflows.ClockInput{
		IncidentID: "INC-2026-0001", Title: "test", Mode: workflows.ModeLive,
		Regime: "eu-gdpr", Obligation: "supervisory-authority", Recipient: "authority",
		DueAt: start.Add(72 * time.Hour),
		Policy: playbooks.ClockPolicy{
			ReminderCron: "0 9-17/4 * * 1-5", TimeZone: "UTC",
			EscalateBefore: []string{"24h", "6h", "1h"}, EscalateTo: []string{"commander", "dpo", "legal"},
		},
	}
}

func TestGDPRClockRemindsOnCronAndEscalatesAndStopsWhenRecorded(t *testing.T) {
	// Monday 2026-03-02 08:00 UTC: due Thursday 08:00 UTC.
	start := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)
	env, log := newClockEnv(t, start)
	in := gdprClockInput(start)
	// The DPO records the notice on Wednesday at 12:30, before the 6 h escalation.
	env.RegisterDelayedCallback(func() {
		env.SignalWorkflow(workflows.SignalClockSettle, workflows.ClockSettle{Status: workflows.ClockMet, At: start.Add(52*time.Hour + 30*time.Minute)})
	}, 52*time.Hour+30*time.Minute)
	env.ExecuteWorkflow(workflows.ClockWorkflowName, in)
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())

	var got []string
	for _, a := range log.list() {
		got = append(got, a.Kind+"@"+a.At.UTC().Format("Mon 15:04"))
	}
	require.Equal(t, []string{
		"clock.reminder@Mon 09:00", "clock.reminder@Mon 13:00", "clock.reminder@Mon 17:00",
		"clock.reminder@Tue 09:00", "clock.reminder@Tue 13:00", "clock.reminder@Tue 17:00",
		"clock.escalation@Wed 08:00", // due Thursday 08:00 minus 24 h
		"clock.reminder@Wed 09:00",
	}, got, "reminders follow the cron cadence in business hours, escalations the offsets, and nothing follows the recorded notice")
	for _, a := range log.list() {
		require.False(t, a.At.After(start.Add(52*time.Hour+30*time.Minute)), "no alert may follow the recorded notice, got %s at %s", a.Kind, a.At)
		require.NotEqual(t, "clock.overdue", a.Kind, "a clock met in time never goes overdue")
	}
	var res workflows.ClockResult
	require.NoError(t, env.GetWorkflowResult(&res))
	require.Equal(t, workflows.ClockMet, res.Progress.Settled)
	require.Equal(t, []string{"24h0m0s"}, res.Progress.Escalated)
}

func TestClockEscalatesAtEveryOffsetThenOverdueUntilRecorded(t *testing.T) {
	start := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)
	env, log := newClockEnv(t, start)
	in := gdprClockInput(start)
	// Nobody records the notice until Friday 14:00, a day and more late.
	settleAt := 102 * time.Hour
	env.RegisterDelayedCallback(func() {
		env.SignalWorkflow(workflows.SignalClockSettle, workflows.ClockSettle{Status: workflows.ClockLate, At: start.Add(settleAt)})
	}, settleAt)
	env.ExecuteWorkflow(workflows.ClockWorkflowName, in)
	require.NoError(t, env.GetWorkflowError())

	due := start.Add(72 * time.Hour)
	var escalations []time.Time
	var overdue []time.Time
	for _, a := range log.list() {
		switch a.Kind {
		case "clock.escalation":
			escalations = append(escalations, a.At)
			require.ElementsMatch(t, []string{"commander", "dpo", "legal"}, a.Notify)
		case "clock.overdue":
			overdue = append(overdue, a.At)
			require.Contains(t, a.Left, "overdue by")
		}
	}
	require.Equal(t, []time.Time{due.Add(-24 * time.Hour), due.Add(-6 * time.Hour), due.Add(-time.Hour)}, escalations)
	require.NotEmpty(t, overdue)
	require.Equal(t, due, overdue[0], "the overdue escalation fires at the due time")
	require.Greater(t, len(overdue), 1, "an overdue clock keeps escalating on the cadence until the notice is recorded")
	for _, at := range overdue {
		require.False(t, at.After(start.Add(settleAt)))
	}
}

func TestClockRescheduleAndSnooze(t *testing.T) {
	start := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)
	env, log := newClockEnv(t, start)
	in := gdprClockInput(start)
	// Awareness turns out to have been 10 hours earlier: the clock moves.
	env.RegisterDelayedCallback(func() {
		env.SignalWorkflow(workflows.SignalClockReschedule, workflows.ClockReschedule{DueAt: start.Add(62 * time.Hour), Reason: "aware_at moved"})
		env.SignalWorkflow(workflows.SignalClockSnooze, workflows.ClockSnooze{Until: start.Add(30 * time.Hour), By: "U-DPO"})
	}, time.Minute)
	env.RegisterDelayedCallback(func() {
		env.SignalWorkflow(workflows.SignalClockSettle, workflows.ClockSettle{Status: workflows.ClockMet})
	}, 61*time.Hour)
	env.ExecuteWorkflow(workflows.ClockWorkflowName, in)
	require.NoError(t, env.GetWorkflowError())
	sawEscalation := false
	for _, a := range log.list() {
		if a.Kind == "clock.reminder" {
			require.False(t, a.At.Before(start.Add(30*time.Hour)), "snoozed reminders must wait until the snooze ends, got one at %s", a.At)
		}
		if a.Kind == "clock.escalation" {
			sawEscalation = true
			require.Equal(t, start.Add(62*time.Hour), a.DueAt, "escalations follow the new due time")
		}
	}
	require.True(t, sawEscalation, "escalations are never snoozed")
}

func TestDrillClockRunsCompressed(t *testing.T) {
	start := time.Date(2026, 3, 2, 8, 0, 0, 0, time.UTC)
	env, log := newClockEnv(t, start)
	in := gdprClockInput(start)
	in.Mode = workflows.ModeDrill
	in.Speed = 60 // a 72 h clock in 72 minutes
	in.Origin = start
	env.RegisterDelayedCallback(func() {
		env.SignalWorkflow(workflows.SignalClockSettle, workflows.ClockSettle{Status: workflows.ClockLate})
	}, 80*time.Minute)
	env.ExecuteWorkflow(workflows.ClockWorkflowName, in)
	require.NoError(t, env.GetWorkflowError())
	var overdueAt time.Time
	for _, a := range log.list() {
		if a.Kind == "clock.overdue" && overdueAt.IsZero() {
			overdueAt = a.At
		}
	}
	require.Equal(t, start.Add(72*time.Hour), overdueAt, "alerts carry incident time")
}

package workflows_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/testsuite"

	"github.com/irbot/irbot/workflows"
)

// A scheduled run starts its drill, then the reminder of the next run, which
// reminds the managers exactly a day before it (skipped time).
func TestScheduledDrillStartsItsDrillAndRemindsADayBeforeTheNext(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := newEnv(&s)
	start := time.Date(2026, 4, 1, 7, 0, 0, 0, time.UTC)
	env.SetStartTime(start)
	workflows.Register(env)
	next := time.Date(2026, 7, 1, 7, 0, 0, 0, time.UTC)
	var started []workflows.StartScheduledDrillInput
	env.RegisterActivityWithOptions(func(_ context.Context, in workflows.StartScheduledDrillInput) (workflows.ScheduledDrillStarted, error) {
		started = append(started, in)
		return workflows.ScheduledDrillStarted{Incident: "DRILL-2026-0001", NextRun: &next}, nil
	}, activity.RegisterOptions{Name: workflows.StartScheduledDrillActivityName})
	var reminded []time.Time
	env.RegisterActivityWithOptions(func(ctx context.Context, in workflows.DrillReminderInput) error {
		reminded = append(reminded, env.Now().UTC())
		require.Equal(t, next, in.RunAt)
		require.Equal(t, "Europe/Paris", in.TimeZone)
		return nil
	}, activity.RegisterOptions{Name: workflows.RemindScheduledDrillActivityName})

	in := workflows.ScheduledDrillInput{ScheduleID: workflows.DrillScheduleIDPrefix + "ransomware-exfiltration-abcd", Scenario: "ransomware-exfiltration",
		Cron: "0 9 1 */3 *", TimeZone: "Europe/Paris", By: workflows.Actor{ID: "U0MANAGER", Roles: []string{"manager"}}}
	env.ExecuteWorkflow(workflows.ScheduledDrillWorkflowName, in)
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError())
	require.Len(t, started, 1)
	require.Equal(t, in, started[0].Drill)
	require.NotEmpty(t, started[0].Key, "the run's ID keeps a retried start to one drill")
	require.Equal(t, []time.Time{next.Add(-24 * time.Hour)}, reminded, "the next run's reminder comes a day before it")

	// The reminder alone, as the schedule's creation starts it for the first run.
	env2 := newEnv(&s)
	env2.SetStartTime(start)
	workflows.Register(env2)
	var at []time.Time
	env2.RegisterActivityWithOptions(func(ctx context.Context, in workflows.DrillReminderInput) error {
		at = append(at, env2.Now())
		return nil
	}, activity.RegisterOptions{Name: workflows.RemindScheduledDrillActivityName})
	env2.ExecuteWorkflow(workflows.DrillReminderWorkflowName, workflows.DrillReminderInput{ScheduleID: in.ScheduleID, Scenario: in.Scenario, RunAt: next, TimeZone: "Europe/Paris"})
	require.NoError(t, env2.GetWorkflowError())
	require.Len(t, at, 1)
	require.WithinDuration(t, next.Add(-24*time.Hour), at[0], time.Second, "a day before the run")

	// A run less than a day away is reminded at once; one already past is not.
	env3 := newEnv(&s)
	env3.SetStartTime(start)
	workflows.Register(env3)
	var n int
	env3.RegisterActivityWithOptions(func(ctx context.Context, in workflows.DrillReminderInput) error { n++; return nil },
		activity.RegisterOptions{Name: workflows.RemindScheduledDrillActivityName})
	env3.ExecuteWorkflow(workflows.DrillReminderWorkflowName, workflows.DrillReminderInput{RunAt: start.Add(-time.Minute)})
	require.NoError(t, env3.GetWorkflowError())
	require.Zero(t, n, "no reminder of a run already past")
}

// A run whose drill is refused (the scheduling manager lost the role) is
// recorded for the managers with the reason, and the next run is still
// reminded a day before it: one refusal does not silence the schedule.
func TestScheduledDrillRefusedIsRecordedAndTheNextRunStillReminded(t *testing.T) {
	var s testsuite.WorkflowTestSuite
	env := newEnv(&s)
	start := time.Date(2026, 4, 1, 7, 0, 0, 0, time.UTC)
	env.SetStartTime(start)
	workflows.Register(env)
	next := time.Date(2026, 7, 1, 7, 0, 0, 0, time.UTC)
	const reason = "scheduled drill irbot-drill-schedule-x not started: drills are run by a manager; U0MANAGER does not have the manager role"
	env.RegisterActivityWithOptions(func(_ context.Context, in workflows.StartScheduledDrillInput) (workflows.ScheduledDrillStarted, error) {
		return workflows.ScheduledDrillStarted{Refused: reason, NextRun: &next}, nil
	}, activity.RegisterOptions{Name: workflows.StartScheduledDrillActivityName})
	var recorded []workflows.ScheduledDrillRefusal
	env.RegisterActivityWithOptions(func(_ context.Context, r workflows.ScheduledDrillRefusal) error {
		recorded = append(recorded, r)
		return nil
	}, activity.RegisterOptions{Name: workflows.RecordScheduledDrillRefusalActivityName})
	var reminded []time.Time
	env.RegisterActivityWithOptions(func(ctx context.Context, in workflows.DrillReminderInput) error {
		reminded = append(reminded, env.Now().UTC())
		require.Equal(t, next, in.RunAt)
		return nil
	}, activity.RegisterOptions{Name: workflows.RemindScheduledDrillActivityName})

	in := workflows.ScheduledDrillInput{ScheduleID: workflows.DrillScheduleIDPrefix + "ransomware-exfiltration-abcd", Scenario: "ransomware-exfiltration",
		Cron: "0 9 1 */3 *", TimeZone: "Europe/Paris", Channel: "C0DRILLS1", By: workflows.Actor{ID: "U0MANAGER"}}
	env.ExecuteWorkflow(workflows.ScheduledDrillWorkflowName, in)
	require.True(t, env.IsWorkflowCompleted())
	require.NoError(t, env.GetWorkflowError(), "a refusal is an outcome of the run, not a failure to retry")
	var res workflows.ScheduledDrillStarted
	require.NoError(t, env.GetWorkflowResult(&res))
	require.Equal(t, reason, res.Refused, "the run's result says why no drill started")
	require.Empty(t, res.Incident)
	require.Equal(t, []workflows.ScheduledDrillRefusal{{ScheduleID: in.ScheduleID, Scenario: in.Scenario, By: "U0MANAGER",
		Reason: reason, TimeZone: "Europe/Paris", Channel: "C0DRILLS1", NextRun: &next}}, recorded, "the refusal is recorded once, with the next run")
	require.Equal(t, []time.Time{next.Add(-24 * time.Hour)}, reminded, "the next run is still reminded a day ahead")

	// Recording fails for good (Slack down): the next run is reminded anyway.
	env2 := newEnv(&s)
	env2.SetStartTime(start)
	workflows.Register(env2)
	env2.RegisterActivityWithOptions(func(_ context.Context, in workflows.StartScheduledDrillInput) (workflows.ScheduledDrillStarted, error) {
		return workflows.ScheduledDrillStarted{Refused: reason, NextRun: &next}, nil
	}, activity.RegisterOptions{Name: workflows.StartScheduledDrillActivityName})
	var attempts int
	env2.RegisterActivityWithOptions(func(_ context.Context, r workflows.ScheduledDrillRefusal) error {
		attempts++
		return errors.New("slack is down")
	}, activity.RegisterOptions{Name: workflows.RecordScheduledDrillRefusalActivityName})
	var n int
	env2.RegisterActivityWithOptions(func(ctx context.Context, in workflows.DrillReminderInput) error { n++; return nil },
		activity.RegisterOptions{Name: workflows.RemindScheduledDrillActivityName})
	env2.ExecuteWorkflow(workflows.ScheduledDrillWorkflowName, in)
	require.NoError(t, env2.GetWorkflowError())
	require.Equal(t, 5, attempts, "recording is retried a bounded number of times")
	require.Equal(t, 1, n, "the next run is reminded although the refusal could not be told")

	// A refused run of a schedule with no next time ends there.
	env3 := newEnv(&s)
	env3.SetStartTime(start)
	workflows.Register(env3)
	env3.RegisterActivityWithOptions(func(_ context.Context, in workflows.StartScheduledDrillInput) (workflows.ScheduledDrillStarted, error) {
		return workflows.ScheduledDrillStarted{Refused: reason}, nil
	}, activity.RegisterOptions{Name: workflows.StartScheduledDrillActivityName})
	var told int
	env3.RegisterActivityWithOptions(func(_ context.Context, r workflows.ScheduledDrillRefusal) error { told++; return nil },
		activity.RegisterOptions{Name: workflows.RecordScheduledDrillRefusalActivityName})
	env3.ExecuteWorkflow(workflows.ScheduledDrillWorkflowName, in)
	require.NoError(t, env3.GetWorkflowError())
	require.Equal(t, 1, told)
}

package workflows

import (
	"errors"
	"time"

	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// Scheduled drill names (recorded in histories: never rename).
const (
	// ScheduledDrillWorkflowName is what a drill's Temporal Schedule starts
	// at each of its times: it starts the drill, then the reminder of the
	// next run.
	ScheduledDrillWorkflowName = "ScheduledDrillWorkflow"
	// DrillReminderWorkflowName waits until a day before a scheduled drill
	// and reminds the managers.
	DrillReminderWorkflowName = "DrillReminderWorkflow"
	// StartScheduledDrillActivityName starts the scheduled drill through the
	// incident service and reads the schedule's next time.
	StartScheduledDrillActivityName = "StartScheduledDrill"
	// RemindScheduledDrillActivityName tells the managers (Slack) of a drill
	// due in a day, if its schedule still stands.
	RemindScheduledDrillActivityName = "RemindScheduledDrill"
	// RecordScheduledDrillRefusalActivityName records (log, and the managers
	// in Slack) that a scheduled run's drill was refused.
	RecordScheduledDrillRefusalActivityName = "RecordScheduledDrillRefusal"
)

// scheduledDrillRefusalChange is the GetVersion change ID of runs whose
// refused start is recorded and still sets up the next run's reminder (the
// start activity answers a refusal with Refused and the next time instead of
// failing).
const scheduledDrillRefusalChange = "scheduled-drill-refusal"

// DrillScheduleIDPrefix starts the ID of every drill's Temporal Schedule.
const DrillScheduleIDPrefix = "irbot-drill-schedule-"

// DrillReminderLead is how long before a scheduled drill the managers are
// reminded.
const DrillReminderLead = 24 * time.Hour

// ScheduledDrillInput is the action of a drill's Temporal Schedule: which
// scenario, at which speed, and who scheduled it (the drill's facilitator).
type ScheduledDrillInput struct {
	ScheduleID string  `json:"schedule_id"`
	Scenario   string  `json:"scenario"`
	Speed      float64 `json:"speed,omitempty"`
	Cron       string  `json:"cron"`
	TimeZone   string  `json:"time_zone"`
	// Channel is where reminders go besides the managers (optional).
	Channel string `json:"channel,omitempty"`
	By      Actor  `json:"by"`
}

// StartScheduledDrillInput is the start activity's input; Key (the run's
// workflow ID) makes a retried start answer with the same drill.
type StartScheduledDrillInput struct {
	Drill ScheduledDrillInput `json:"drill"`
	Key   string              `json:"key"`
}

// ScheduledDrillStarted is what the start activity did: the drill started
// and the schedule's next time (nil when it has none).
type ScheduledDrillStarted struct {
	Incident string     `json:"incident"`
	NextRun  *time.Time `json:"next_run,omitempty"`
	// Refused says why the drill was not started (the scheduling manager
	// lost the role, the scenario is gone); the next run is still reminded.
	Refused string `json:"refused,omitempty"`
}

// ScheduledDrillRefusal is what the refusal activity records.
type ScheduledDrillRefusal struct {
	ScheduleID string     `json:"schedule_id"`
	Scenario   string     `json:"scenario"`
	By         string     `json:"by"`
	Reason     string     `json:"reason"`
	TimeZone   string     `json:"time_zone"`
	Channel    string     `json:"channel,omitempty"`
	NextRun    *time.Time `json:"next_run,omitempty"`
}

// DrillReminderInput is one reminder of one scheduled run.
type DrillReminderInput struct {
	ScheduleID string    `json:"schedule_id"`
	Scenario   string    `json:"scenario"`
	RunAt      time.Time `json:"run_at"`
	TimeZone   string    `json:"time_zone"`
	Channel    string    `json:"channel,omitempty"`
}

// DrillReminderWorkflowID is the one reminder of schedule id's run at runAt.
func DrillReminderWorkflowID(scheduleID string, runAt time.Time) string {
	return scheduleID + "/remind/" + runAt.UTC().Format("20060102T150405Z")
}

// ScheduledDrillWorkflow starts the drill its schedule names, then starts the
// reminder of the schedule's next run, which outlives this run. A refused
// start (Refused) is recorded and the next run is reminded all the same.
func ScheduledDrillWorkflow(ctx workflow.Context, in ScheduledDrillInput) (ScheduledDrillStarted, error) {
	actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 2 * time.Minute,
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: 5 * time.Second, BackoffCoefficient: 2, MaximumInterval: 5 * time.Minute, MaximumAttempts: 10},
	})
	var res ScheduledDrillStarted
	key := workflow.GetInfo(ctx).WorkflowExecution.ID
	if err := workflow.ExecuteActivity(actx, StartScheduledDrillActivityName, StartScheduledDrillInput{Drill: in, Key: key}).Get(ctx, &res); err != nil {
		return res, err
	}
	if res.Refused != "" && workflow.GetVersion(ctx, scheduledDrillRefusalChange, workflow.DefaultVersion, 1) >= 1 {
		// Recorded for the managers, then the next run is reminded as after
		// any run: one refusal does not end the schedule.
		rctx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
			StartToCloseTimeout: time.Minute,
			RetryPolicy:         &temporal.RetryPolicy{InitialInterval: 5 * time.Second, BackoffCoefficient: 2, MaximumInterval: time.Minute, MaximumAttempts: 5},
		})
		if err := workflow.ExecuteActivity(rctx, RecordScheduledDrillRefusalActivityName, ScheduledDrillRefusal{
			ScheduleID: in.ScheduleID, Scenario: in.Scenario, By: in.By.ID, Reason: res.Refused,
			TimeZone: in.TimeZone, Channel: in.Channel, NextRun: res.NextRun,
		}).Get(ctx, nil); err != nil {
			workflow.GetLogger(ctx).Warn("scheduled drill refusal not recorded", "schedule", in.ScheduleID, "error", err)
		}
	}
	if res.NextRun == nil {
		return res, nil
	}
	cctx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{
		WorkflowID:            DrillReminderWorkflowID(in.ScheduleID, *res.NextRun),
		ParentClosePolicy:     enums.PARENT_CLOSE_POLICY_ABANDON,
		WorkflowIDReusePolicy: enums.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
	})
	child := workflow.ExecuteChildWorkflow(cctx, DrillReminderWorkflowName, DrillReminderInput{
		ScheduleID: in.ScheduleID, Scenario: in.Scenario, RunAt: *res.NextRun, TimeZone: in.TimeZone, Channel: in.Channel,
	})
	var started workflow.Execution
	if err := child.GetChildWorkflowExecution().Get(ctx, &started); err != nil {
		var already *temporal.ChildWorkflowExecutionAlreadyStartedError
		if !errors.As(err, &already) {
			return res, err
		}
	}
	return res, nil
}

// DrillReminderWorkflow sleeps until DrillReminderLead before the run and
// reminds the managers; a run due sooner than that is reminded at once.
func DrillReminderWorkflow(ctx workflow.Context, in DrillReminderInput) error {
	if wait := in.RunAt.Add(-DrillReminderLead).Sub(workflow.Now(ctx)); wait > 0 {
		if err := workflow.Sleep(ctx, wait); err != nil {
			return err
		}
	}
	if !workflow.Now(ctx).Before(in.RunAt) {
		return nil // too late to remind of it
	}
	actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: time.Minute,
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: 5 * time.Second, BackoffCoefficient: 2, MaximumInterval: 5 * time.Minute, MaximumAttempts: 10},
	})
	return workflow.ExecuteActivity(actx, RemindScheduledDrillActivityName, in).Get(ctx, nil)
}

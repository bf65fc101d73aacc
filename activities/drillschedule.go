package activities

import (
	"context"
	"fmt"
	"log/slog"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/worker"

	"github.com/irbot/irbot/workflows"
)

// DrillSchedules is how a scheduled run starts its drill and how a reminder
// learns its schedule still stands: the incident service, so the drill rules
// (the scheduling manager's role, the scenario) apply as to any start.
type DrillSchedules interface {
	StartScheduledDrill(ctx context.Context, in workflows.StartScheduledDrillInput) (workflows.ScheduledDrillStarted, error)
	DrillScheduleStands(ctx context.Context, id string) (bool, error)
}

// DrillReminders tells the managers (and a channel) of a drill due in a day:
// the Slack bot. Nil: the reminder is only logged.
type DrillReminders interface {
	RemindScheduledDrill(ctx context.Context, in workflows.DrillReminderInput) error
	// ScheduledDrillRefused tells the managers a scheduled run's drill was
	// refused, and why.
	ScheduledDrillRefused(ctx context.Context, r workflows.ScheduledDrillRefusal) error
}

// DrillSchedule holds the scheduled drills' activities.
type DrillSchedule struct {
	Schedules DrillSchedules
	Reminders DrillReminders // optional
	Logger    *slog.Logger
}

// Register registers the scheduled drill activities on w.
func (d *DrillSchedule) Register(w worker.Registry) {
	w.RegisterActivityWithOptions(d.StartScheduledDrill, activity.RegisterOptions{Name: workflows.StartScheduledDrillActivityName})
	w.RegisterActivityWithOptions(d.RemindScheduledDrill, activity.RegisterOptions{Name: workflows.RemindScheduledDrillActivityName})
	w.RegisterActivityWithOptions(d.RecordScheduledDrillRefusal, activity.RegisterOptions{Name: workflows.RecordScheduledDrillRefusalActivityName})
}

// StartScheduledDrill starts the drill of one scheduled run.
func (d *DrillSchedule) StartScheduledDrill(ctx context.Context, in workflows.StartScheduledDrillInput) (workflows.ScheduledDrillStarted, error) {
	res, err := d.Schedules.StartScheduledDrill(ctx, in)
	if err != nil || res.Refused != "" {
		return res, err
	}
	if d.Logger != nil {
		d.Logger.Info("scheduled drill started", "schedule", in.Drill.ScheduleID, "incident", res.Incident)
	}
	return res, nil
}

// RemindScheduledDrill reminds of a scheduled run if its schedule still
// stands (deleted or paused: nothing is said).
func (d *DrillSchedule) RemindScheduledDrill(ctx context.Context, in workflows.DrillReminderInput) error {
	ok, err := d.Schedules.DrillScheduleStands(ctx, in.ScheduleID)
	if err != nil {
		return fmt.Errorf("drill schedule %s: %w", in.ScheduleID, err)
	}
	if !ok {
		return nil
	}
	if d.Reminders == nil {
		if d.Logger != nil {
			d.Logger.Info("scheduled drill due in a day; Slack is off, nobody reminded", "schedule", in.ScheduleID, "run_at", in.RunAt)
		}
		return nil
	}
	return d.Reminders.RemindScheduledDrill(ctx, in)
}

// RecordScheduledDrillRefusal logs a scheduled run whose drill was refused
// and tells the managers (Slack), so the schedule's owner learns it before
// the next run.
func (d *DrillSchedule) RecordScheduledDrillRefusal(ctx context.Context, r workflows.ScheduledDrillRefusal) error {
	if d.Logger != nil {
		d.Logger.Warn("scheduled drill refused", "schedule", r.ScheduleID, "scenario", r.Scenario, "by", r.By, "reason", r.Reason)
	}
	if d.Reminders == nil {
		return nil
	}
	return d.Reminders.ScheduledDrillRefused(ctx, r)
}

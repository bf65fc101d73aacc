// Package schedule keeps irbot's recurring jobs that are not tied to one
// incident (the daily digest of open clocks) as Temporal Schedules built from
// cron expressions, validated with the same parser the clocks use.
package schedule

import (
	"context"
	"errors"
	"fmt"

	"github.com/robfig/cron/v3"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/irbot/irbot/workflows"
)

// DigestScheduleID is the Schedule's ID; one per namespace.
const DigestScheduleID = "irbot-digest"

// ValidateCron checks a cron expression the way the clocks parse theirs
// (standard five fields, optional CRON_TZ= prefix).
func ValidateCron(spec string) error {
	if _, err := cron.ParseStandard(spec); err != nil {
		return fmt.Errorf("cron %q: %v", spec, err)
	}
	return nil
}

// EnsureDigest creates the digest Schedule, or brings an existing one's cron
// and channel up to date, so restarts and replicas converge on one Schedule.
func EnsureDigest(ctx context.Context, c client.Client, spec, channel, taskQueue string) error {
	if err := ValidateCron(spec); err != nil {
		return err
	}
	action := &client.ScheduleWorkflowAction{
		ID:        "irbot-digest-run",
		Workflow:  workflows.DigestWorkflowName,
		Args:      []any{workflows.DigestInput{Channel: channel}},
		TaskQueue: taskQueue,
	}
	_, err := c.ScheduleClient().Create(ctx, client.ScheduleOptions{
		ID:      DigestScheduleID,
		Spec:    client.ScheduleSpec{CronExpressions: []string{spec}},
		Action:  action,
		Overlap: enums.SCHEDULE_OVERLAP_POLICY_SKIP,
		Memo:    map[string]any{"about": "daily digest of open regulatory clocks"},
	})
	if err == nil {
		return nil
	}
	var exists *serviceerror.AlreadyExists
	if !errors.Is(err, temporal.ErrScheduleAlreadyRunning) && !errors.As(err, &exists) {
		return fmt.Errorf("create digest schedule: %w", err)
	}
	h := c.ScheduleClient().GetHandle(ctx, DigestScheduleID)
	return h.Update(ctx, client.ScheduleUpdateOptions{
		DoUpdate: func(in client.ScheduleUpdateInput) (*client.ScheduleUpdate, error) {
			s := in.Description.Schedule
			s.Spec = &client.ScheduleSpec{CronExpressions: []string{spec}}
			s.Action = action
			return &client.ScheduleUpdate{Schedule: &s}, nil
		},
	})
}

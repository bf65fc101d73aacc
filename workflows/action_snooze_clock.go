package workflows

import (
	"time"

	"go.temporal.io/sdk/workflow"
)

var snoozeClockAction = incidentAction{
	name:     ActionSnoozeClock,
	describe: "quiets a clock's routine reminders until a time no later than its due time (regime, obligation, until); escalations still go out",
	validate: func(inc *incident, a Action, _ time.Time) error {
		c, err := inc.openClock(ActionSnoozeClock, a)
		if err != nil {
			return err
		}
		if err := inc.actionAllowed(ActionSnoozeClock, a.Actor); err != nil {
			return err
		}
		if a.Until == nil {
			return rejection("snooze_clock needs until (an RFC 3339 time)")
		}
		if c.DueAt != nil && a.Until.After(*c.DueAt) {
			return rejection("reminders can be snoozed until at most the due time %s; escalations always go out", c.DueAt.Format(time.RFC3339))
		}
		return nil
	},
	apply: func(inc *incident, ctx workflow.Context, a Action, at applied) int {
		c := inc.clock(a.Regime, a.Obligation)
		until := *a.Until
		if c.Started {
			inc.signalClock(ctx, c.Key(), SignalClockSnooze, ClockSnooze{Until: until, By: at.actor})
		}
		return inc.recordEvent(ctx, "clock.snoozed", at.actor, at.with("regime", c.Regime, "obligation", c.Obligation, "until", until.UTC().Format(time.RFC3339), "reason", a.Reason), nil)
	},
}

package workflows

import (
	"fmt"
	"slices"
	"time"

	"github.com/robfig/cron/v3"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/irbot/irbot/internal/deadline"
)

// Default escalation policy when a playbook leaves it out.
var (
	DefaultEscalateBefore = []string{"24h", "6h", "1h"}
	DefaultEscalateTo     = []string{"commander", "dpo", "legal"}
	DefaultReminderCron   = "0 9-17/4 * * 1-5"
)

// ClockWorkflow runs one regulatory obligation's clock: routine reminders on
// the playbook's cron cadence, escalations at offsets before the due time, and
// an overdue escalation at the due time that repeats on the cadence until the
// notice is recorded. It ends only when the incident settles it.
func ClockWorkflow(ctx workflow.Context, in ClockInput) (ClockResult, error) {
	c, err := newClock(ctx, in)
	if err != nil {
		return ClockResult{}, err
	}
	return c.run(ctx)
}

type clock struct {
	in       ClockInput
	p        ClockProgress
	schedule cron.Schedule
	loc      *time.Location
	before   []time.Duration
	speed    float64
	// drillTime: a drill's clock that stands still while play is paused
	// and spaces its routine reminders in real time (drillTimeChange).
	drillTime bool
	// since is when this run started or the due time last moved (real
	// time): an alert whose time had passed before then is not late.
	since time.Time
}

func newClock(ctx workflow.Context, in ClockInput) (*clock, error) {
	c := &clock{in: in, speed: in.Speed}
	if c.speed < 1 {
		c.speed = 1
	}
	if in.Resume != nil {
		c.p = *in.Resume
	} else {
		c.p = ClockProgress{DueAt: in.DueAt, DrillPause: in.DrillPause}
	}
	if in.Mode == ModeDrill {
		c.drillTime = workflow.GetVersion(ctx, drillTimeChange, workflow.DefaultVersion, 1) >= 1
	}
	spec := in.Policy.ReminderCron
	if spec == "" {
		spec = DefaultReminderCron
	}
	tz := in.Policy.TimeZone
	if tz == "" {
		tz = "UTC"
	}
	loc, err := time.LoadLocation(tz)
	if err != nil {
		return nil, temporal.NewNonRetryableApplicationError(fmt.Sprintf("clock time zone %q: %v", tz, err), "BadPolicy", err)
	}
	c.loc = loc
	sched, err := cron.ParseStandard(spec)
	if err != nil {
		return nil, temporal.NewNonRetryableApplicationError(fmt.Sprintf("reminder cron %q: %v", spec, err), "BadPolicy", err)
	}
	c.schedule = sched
	offsets := in.Policy.EscalateBefore
	if len(offsets) == 0 {
		offsets = DefaultEscalateBefore
	}
	for _, o := range offsets {
		d, err := time.ParseDuration(o)
		if err != nil || d <= 0 {
			return nil, temporal.NewNonRetryableApplicationError(fmt.Sprintf("escalate_before %q is not a positive duration", o), "BadPolicy", err)
		}
		c.before = append(c.before, d)
	}
	slices.Sort(c.before)
	slices.Reverse(c.before) // largest offset (earliest escalation) first

	if err := workflow.SetQueryHandler(ctx, QueryClock, func() (ClockProgress, error) { return c.p, nil }); err != nil {
		return nil, err
	}
	return c, nil
}

// virtual maps real (workflow) time to incident time: in a drill at speed N,
// one real minute is N incident minutes from the origin.
func (c *clock) virtual(real time.Time) time.Time {
	if c.drillTime {
		return c.p.DrillPause.Virtual(c.in.Origin, real, c.speed)
	}
	if c.speed == 1 || c.in.Origin.IsZero() {
		return real
	}
	return c.in.Origin.Add(time.Duration(float64(real.Sub(c.in.Origin)) * c.speed))
}

// real is the inverse of virtual.
func (c *clock) real(virtual time.Time) time.Time {
	if c.drillTime {
		return c.p.DrillPause.Real(c.in.Origin, virtual, c.speed)
	}
	if c.speed == 1 || c.in.Origin.IsZero() {
		return virtual
	}
	return c.in.Origin.Add(time.Duration(float64(virtual.Sub(c.in.Origin)) / c.speed))
}

type firing struct {
	at     time.Time // incident time
	kind   string
	offset time.Duration
	// due is when the alert was meant to fire (incident time): at, or
	// earlier for escalations folded into one now.
	due time.Time
}

// next returns the next thing the clock must do after incident time now.
func (c *clock) next(now time.Time) firing {
	var candidates []firing
	if !c.p.Overdue {
		// c.before is largest offset first. Offsets already passed when the
		// clock started or moved fold into one escalation now (naming the most
		// urgent of them) rather than a burst.
		var esc *firing
		for _, d := range c.before {
			if slices.Contains(c.p.Escalated, d.String()) {
				continue
			}
			at := c.p.DueAt.Add(-d)
			if at.After(now) {
				if esc == nil {
					esc = &firing{at: at, kind: "clock.escalation", offset: d, due: at}
				}
				break
			}
			esc = &firing{at: now, kind: "clock.escalation", offset: d, due: c.p.DueAt.Add(-d)}
		}
		if esc != nil {
			candidates = append(candidates, *esc)
		}
		candidates = append(candidates, firing{at: maxTime(c.p.DueAt, now), kind: "clock.overdue", due: c.p.DueAt})
	}
	rem := c.schedule.Next(now.In(c.loc))
	if c.p.SnoozedUntil != nil && rem.Before(*c.p.SnoozedUntil) && !c.p.Overdue {
		rem = c.schedule.Next(c.p.SnoozedUntil.In(c.loc))
	}
	if c.drillTime && c.p.LastReminder != nil {
		// At high speed the cadence would flood the channel: routine
		// reminders come at least DrillReminderGap of real time apart.
		floor := c.p.LastReminder.Add(time.Duration(float64(DrillReminderGap) * c.speed))
		if rem.Before(floor) {
			rem = c.schedule.Next(floor.In(c.loc))
		}
	}
	candidates = append(candidates, firing{at: rem, kind: "clock.reminder", due: rem})
	best := candidates[0]
	for _, f := range candidates[1:] {
		if f.at.Before(best.at) {
			best = f
		}
	}
	return best
}

// paused reports whether the clock's drill is paused.
func (c *clock) paused() bool {
	return c.drillTime && c.p.DrillPause != nil && c.p.DrillPause.PausedAt != nil
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func (c *clock) run(ctx workflow.Context) (ClockResult, error) {
	reschedule := workflow.GetSignalChannel(ctx, SignalClockReschedule)
	settle := workflow.GetSignalChannel(ctx, SignalClockSettle)
	snooze := workflow.GetSignalChannel(ctx, SignalClockSnooze)
	pause := workflow.GetSignalChannel(ctx, SignalClockDrillPause)
	actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 30 * time.Second,
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: time.Minute},
	})
	c.since = workflow.Now(ctx)
	for c.p.Settled == "" {
		now := c.virtual(workflow.Now(ctx))
		f := c.next(now)
		wait := c.real(f.at).Sub(workflow.Now(ctx))
		tctx, cancel := workflow.WithCancel(ctx)
		fired := false
		sel := workflow.NewSelector(ctx)
		if !c.paused() {
			// While a drill is paused no timer runs: resuming works out the
			// next firing again, shifted by the time paused.
			timer := workflow.NewTimer(tctx, max(wait, 0))
			sel.AddFuture(timer, func(workflow.Future) { fired = true })
		}
		sel.AddReceive(reschedule, func(ch workflow.ReceiveChannel, _ bool) {
			var r ClockReschedule
			ch.Receive(ctx, &r)
			if !r.DueAt.Equal(c.p.DueAt) {
				c.since = workflow.Now(ctx)
				c.p.DueAt = r.DueAt
				c.p.Escalated = nil
				c.p.Overdue = false
			}
		})
		sel.AddReceive(settle, func(ch workflow.ReceiveChannel, _ bool) {
			var s ClockSettle
			ch.Receive(ctx, &s)
			c.p.Settled = s.Status
		})
		sel.AddReceive(snooze, func(ch workflow.ReceiveChannel, _ bool) {
			var s ClockSnooze
			ch.Receive(ctx, &s)
			until := s.Until
			c.p.SnoozedUntil = &until
		})
		sel.AddReceive(pause, func(ch workflow.ReceiveChannel, _ bool) {
			var p PlayPause
			ch.Receive(ctx, &p)
			c.p.DrillPause = &p
		})
		sel.Select(ctx)
		cancel()
		if !fired || c.p.Settled != "" {
			continue
		}
		if err := c.fire(ctx, actx, f); err != nil {
			return ClockResult{}, err
		}
		if workflow.GetInfo(ctx).GetContinueAsNewSuggested() {
			next := c.in
			p := c.p
			next.Resume = &p
			return ClockResult{}, workflow.NewContinueAsNewError(ctx, ClockWorkflowName, next)
		}
	}
	return ClockResult{Progress: c.p}, nil
}

// lateThreshold is how late an alert must fire to say so: below it the
// delay is the ordinary latency of a timer and a workflow task.
const lateThreshold = 2 * time.Second

func (c *clock) fire(ctx, actx workflow.Context, f firing) error {
	at := f.at
	switch f.kind {
	case "clock.escalation":
		for _, d := range c.before {
			if !c.p.DueAt.Add(-d).After(at) && !slices.Contains(c.p.Escalated, d.String()) {
				c.p.Escalated = append(c.p.Escalated, d.String())
			}
		}
	case "clock.overdue":
		c.p.Overdue = true
	case "clock.reminder":
		c.p.Reminders++
		c.p.LastReminder = &at
		if c.p.Overdue {
			f.kind = "clock.overdue"
		}
	}
	leftText := deadline.Left(c.p.DueAt, at)
	notify := c.in.Policy.EscalateTo
	if len(notify) == 0 {
		notify = DefaultEscalateTo
	}
	if f.kind == "clock.reminder" {
		notify = nil // routine reminders go to the channel and the assignee only
	}
	alert := ClockAlert{
		IncidentID: c.in.IncidentID, Title: c.in.Title, Mode: c.in.Mode, Kind: f.kind,
		Regime: c.in.Regime, Obligation: c.in.Obligation, Name: c.in.Name, DueAt: c.p.DueAt, At: at,
		Left: leftText, Notify: notify,
		Key: fmt.Sprintf("clock/%s/%s/%s/%s", c.in.Regime, c.in.Obligation, f.kind, at.UTC().Format(time.RFC3339)),
	}
	if f.kind == "clock.escalation" {
		alert.Offset = f.offset.String()
	}
	// A timer fires when a worker takes its task: with every worker down at
	// its time the alert fires once, when one is back, and says how late
	// (counted from when it was due, or from when this run started or the
	// due time moved, if later). Only the activity's input changes (no
	// command), so replay is unaffected.
	due := c.real(f.due)
	if f.due.IsZero() || due.Before(c.since) {
		due = c.since
	}
	if late := workflow.Now(ctx).Sub(due).Truncate(time.Second); late >= lateThreshold {
		alert.LateBy = late
	}
	return workflow.ExecuteActivity(actx, ClockAlertActivityName, alert).Get(ctx, nil)
}

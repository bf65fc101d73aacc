package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// statusCadenceChange is the GetVersion change ID of the status-update
// cadence: a durable timer nudges the commander when a status update is
// overdue (once per cadence period, never after close), and once when the
// incident has no commander or no severity some minutes after declaration.
const statusCadenceChange = "status-update-cadence"

// startCadence starts the cadence coroutine of a live incident (drills run
// in scenario time and are not nudged). A run resumed from one that knew no
// cadence counts its first period from now, not from the declaration.
func (inc *incident) startCadence(ctx workflow.Context) {
	if inc.state.Mode == ModeDrill {
		return
	}
	if inc.state.UpdateDueAt == nil {
		base := inc.state.DeclaredAt
		if inc.in.Resume != nil {
			base = workflow.Now(ctx)
		}
		inc.resetUpdateDue(base, nil)
	}
	workflow.Go(ctx, inc.cadence)
}

// resetUpdateDue counts the next status update from base at the current
// severity's cadence, or sets it to due when a person gave one.
func (inc *incident) resetUpdateDue(base time.Time, due *time.Time) {
	inc.state.UpdateNudgedAt = nil
	if due != nil && due.After(base) {
		d := due.UTC()
		inc.state.UpdateDueAt = &d
		return
	}
	c := inc.pb.UpdateCadence(inc.state.Severity)
	if c <= 0 {
		inc.state.UpdateDueAt = nil
		return
	}
	d := base.Add(c).UTC()
	inc.state.UpdateDueAt = &d
}

// cadenceChanged is called after an action that moves the next nudge: a
// status update, a severity change, a commander assigned.
func (inc *incident) cadenceChanged(a Action, at time.Time) {
	if !inc.cadenceOn {
		return
	}
	switch {
	case a.Type == ActionNote && a.StatusUpdate:
		t := at.UTC()
		inc.state.UpdatedAt = &t
		inc.resetUpdateDue(at, a.Until)
	case a.Type == ActionSetSeverity:
		base := inc.state.DeclaredAt
		if inc.state.UpdatedAt != nil {
			base = *inc.state.UpdatedAt
		}
		nudged := inc.state.UpdateNudgedAt
		inc.resetUpdateDue(base, nil)
		inc.state.UpdateNudgedAt = nudged
	case a.Type == ActionAssignRole && a.Role == "commander":
	default:
		return
	}
	inc.cadenceGen++
}

// nextNudge is when the next nudge is due and its kind ("" for none).
func (inc *incident) nextNudge() (time.Time, string) {
	var at time.Time
	kind := ""
	if !inc.state.UnownedNudged && len(inc.unowned()) > 0 {
		at, kind = inc.state.DeclaredAt.Add(inc.pb.UnownedAfter()), NudgeUnowned
	}
	if c := inc.pb.UpdateCadence(inc.state.Severity); c > 0 && inc.state.UpdateDueAt != nil {
		t := *inc.state.UpdateDueAt
		if n := inc.state.UpdateNudgedAt; n != nil && n.Add(c).After(t) {
			t = n.Add(c) // once per cadence period
		}
		if kind == "" || t.Before(at) {
			at, kind = t, NudgeUpdateOverdue
		}
	}
	return at, kind
}

// unowned lists what the incident still lacks: a commander, a severity.
func (inc *incident) unowned() []string {
	var missing []string
	if inc.roleHolder("commander") == "" {
		missing = append(missing, "commander")
	}
	if inc.state.Severity == "" {
		missing = append(missing, "severity")
	}
	return missing
}

func (inc *incident) roleHolder(role string) string {
	who := ""
	for _, r := range inc.state.Roles {
		if r.Role == role {
			who = r.User
		}
	}
	return who
}

// cadence waits on a durable timer for the next nudge; any change that moves
// it (cadenceGen) or the close ends the wait early.
func (inc *incident) cadence(ctx workflow.Context) {
	for inc.state.Status != StatusClosed {
		gen := inc.cadenceGen
		changed := func() bool { return inc.state.Status == StatusClosed || inc.cadenceGen != gen }
		at, kind := inc.nextNudge()
		if kind == "" {
			if err := workflow.Await(ctx, changed); err != nil {
				return
			}
			continue
		}
		if wait := at.Sub(workflow.Now(ctx)); wait > 0 {
			ok, err := workflow.AwaitWithTimeout(ctx, wait, changed)
			if err != nil {
				return
			}
			if ok {
				continue // counted again from the new state, or closed
			}
		}
		inc.nudge(ctx, kind)
	}
}

// nudge records the nudge on the timeline, then tells people: a nudge that
// cannot be delivered is still on record.
func (inc *incident) nudge(ctx workflow.Context, kind string) {
	now := workflow.Now(ctx).UTC()
	n := Nudge{
		IncidentID: inc.state.ID, Kind: kind, At: now, Mode: inc.state.Mode, Commander: inc.roleHolder("commander"),
		DeclaredBy: inc.state.DeclaredBy.ID, ChannelID: inc.slackChannel(), Severity: inc.state.Severity,
	}
	var idx int
	switch kind {
	case NudgeUnowned:
		inc.state.UnownedNudged = true
		n.Missing = inc.unowned()
		n.Cadence = inc.pb.UnownedAfter().String()
		idx = inc.recordEvent(ctx, "incident.unowned", "irbot", map[string]any{
			"missing": n.Missing, "after": n.Cadence, "declared_by": n.DeclaredBy,
		}, nil)
	default:
		c := inc.pb.UpdateCadence(inc.state.Severity)
		inc.state.UpdateNudgedAt = &now
		n.DueAt, n.Cadence = inc.state.UpdateDueAt, c.String()
		idx = inc.recordEvent(ctx, "update.nudged", "irbot", map[string]any{
			"due_at": timeString(inc.state.UpdateDueAt), "cadence": n.Cadence, "severity": n.Severity,
			"commander": n.Commander, "last_update_at": timeString(inc.state.UpdatedAt),
		}, nil)
	}
	inc.busy++
	defer func() { inc.busy-- }()
	if err := workflow.Await(ctx, func() bool { return inc.written >= idx }); err != nil {
		return
	}
	actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 30 * time.Second,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: time.Minute, MaximumAttempts: 5,
		},
	})
	if err := workflow.ExecuteActivity(actx, NudgeActivityName, n).Get(ctx, nil); err != nil && ctx.Err() == nil {
		workflow.GetLogger(ctx).Warn("nudge not delivered", "incident", inc.state.ID, "kind", kind, "error", err)
	}
}

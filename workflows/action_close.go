package workflows

import (
	"strings"
	"time"

	"go.temporal.io/sdk/workflow"
)

var closeAction = incidentAction{
	name:     ActionClose,
	describe: "closes the incident once no clock is open (reason to close before the playbook is finished); a drill's manager may end a drill outright",
	validate: func(inc *incident, a Action, _ time.Time) error {
		// A drill's manager ends it in one command, open clocks and all: its
		// clocks are play, and the report shows them as missed.
		drill := inc.state.Mode == ModeDrill
		if err := inc.actionAllowed(ActionClose, a.Actor); err != nil && !(drill && inc.holdsAny(a.Actor, "manager")) {
			return err
		}
		if open := inc.openClocks(); len(open) > 0 && !drill {
			return rejection("cannot close: %s still open; record the notification or a documented decision not to notify first", strings.Join(open, ", "))
		}
		if inc.state.Phase != "complete" && strings.TrimSpace(a.Reason) == "" {
			return rejection("cannot close: phase %s is not finished (next: %s); finish the playbook or give a reason to close early", inc.state.Phase, inc.state.NextAction)
		}
		return nil
	},
	apply: func(inc *incident, ctx workflow.Context, a Action, at applied) int {
		inc.state.Status = StatusClosed
		inc.state.ClosedAt = &at.now
		inc.noticesClosed(ctx)
		for i := range inc.state.Clocks {
			c := &inc.state.Clocks[i]
			if c.Open() && c.Started {
				inc.settleClock(ctx, c, at.now)
			}
		}
		return inc.recordEvent(ctx, "incident.closed", at.actor, at.with("reason", a.Reason), nil)
	},
}

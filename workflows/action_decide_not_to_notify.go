package workflows

import (
	"time"

	"go.temporal.io/sdk/workflow"
)

var decideNotToNotifyAction = incidentAction{
	name:     ActionDecideNotToNotify,
	describe: "records a documented decision not to notify, which settles its clock (regime, obligation, reason); some need a second person to confirm",
	validate: func(inc *incident, a Action, _ time.Time) error {
		c, err := inc.openClock(ActionDecideNotToNotify, a)
		if err != nil {
			return err
		}
		if err := inc.actionAllowed(ActionDecideNotToNotify, a.Actor); err != nil {
			return err
		}
		if p := c.Proposed; p != nil {
			// The second person of a two-person decision confirms it.
			if p.By == a.Actor.ID {
				return rejection("a decision not to notify the %s needs two different people: you proposed it, so someone else with the role dpo, legal or admin must confirm it", c.Recipient)
			}
			return nil
		}
		return CheckNotNotifyRationale(a.Reason)
	},
	apply: func(inc *incident, ctx workflow.Context, a Action, at applied) int {
		return inc.decideNotToNotify(ctx, at.actor, inc.clock(a.Regime, a.Obligation), a.Reason, at.with(), at.now)
	},
}

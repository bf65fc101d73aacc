package workflows

import (
	"slices"
	"strings"
	"time"

	"go.temporal.io/sdk/workflow"

	"github.com/irbot/irbot/internal/deadline"
)

var delayClockAction = incidentAction{
	name:     ActionDelayClock,
	describe: "records a law-enforcement delay on a regime or one of its clocks, open-ended or until a time (regime, obligation, until, reason); the clocks are re-evaluated",
	validate: func(inc *incident, a Action, _ time.Time) error {
		if !slices.Contains(inc.state.Regimes, a.Regime) {
			return rejection("delay_clock needs one of the incident's regimes (%s), got %q", strings.Join(inc.state.Regimes, ", "), a.Regime)
		}
		if a.Obligation != "" && inc.clock(a.Regime, a.Obligation) == nil {
			return rejection("incident %s has no clock %s/%s", inc.state.ID, a.Regime, a.Obligation)
		}
		if err := inc.actionAllowed(ActionDelayClock, a.Actor); err != nil {
			return err
		}
		if inc.openDelay(a.Regime, a.Obligation) == nil && !Documented(a.Reason) {
			return rejection("a law-enforcement delay must be documented: give the reason (reason), e.g. the agency and its written request")
		}
		return nil
	},
	apply: func(inc *incident, ctx workflow.Context, a Action, at applied) int {
		from := at.now
		if open := inc.openDelay(a.Regime, a.Obligation); open != nil && a.Until != nil {
			until := a.Until.UTC()
			open.Until = &until
		} else {
			d := deadline.Delay{Regime: a.Regime, Obligation: a.Obligation, From: from, Reason: a.Reason}
			if a.Until != nil {
				until := a.Until.UTC()
				d.Until = &until
			}
			inc.state.Delays = append(inc.state.Delays, d)
		}
		idx := inc.recordEvent(ctx, "clock.delayed", at.actor, at.with("regime", a.Regime, "obligation", a.Obligation,
			"until", timeString(a.Until), "reason", a.Reason), nil)
		if i := inc.reevaluate(ctx, at.actor, "law-enforcement delay"); i > 0 {
			idx = i
		}
		return idx
	},
}

package workflows

import (
	"strings"
	"time"

	"go.temporal.io/sdk/workflow"
)

var approveAction = incidentAction{
	name:     ActionApprove,
	describe: "approves a playbook gate (gate) by one of its roles; a two-person gate needs two different people, not the declarer",
	validate: func(inc *incident, a Action, _ time.Time) error {
		var gate *GateState
		for i := range inc.state.Gates {
			if inc.state.Gates[i].ID == a.Gate {
				gate = &inc.state.Gates[i]
			}
		}
		if gate == nil {
			ids := make([]string, 0, len(inc.state.Gates))
			for _, g := range inc.state.Gates {
				ids = append(ids, g.ID)
			}
			return rejection("unknown gate %q; gates are %s", a.Gate, strings.Join(ids, ", "))
		}
		if gate.Approved {
			return rejection("gate %s is already approved", gate.ID)
		}
		for _, n := range inc.state.Notices {
			if noticeGates[n.Recipient] == gate.ID {
				return rejection("gate %s approves the notice itself: it is satisfied when notice %s is approved by a second person (irbot notice %s %s approve), not by approving the gate", gate.ID, n.ID, inc.state.ID, n.ID)
			}
		}
		if inc.phaseIndex(gate.Phase) > inc.phaseIndex(inc.state.Phase) {
			return rejection("gate %s belongs to phase %s; the incident is in phase %s", gate.ID, gate.Phase, inc.state.Phase)
		}
		if !inc.holdsAny(a.Actor, gate.Roles...) {
			return denied("gate %s must be approved by someone with the role %s", gate.ID, strings.Join(gate.Roles, " or "))
		}
		if gate.TwoPerson {
			for _, ap := range gate.Approvals {
				if ap.By == a.Actor.ID {
					return denied("gate %s needs two different people: you already approved it", gate.ID)
				}
			}
			if a.Actor.ID == inc.state.DeclaredBy.ID {
				return denied("gate %s follows the two-person rule: the person who declared the incident cannot approve it", gate.ID)
			}
		}
		return nil
	},
	apply: func(inc *incident, ctx workflow.Context, a Action, at applied) int {
		for i := range inc.state.Gates {
			g := &inc.state.Gates[i]
			if g.ID == a.Gate {
				g.Approvals = append(g.Approvals, Approval{By: at.actor, At: at.now})
				g.Approved = !g.TwoPerson || len(g.Approvals) >= 2
				data := at.with("gate", g.ID, "title", g.Title, "approvals", len(g.Approvals), "complete", g.Approved)
				if sent := inc.sentBefore(g.ID); sent != "" {
					// A notice gate approved for a notice sent by hand
					// before it: the record says so.
					data["after_sent"] = sent
				}
				return inc.recordEvent(ctx, "gate.approved", at.actor, data, nil)
			}
		}
		return inc.queued
	},
}

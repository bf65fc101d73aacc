package workflows

import (
	"strings"
	"time"

	"go.temporal.io/sdk/workflow"
)

var addReferenceAction = incidentAction{
	name:     ActionAddReference,
	describe: "attaches the authority's case number or receipt to a notice already recorded as sent (regime, obligation, reference)",
	validate: func(inc *incident, a Action, _ time.Time) error {
		if a.Regime == "" || a.Obligation == "" {
			return rejection("add_reference needs regime and obligation, e.g. eu-gdpr and supervisory-authority")
		}
		c := inc.clock(a.Regime, a.Obligation)
		if c == nil {
			return rejection("incident %s has no clock %s/%s", inc.state.ID, a.Regime, a.Obligation)
		}
		if c.SentAt == nil || (c.Status != ClockMet && c.Status != ClockLate) {
			return rejection("%s has no notice recorded as sent (%s): record the notification first", c.Key(), c.Status)
		}
		ref := strings.TrimSpace(a.Reference)
		if ref == "" {
			return rejection("add_reference needs the reference (the authority's case number or receipt)")
		}
		// Size and control characters: CheckAction (limits.go), with every other field.
		if ref == c.Reference {
			return rejection("%s already has the reference %q", c.Key(), ref)
		}
		return inc.actionAllowed(ActionAddReference, a.Actor)
	},
	apply: func(inc *incident, ctx workflow.Context, a Action, at applied) int {
		c := inc.clock(a.Regime, a.Obligation)
		ref := strings.TrimSpace(a.Reference)
		data := at.with("regime", c.Regime, "obligation", c.Obligation, "reference", ref, "previous", c.Reference,
			"sent_at", timeString(c.SentAt))
		c.Reference = ref
		for i := range inc.state.Notices {
			if n := &inc.state.Notices[i]; n.Regime == c.Regime && n.Obligation == c.Obligation && n.Status == NoticeSent && n.Follows == "" {
				n.Reference = ref
				data["notice"] = n.ID
			}
		}
		return inc.recordEvent(ctx, "notification.reference_added", at.actor, data, nil)
	},
}

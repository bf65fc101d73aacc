package workflows

import (
	"strings"
	"time"

	"go.temporal.io/sdk/workflow"
)

var recordNotificationAction = incidentAction{
	name:     ActionRecordNotification,
	describe: "records that a notification was sent, which settles its clock (regime, obligation, sent_at, reference; reason when late)",
	prepare: func(a *Action, now time.Time) {
		if a.SentAt == nil {
			t := now.UTC()
			a.SentAt = &t
		}
	},
	validate: func(inc *incident, a Action, now time.Time) error {
		c, err := inc.openClock(ActionRecordNotification, a)
		if err != nil {
			return err
		}
		if err := inc.actionAllowed(ActionRecordNotification, a.Actor); err != nil {
			return err
		}
		if a.SentAt != nil && c.DueAt != nil && a.SentAt.After(*c.DueAt) && strings.TrimSpace(a.Reason) == "" && c.Semantics != "asap" {
			return rejection("the notice was sent after the due time %s: give the reason for the delay (reason)", c.DueAt.Format(time.RFC3339))
		}
		if a.SentAt != nil && a.SentAt.Before(inc.state.DeclaredAt.Add(-365*24*time.Hour)) {
			return rejection("sent_at %s is more than a year before the incident was declared", a.SentAt.Format(time.RFC3339))
		}
		if a.SentAt != nil && !now.IsZero() {
			return CheckHappened("sent_at", *a.SentAt, now)
		}
		return nil
	},
	apply: func(inc *incident, ctx workflow.Context, a Action, at applied) int {
		sent := at.now
		if a.SentAt != nil {
			sent = a.SentAt.UTC()
		}
		// The same path records a notice irbot delivered (incident_notices.go).
		return inc.recordNotification(ctx, at.actor, inc.clock(a.Regime, a.Obligation), NoticeSummary{}, sent, a.Reference, a.Reason, at.with())
	},
}

// openClock is the clock an action on one clock (record_notification,
// decide_not_to_notify, snooze_clock) names, if it exists and is open.
func (inc *incident) openClock(name string, a Action) (*ClockState, error) {
	if a.Regime == "" || a.Obligation == "" {
		return nil, rejection("%s needs regime and obligation, e.g. eu-gdpr and supervisory-authority", name)
	}
	var c *ClockState
	for i := range inc.state.Clocks {
		if inc.state.Clocks[i].Regime == a.Regime && inc.state.Clocks[i].Obligation == a.Obligation {
			c = &inc.state.Clocks[i]
		}
	}
	if c == nil {
		keys := make([]string, 0, len(inc.state.Clocks))
		for _, k := range inc.state.Clocks {
			keys = append(keys, k.Key())
		}
		return nil, rejection("incident %s has no clock %s/%s; its clocks are %s", inc.state.ID, a.Regime, a.Obligation, strings.Join(keys, ", "))
	}
	if !c.Open() {
		return nil, rejection("clock %s is already settled (%s)", c.Key(), c.Status)
	}
	return c, nil
}

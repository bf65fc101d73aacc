package activities

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/irbot/irbot/internal/mail"
	"github.com/irbot/irbot/workflows"
)

// People finds whom to tell: the users-file people holding a role.
type People interface {
	EmailsWithRole(role string) []string
}

// clockEmail emails an escalation or an overdue alert to the people who
// hold the roles it names. Routine reminders stay in Slack: email is for
// what must not be missed. The Message-ID comes from the alert's key, so a
// retried activity is recognisable as the same message.
func (a *Activities) clockEmail(ctx context.Context, al workflows.ClockAlert) error {
	if a.Mailer == nil || a.People == nil || al.Kind == "clock.reminder" {
		return nil
	}
	var to []string
	for _, role := range al.Notify {
		for _, addr := range a.People.EmailsWithRole(role) {
			if !slices.Contains(to, addr) {
				to = append(to, addr)
			}
		}
	}
	if len(to) == 0 {
		return nil
	}
	what := "Escalation"
	if al.Kind == "clock.overdue" {
		what = "OVERDUE"
	}
	name := al.Name
	if name == "" {
		name = al.Regime + "/" + al.Obligation
	}
	msg := mail.Message{
		MessageID: a.messageID("clock-alert", al.IncidentID, al.Key),
		To:        to,
		Subject:   fmt.Sprintf("%s: %s %s/%s, %s", what, al.IncidentID, al.Regime, al.Obligation, al.Left),
		Text: strings.Join([]string{
			fmt.Sprintf("Incident %s: %s", al.IncidentID, al.Title),
			fmt.Sprintf("Obligation: %s (%s/%s)", name, al.Regime, al.Obligation),
			fmt.Sprintf("Due: %s, %s.", al.DueAt.UTC().Format(time.RFC1123), al.Left),
			"",
			"Record the notice (record_notification) or a documented decision not to notify",
			"(decide_not_to_notify) in irbot; this alert repeats until one is recorded.",
		}, "\n") + "\n",
		Headers: map[string]string{"X-Irbot-Incident": al.IncidentID, "X-Irbot-Alert": al.Kind},
	}
	if al.Mode == workflows.ModeDrill {
		var ok bool
		if msg, ok = a.drillMessage(msg); !ok {
			return nil // a drill never reminds anyone outside the drill
		}
	}
	if _, err := a.Mailer.Send(ctx, msg); err != nil {
		if mail.IsPermanent(err) {
			// A bad address must not block the clock's other alerts; the
			// timeline already holds the alert.
			a.logger().Warn("clock alert email refused", "incident", al.IncidentID, "kind", al.Kind, "error", err)
			return nil
		}
		return fmt.Errorf("email %s for %s: %w", al.Kind, al.IncidentID, err)
	}
	return nil
}

package slackbot

import (
	"context"
	"fmt"

	"github.com/slack-go/slack"

	tpl "github.com/irbot/irbot/templates/slack"
	"github.com/irbot/irbot/workflows"
)

// Settling a regulatory clock from Slack: /incident notified and not-notify,
// and the card's clock menu (Notified…, Not notifying…) with its modals.

// clockCommand runs /incident notified or not-notify in incident id.
func (b *Bot) clockCommand(ctx context.Context, actor workflows.Actor, id string, c Command, requestID string, to reply) {
	key := c.Regime + "/" + c.Obligation
	var a workflows.Action
	var confirm string
	switch c.Name {
	case "notified":
		// Whether a late notification has its reason is the workflow's
		// rule: a refusal is shown as is and goes on the timeline.
		now := b.now().UTC()
		a = workflows.Action{Type: workflows.ActionRecordNotification, Regime: c.Regime, Obligation: c.Obligation, SentAt: &now, Reference: c.Reference, Reason: c.Text}
		confirm = fmt.Sprintf("Notification for %s recorded as sent %s", key, tpl.UTC(now))
		if c.Reference != "" {
			confirm += " (reference " + tpl.Escape(c.Reference) + ")"
		}
		confirm += "; the clock stops."
	case "not_notify":
		a = workflows.Action{Type: workflows.ActionDecideNotToNotify, Regime: c.Regime, Obligation: c.Obligation, Reason: c.Text}
		confirm = "Decision not to notify for " + key + " recorded with its rationale; the clock stops."
	default:
		return
	}
	a.RequestID, a.Source = requestID, "slack"
	if _, err := b.svc.Act(ctx, actor, id, a); err != nil {
		b.refused(ctx, to, id, actor, a, err)
		return
	}
	b.tell(ctx, to, confirm)
}

// onClockMenu opens the modal for the option picked in a clock's menu.
func (b *Bot) onClockMenu(act slack.BlockAction, triggerID string, actor workflows.Actor, to reply) bool {
	option, id, regime, obligation := tpl.SplitClockValue(actionArg(act))
	if id == "" || regime == "" || obligation == "" {
		return true
	}
	var view slack.ModalViewRequest
	switch option {
	case tpl.ClockOptionNotified:
		view = tpl.NotifiedModal(id, regime, obligation, b.now())
	case tpl.ClockOptionNotNotify:
		view = tpl.NotNotifyModal(id, regime, obligation)
	case tpl.ClockOptionSnooze:
		view = tpl.SnoozeModal(id, regime, obligation)
	case tpl.ClockOptionNotify:
		return b.urgent.submit(func(ctx context.Context) {
			b.openNotify(ctx, triggerID, actor, id, "", regime, obligation, to)
		})
	default:
		return true
	}
	return b.urgent.submit(func(ctx context.Context) { b.openView(ctx, triggerID, view, to) })
}

// clockSubmission reads a submitted Notified or Not notifying modal. It
// returns the action to apply, or the errors that keep the modal open. It
// runs in the modal's acknowledgement, so it reads nothing from the service:
// the rules that need no incident state (workflows/rules.go) are shown under
// their field in the workflow's own words; the rest (a late notification
// needs its reason) are the Update validator's, answered privately after the
// acknowledgement.
func (b *Bot) clockSubmission(v slack.View) (string, workflows.Action, map[string]any) {
	id, key := tpl.SplitValue(v.PrivateMetadata)
	regime, obligation := tpl.SplitClockKey(key)
	if v.CallbackID == tpl.CallbackNotNotify {
		reason := tpl.InputValue(v.State, tpl.BlockRationale)
		if err := workflows.CheckNotNotifyRationale(reason); err != nil {
			return "", workflows.Action{}, viewErrors(tpl.BlockRationale, err.Error())
		}
		return id, workflows.Action{Type: workflows.ActionDecideNotToNotify, Regime: regime, Obligation: obligation, Reason: reason}, nil
	}
	now := b.now().UTC()
	sent := now
	if t := tpl.SentAtValue(v.State); t != nil {
		sent = *t
	}
	if err := workflows.CheckHappened("sent_at", sent, now); err != nil {
		return "", workflows.Action{}, viewErrors(tpl.BlockSentAt, err.Error())
	}
	a := workflows.Action{Type: workflows.ActionRecordNotification, Regime: regime, Obligation: obligation, SentAt: &sent,
		Reference: tpl.InputValue(v.State, tpl.BlockReference), Reason: tpl.InputValue(v.State, tpl.BlockLateReason)}
	return id, a, nil
}

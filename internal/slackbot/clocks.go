package slackbot

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/slack-go/slack"

	tpl "github.com/irbot/irbot/templates/slack"
	"github.com/irbot/irbot/workflows"
)

// Settling a regulatory clock from Slack: /incident notified and not-notify,
// and the card's clock menu (Notified…, Not notifying…) with its modals.

// lateCheckTimeout bounds the state read a modal submission makes to say,
// while the modal is still open, that a late notification needs a reason.
// Past it the workflow's own validator decides.
const lateCheckTimeout = 1500 * time.Millisecond

// lateWithoutReason reports whether recording a notification sent at sentAt
// on the clock regime/obligation would be refused for want of a reason, and
// the clock's due time.
func lateWithoutReason(st *workflows.IncidentState, regime, obligation string, sentAt time.Time, reason string) (time.Time, bool) {
	if st == nil || strings.TrimSpace(reason) != "" {
		return time.Time{}, false
	}
	for _, c := range st.Clocks {
		if c.Regime == regime && c.Obligation == obligation && c.Open() && c.DueAt != nil && c.Semantics != "asap" && sentAt.After(*c.DueAt) {
			return *c.DueAt, true
		}
	}
	return time.Time{}, false
}

// clockCommand runs /incident notified or not-notify in incident id.
func (b *Bot) clockCommand(ctx context.Context, actor workflows.Actor, id string, c Command, requestID string, to reply) {
	key := c.Regime + "/" + c.Obligation
	var a workflows.Action
	var confirm string
	switch c.Name {
	case "notified":
		now := b.now().UTC()
		// Ask for the reason before acting: a missing reason is a typo to
		// fix, not a refusal for the timeline.
		if st, err := b.svc.Get(ctx, SystemActor, id); err == nil {
			if due, late := lateWithoutReason(st, c.Regime, c.Obligation, now, c.Text); late {
				example := "/incident notified " + key
				if c.Reference != "" {
					example += " " + c.Reference
				}
				b.tell(ctx, to, fmt.Sprintf(":warning: %s was due %s (%s): a late notification needs the reason for the delay. Nothing was recorded. Run `%s reason: WHY`, or use *Notified…* in the card's clock menu.",
					key, tpl.UTC(due), tpl.Left(due, now), example))
				return
			}
		}
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
// returns the action to apply, or the errors that keep the modal open.
func (b *Bot) clockSubmission(v slack.View) (string, workflows.Action, map[string]any) {
	id, key := tpl.SplitValue(v.PrivateMetadata)
	regime, obligation := tpl.SplitClockKey(key)
	if v.CallbackID == tpl.CallbackNotNotify {
		reason := tpl.InputValue(v.State, tpl.BlockRationale)
		if len(reason) < minRationale {
			return "", workflows.Action{}, viewErrors(tpl.BlockRationale, "A decision not to notify must be documented: give the rationale, at least a sentence.")
		}
		return id, workflows.Action{Type: workflows.ActionDecideNotToNotify, Regime: regime, Obligation: obligation, Reason: reason}, nil
	}
	now := b.now().UTC()
	sent := now
	if t := tpl.SentAtValue(v.State); t != nil {
		sent = *t
	}
	if sent.After(now.Add(5 * time.Minute)) {
		return "", workflows.Action{}, viewErrors(tpl.BlockSentAt, "The sent time is in the future; record a notification once it has been sent.")
	}
	reason := tpl.InputValue(v.State, tpl.BlockLateReason)
	ctx, cancel := context.WithTimeout(context.Background(), lateCheckTimeout)
	defer cancel()
	if st, err := b.svc.Get(ctx, SystemActor, id); err == nil {
		if due, late := lateWithoutReason(st, regime, obligation, sent, reason); late {
			return "", workflows.Action{}, viewErrors(tpl.BlockLateReason, fmt.Sprintf("It was sent after the due time %s: give the reason for the delay.", tpl.UTC(due)))
		}
	}
	a := workflows.Action{Type: workflows.ActionRecordNotification, Regime: regime, Obligation: obligation, SentAt: &sent,
		Reference: tpl.InputValue(v.State, tpl.BlockReference), Reason: reason}
	return id, a, nil
}

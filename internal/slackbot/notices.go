package slackbot

import (
	"context"
	"fmt"

	"github.com/slack-go/slack"

	tpl "github.com/irbot/irbot/templates/slack"
	"github.com/irbot/irbot/workflows"
)

// NoticeService is the part of the incident service that lists an
// incident's notices and acts on one.
type NoticeService interface {
	Notices(ctx context.Context, actor workflows.Actor, id string) ([]workflows.NoticeState, error)
	NoticeAct(ctx context.Context, actor workflows.Actor, id, noticeID string, a workflows.NoticeAction) (*workflows.NoticeState, error)
}

// listNotices answers /incident notices privately, with the buttons each
// notice's status allows.
func (b *Bot) listNotices(ctx context.Context, actor workflows.Actor, id string, to reply, note string, replace bool) {
	list, err := b.svc.Notices(ctx, actor, id)
	if err != nil {
		b.tell(ctx, to, errorText(b.logged(err, "notices")))
		return
	}
	blocks, fallback := tpl.NoticesList(id, list, b.now(), note)
	b.tellBlocks(ctx, to, fallback, blocks, replace)
}

// noticeVerb is what a notice action did, for the person who pressed.
var noticeVerb = map[string]string{
	workflows.NoticeApprove: "approved", workflows.NoticeReject: "rejected",
	workflows.NoticeSend: "is being sent", workflows.NoticeDecideNotToNotify: "closed with a decision not to notify",
}

// noticeAct applies a notice action as the person who asked. On success the
// notices list they pressed in is rendered again from state (when there is
// one to replace); a refusal is explained privately and recorded.
func (b *Bot) noticeAct(ctx context.Context, actor workflows.Actor, id, noticeID string, na workflows.NoticeAction, to reply, requestID string, fromList bool) {
	na.Source, na.RequestID = "slack", requestID
	if _, err := b.svc.NoticeAct(ctx, actor, id, noticeID, na); err != nil {
		b.refusedNotice(ctx, to, na.Type, err)
		return
	}
	note := fmt.Sprintf("✅ Notice %s %s by %s.", tpl.Escape(noticeID), noticeVerb[na.Type], tpl.Mention(actor.ID))
	if fromList && to.responseURL != "" {
		b.listNotices(ctx, actor, id, to, note, true)
		return
	}
	b.tell(ctx, to, note)
}

// refusedNotice tells the person privately why a notice action was
// refused; the service has put a rules refusal on the timeline.
func (b *Bot) refusedNotice(ctx context.Context, to reply, noticeType string, err error) {
	b.tell(ctx, to, errorText(b.logged(err, "notice "+noticeType)))
}

// onNoticeButton handles a button of the notices list.
func (b *Bot) onNoticeButton(cb slack.InteractionCallback, act slack.BlockAction, to reply, requestID string) bool {
	id, noticeID := tpl.SplitValue(act.Value)
	if id == "" || noticeID == "" {
		return true
	}
	switch act.ActionID {
	case tpl.ActionNoticeReject, tpl.ActionNoticeSendLate:
		view := tpl.NoticeRejectModal(id, noticeID)
		if act.ActionID == tpl.ActionNoticeSendLate {
			view = tpl.NoticeSendModal(id, noticeID)
		}
		return b.urgent.submit(func(ctx context.Context) { b.openView(ctx, cb.TriggerID, view, to) })
	}
	na := workflows.NoticeAction{Type: workflows.NoticeApprove}
	if act.ActionID == tpl.ActionNoticeSend {
		na.Type = workflows.NoticeSend
	}
	actor := b.actor(cb.User.ID, userName(cb.User))
	return b.work.submit(func(ctx context.Context) { b.noticeAct(ctx, actor, id, noticeID, na, to, requestID, true) })
}

// noticeSubmission reads a submitted Reject or late Send modal.
func noticeSubmission(v slack.View) (id, noticeID string, na workflows.NoticeAction, errs map[string]any) {
	id, noticeID = tpl.SplitValue(v.PrivateMetadata)
	na = workflows.NoticeAction{Type: workflows.NoticeReject, Reason: tpl.InputValue(v.State, tpl.BlockNoticeReason)}
	if v.CallbackID == tpl.CallbackNoticeSend {
		na.Type = workflows.NoticeSend
	}
	// A rejection's reason is a rule without state (workflows/rules.go),
	// shown under the field in its words; whether a Send is late and so
	// needs its reason is the notice workflow's to say, after the
	// acknowledgement.
	if na.Type == workflows.NoticeReject {
		if err := workflows.CheckRejectReason(na.Reason); err != nil {
			return id, noticeID, na, viewErrors(tpl.BlockNoticeReason, err.Error())
		}
	}
	return id, noticeID, na, nil
}

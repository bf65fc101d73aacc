package slackbot

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"

	"github.com/slack-go/slack"

	"github.com/irbot/irbot/internal/incident"
	tpl "github.com/irbot/irbot/templates/slack"
	"github.com/irbot/irbot/workflows"
)

// onInteraction acknowledges a button press or a modal submission and queues
// its work. A modal gets its answer in the acknowledgement when there is a
// problem with what was typed (it stays open to fix it).
func (b *Bot) onInteraction(cb slack.InteractionCallback) any {
	switch cb.Type {
	case slack.InteractionTypeBlockActions:
		for _, act := range cb.ActionCallback.BlockActions {
			b.onBlockAction(cb, *act)
		}
		return nil
	case slack.InteractionTypeViewSubmission:
		return b.onViewSubmission(cb)
	}
	return nil
}

func actionArg(act slack.BlockAction) string {
	if act.SelectedOption.Value != "" {
		return act.SelectedOption.Value
	}
	return act.Value
}

func (b *Bot) onBlockAction(cb slack.InteractionCallback, act slack.BlockAction) {
	act.ActionID = tpl.BaseAction(act.ActionID)
	user := cb.User.ID
	arg := actionArg(act)
	// The same delivery twice (a replay) carries the same action_ts; a
	// double click is two deliveries of the same button within seconds.
	key := "act:" + act.ActionTs + ":" + user + ":" + act.ActionID + ":" + arg
	if !b.seen.first(key) {
		return
	}
	clickKey := "click:" + user + ":" + cb.Container.MessageTs + ":" + act.ActionID + ":" + arg
	if !b.clicks.first(clickKey) {
		return
	}
	to := reply{responseURL: cb.ResponseURL, channelID: cb.Channel.ID, userID: user}
	if to.channelID == "" {
		to.channelID = cb.Container.ChannelID
	}
	requestID := "slack:act:" + act.ActionTs + ":" + user + ":" + act.ActionID
	var ok bool
	switch act.ActionID {
	case tpl.ActionAddNote, tpl.ActionClose:
		id, _ := tpl.SplitValue(act.Value)
		view := tpl.NoteModal(id)
		if act.ActionID == tpl.ActionClose {
			view = tpl.CloseModal(id)
		}
		ok = b.urgent.submit(func(ctx context.Context) { b.openView(ctx, cb.TriggerID, view, to) })
	case tpl.ActionClockMenu:
		ok = b.onClockMenu(act, cb.TriggerID, b.actor(user, userName(cb.User)), to)
	case tpl.ActionClocksPage:
		id, page := tpl.SplitValue(act.Value)
		n, _ := strconv.Atoi(page)
		actor := b.actor(user, userName(cb.User))
		// Paging within the private list replaces it; from the card, a
		// new private list.
		replace := cb.Container.IsEphemeral
		ok = b.work.submit(func(ctx context.Context) { b.clocksPage(ctx, actor, id, n, to, replace) })
	case tpl.ActionNotify:
		id, key := tpl.SplitValue(act.Value)
		regime, obligation := tpl.SplitClockKey(key)
		actor := b.actor(user, userName(cb.User))
		ok = b.urgent.submit(func(ctx context.Context) { b.openNotify(ctx, cb.TriggerID, actor, id, "", regime, obligation, to) })
	case tpl.ActionNoticeApprove, tpl.ActionNoticeSend, tpl.ActionNoticeReject, tpl.ActionNoticeSendLate:
		ok = b.onNoticeButton(cb, act, to, requestID)
	case tpl.ActionDrillAnswer, tpl.ActionDrillAnswerOpen:
		ok = b.onDrillAnswerButton(cb, act, to)
	case tpl.ActionDrillPlanOpen:
		id, _ := tpl.SplitValue(act.Value)
		actor := b.actor(user, userName(cb.User))
		ok = b.urgent.submit(func(ctx context.Context) { b.openDrillPlan(ctx, cb.TriggerID, actor, id, to) })
	case tpl.ActionDrillFeedbackOpen:
		id, _ := tpl.SplitValue(act.Value)
		ok = b.urgent.submit(func(ctx context.Context) { b.openView(ctx, cb.TriggerID, tpl.DrillFeedbackModal(id), to) })
	case tpl.ActionJoin:
		_, channelID := tpl.SplitValue(act.Value)
		ok = b.work.submit(func(ctx context.Context) { b.join(ctx, channelID, to) })
	case tpl.ActionTaskDone, tpl.ActionApprove, tpl.ActionClaimRole, tpl.ActionSeverity:
		id, a := buttonAction(act, user)
		if act.ActionID == tpl.ActionSeverity {
			id = tpl.IncidentOfBlock(act.BlockID)
			if id == "" {
				id = incidentOfCard(cb)
			}
		}
		if id == "" {
			return
		}
		a.RequestID, a.Source = requestID, "slack"
		actor := b.actor(user, userName(cb.User))
		ok = b.work.submit(func(ctx context.Context) {
			if _, err := b.svc.Act(ctx, actor, id, a); err != nil {
				b.refused(ctx, to, id, actor, a, err)
			}
		})
	default:
		return
	}
	if !ok {
		b.seen.forget(key)
		b.clicks.forget(clickKey)
		b.tellBusy(to)
	}
}

// buttonAction maps a card button to its incident and action.
func buttonAction(act slack.BlockAction, user string) (string, workflows.Action) {
	id, arg := tpl.SplitValue(act.Value)
	switch act.ActionID {
	case tpl.ActionTaskDone:
		return id, workflows.Action{Type: workflows.ActionCompleteTask, Task: arg}
	case tpl.ActionApprove:
		return id, workflows.Action{Type: workflows.ActionApprove, Gate: arg}
	case tpl.ActionClaimRole:
		return id, workflows.Action{Type: workflows.ActionAssignRole, Role: arg, User: user}
	case tpl.ActionSeverity:
		return "", workflows.Action{Type: workflows.ActionSetSeverity, Severity: act.SelectedOption.Value}
	}
	return "", workflows.Action{}
}

// incidentOfCard finds the incident a card message belongs to, from the
// other buttons' values (the severity select has no room for it).
func incidentOfCard(cb slack.InteractionCallback) string {
	for _, bl := range cb.Message.Blocks.BlockSet {
		if ab, ok := bl.(*slack.ActionBlock); ok && ab.Elements != nil {
			for _, el := range ab.Elements.ElementSet {
				if btn, ok := el.(*slack.ButtonBlockElement); ok && btn.ActionID == tpl.ActionClose {
					return btn.Value
				}
			}
		}
	}
	if strings.HasPrefix(cb.Message.Text, "[irbot card ") {
		id, _, _ := strings.Cut(strings.TrimPrefix(cb.Message.Text, "[irbot card "), "]")
		return id
	}
	return ""
}

func userName(u slack.User) string {
	if u.Name != "" {
		return u.Name
	}
	return u.Profile.RealName
}

// clocksPage shows the person one page of the incident's clocks, each open
// one with its menu.
func (b *Bot) clocksPage(ctx context.Context, actor workflows.Actor, id string, page int, to reply, replace bool) {
	st, err := b.svc.Get(ctx, actor, id)
	if err != nil {
		b.tell(ctx, to, errorText(b.logged(err, "clocks")))
		return
	}
	blocks, text := tpl.ClocksPage(*st, b.now(), page)
	b.tellBlocks(ctx, to, text, blocks, replace)
}

// join invites the person who pressed Join into a public incident channel.
func (b *Bot) join(ctx context.Context, channelID string, to reply) {
	if err := b.api.Invite(ctx, channelID, to.userID); err != nil {
		b.tell(ctx, to, "irbot could not add you to <#"+channelID+"> (Slack said "+ErrCode(err)+"); ask the commander.")
	}
}

// viewErrors keeps a modal open with a message under one of its inputs.
func viewErrors(block, msg string) map[string]any {
	return map[string]any{"response_action": "errors", "errors": map[string]string{block: msg}}
}

func (b *Bot) onViewSubmission(cb slack.InteractionCallback) any {
	v := cb.View
	key := "view:" + v.ID
	user := cb.User.ID
	actor := b.actor(user, userName(cb.User))
	requestID := "slack:view:" + v.ID
	switch v.CallbackID {
	case tpl.CallbackDrillStart:
		return b.onDrillStartSubmission(cb, key, requestID)
	case tpl.CallbackDrillAnswer:
		return b.onDrillAnswerSubmission(cb, key)
	case tpl.CallbackDrillPlan:
		return b.onDrillPlanSubmission(cb, key)
	case tpl.CallbackDrillFeedback:
		return b.onDrillFeedbackSubmission(cb, key)
	case tpl.CallbackDeclare:
		f := tpl.ParseDeclare(v.State)
		if f.Title == "" {
			return viewErrors(tpl.BlockTitle, "A title is required.")
		}
		if f.AwareAt != nil {
			if err := workflows.CheckHappened("aware_at", *f.AwareAt, b.now()); err != nil {
				return viewErrors(tpl.BlockAwareAt, err.Error())
			}
		}
		if !b.seen.first(key) {
			return nil
		}
		to := reply{channelID: v.PrivateMetadata, userID: user}
		if !b.work.submit(func(ctx context.Context) { b.declareFromForm(ctx, actor, f, requestID, to) }) {
			b.seen.forget(key)
			return viewErrors(tpl.BlockTitle, busyText)
		}
	case tpl.CallbackNotified, tpl.CallbackNotNotify:
		id, a, errs := b.clockSubmission(v)
		if errs != nil {
			return errs
		}
		if !b.seen.first(key) {
			return nil
		}
		a.RequestID, a.Source = requestID, "slack"
		if !b.work.submit(func(ctx context.Context) {
			to := b.incidentReply(ctx, id, user)
			if _, err := b.svc.Act(ctx, actor, id, a); err != nil {
				b.refused(ctx, to, id, actor, a, err)
			}
		}) {
			b.seen.forget(key)
			return viewErrors(map[bool]string{true: tpl.BlockRationale, false: tpl.BlockReference}[v.CallbackID == tpl.CallbackNotNotify], busyText)
		}
	case tpl.CallbackNoticeReject, tpl.CallbackNoticeSend:
		id, noticeID, na, errs := noticeSubmission(v)
		if errs != nil {
			return errs
		}
		if !b.seen.first(key) {
			return nil
		}
		if !b.work.submit(func(ctx context.Context) {
			b.noticeAct(ctx, actor, id, noticeID, na, b.incidentReply(ctx, id, user), requestID, false)
		}) {
			b.seen.forget(key)
			return viewErrors(tpl.BlockNoticeReason, busyText)
		}
	case tpl.CallbackFacts, tpl.CallbackNotify:
		values, errs := checkFacts(v)
		if errs != nil {
			return errs
		}
		id, clockKey := tpl.SplitValue(v.PrivateMetadata)
		if id == "" {
			return nil
		}
		if !b.seen.first(key) {
			return nil
		}
		work := func(ctx context.Context) { b.submitFacts(ctx, actor, id, values, requestID) }
		busyBlock := tpl.FactBlockID(tpl.NoticeFacts[0].Name)
		if v.CallbackID == tpl.CallbackNotify {
			busyBlock = tpl.BlockRecipients
			regime, obligation := tpl.SplitClockKey(clockKey)
			to, lang := tpl.Recipients(v.State), tpl.NoticeLanguageChoice(v.State)
			work = func(ctx context.Context) {
				b.submitNotify(ctx, actor, id, regime, obligation, lang, to, values, requestID)
			}
		}
		if !b.work.submit(work) {
			b.seen.forget(key)
			return viewErrors(busyBlock, busyText)
		}
	case tpl.CallbackSnooze:
		if !b.seen.first(key) {
			return nil
		}
		id, clockKey := tpl.SplitValue(v.PrivateMetadata)
		regime, obligation := tpl.SplitClockKey(clockKey)
		until := tpl.SnoozeUntil(v.State, b.now()).UTC()
		a := workflows.Action{Type: workflows.ActionSnoozeClock, Regime: regime, Obligation: obligation, Until: &until, RequestID: requestID, Source: "slack"}
		if !b.work.submit(func(ctx context.Context) {
			to := b.incidentReply(ctx, id, user)
			if _, err := b.svc.Act(ctx, actor, id, a); err != nil {
				b.refused(ctx, to, id, actor, a, err)
				return
			}
			b.tell(ctx, to, "Reminders for "+clockKey+" are quiet until "+tpl.UTC(until)+"; escalations still go out.")
		}) {
			b.seen.forget(key)
			return viewErrors(tpl.BlockSnoozeFor, busyText)
		}
	case tpl.CallbackUpdate:
		u := tpl.ParseUpdate(v.State, b.now())
		if u.Status == "" {
			return viewErrors(tpl.BlockUpdateStatus, "Say where things stand.")
		}
		if !b.seen.first(key) {
			return nil
		}
		id := v.PrivateMetadata
		if !b.work.submit(func(ctx context.Context) { b.postUpdate(ctx, actor, id, u, requestID) }) {
			b.seen.forget(key)
			return viewErrors(tpl.BlockUpdateStatus, busyText)
		}
	case tpl.CallbackNote, tpl.CallbackClose:
		id := v.PrivateMetadata
		a := workflows.Action{Type: workflows.ActionNote, Text: tpl.InputValue(v.State, tpl.BlockNoteText), RequestID: requestID, Source: "slack"}
		block := tpl.BlockNoteText
		if v.CallbackID == tpl.CallbackClose {
			a = workflows.Action{Type: workflows.ActionClose, Reason: tpl.InputValue(v.State, tpl.BlockCloseReason), RequestID: requestID, Source: "slack"}
			block = tpl.BlockCloseReason
		}
		if a.Type == workflows.ActionNote && a.Text == "" {
			return viewErrors(block, "A note needs text.")
		}
		if !b.seen.first(key) {
			return nil
		}
		to := reply{userID: user}
		if !b.work.submit(func(ctx context.Context) {
			st, err := b.svc.Get(ctx, SystemActor, id)
			if err == nil && st.Slack != nil {
				to.channelID = st.Slack.ChannelID
			}
			if _, err := b.svc.Act(ctx, actor, id, a); err != nil {
				b.refused(ctx, to, id, actor, a, err)
			}
		}) {
			b.seen.forget(key)
			return viewErrors(block, busyText)
		}
	}
	return nil
}

// incidentReply is where a private answer to a modal goes: an ephemeral
// message in the incident's channel, else a DM.
func (b *Bot) incidentReply(ctx context.Context, id, user string) reply {
	to := reply{userID: user}
	if st, err := b.svc.Get(ctx, SystemActor, id); err == nil && st.Slack != nil {
		to.channelID = st.Slack.ChannelID
	}
	return to
}

// declareFromForm declares from the modal. Personal data goes into the
// summary for everyone and, when the declarer may set facts, into the
// personal_data fact too.
func (b *Bot) declareFromForm(ctx context.Context, actor workflows.Actor, f tpl.DeclareForm, requestID string, to reply) {
	summary := f.Summary
	if f.PersonalData != "" {
		if summary != "" {
			summary += "\n\n"
		}
		summary += "Personal data involved: " + f.PersonalData + "."
	}
	req := incident.DeclareRequest{
		Title: f.Title, Summary: summary, Severity: f.Severity, AwareAt: f.AwareAt, Regimes: f.Regimes,
		Commander: f.Commander, Mode: f.Mode, Public: f.Public, RequestKey: requestID,
	}
	st, err := b.svc.Declare(ctx, actor, req)
	if err != nil {
		b.tell(ctx, to, errorText(b.logged(err, "declare")))
		return
	}
	if f.PersonalData != "" && len(actor.Roles) > 0 {
		raw, _ := json.Marshal(f.PersonalData)
		a := workflows.Action{Type: workflows.ActionSetFact, Name: "personal_data", Value: raw, RequestID: requestID + ":personal_data", Source: "slack"}
		if _, err := b.svc.Act(ctx, actor, st.ID, a); err != nil {
			b.log.Warn("could not record personal_data from the declare form", "incident", st.ID, "code", ErrCode(err))
		}
	}
	b.tell(ctx, to, declaredText(st))
}

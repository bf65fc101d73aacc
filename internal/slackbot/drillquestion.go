package slackbot

import (
	"context"
	"fmt"
	"strings"

	"github.com/slack-go/slack"

	"github.com/irbot/irbot/internal/policy"
	tpl "github.com/irbot/irbot/templates/slack"
	"github.com/irbot/irbot/workflows"
)

// PostDrillQuestion posts a drill's discussion question in its channel with
// its answer buttons (or an "Answer…" form for a free answer), and the
// evaluator's notes (expected answer, guidance) privately to each person in
// the channel's drill roles (policy.DrillRoles): participants never see them.
// It implements activities.DrillQuestions.
func (b *Bot) PostDrillQuestion(ctx context.Context, in workflows.DrillDelivery) error {
	st, err := b.svc.Get(ctx, SystemActor, in.IncidentID)
	if err != nil {
		return err
	}
	if st.Slack == nil || st.Slack.ChannelID == "" {
		return nil // no channel: the timeline note is the question
	}
	ch := st.Slack.ChannelID
	if in.Kind == "end" {
		blocks, fallback := tpl.DrillHotWash(in.IncidentID, in.ScenarioAt.String())
		_, err := b.api.Post(ctx, ch, slack.MsgOptionText(fallback, false), slack.MsgOptionBlocks(blocks...))
		return err
	}
	blocks, fallback := tpl.DrillQuestion(in.IncidentID, in.ID, in.ScenarioAt.String(), in.Text, in.Choices)
	if _, err := b.api.Post(ctx, ch, slack.MsgOptionText(fallback, false), slack.MsgOptionBlocks(blocks...)); err != nil {
		return err
	}
	d, err := b.svc.Drill(ctx, SystemActor, in.IncidentID)
	if err != nil {
		return nil // the question is out; the notes are a courtesy
	}
	q, ok := d.Package.Question(in.ID)
	if !ok || (q.Expected == "" && q.Guidance == "") {
		return nil
	}
	notes := fmt.Sprintf("[DRILL] Evaluator notes for %s (only you see this):", in.ID)
	if q.Expected != "" {
		notes += "\n• Expected: " + tpl.Escape(q.Expected)
	}
	if q.Guidance != "" {
		notes += "\n• Guidance: " + tpl.Escape(q.Guidance)
	}
	seen := map[string]bool{}
	for _, role := range policy.DrillRoles {
		for _, u := range b.dir.WithRole(role) {
			if u.SlackID == "" || seen[u.SlackID] {
				continue
			}
			seen[u.SlackID] = true
			// Ephemeral: Slack shows it only to members of the channel.
			_ = b.api.PostEphemeral(ctx, ch, u.SlackID, slack.MsgOptionText(notes, false))
		}
	}
	return nil
}

// onDrillAnswerButton records a choice, or opens the free-answer form.
func (b *Bot) onDrillAnswerButton(cb slack.InteractionCallback, act slack.BlockAction, to reply) bool {
	actor := b.actor(cb.User.ID, userName(cb.User))
	if act.ActionID == tpl.ActionDrillAnswerOpen {
		id, qid, _ := tpl.SplitDrillAnswer(act.Value)
		text := cb.Message.Msg.Text // the question as posted
		if strings.TrimSpace(text) == "" {
			text = "Your answer to " + qid
		}
		return b.urgent.submit(func(ctx context.Context) {
			b.openView(ctx, cb.TriggerID, tpl.DrillAnswerModal(id, qid, text), to)
		})
	}
	id, qid, choice := tpl.SplitDrillAnswer(act.Value)
	return b.work.submit(func(ctx context.Context) {
		b.drillAnswer(ctx, actor, id, qid, choice, "", to)
	})
}

// drillAnswer records actor's answer (a choice by index, or free text).
func (b *Bot) drillAnswer(ctx context.Context, actor workflows.Actor, id, qid string, choice int, text string, to reply) {
	if choice >= 0 {
		d, err := b.svc.Drill(ctx, actor, id)
		if err != nil {
			b.tell(ctx, to, errorText(b.logged(err, "drill answer")))
			return
		}
		q, ok := d.Package.Question(qid)
		if !ok || choice >= len(q.Choices) {
			b.tell(ctx, to, "That question or choice is not in this drill.")
			return
		}
		text = q.Choices[choice]
	}
	if _, err := b.svc.DrillAnswer(ctx, actor, id, qid, text); err != nil {
		b.tell(ctx, to, errorText(b.logged(err, "drill answer")))
		return
	}
	b.tell(ctx, to, fmt.Sprintf("[DRILL] Your answer to %s is recorded: “%s”. Answering again replaces it.", qid, tpl.Escape(text)))
}

// onDrillAnswerSubmission records a free answer from the form.
func (b *Bot) onDrillAnswerSubmission(cb slack.InteractionCallback, key string) any {
	v := cb.View
	text := tpl.ParseDrillAnswer(v.State)
	if text == "" {
		return viewErrors(tpl.BlockDrillAnswer, "Write an answer.")
	}
	if !b.seen.first(key) {
		return nil
	}
	id, qid := tpl.SplitValue(v.PrivateMetadata)
	actor := b.actor(cb.User.ID, userName(cb.User))
	to := reply{userID: cb.User.ID}
	if !b.work.submit(func(ctx context.Context) { b.drillAnswer(ctx, actor, id, qid, -1, strings.TrimSpace(text), to) }) {
		b.seen.forget(key)
		return viewErrors(tpl.BlockDrillAnswer, busyText)
	}
	return nil
}

// onDrillFeedbackSubmission records a participant's feedback form: a missing
// rating keeps the form open with the reason; the rules (after play, before
// final) are the drill's, answered privately.
func (b *Bot) onDrillFeedbackSubmission(cb slack.InteractionCallback, key string) any {
	v := cb.View
	well, improve, rating := tpl.ParseDrillFeedback(v.State)
	if rating == 0 {
		return viewErrors(tpl.BlockFeedbackRating, "Choose a rating.")
	}
	if !b.seen.first(key) {
		return nil
	}
	id := v.PrivateMetadata
	actor := b.actor(cb.User.ID, userName(cb.User))
	to := reply{userID: cb.User.ID}
	if !b.work.submit(func(ctx context.Context) {
		if _, err := b.svc.DrillGiveFeedback(ctx, actor, id, workflows.DrillFeedbackInput{WentWell: well, Improve: improve, Rating: rating}); err != nil {
			b.tell(ctx, to, errorText(b.logged(err, "drill feedback")))
			return
		}
		b.tell(ctx, to, fmt.Sprintf("[DRILL] Thank you: your feedback on %s is recorded (rating %d/5). Sending the form again replaces it.", id, rating))
	}) {
		b.seen.forget(key)
		return viewErrors(tpl.BlockFeedbackRating, busyText)
	}
	return nil
}

// openDrillPlan opens the Improvement Plan form prefilled with the plan so
// far. Who may edit it, and when, is the drill's rule, checked on save.
func (b *Bot) openDrillPlan(ctx context.Context, triggerID string, actor workflows.Actor, id string, to reply) {
	d, err := b.svc.Drill(ctx, actor, id)
	if err != nil {
		b.tell(ctx, to, errorText(b.logged(err, "drill plan")))
		return
	}
	rows := []tpl.PlanRow{}
	for _, it := range d.Improvements {
		rows = append(rows, tpl.PlanRow{Issue: it.Issue, Action: it.Action, Owner: it.Owner, Due: it.Due})
	}
	b.openView(ctx, triggerID, tpl.DrillPlanModal(id, rows), to)
}

// onDrillPlanSubmission saves the Improvement Plan through the same service
// call as the API's improve; a malformed line keeps the form open.
func (b *Bot) onDrillPlanSubmission(cb slack.InteractionCallback, key string) any {
	rows, problem := tpl.ParseDrillPlan(cb.View.State)
	if problem != "" {
		return viewErrors(tpl.BlockDrillPlan, problem)
	}
	if !b.seen.first(key) {
		return nil
	}
	id := cb.View.PrivateMetadata
	actor := b.actor(cb.User.ID, userName(cb.User))
	to := reply{userID: cb.User.ID}
	items := make([]workflows.Improvement, 0, len(rows))
	for _, r := range rows {
		items = append(items, workflows.Improvement{Issue: r.Issue, Action: r.Action, Owner: r.Owner, Due: r.Due})
	}
	if !b.work.submit(func(ctx context.Context) {
		if _, err := b.svc.DrillImprove(ctx, actor, id, items, false); err != nil {
			b.tell(ctx, to, errorText(b.logged(err, "drill plan")))
			return
		}
		b.tell(ctx, to, fmt.Sprintf("[DRILL] The Improvement Plan of %s is saved (%d items). It stays editable until the report is made final.", id, len(items)))
	}) {
		b.seen.forget(key)
		return viewErrors(tpl.BlockDrillPlan, busyText)
	}
	return nil
}

package slackbot

import (
	"context"

	"github.com/slack-go/slack"

	tpl "github.com/irbot/irbot/templates/slack"
	"github.com/irbot/irbot/workflows"
)

// Status updates: /incident update opens a form; its submission goes on the
// timeline (a note, as the person) and is posted in the incident channel and
// as a reply in the announcement's thread.

// openUpdate opens the status update form for the incident of channelID.
func (b *Bot) openUpdate(ctx context.Context, triggerID string, actor workflows.Actor, channelID string, to reply) {
	st := b.incidentState(ctx, actor, "", channelID, to, "update")
	if st == nil {
		return
	}
	b.openView(ctx, triggerID, tpl.UpdateModal(st.ID), to)
}

// postUpdate records the update on the timeline, then shows it.
func (b *Bot) postUpdate(ctx context.Context, actor workflows.Actor, id string, u tpl.StatusUpdate, requestID string) {
	to := b.incidentReply(ctx, id, actor.ID)
	// A status update: the workflow counts the next one from it (the
	// update cadence), due when the person said.
	due := u.Due
	a := workflows.Action{Type: workflows.ActionNote, Text: u.UpdateNote(), StatusUpdate: true, Until: &due, RequestID: requestID, Source: "slack"}
	if _, err := b.svc.Act(ctx, actor, id, a); err != nil {
		b.refused(ctx, to, id, actor, a, err)
		return
	}
	blocks, text := tpl.UpdateMessage(id, actor.ID, u)
	opts := []slack.MsgOption{slack.MsgOptionBlocks(blocks...), slack.MsgOptionText(text, false)}
	if to.channelID != "" {
		if _, err := b.api.Post(ctx, to.channelID, opts...); err != nil {
			b.log.Warn("slack status update post failed", "incident", id, "code", ErrCode(err))
		}
	}
	unlock := b.published.lock(id)
	thread := b.published.get(id).announceTS
	unlock()
	if b.announce != "" && thread != "" {
		if _, err := b.api.Post(ctx, b.announce, append(opts, slack.MsgOptionTS(thread))...); err != nil {
			b.log.Warn("slack status update thread reply failed", "incident", id, "code", ErrCode(err))
		}
	}
}

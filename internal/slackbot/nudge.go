package slackbot

import (
	"context"
	"time"

	"github.com/slack-go/slack"

	tpl "github.com/irbot/irbot/templates/slack"
	"github.com/irbot/irbot/workflows"
)

// Nudge implements activities.Nudger. An overdue status update is sent to
// the commander privately (DM); without a commander, and for an incident
// that still has no commander or severity, it goes in the incident channel
// with the declarer mentioned. The workflow has already recorded it; a
// retried activity does not send it twice.
func (b *Bot) Nudge(ctx context.Context, n workflows.Nudge) error {
	if n.Mode == workflows.ModeDrill {
		return nil
	}
	key := "nudge:" + n.IncidentID + ":" + n.Kind + ":" + n.At.UTC().Format(time.RFC3339Nano)
	if !b.seen.first(key) {
		return nil
	}
	text := tpl.NudgeText(n, n.ChannelID, b.now())
	var err error
	switch {
	case n.Kind == workflows.NudgeUpdateOverdue && tpl.LooksLikeSlackUser(n.Commander):
		err = b.api.DM(ctx, n.Commander, slack.MsgOptionText(text, false))
	case n.ChannelID != "":
		if tpl.LooksLikeSlackUser(n.DeclaredBy) {
			text = tpl.Mention(n.DeclaredBy) + " " + text
		}
		_, err = b.api.Post(ctx, n.ChannelID, slack.MsgOptionText(text, false))
	case tpl.LooksLikeSlackUser(n.DeclaredBy):
		err = b.api.DM(ctx, n.DeclaredBy, slack.MsgOptionText(text, false))
	}
	if err == nil {
		return nil
	}
	b.seen.forget(key)
	if IsPermanent(err) {
		// The timeline has it; retrying cannot reach them.
		b.log.Warn("nudge not delivered", "incident", n.IncidentID, "kind", n.Kind, "code", ErrCode(err))
		return nil
	}
	return ActivityError(err)
}

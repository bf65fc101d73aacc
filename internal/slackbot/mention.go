package slackbot

import (
	"context"
	"encoding/json"

	"github.com/irbot/irbot/internal/incident"
	tpl "github.com/irbot/irbot/templates/slack"
)

// mentionHelp is the answer to a mention outside an incident channel.
const mentionHelp = "I answer with an incident's status when mentioned in its channel. Here: `/incident list` for the open incidents, `/incident declare` to declare one, `/incident help` for every command."

type mentionEvent struct {
	Type    string `json:"type"`
	User    string `json:"user"`
	BotID   string `json:"bot_id"`
	Channel string `json:"channel"`
}

// onMention handles an app_mention event; it reports whether the event was
// one. The answer is private to the person who mentioned irbot: in an
// incident channel the incident's status, elsewhere short help.
func (b *Bot) onMention(raw json.RawMessage, eventID string) bool {
	var ev mentionEvent
	if err := json.Unmarshal(raw, &ev); err != nil || ev.Type != "app_mention" {
		return false
	}
	if ev.Channel == "" || ev.User == "" || ev.BotID != "" {
		return true // nobody to answer, or a bot (never answer bots: no loops)
	}
	if !b.work.submit(func(ctx context.Context) { b.answerMention(ctx, ev) }) {
		b.seen.forget("event:" + eventID) // Slack's retry brings it back
		b.log.Warn("slack event dropped: workers busy", "event", ev.Type)
	}
	return true
}

func (b *Bot) answerMention(ctx context.Context, ev mentionEvent) {
	to := reply{channelID: ev.Channel, userID: ev.User}
	id, err := b.incidentFor(ctx, ev.Channel)
	if err != nil {
		b.tell(ctx, to, errorText(b.logged(err, "channel lookup")))
		return
	}
	if id == "" {
		b.tell(ctx, to, mentionHelp)
		return
	}
	st, err := b.svc.Get(ctx, b.actor(ev.User, ""), id)
	if err != nil {
		b.tell(ctx, to, errorText(b.logged(err, "mention status")))
		return
	}
	b.tell(ctx, to, tpl.OpenLine(incident.OpenSummary{State: *st, Next: incident.NearestClock(*st)}, b.now())+
		"\n`/incident status` for tasks and every clock.")
}

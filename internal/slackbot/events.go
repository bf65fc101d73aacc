package slackbot

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/slack-go/slack"

	tpl "github.com/irbot/irbot/templates/slack"
	"github.com/irbot/irbot/workflows"
)

// eventEnvelope is the part of an Events API envelope the bot reads; Socket
// Mode carries the same envelope.
type eventEnvelope struct {
	Type    string          `json:"type"`
	EventID string          `json:"event_id"`
	Event   json.RawMessage `json:"event"`
}

type channelEvent struct {
	Type      string `json:"type"`
	User      string `json:"user"`
	Reaction  string `json:"reaction"`
	ChannelID string `json:"channel_id"`
	Item      struct {
		Type    string         `json:"type"`
		Channel string         `json:"channel"`
		TS      string         `json:"ts"`
		Message *slack.Message `json:"message"`
	} `json:"item"`
}

// onEvent handles an Events API envelope: a pinned message, or one marked
// with :pushpin:, becomes a timeline note once, whichever way it arrives and
// however often Slack delivers it.
func (b *Bot) onEvent(body []byte) {
	var env eventEnvelope
	if err := json.Unmarshal(body, &env); err != nil || env.Type != "event_callback" {
		return
	}
	if env.EventID != "" && !b.seen.first("event:"+env.EventID) {
		return
	}
	if b.onResumeEvent(env.Event) || b.onMention(env.Event, env.EventID) || b.onAppHome(env.Event) {
		return
	}
	var ev channelEvent
	if err := json.Unmarshal(env.Event, &ev); err != nil || ev.Item.Type != "message" {
		return
	}
	channel, ts := ev.Item.Channel, ev.Item.TS
	if channel == "" {
		channel = ev.ChannelID
	}
	msg := ev.Item.Message
	switch {
	case ev.Type == "pin_added":
		if msg != nil && ts == "" {
			ts = msg.Timestamp
		}
	case ev.Type == "reaction_added" && ev.Reaction == "pushpin":
		msg = nil // the event does not carry the message; fetch it
	default:
		return
	}
	if channel == "" || ts == "" {
		return
	}
	if !b.work.submit(func(ctx context.Context) { b.capture(ctx, channel, ts, ev.User, msg) }) {
		// Let Slack's retry bring it back: nothing was done.
		b.seen.forget("event:" + env.EventID)
		b.log.Warn("slack event dropped: workers busy", "event", ev.Type)
	}
}

// capture records one pinned message as a note with its original time and
// author. Both paths (pin, :pushpin:) use the same request ID, so the note
// is written once.
func (b *Bot) capture(ctx context.Context, channel, ts, pinner string, msg *slack.Message) {
	id, err := b.incidentFor(ctx, channel)
	if err != nil || id == "" {
		return
	}
	if msg == nil || msg.Text == "" {
		if msg, err = b.api.Message(ctx, channel, ts); err != nil || msg == nil {
			b.log.Warn("pinned message not readable", "incident", id, "code", ErrCode(err))
			return
		}
	}
	botUser, botID := b.self(ctx)
	if (botUser != "" && msg.User == botUser) || (botID != "" && msg.BotID == botID) {
		return // irbot's own card or alert: already on the timeline
	}
	at := slackTime(ts)
	author := msg.User
	if author == "" {
		author = msg.Username
	}
	text := fmt.Sprintf("Pinned from Slack: message by %s at %s (pinned by %s):\n%s",
		tpl.Mention(author), tpl.UTC(at), tpl.Mention(pinner), msg.Text)
	a := workflows.Action{
		Type: workflows.ActionNote, Text: tpl.Truncate(text, 9000), At: &at, Source: "slack",
		RequestID: "pin:" + channel + ":" + ts, Author: author, PinnedBy: pinner,
	}
	actor := b.actor(pinner, "")
	if len(actor.Roles) == 0 {
		// Channel members without a role may still mark the record; irbot
		// writes it, naming them.
		actor = SystemActor
	}
	if _, err := b.svc.Act(ctx, actor, id, a); err != nil {
		b.log.Warn("pinned message not recorded", "incident", id, "error", userMessage(err))
	}
}

// slackTime converts a Slack message timestamp ("1712345678.000200").
func slackTime(ts string) time.Time {
	sec, frac, _ := strings.Cut(ts, ".")
	s, err := strconv.ParseInt(sec, 10, 64)
	if err != nil {
		return time.Time{}
	}
	var us int64
	if frac != "" {
		frac = (frac + "000000")[:6]
		us, _ = strconv.ParseInt(frac, 10, 64)
	}
	return time.Unix(s, us*1000).UTC()
}

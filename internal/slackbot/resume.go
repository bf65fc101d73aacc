package slackbot

import (
	"context"
	"encoding/json"

	"github.com/irbot/irbot/workflows"
)

// SlackResumer lets publishing resume on an incident that a permanent Slack
// error paused. The incident service implements it.
type SlackResumer interface {
	ResumeSlack(ctx context.Context, actor workflows.Actor, id, reason string) error
}

// resumeEvent is the part of channel_unarchive and member_joined_channel
// events the bot reads.
type resumeEvent struct {
	Type    string `json:"type"`
	User    string `json:"user"`
	Channel string `json:"channel"`
}

// onResumeEvent handles the events after which a paused channel may work
// again: the channel unarchived, or irbot itself (re-)joining it. It
// reports whether the event was one of them.
func (b *Bot) onResumeEvent(raw json.RawMessage) bool {
	var ev resumeEvent
	if err := json.Unmarshal(raw, &ev); err != nil {
		return false
	}
	switch ev.Type {
	case "channel_unarchive", "group_unarchive":
	case "member_joined_channel":
	default:
		return false
	}
	if ev.Channel == "" {
		return true
	}
	b.work.submit(func(ctx context.Context) {
		if ev.Type == "member_joined_channel" {
			if botUser, _ := b.self(ctx); botUser == "" || ev.User != botUser {
				return
			}
		}
		b.resume(ctx, ev.Channel, ev.Type)
	})
	return true
}

// resume asks the incident of channel to publish again.
func (b *Bot) resume(ctx context.Context, channel, reason string) {
	id, err := b.incidentFor(ctx, channel)
	if err != nil || id == "" {
		return
	}
	_ = b.resumeIncident(ctx, SystemActor, id, reason)
}

func (b *Bot) resumeIncident(ctx context.Context, actor workflows.Actor, id, reason string) error {
	r, ok := b.svc.(SlackResumer)
	if !ok {
		return nil
	}
	if err := r.ResumeSlack(ctx, actor, id, reason); err != nil {
		b.log.Warn("slack resume failed", "incident", id, "error", userMessage(err))
		return err
	}
	return nil
}

package slackbot

import (
	"context"
	"encoding/json"
	"time"

	"github.com/slack-go/slack"

	tpl "github.com/irbot/irbot/templates/slack"
	"github.com/irbot/irbot/workflows"
)

// SlackResumer lets publishing resume on an incident that a permanent Slack
// error paused.
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
			botUser, _ := b.self(ctx)
			if botUser == "" {
				return
			}
			if ev.User != botUser {
				b.welcome(ctx, ev.Channel, ev.User)
				return
			}
		}
		b.resume(ctx, ev.Channel, ev.Type)
	})
	return true
}

// welcomeOverlap is how long after a new commander's instructions their
// joining the channel is taken as the same hand-over (Slack sends
// member_joined_channel within seconds of the invite).
const welcomeOverlap = 10 * time.Minute

// welcome tells a person who joined an incident channel, privately, what
// the incident is, where its card is, and what their roles ask of them.
func (b *Bot) welcome(ctx context.Context, channel, user string) {
	if !tpl.LooksLikeSlackUser(user) {
		return
	}
	id, err := b.incidentFor(ctx, channel)
	if err != nil || id == "" {
		return
	}
	st, err := b.svc.Get(ctx, SystemActor, id)
	if err != nil || st.Status == workflows.StatusClosed {
		return
	}
	if b.published.instructedSince(id, user, b.now().Add(-welcomeOverlap)) {
		// A commander handed the incident, and invited by irbot for it,
		// has just had their instructions: the welcome would repeat them.
		return
	}
	link := ""
	if st.Slack != nil && st.Slack.CardTS != "" {
		if link, err = b.api.Permalink(ctx, channel, st.Slack.CardTS); err != nil {
			b.log.Warn("card permalink failed", "incident", id, "code", ErrCode(err))
		}
	}
	if err := b.api.PostEphemeral(ctx, channel, user, slack.MsgOptionText(tpl.Welcome(*st, user, link), false)); err != nil {
		b.log.Warn("slack welcome failed", "incident", id, "code", ErrCode(err))
	}
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
	if err := b.svc.ResumeSlack(ctx, actor, id, reason); err != nil {
		b.log.Warn("slack resume failed", "incident", id, "error", userMessage(err))
		return err
	}
	return nil
}

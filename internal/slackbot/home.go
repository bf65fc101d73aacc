package slackbot

import (
	"context"
	"encoding/json"

	tpl "github.com/irbot/irbot/templates/slack"
)

// homeEvent is the part of an app_home_opened event the bot reads.
type homeEvent struct {
	Type string `json:"type"`
	User string `json:"user"`
	Tab  string `json:"tab"`
}

// onAppHome handles app_home_opened: the person's App Home is published
// afresh with the open incidents (theirs first). It reports whether the
// event was one.
func (b *Bot) onAppHome(raw json.RawMessage) bool {
	var ev homeEvent
	if err := json.Unmarshal(raw, &ev); err != nil || ev.Type != "app_home_opened" {
		return false
	}
	if ev.User == "" || (ev.Tab != "" && ev.Tab != "home") {
		return true
	}
	if !b.work.submit(func(ctx context.Context) { b.publishHome(ctx, ev.User) }) {
		b.log.Warn("app home not published: workers busy")
	}
	return true
}

// publishHome renders and publishes user's App Home.
func (b *Bot) publishHome(ctx context.Context, user string) {
	refusal := ""
	list, err := b.svc.OpenList(ctx, b.actor(user, ""))
	if err != nil {
		refusal = userMessage(b.logged(err, "app home"))
	}
	if err := b.api.PublishHome(ctx, user, tpl.AppHome(user, list, refusal, b.now())); err != nil {
		b.log.Warn("slack app home publish failed", "code", ErrCode(err))
	}
}

package slackbot

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"time"

	"github.com/slack-go/slack"
)

// The HTTP-mode handlers run after the signature check. They parse, hand the
// work to the pool and answer 200 at once.

func (b *Bot) httpCommand(w http.ResponseWriter, r *http.Request, body []byte) {
	v, err := url.ParseQuery(string(body))
	if err != nil {
		writeAck(w, ephemeral("irbot could not read this command; try again."))
		return
	}
	cmd := slack.SlashCommand{
		TeamID: v.Get("team_id"), TeamDomain: v.Get("team_domain"), ChannelID: v.Get("channel_id"), ChannelName: v.Get("channel_name"),
		UserID: v.Get("user_id"), UserName: v.Get("user_name"), Command: v.Get("command"), Text: v.Get("text"),
		ResponseURL: v.Get("response_url"), TriggerID: v.Get("trigger_id"), APIAppID: v.Get("api_app_id"),
	}
	writeAck(w, b.onCommand(cmd))
}

func (b *Bot) httpInteraction(w http.ResponseWriter, r *http.Request, body []byte) {
	v, err := url.ParseQuery(string(body))
	if err != nil {
		writeAck(w, nil)
		return
	}
	var cb slack.InteractionCallback
	if err := json.Unmarshal([]byte(v.Get("payload")), &cb); err != nil {
		b.log.Warn("slack interaction payload unreadable", "error", err)
		writeAck(w, nil)
		return
	}
	writeAck(w, b.onInteraction(cb))
}

func (b *Bot) httpEvent(w http.ResponseWriter, r *http.Request, body []byte) {
	var env struct {
		Type      string `json:"type"`
		Challenge string `json:"challenge"`
	}
	if err := json.Unmarshal(body, &env); err != nil {
		writeAck(w, nil)
		return
	}
	if env.Type == "url_verification" {
		w.Header().Set("Content-Type", "text/plain")
		_, _ = w.Write([]byte(env.Challenge))
		return
	}
	// Retries (X-Slack-Retry-Num) are acknowledged like the first delivery;
	// the event ID drops them before any work.
	b.onEvent(body)
	writeAck(w, nil)
}

func writeAck(w http.ResponseWriter, payload any) {
	if payload == nil {
		w.WriteHeader(http.StatusOK)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	_ = json.NewEncoder(w).Encode(payload)
}

// busyReplies bounds the goroutines that tell people the bot is busy when
// the pools are full; past that, the answer is dropped (the person sees no
// change and retries).
var busyReplies = make(chan struct{}, 16)

func (b *Bot) tellBusy(to reply) {
	select {
	case busyReplies <- struct{}{}:
	default:
		return
	}
	go func() {
		defer func() { <-busyReplies }()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		b.tell(ctx, to, busyText)
	}()
}

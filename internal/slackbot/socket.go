package slackbot

import (
	"context"
	"errors"
	"io"
	"log"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"
)

// StartSocketMode connects to Slack over Socket Mode and serves commands,
// interactions and events until ctx ends or Close is called. Disconnects are
// routine: it reconnects with backoff.
func (b *Bot) StartSocketMode(ctx context.Context) error {
	if b.appToken == "" {
		return errors.New("slackbot: Socket Mode needs SLACK_APP_TOKEN")
	}
	opts := []slack.Option{slack.OptionAppLevelToken(b.appToken), slack.OptionHTTPClient(b.hc)}
	if b.apiURL != "" {
		u := b.apiURL
		if u[len(u)-1] != '/' {
			u += "/"
		}
		opts = append(opts, slack.OptionAPIURL(u))
	}
	// The socketmode client needs the bot token too; its own calls are
	// apps.connections.open (app token) only.
	client := slack.New(b.botToken, opts...)
	// socketmode logs payloads when debugging: keep it quiet, payloads may
	// carry personal data and response URLs.
	sm := socketmode.New(client, socketmode.OptionLog(log.New(io.Discard, "", 0)))

	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	b.stopMu.Lock()
	b.stop, b.done = cancel, done
	b.stopMu.Unlock()

	runDone := make(chan struct{})
	go func() {
		defer close(runDone)
		wait := time.Second
		for {
			err := sm.RunContext(ctx)
			if ctx.Err() != nil {
				return
			}
			b.log.Warn("slack socket mode disconnected; reconnecting", "error", err, "in", wait)
			if sleepCtx(ctx, wait) != nil {
				return
			}
			wait = min(wait*2, time.Minute)
		}
	}()
	go func() {
		defer close(done)
		defer func() { <-runDone }()
		for {
			select {
			case <-ctx.Done():
				return
			case evt, ok := <-sm.Events:
				if !ok {
					return
				}
				b.onSocketEvent(ctx, sm, evt)
			}
		}
	}()
	return nil
}

func (b *Bot) onSocketEvent(ctx context.Context, sm *socketmode.Client, evt socketmode.Event) {
	switch evt.Type {
	case socketmode.EventTypeSlashCommand:
		cmd, ok := evt.Data.(slack.SlashCommand)
		if !ok || evt.Request == nil {
			return
		}
		b.ack(ctx, sm, evt.Request, b.onCommand(cmd))
	case socketmode.EventTypeInteractive:
		cb, ok := evt.Data.(slack.InteractionCallback)
		if !ok || evt.Request == nil {
			return
		}
		b.ack(ctx, sm, evt.Request, b.onInteraction(cb))
	case socketmode.EventTypeEventsAPI:
		if evt.Request == nil {
			return
		}
		b.ack(ctx, sm, evt.Request, nil)
		b.onEvent(evt.Request.Payload)
	case socketmode.EventTypeConnected:
		b.log.Info("slack socket mode connected")
	case socketmode.EventTypeInvalidAuth:
		b.log.Error("slack socket mode: invalid SLACK_APP_TOKEN")
	case socketmode.EventTypeConnectionError:
		b.log.Warn("slack socket mode connection error")
	}
}

func (b *Bot) ack(ctx context.Context, sm *socketmode.Client, req *socketmode.Request, payload any) {
	actx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if err := sm.AckCtx(actx, req.EnvelopeID, payload); err != nil {
		b.log.Warn("slack socket mode ack failed", "error", err)
	}
}

package slackbot

import (
	"context"
	"errors"
	"slices"

	"github.com/slack-go/slack"

	tpl "github.com/irbot/irbot/templates/slack"
	"github.com/irbot/irbot/workflows"
)

// ClockAlert implements activities.Alerter: the reminder goes to the
// incident channel and, for live incidents, to the people holding the roles
// it names (incident roles and users-file roles) by DM. A drill's alert stays
// in the drill's channel. A retried activity does not repeat what it sent.
func (b *Bot) ClockAlert(ctx context.Context, al workflows.ClockAlert) error {
	st, err := b.svc.Get(ctx, SystemActor, al.IncidentID)
	if err != nil {
		return ActivityError(&Error{Method: "incident state", Code: "unavailable", Err: err})
	}
	people := b.alertRecipients(*st, al.Notify)
	blocks, fallback := tpl.ClockReminderFor(al, people, false)
	opts := []slack.MsgOption{slack.MsgOptionBlocks(blocks...), slack.MsgOptionText(fallback, false)}
	var errs []error
	if st.Slack != nil && st.Slack.ChannelID != "" && b.seen.first("alert:"+al.Key+":channel") {
		if err := b.postClockAlert(ctx, st.Slack.ChannelID, al, people); err != nil {
			b.seen.forget("alert:" + al.Key + ":channel")
			errs = append(errs, err)
		}
	}
	if al.Mode != workflows.ModeDrill && st.Mode != workflows.ModeDrill {
		for _, u := range people {
			key := "alert:" + al.Key + ":" + u
			if !b.seen.first(key) {
				continue
			}
			if err := b.api.DM(ctx, u, opts...); err != nil {
				b.seen.forget(key)
				if IsPermanent(err) {
					// One person we cannot reach must not block the others.
					b.log.Warn("clock alert DM failed", "incident", al.IncidentID, "user", u, "code", ErrCode(err))
					continue
				}
				errs = append(errs, err)
			}
		}
	}
	if len(errs) == 0 {
		return nil
	}
	for _, e := range errs {
		if !IsPermanent(e) {
			return ActivityError(e) // retry: what was sent is remembered
		}
	}
	return ActivityError(errors.Join(errs...)) // all permanent
}

// alertRecipients are the Slack users holding any of roles: in the incident
// first, then in the users file.
func (b *Bot) alertRecipients(st workflows.IncidentState, roles []string) []string {
	var out []string
	add := func(id string) {
		if tpl.LooksLikeSlackUser(id) && !slices.Contains(out, id) {
			out = append(out, id)
		}
	}
	for _, r := range st.Roles {
		if slices.Contains(roles, r.Role) {
			add(r.User)
		}
	}
	for _, role := range roles {
		for _, u := range b.dir.WithRole(role) {
			add(u.SlackID)
		}
	}
	return out
}

// postClockAlert posts a clock's alert in the incident channel, with its
// buttons, in one thread per clock: the first alert starts it, the later
// ones reply in it (an overdue one also shows in the channel).
func (b *Bot) postClockAlert(ctx context.Context, channelID string, al workflows.ClockAlert, people []string) error {
	blocks, fallback := tpl.ClockReminderFor(al, people, true)
	opts := []slack.MsgOption{slack.MsgOptionBlocks(blocks...), slack.MsgOptionText(fallback, false)}
	key := al.IncidentID + "|" + al.Regime + "/" + al.Obligation
	thread := b.published.thread(key)
	if thread == "" && b.published.firstThreadLookup(key) {
		// The thread's ts lives in memory: after a restart, find the clock's
		// earlier alert in the channel instead of starting a second thread.
		if thread = b.findClockThread(ctx, channelID, al); thread != "" {
			b.published.setThread(key, thread)
		}
	}
	if thread != "" {
		opts = append(opts, slack.MsgOptionTS(thread))
		if al.Kind == "clock.overdue" {
			opts = append(opts, slack.MsgOptionBroadcast())
		}
	}
	ts, err := b.api.Post(ctx, channelID, opts...)
	if err == nil && thread == "" {
		b.published.setThread(key, ts)
	}
	return err
}

// clockHistoryDepth is how far back (messages) a restarted bot looks for a
// clock's thread: one conversations.history call, Slack's recommended page.
const clockHistoryDepth = 200

// findClockThread is the thread of the clock's latest alert among the
// channel's recent messages, or "" (none, or history unavailable: the alert
// then starts a new thread rather than wait).
func (b *Bot) findClockThread(ctx context.Context, channelID string, al workflows.ClockAlert) string {
	msgs, err := b.api.History(ctx, channelID, clockHistoryDepth)
	if err != nil {
		b.log.Warn("clock thread lookup failed", "incident", al.IncidentID, "code", ErrCode(err))
		return ""
	}
	for _, m := range msgs { // newest first
		if m.BotID == "" || !tpl.IsClockAlertFor(m.Text, al.IncidentID, al.Regime, al.Obligation) {
			continue
		}
		if m.ThreadTimestamp != "" {
			return m.ThreadTimestamp // an overdue alert broadcast from the thread
		}
		return m.Timestamp
	}
	return ""
}

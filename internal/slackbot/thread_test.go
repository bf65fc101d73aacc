package slackbot

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/irbot/irbot/internal/slackbot/slackfake"
	"github.com/irbot/irbot/workflows"
)

// TestClockThreadSurvivesRestart: after irbot restarts (a new Bot on the same
// Slack), a clock's next reminder still replies in the thread its first
// alert started, even with a busy channel in between; each clock costs the
// new process at most one history lookup, and a person's message that looks
// like an alert is not taken for the bot's.
func TestClockThreadSurvivesRestart(t *testing.T) {
	h := newHarness(t, nil)
	id, ch := clockIncident(t, h)
	due := time.Date(2026, 3, 4, 9, 30, 0, 0, time.UTC)
	alert := func(kind, key, regime string) workflows.ClockAlert {
		return workflows.ClockAlert{IncidentID: id, Mode: "live", Kind: kind, Regime: regime, Obligation: "supervisory-authority",
			DueAt: due, At: due.Add(-6 * time.Hour), Notify: []string{"dpo"}, Key: key}
	}
	require.NoError(t, h.bot.ClockAlert(t.Context(), alert("clock.reminder", "k1", "eu-gdpr")))
	first := h.slack.Messages(ch)[0].TS
	require.NoError(t, h.bot.ClockAlert(t.Context(), alert("clock.escalation", "k2", "eu-gdpr")))
	// A busy channel: people talk, and one of them pastes an alert's text
	// for another clock (not the bot's: it must not become that thread).
	for i := range 120 {
		h.slack.AddMessage(slackfake.Message{Channel: ch, TS: "1800000000." + time.Duration(i).String(), User: "U0000000003", Text: "status? 😅\x00 статус"})
	}
	h.slack.AddMessage(slackfake.Message{Channel: ch, TS: "1800000001.000001", User: "U0000000003",
		Text: "Reminder " + id + ": uk-gdpr/supervisory-authority due 4 Mar 09:30 UTC"})

	restarted, err := New(Config{
		Service: h.svc, Directory: testUsers(t), BotToken: "xoxb-test", SigningSecret: testSecret,
		APIURL: h.slack.APIURL(), AnnounceChannel: "CANNOUNCE1",
	})
	require.NoError(t, err)
	t.Cleanup(func() { _ = restarted.Close() })

	histBefore := len(h.slack.Calls("conversations.history"))
	require.NoError(t, restarted.ClockAlert(t.Context(), alert("clock.escalation", "k3", "eu-gdpr")))
	require.NoError(t, restarted.ClockAlert(t.Context(), alert("clock.overdue", "k4", "eu-gdpr")))
	require.NoError(t, restarted.ClockAlert(t.Context(), alert("clock.reminder", "k5", "uk-gdpr")))
	require.NoError(t, restarted.ClockAlert(t.Context(), alert("clock.escalation", "k6", "uk-gdpr")))

	var posts []map[string]string
	for _, c := range h.slack.OKCalls("chat.postMessage") {
		if c.Params["channel"] == ch {
			posts = append(posts, c.Params)
		}
	}
	require.Len(t, posts, 6)
	require.Equal(t, first, posts[2]["thread_ts"], "after a restart the escalation replies in the clock's thread, not a new one")
	require.Equal(t, first, posts[3]["thread_ts"], "so does the overdue alert")
	require.Equal(t, "true", posts[3]["reply_broadcast"])
	require.Empty(t, posts[4]["thread_ts"], "a clock with no earlier alert by the bot starts its own thread")
	require.Equal(t, h.slack.Messages(ch)[len(h.slack.Messages(ch))-2].TS, posts[5]["thread_ts"], "and its next alert replies there")
	require.Equal(t, 2, len(h.slack.Calls("conversations.history"))-histBefore, "one history lookup per clock, none once the thread is known")
}

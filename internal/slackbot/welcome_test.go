package slackbot

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/irbot/irbot/internal/slackbot/slackfake"
	"github.com/irbot/irbot/workflows"
)

// TestNewcomerToAnIncidentChannelIsToldPrivately: a person who joins an
// incident channel gets, privately, the incident, a link to its card and
// what their roles ask of them (the commander's instructions, a role's open
// tasks), or how to get a role; irbot itself joining is not welcomed, and a
// channel that is not an incident's stays quiet.
func TestNewcomerToAnIncidentChannelIsToldPrivately(t *testing.T) {
	h := newHarness(t, nil)
	_, err := h.svc.Declare(t.Context(), workflows.Actor{ID: "U0000000003", Roles: []string{"responder"}}, incidentReq("Phishing <wave>"))
	require.NoError(t, err)
	ch := h.slack.AddChannel(slackfake.Channel{Name: "inc-20260301-phishing", Private: true, Creator: slackfake.BotUserID, Created: time.Now().Unix(),
		Members: []string{slackfake.BotUserID, "U0000000001", "U0000000005", "U0000000007"}})
	cardTS := "1772357400.000100"
	h.slack.AddMessage(slackfakeMessage(ch, cardTS, slackfake.BotUserID, "[irbot card INC-2026-0001] Phishing"))
	h.svc.setChannel("INC-2026-0001", workflows.SlackRefs{ChannelID: ch, CardTS: cardTS})
	h.svc.mu.Lock()
	st := h.svc.states["INC-2026-0001"]
	st.Roles = []workflows.RoleAssignment{{Role: "commander", User: "U0000000005"}, {Role: "responder", User: "U0000000001"}}
	h.svc.mu.Unlock()
	other := h.slack.AddChannel(slackfakeChannel("general"))

	join := func(id, user, channel string) {
		code, _, took := signedPost(t, h.base+"/slack/events", testSecret, time.Now(),
			eventBody(id, map[string]any{"type": "member_joined_channel", "user": user, "channel": channel, "channel_type": "G", "team": "T0000001"}),
			map[string]string{"Content-Type": "application/json"})
		require.Equal(t, http.StatusOK, code)
		require.Less(t, took, 3*time.Second)
	}
	join("Ev-j1", "U0000000005", ch)
	join("Ev-j2", "U0000000001", ch)
	join("Ev-j3", "U0000000007", ch)
	join("Ev-j4", "U0000000007", other)
	join("Ev-j5", slackfake.BotUserID, ch)
	require.Eventually(t, func() bool { return len(h.slack.Ephemerals()) >= 3 }, 5*time.Second, 10*time.Millisecond)
	require.NoError(t, h.bot.Close())

	got := map[string]string{}
	for _, e := range h.slack.Ephemerals() {
		require.Equal(t, ch, e.Channel, "only the incident channel welcomes")
		require.NotContains(t, got, e.User, "one welcome per join")
		got[e.User] = e.Text
	}
	require.Len(t, got, 3, "irbot is not welcomed to its own channel")
	link := "<https://fake.slack.test/archives/" + ch + "/p" + strings.ReplaceAll(cardTS, ".", "") + "|the incident card>"
	for user, text := range got {
		require.Contains(t, text, "Welcome to *INC-2026-0001*: Phishing &lt;wave&gt;", user)
		require.Contains(t, text, link, "%s gets the card's link", user)
	}
	require.Contains(t, got["U0000000005"], "You are *commander*.")
	require.Contains(t, got["U0000000005"], "close with `/incident close`", "the commander's instructions")
	require.Contains(t, got["U0000000001"], "As responder, your open tasks now: `isolate` Isolate affected systems")
	require.Contains(t, got["U0000000007"], "You hold no role in it yet")
	require.Len(t, h.slack.OKCalls("chat.getPermalink"), 3)
}

// TestHandedOverCommanderIsNotWelcomedTwice: a commander handed the incident
// gets their instructions privately when the card changes; Slack then sends
// member_joined_channel for irbot's invite, and the welcome must not say it
// all again. Someone else joining at the same time is still welcomed.
func TestHandedOverCommanderIsNotWelcomedTwice(t *testing.T) {
	h := newHarness(t, nil)
	st, err := h.svc.Declare(t.Context(), workflows.Actor{ID: "U0000000003", Name: "Rae", Roles: []string{"responder"}}, incidentReq("Customer DB exposed"))
	require.NoError(t, err)
	refs, err := h.bot.Publish(t.Context(), workflows.PublishInput{State: *st})
	require.NoError(t, err)
	st.Slack = &refs
	next := *st
	next.Roles = []workflows.RoleAssignment{{Role: "commander", User: "U0000000005"}}
	_, err = h.bot.Publish(t.Context(), workflows.PublishInput{State: next})
	require.NoError(t, err)
	instructions := len(h.slack.Ephemerals())
	require.Equal(t, 1, instructions, "the new commander's instructions")

	for i, user := range []string{"U0000000005", "U0000000007"} {
		code, _, _ := signedPost(t, h.base+"/slack/events", testSecret, time.Now(),
			eventBody("Ev-h"+string(rune('0'+i)), map[string]any{"type": "member_joined_channel", "user": user, "channel": refs.ChannelID,
				"channel_type": "G", "team": "T0000001", "inviter": slackfake.BotUserID}),
			map[string]string{"Content-Type": "application/json"})
		require.Equal(t, http.StatusOK, code)
	}
	require.Eventually(t, func() bool { return len(h.slack.Ephemerals()) > instructions }, 5*time.Second, 10*time.Millisecond)
	require.NoError(t, h.bot.Close())
	var to []string
	for _, e := range h.slack.Ephemerals()[instructions:] {
		to = append(to, e.User)
		require.Contains(t, e.Text, "Welcome to *"+st.ID+"*")
	}
	require.Equal(t, []string{"U0000000007"}, to, "only the person who had no instructions is welcomed")
}

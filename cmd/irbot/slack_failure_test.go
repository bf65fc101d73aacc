package main

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/irbot/irbot/internal/slackbot/slackfake"
)

// TestSlackArchivedChannelIsReportedOnceAndResumesOnUnarchive: the incident
// channel is archived, so chat.update and chat.postMessage answer
// is_archived. One action leads to one slack.failed event and a handful of
// calls, not a loop; the commander is told once; after channel_unarchive
// the card is re-rendered once, with the current state.
func TestSlackArchivedChannelIsReportedOnceAndResumesOnUnarchive(t *testing.T) {
	fake := slackfake.New()
	t.Cleanup(fake.Close)
	m := startSlackMain(t, fake)
	sc := &slackClient{t: t, base: "http://" + m.Addr()}
	api := apiClient{t: t, base: "http://" + m.Addr()}
	const rae = "U0000000003"

	sc.command(rae, "CGENERAL1", "declare Laptop stolen", fake.ResponseURL("declare"))
	var channel string
	require.Eventually(t, func() bool {
		for _, c := range fake.Channels() {
			if strings.HasPrefix(c.Name, "inc-") && len(c.Pins) == 1 {
				channel = c.ID
			}
		}
		return channel != ""
	}, 30*time.Second, 50*time.Millisecond)
	c := currentCard(t, fake, channel)
	id := strings.TrimSuffix(strings.Fields(strings.TrimPrefix(c.text, "[irbot card "))[0], "]")
	// Let the publishes of the declaration settle before counting.
	time.Sleep(2 * time.Second)

	cardCalls := func() int {
		n := 0
		for _, call := range append(fake.Calls("chat.update"), fake.Calls("chat.postMessage")...) {
			if call.Params["channel"] == channel {
				n++
			}
		}
		return n
	}
	failed := func() int {
		n := 0
		for _, k := range timelineKinds(api, id) {
			if k == "slack.failed" {
				n++
			}
		}
		return n
	}
	fake.Archive(channel)
	before := cardCalls()
	// A change the card shows: a note alone no longer re-renders it (its
	// footer does not count timeline entries), so it would never reach
	// the archived channel.
	sc.command(rae, channel, "severity critical", fake.ResponseURL("severity"))
	require.Eventually(t, func() bool { return failed() == 1 }, 20*time.Second, 100*time.Millisecond, "the failure is on the timeline")
	// The old code recorded and retried tens of times a second; give a loop
	// ample time to show.
	time.Sleep(8 * time.Second)
	require.Equal(t, 1, failed(), "a permanent failure is recorded once")
	calls := cardCalls() - before
	require.LessOrEqual(t, calls, 3, "a handful of calls, not a loop")
	require.GreaterOrEqual(t, calls, 1)
	dms := 0
	for _, msg := range fake.Messages("") {
		if strings.HasPrefix(msg.Channel, "D") && strings.Contains(msg.Text, "cannot update incident "+id) {
			dms++
		}
	}
	require.Equal(t, 1, dms, "the commander (here the declarer) is told once")

	// A second action while paused changes nothing in Slack and records no
	// new failure.
	sc.command(rae, channel, "severity medium", fake.ResponseURL("severity2"))
	time.Sleep(2 * time.Second)
	require.Equal(t, 1, failed())
	require.Equal(t, calls, cardCalls()-before, "publishing is paused")

	// Unarchived: Slack sends channel_unarchive; the card is re-rendered once.
	fake.Unarchive(channel)
	cardUpdates := func() int {
		n := 0
		for _, call := range fake.OKCalls("chat.update") {
			if call.Params["channel"] == channel {
				n++
			}
		}
		return n
	}
	okBefore := cardUpdates()
	ev, err := json.Marshal(map[string]any{"type": "event_callback", "event_id": "Ev0000UNARCH",
		"event": map[string]any{"type": "channel_unarchive", "channel": channel, "user": rae}})
	require.NoError(t, err)
	sc.post("/slack/events", string(ev))
	require.Eventually(t, func() bool { return cardUpdates() > okBefore }, 20*time.Second, 100*time.Millisecond, "the card is re-rendered")
	time.Sleep(2 * time.Second)
	require.Equal(t, okBefore+1, cardUpdates(), "re-rendered once")
	require.True(t, slices.Contains(timelineKinds(api, id), "slack.resumed"))
	require.Contains(t, currentCard(t, fake, channel).text, id)
	require.Equal(t, 1, failed())
	writeHistory(t, m, "incident/"+id, "incident-slack-paused-resumed")
}

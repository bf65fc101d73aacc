package slackbot

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestSocketModeSlashCommandIsAckedAndDeclares speaks Socket Mode end to end:
// apps.connections.open gives a WebSocket URL, Slack says hello and sends a
// slash command envelope; irbot acks the envelope and the incident starts.
func TestSocketModeSlashCommandIsAckedAndDeclares(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.AppToken = "xapp-test"; c.SigningSecret = "" })
	require.NoError(t, h.bot.StartSocketMode(t.Context()))
	select {
	case <-h.slack.Connected():
	case <-time.After(10 * time.Second):
		t.Fatal("irbot never connected over Socket Mode")
	}
	require.Len(t, h.slack.OKCalls("apps.connections.open"), 1)

	payload := map[string]any{
		"team_id": "T0000001", "channel_id": "C0000000009", "user_id": "U0000000003", "user_name": "rae",
		"command": "/incident", "text": "declare Ransomware on file server", "trigger_id": "sm-trigger-1",
		"response_url": h.slack.ResponseURL("socket"),
	}
	start := time.Now()
	require.NoError(t, h.slack.Send("slash_commands", "env-1", payload))
	require.Eventually(t, func() bool {
		for _, a := range h.slack.Acks() {
			if a["envelope_id"] == "env-1" {
				return true
			}
		}
		return false
	}, 3*time.Second, 5*time.Millisecond, "the envelope must be acked within 3 s")
	require.Less(t, time.Since(start), 3*time.Second)
	require.Eventually(t, func() bool { return h.svc.declareCount() == 1 }, 5*time.Second, 10*time.Millisecond)
	require.Equal(t, "Ransomware on file server", h.svc.declares[0].Title)
	require.Equal(t, "slack:cmd:sm-trigger-1", h.svc.declares[0].RequestKey)

	// The same envelope redelivered (a reconnect) is acked again but is not
	// a second incident.
	require.NoError(t, h.slack.Send("slash_commands", "env-1b", payload))
	require.Eventually(t, func() bool {
		for _, a := range h.slack.Acks() {
			if a["envelope_id"] == "env-1b" {
				return true
			}
		}
		return false
	}, 3*time.Second, 5*time.Millisecond)

	// An interactive envelope and an Events API envelope are acked too.
	require.NoError(t, h.slack.Send("events_api", "env-2", map[string]any{"type": "event_callback", "event_id": "Ev-sm-1",
		"event": map[string]any{"type": "reaction_added", "reaction": "thumbsup", "item": map[string]any{"type": "message", "channel": "C1", "ts": "1.1"}}}))
	require.Eventually(t, func() bool {
		for _, a := range h.slack.Acks() {
			if a["envelope_id"] == "env-2" {
				return true
			}
		}
		return false
	}, 3*time.Second, 5*time.Millisecond)
	require.NoError(t, h.bot.Close())
	require.Equal(t, 1, h.svc.incidents())
}

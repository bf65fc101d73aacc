package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/irbot/irbot/internal/slackbot/slackfake"
)

// TestSlackListAndMentionOverHTTP: with the real service and workflows,
// /incident list answers privately with the declared incident and its
// phase, and @irbot in the incident's channel answers with its status.
func TestSlackListAndMentionOverHTTP(t *testing.T) {
	fake := slackfake.New()
	t.Cleanup(fake.Close)
	m := startSlackMain(t, fake)
	sc := &slackClient{t: t, base: "http://" + m.Addr()}
	const rae, max = "U0000000003", "U0000000004" // responder, manager

	sc.command(rae, "CGENERAL1", "declare Payroll export leaked", fake.ResponseURL("declare"))
	var channel string
	require.Eventually(t, func() bool {
		for _, c := range fake.Channels() {
			if strings.HasPrefix(c.Name, "inc-") && len(fake.OKCalls("pins.add")) == 1 {
				channel = c.ID
			}
		}
		return channel != ""
	}, 30*time.Second, 50*time.Millisecond, "the incident channel and its pinned card must appear")

	sc.command(max, "CGENERAL1", "list", fake.ResponseURL("list"))
	var list map[string]any
	require.Eventually(t, func() bool {
		for _, r := range fake.Responses() {
			if r["_path"] == "list" {
				list = r
				return true
			}
		}
		return false
	}, 20*time.Second, 50*time.Millisecond)
	require.Equal(t, "ephemeral", list["response_type"])
	blocks, err := json.Marshal(list["blocks"])
	require.NoError(t, err)
	require.Contains(t, string(blocks), "Open incidents (1)")
	require.Contains(t, string(blocks), "Payroll export leaked")
	require.Contains(t, string(blocks), "Phase Contain the breach · severity high")
	require.Contains(t, string(blocks), `\u003c#`+channel+`\u003e`, "it links the channel")
	require.Contains(t, string(blocks), "next deadline Notify the lead supervisory authority due in ", "the nearest deadline with time left")

	ev, err := json.Marshal(map[string]any{"type": "event_callback", "event_id": "Ev-mention-1", "team_id": "T0000001",
		"event": map[string]any{"type": "app_mention", "user": rae, "text": "<@" + slackfake.BotUserID + "> status?", "channel": channel, "ts": "1772357400.000100"}})
	require.NoError(t, err)
	sc.post("/slack/events", string(ev))
	require.Eventually(t, func() bool {
		for _, e := range fake.Ephemerals() {
			if e.User == rae && e.Channel == channel && strings.Contains(e.Text, "Payroll export leaked") && strings.Contains(e.Text, "Phase Contain the breach") && strings.Contains(e.Text, "next deadline ") {
				return true
			}
		}
		return false
	}, 20*time.Second, 50*time.Millisecond, "the mention is answered with the status; ephemerals: %s", fmt.Sprint(fake.Ephemerals()))
}

package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/irbot/irbot/internal/incident"
	"github.com/irbot/irbot/internal/slackbot/slackfake"
	"github.com/irbot/irbot/workflows"
)

// /incident drill end, in the drill's channel, ends play, closes the drill's
// incident and archives its [DRILL] channel (conversations.archive on the
// strict fake), while the drill's data stays for the report; participants'
// feedback forms after play reach the timeline and the report.
func TestDrillEndArchivesItsChannel(t *testing.T) {
	fake := slackfake.New()
	t.Cleanup(fake.Close)
	m := startSlackMain(t, fake)
	api := apiClient{t: t, base: "http://" + m.Addr()}
	sc := &slackClient{t: t, base: "http://" + m.Addr()}
	const max = "U0000000004" // manager

	code, body := api.do("POST", "/api/v1/drills", managerToken, map[string]any{"scenario": "ransomware-exfiltration", "speed": 100})
	require.Equal(t, 201, code, "%v", body)
	id := body["id"].(string)
	var channel string
	require.Eventually(t, func() bool {
		for _, c := range fake.Channels() {
			if strings.HasPrefix(c.Name, "drill-") {
				channel = c.ID
			}
		}
		return channel != ""
	}, 30*time.Second, 50*time.Millisecond, "the drill's channel opens")

	sc.command(max, channel, "drill end", fake.ResponseURL("end"))
	require.Eventually(t, func() bool {
		for _, c := range fake.Channels() {
			if c.ID == channel {
				return c.Archived
			}
		}
		return false
	}, time.Minute, 100*time.Millisecond, "the drill's channel is archived when the facilitator ends play")
	require.Len(t, fake.OKCalls("conversations.archive"), 1)
	_, inc := api.do("GET", "/api/v1/incidents/"+id, managerToken, nil)
	require.Equal(t, "closed", inc["status"])
	// The card shows the drill closed: updated before the channel was
	// archived (Slack refuses chat.update in an archived channel with
	// is_archived), and no refusal lands on the timeline.
	require.Eventually(t, func() bool {
		for _, c := range fake.OKCalls("chat.update") {
			if c.Params["channel"] == channel && strings.Contains(c.Params["blocks"]+c.Params["text"], "Closed · ") {
				return true
			}
		}
		return false
	}, 30*time.Second, 100*time.Millisecond, "the drill's card must show it closed, updated before its channel is archived")
	for _, c := range fake.Calls("") {
		require.NotEqual(t, "is_archived", c.Error, "irbot wrote to the archived drill channel: %s %v", c.Method, c.Params["channel"])
	}
	require.NotContains(t, timelineKinds(api, id), "slack.failed", "ending a drill records no Slack refusal")

	// Participants give feedback after play: recorded per person, on the
	// timeline and in the report; a rating out of range is refused.
	code, body = api.do("POST", "/api/v1/drills/"+id+"/actions", responderToken, map[string]any{"type": "feedback", "went_well": "Clear roles", "improve": "Faster legal review", "rating": 6})
	require.Equal(t, 400, code, "%v", body)
	require.Contains(t, body["error"], "rating")
	code, body = api.do("POST", "/api/v1/drills/"+id+"/actions", responderToken, map[string]any{"type": "feedback", "went_well": "Clear roles", "improve": "Faster legal review", "rating": 4})
	require.Equal(t, 200, code, "%v", body)
	code, body = api.do("POST", "/api/v1/drills/"+id+"/actions", responderToken, map[string]any{"type": "feedback", "went_well": "Clear roles", "improve": "Faster legal review, a template", "rating": 5})
	require.Equal(t, 200, code, "%v", body)
	require.Len(t, body["feedback"], 1, "one form per person: the second replaces the first")
	require.Eventually(t, func() bool {
		n := 0
		for _, k := range timelineKinds(api, id) {
			if k == workflows.KindDrillFeedback {
				n++
			}
		}
		return n == 2
	}, 30*time.Second, 100*time.Millisecond, "each form is on the timeline")

	req, _ := httpReq("GET", api.base+"/api/v1/drills/"+id+"/report?format=json", managerToken)
	var r incident.DrillReport
	require.NoError(t, json.Unmarshal(doRaw(t, req), &r))
	require.Equal(t, id, r.Drill, "the report outlives the channel")
	require.Equal(t, workflows.DrillEnded, r.Status)
	require.NotEmpty(t, r.Expected)
	require.Len(t, r.Feedback, 1)
	require.Equal(t, 5, r.Feedback[0].Rating)
	require.Equal(t, "Faster legal review, a template", r.Feedback[0].Improve)
	req, _ = httpReq("GET", api.base+"/api/v1/drills/"+id+"/report?format=md", managerToken)
	require.Contains(t, string(doRaw(t, req)), "| 5/5 | Clear roles | Faster legal review, a template |")
	writeHistory(t, m, workflows.DrillWorkflowID(id), "drill-ended-feedback")
}

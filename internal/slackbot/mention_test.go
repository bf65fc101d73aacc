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

// TestMentionAnswersStatusInIncidentChannelAndHelpElsewhere: @irbot in an
// incident channel answers the person privately with the incident's title,
// phase, severity and nearest deadline; elsewhere with short help; once per
// event however often Slack retries it; never to a bot.
func TestMentionAnswersStatusInIncidentChannelAndHelpElsewhere(t *testing.T) {
	h := newHarness(t, nil)
	_, err := h.svc.Declare(t.Context(), workflows.Actor{ID: "U0000000003", Roles: []string{"responder"}}, incidentReq("Phishing <script> & co"))
	require.NoError(t, err)
	due := time.Now().Add(71 * time.Hour).UTC()
	h.svc.mu.Lock()
	h.svc.states["INC-2026-0001"].Clocks = []workflows.ClockState{{Regime: "eu-gdpr", Obligation: "supervisory-authority", DueAt: &due, Status: "pending"}}
	h.svc.mu.Unlock()
	ch := h.slack.AddChannel(slackfakeBotChannel("inc-20260301-phishing"))
	h.svc.setChannel("INC-2026-0001", workflows.SlackRefs{ChannelID: ch})
	other := h.slack.AddChannel(slackfakeChannel("general"))

	mention := func(id, channel, user, botID string, retries int) {
		ev := map[string]any{"type": "app_mention", "user": user, "text": "<@" + slackfake.BotUserID + "> where are we?", "ts": "1772357400.000100", "channel": channel, "event_ts": "1772357400.000100"}
		if botID != "" {
			ev["bot_id"] = botID
		}
		for i := 0; i <= retries; i++ {
			hdr := map[string]string{"Content-Type": "application/json"}
			if i > 0 {
				hdr["X-Slack-Retry-Num"] = "1"
			}
			code, _, took := signedPost(t, h.base+"/slack/events", testSecret, time.Now(), eventBody(id, ev), hdr)
			require.Equal(t, http.StatusOK, code)
			require.Less(t, took, 3*time.Second)
		}
	}
	mention("Ev-m1", ch, "U0000000005", "", 2)
	mention("Ev-m2", other, "U0000000003", "", 0)
	mention("Ev-m3", ch, "U0000000099", "", 0)
	mention("Ev-m4", ch, "U0000000003", "B0000000001", 0)
	require.Eventually(t, func() bool { return len(h.slack.Ephemerals()) >= 3 }, 5*time.Second, 10*time.Millisecond)
	require.NoError(t, h.bot.Close())

	got := map[string]string{}
	for _, m := range h.slack.Ephemerals() {
		require.NotContains(t, got, m.User+m.Channel, "one answer per mention, retries included")
		got[m.User+m.Channel] = m.Text
	}
	require.Len(t, got, 3, "the bot's own mention gets no answer")
	status := got["U0000000005"+ch]
	require.Contains(t, status, "INC-2026-0001")
	require.Contains(t, status, "Phishing &lt;script&gt; &amp; co", "the title is escaped")
	require.Contains(t, status, "Phase Contain · severity high")
	require.Regexp(t, `next deadline eu-gdpr/supervisory-authority due in (2 d 22 h|2 d 23 h)`, status)
	require.Contains(t, got["U0000000003"+other], "`/incident list`")
	require.True(t, strings.Contains(got["U0000000099"+ch], "no role"), "a person without a role learns why: %q", got["U0000000099"+ch])
}

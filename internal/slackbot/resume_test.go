package slackbot

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/irbot/irbot/internal/slackbot/slackfake"
	"github.com/irbot/irbot/workflows"
)

// resumeService is the fake service that also resumes paused publishing.
type resumeService struct {
	*fakeService
	mu      sync.Mutex
	resumed []string
}

func (r *resumeService) ResumeSlack(ctx context.Context, actor workflows.Actor, id, reason string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.resumed = append(r.resumed, actor.ID+"|"+id+"|"+reason)
	return nil
}

func (r *resumeService) calls() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.resumed...)
}

// TestUnarchiveRejoinAndRepostResumePublishing: channel_unarchive, irbot
// itself joining the channel and /incident repost ask the incident to
// publish again; someone else joining does not.
func TestUnarchiveRejoinAndRepostResumePublishing(t *testing.T) {
	var rs *resumeService
	h := newHarness(t, func(c *Config) {
		rs = &resumeService{fakeService: c.Service.(*fakeService)}
		c.Service = rs
	})
	_, err := h.svc.Declare(t.Context(), workflows.Actor{ID: "U0000000003", Roles: []string{"responder"}}, incidentReq("Phishing"))
	require.NoError(t, err)
	ch := h.slack.AddChannel(slackfakeBotChannel("inc-20260301-phishing"))
	h.svc.setChannel("INC-2026-0001", workflows.SlackRefs{ChannelID: ch})
	send := func(id string, ev map[string]any) {
		code, _, _ := signedPost(t, h.base+"/slack/events", testSecret, time.Now(), eventBody(id, ev), map[string]string{"Content-Type": "application/json"})
		require.Equal(t, http.StatusOK, code)
	}
	send("Ev-join-other", map[string]any{"type": "member_joined_channel", "user": "U0000000001", "channel": ch})
	send("Ev-unarchive", map[string]any{"type": "channel_unarchive", "user": "U0000000003", "channel": ch})
	send("Ev-unarchive", map[string]any{"type": "channel_unarchive", "user": "U0000000003", "channel": ch}) // Slack's retry
	send("Ev-join-bot", map[string]any{"type": "member_joined_channel", "user": slackfake.BotUserID, "channel": ch})
	send("Ev-elsewhere", map[string]any{"type": "channel_unarchive", "user": "U0000000003", "channel": "CNOTOURS1"})
	code, _, _ := signedPost(t, h.base+"/slack/commands", testSecret, time.Now(), slashBody("U0000000005", ch, "repost", "t-repost", h.slack.ResponseURL("repost")), nil)
	require.Equal(t, http.StatusOK, code)
	require.Eventually(t, func() bool { return len(rs.calls()) == 3 }, 5*time.Second, 10*time.Millisecond)
	require.NoError(t, h.bot.Close())
	require.ElementsMatch(t, []string{
		"irbot|INC-2026-0001|channel_unarchive",
		"irbot|INC-2026-0001|member_joined_channel",
		"U0000000005|INC-2026-0001|/incident repost",
	}, rs.calls())
}

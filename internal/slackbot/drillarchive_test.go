package slackbot

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/irbot/irbot/workflows"
)

// The end of a drill archives its channel on the strict fake; a second
// archive (a retried activity) is no failure; a live incident's channel is
// never archived this way.
func TestArchiveDrillChannel(t *testing.T) {
	h, fd := newDrillHarness(t)
	got := h.answer(managerSlack, "CELSEWHERE", "drill start ransomware-exfiltration 600", "a1")
	require.Contains(t, got, "started")
	var id, ch string
	require.Eventually(t, func() bool {
		for _, c := range h.slack.Channels() {
			if strings.HasPrefix(c.Name, "drill-") {
				ch = c.ID
			}
		}
		return ch != ""
	}, 10*time.Second, 20*time.Millisecond)
	require.Eventually(t, func() bool {
		id, _ = fd.IncidentByChannel(t.Context(), ch)
		if id == "" {
			return false
		}
		st, err := fd.Get(t.Context(), SystemActor, id)
		return err == nil && st.Slack != nil && st.Slack.ChannelID == ch
	}, 10*time.Second, 20*time.Millisecond, "the drill's incident knows its channel")

	require.NoError(t, h.bot.ArchiveDrillChannel(t.Context(), id))
	require.NoError(t, h.bot.ArchiveDrillChannel(t.Context(), id), "already archived is done, not failed")
	for _, c := range h.slack.Channels() {
		if c.ID == ch {
			require.True(t, c.Archived)
		}
	}

	live, err := fd.Declare(t.Context(), workflows.Actor{ID: "U0000000003", Roles: []string{"responder"}}, incidentReq("Payroll export leaked"))
	require.NoError(t, err)
	refs, err := h.bot.Publish(t.Context(), workflows.PublishInput{State: *live})
	require.NoError(t, err)
	fd.setChannel(live.ID, refs)
	require.NoError(t, h.bot.ArchiveDrillChannel(t.Context(), live.ID))
	for _, c := range h.slack.Channels() {
		if c.ID == refs.ChannelID {
			require.False(t, c.Archived, "a live incident's channel is never archived by a drill's end")
		}
	}
}

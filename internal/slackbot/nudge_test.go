package slackbot

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/irbot/irbot/workflows"
)

// dmTo returns the texts irbot sent user by DM.
func (h *harness) dmTo(user string) []string {
	var out []string
	for _, c := range h.slack.Channels() {
		if c.Name == "dm-"+user {
			for _, m := range h.slack.Messages(c.ID) {
				out = append(out, m.Text)
			}
		}
	}
	return out
}

// TestNudgeTellsTheCommanderPrivatelyAndTheChannelWhenUnowned: an overdue
// status update goes to the commander by DM, once however often the
// activity is retried; an incident with no commander is pointed out in its
// channel with the declarer mentioned; a drill is not nudged.
func TestNudgeTellsTheCommanderPrivatelyAndTheChannelWhenUnowned(t *testing.T) {
	h := newHarness(t, nil)
	ch := h.slack.AddChannel(slackfakeBotChannel("inc-20260301-laptop"))
	at := time.Now().UTC()
	due := at.Add(-time.Minute)
	overdue := workflows.Nudge{IncidentID: "INC-2026-0007", Kind: workflows.NudgeUpdateOverdue, At: at, Mode: workflows.ModeLive,
		Commander: "U0000000003", DeclaredBy: "U0000000005", ChannelID: ch, Severity: "critical", DueAt: &due, Cadence: "30m0s"}
	require.NoError(t, h.bot.Nudge(t.Context(), overdue))
	require.NoError(t, h.bot.Nudge(t.Context(), overdue), "a retried activity")
	dms := h.dmTo("U0000000003")
	require.Len(t, dms, 1, "the commander is nudged once")
	require.Contains(t, dms[0], "status update on *INC-2026-0007* is overdue")
	require.Contains(t, dms[0], "every 30 min")
	require.Regexp(t, `is overdue by (under 1 min|1 min) \(was due `, dms[0], "time late worded as everywhere (deadline.Span)")
	require.Contains(t, dms[0], "`/incident update` in <#"+ch+">")
	require.Empty(t, h.slack.Messages(ch), "an overdue update is the commander's business, privately")

	unowned := workflows.Nudge{IncidentID: "INC-2026-0007", Kind: workflows.NudgeUnowned, At: at, Mode: workflows.ModeLive,
		DeclaredBy: "U0000000005", ChannelID: ch, Missing: []string{"commander", "severity"}, Cadence: "15m0s"}
	require.NoError(t, h.bot.Nudge(t.Context(), unowned))
	msgs := h.slack.Messages(ch)
	require.Len(t, msgs, 1)
	require.True(t, strings.HasPrefix(msgs[0].Text, "<@U0000000005> "), "the declarer is mentioned: %s", msgs[0].Text)
	require.Contains(t, msgs[0].Text, "no commander (`/incident role commander @person`) and no severity")
	require.Contains(t, msgs[0].Text, "15 min after it was declared")

	drill := overdue
	drill.Mode, drill.At, drill.Commander = workflows.ModeDrill, at.Add(time.Hour), "U0000000002"
	require.NoError(t, h.bot.Nudge(t.Context(), drill))
	require.Empty(t, h.dmTo("U0000000002"), "a drill nudges nobody")
}

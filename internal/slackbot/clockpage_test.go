package slackbot

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	tpl "github.com/irbot/irbot/templates/slack"
	"github.com/irbot/irbot/workflows"
)

// TestClocksArePagedPrivately: with more clocks than a page holds,
// /incident clocks answers privately with the first page and its menus,
// and the card's All clocks… button (or Next ›) shows the asked page;
// every answer passes the fake's Block Kit checker (the harness asserts it).
func TestClocksArePagedPrivately(t *testing.T) {
	h := newHarness(t, nil)
	_, err := h.svc.Declare(t.Context(), workflows.Actor{ID: "U0000000003", Roles: []string{"responder"}}, incidentReq("Many regimes"))
	require.NoError(t, err)
	ch := h.slack.AddChannel(slackfakeBotChannel("inc-20260301-many"))
	h.svc.setChannel("INC-2026-0001", workflows.SlackRefs{ChannelID: ch})
	h.svc.mu.Lock()
	for i := range 45 {
		due := time.Now().Add(time.Duration(i+1) * time.Hour).UTC()
		h.svc.states["INC-2026-0001"].Clocks = append(h.svc.states["INC-2026-0001"].Clocks,
			workflows.ClockState{Regime: fmt.Sprintf("r%02d", i), Obligation: "authority", Recipient: "authority", DueAt: &due, Status: workflows.ClockRunning})
	}
	h.svc.mu.Unlock()

	code, _, _ := signedPost(t, h.base+"/slack/commands", testSecret, time.Now(),
		slashBody("U0000000003", ch, "clocks", "trig-clocks", h.slack.ResponseURL("clocks")), nil)
	require.Equal(t, http.StatusOK, code)
	code, _, _ = signedPost(t, h.base+"/slack/interactions", testSecret, time.Now(),
		blockAction("U0000000003", ch, "1772357400.000100", tpl.ElementID(tpl.ActionClocksPage, 1), tpl.Value("INC-2026-0001", "2"), h.slack.ResponseURL("page3")), nil)
	require.Equal(t, http.StatusOK, code)
	answers := map[string]string{}
	require.Eventually(t, func() bool {
		for _, r := range h.slack.Responses() {
			answers[fmt.Sprint(r["_path"])] = fmt.Sprint(r["blocks"])
		}
		return answers["clocks"] != "" && answers["page3"] != ""
	}, 5*time.Second, 10*time.Millisecond)
	require.Contains(t, answers["clocks"], "page 1 of 3, clocks 1–20 of 45")
	require.Contains(t, answers["clocks"], "notified|INC-2026-0001|r00/authority", "each open clock has its menu")
	require.NotContains(t, answers["clocks"], "r20/authority")
	require.Contains(t, answers["page3"], "page 3 of 3, clocks 41–45 of 45")
	require.Contains(t, answers["page3"], "notified|INC-2026-0001|r44/authority")
	require.True(t, strings.Contains(answers["page3"], "‹ Previous") && !strings.Contains(answers["page3"], "Next ›"))
}

package slackbot

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/irbot/irbot/workflows"
)

// TestIncidentListAnswersPrivatelyWithDeadlines: /incident list, from any
// channel, answers only the asker with every open incident (drills marked),
// its phase, severity and nearest deadline, capped with a count of the rest;
// a person without a role is refused; the answer passes Block Kit's rules.
func TestIncidentListAnswersPrivatelyWithDeadlines(t *testing.T) {
	h := newHarness(t, nil)
	responder := workflows.Actor{ID: "U0000000003", Roles: []string{"responder"}}
	due := time.Now().Add(5 * time.Hour).UTC()
	for i := range 23 {
		req := incidentReq(fmt.Sprintf("Breach %d %s", i, strings.Repeat("界", 400)))
		if i == 1 {
			req.Mode = workflows.ModeDrill
		}
		st, err := h.svc.Declare(t.Context(), responder, req)
		require.NoError(t, err)
		if i == 0 {
			h.svc.mu.Lock()
			h.svc.states[st.ID].Clocks = []workflows.ClockState{
				{Regime: "eu-gdpr", Obligation: "supervisory-authority", DueAt: &due, Status: "pending"},
				{Regime: "us-ca", Obligation: "individuals", DueAt: new(due.Add(-time.Hour)), Status: workflows.ClockMet},
			}
			h.svc.mu.Unlock()
		}
	}
	h.svc.mu.Lock()
	h.svc.states["INC-2026-0023"].Status = workflows.StatusClosed
	h.svc.mu.Unlock()

	list := func(user, trigger string) map[string]any {
		code, body, _ := signedPost(t, h.base+"/slack/commands", testSecret, time.Now(), slashBody(user, "CELSEWHERE", "list", trigger, h.slack.ResponseURL(trigger)), nil)
		require.Equal(t, http.StatusOK, code)
		require.Empty(t, body, "the list is answered by the worker, not in the acknowledgement")
		var got map[string]any
		require.Eventually(t, func() bool {
			for _, r := range h.slack.Responses() {
				if r["_path"] == trigger {
					got = r
					return true
				}
			}
			return false
		}, 5*time.Second, 10*time.Millisecond)
		return got
	}
	r := list("U0000000005", "list1")
	require.Equal(t, "ephemeral", r["response_type"])
	blocks, err := json.Marshal(r["blocks"])
	require.NoError(t, err)
	all := string(blocks)
	require.Contains(t, all, "Open incidents (22)", "the closed incident is not listed")
	require.Contains(t, all, "INC-2026-0001")
	require.Regexp(t, `next deadline eu-gdpr/supervisory-authority due in (4 h 59 min|5 h) \(`+due.Format("2006-01-02 15:04")+` UTC\)`, all)
	require.NotContains(t, all, "us-ca/individuals", "the settled clock is not a deadline")
	require.Contains(t, all, "INC-2026-0002* · DRILL", "a drill is marked")
	require.Contains(t, all, "no open deadline")
	require.Contains(t, all, "and 2 more")
	require.NotContains(t, all, "INC-2026-0021")
	require.Contains(t, r["text"], "INC-2026-0020")

	// Someone without a role learns why, privately.
	r = list("U0000000099", "list2")
	require.Contains(t, r["text"], "no role in irbot")

	// Arguments are refused in the acknowledgement, with the reason.
	code, body, _ := signedPost(t, h.base+"/slack/commands", testSecret, time.Now(), slashBody("U0000000005", "CELSEWHERE", "list everything", "list3", h.slack.ResponseURL("list3")), nil)
	require.Equal(t, http.StatusOK, code)
	require.Contains(t, body, "takes nothing after it")
}

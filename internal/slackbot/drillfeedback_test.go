package slackbot

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/irbot/irbot/internal/apperr"
	"github.com/irbot/irbot/internal/policy"
	"github.com/irbot/irbot/playbooks"
	tpl "github.com/irbot/irbot/templates/slack"
	"github.com/irbot/irbot/workflows"
)

// DrillGiveFeedback records the form among the answers, as "feedback BY
// RATING WENT_WELL / IMPROVE".
func (f *fakeDrills) DrillGiveFeedback(ctx context.Context, actor workflows.Actor, id string, fb workflows.DrillFeedbackInput) (*workflows.DrillState, error) {
	if fb.Rating < 1 || fb.Rating > 5 {
		return nil, apperr.New(apperr.Invalid, "rating %d: give 1 (poor) to 5 (excellent)", fb.Rating)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.answers = append(f.answers, fmt.Sprintf("feedback %s %d %s / %s", actor.ID, fb.Rating, fb.WentWell, fb.Improve))
	return &workflows.DrillState{IncidentID: id, Status: workflows.DrillEnded}, nil
}

// DrillImprove records the plan as "plan BY N-ITEMS FIRST-DUE", refusing a
// non-manager as the drill's rule does.
func (f *fakeDrills) DrillImprove(ctx context.Context, actor workflows.Actor, id string, items []workflows.Improvement, final bool) (*workflows.DrillState, error) {
	if !policy.MayRunDrills(actor.Roles) {
		return nil, apperr.New(apperr.Forbidden, "improve: only the facilitator or someone with the manager role steers a drill")
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	due := ""
	if len(items) > 0 {
		due = items[0].Issue + "/" + items[0].Due
	}
	f.answers = append(f.answers, fmt.Sprintf("plan %s %d %s", actor.ID, len(items), due))
	return &workflows.DrillState{IncidentID: id, Status: workflows.DrillEnded, Improvements: items}, nil
}

// When play ends the hot-wash prompt is posted in the drill's channel with a
// button that opens the participant feedback form (valid Block Kit on the
// strict fake); the form needs a rating and records what each person wrote.
func TestSlackDrillHotWashAndFeedbackForm(t *testing.T) {
	h, fd := newDrillHarness(t)
	req := incidentReq("[DRILL] Ransomware")
	req.Mode = workflows.ModeDrill
	st, err := fd.Declare(t.Context(), workflows.Actor{ID: managerSlack, Roles: []string{"manager"}}, req)
	require.NoError(t, err)
	ch := h.slack.AddChannel(slackfakeBotChannel("drill-inc-20260301-ransomware"))
	fd.setChannel(st.ID, workflows.SlackRefs{ChannelID: ch})

	require.NoError(t, h.bot.PostDrillQuestion(t.Context(), workflows.DrillDelivery{IncidentID: st.ID, Kind: "end", ID: "hot-wash", ScenarioAt: playbooks.Span(72 * time.Hour)}))
	msgs := h.slack.Messages(ch)
	require.Len(t, msgs, 1)
	require.Contains(t, msgs[0].Text, "Hot wash")
	require.Contains(t, string(msgs[0].Blocks), tpl.ActionDrillFeedbackOpen)

	code, _, _ := signedPost(t, h.base+"/slack/interactions", testSecret, time.Now(), blockAction("U0000000003", ch, "1.1", tpl.ActionDrillFeedbackOpen, st.ID, h.slack.ResponseURL("fb1")), nil)
	require.Equal(t, http.StatusOK, code)
	require.Eventually(t, func() bool { return len(h.slack.OKCalls("views.open")) == 1 }, 5*time.Second, 10*time.Millisecond, "the feedback form opens")

	_, body, _ := signedPost(t, h.base+"/slack/interactions", testSecret, time.Now(), viewSubmission("U0000000003", "VF1", tpl.CallbackDrillFeedback, st.ID,
		map[string]map[string]any{tpl.BlockFeedbackWell: {"type": "plain_text_input", "value": "Clear roles"}}), nil)
	require.Contains(t, body, "Choose a rating")
	_, body, _ = signedPost(t, h.base+"/slack/interactions", testSecret, time.Now(), viewSubmission("U0000000003", "VF2", tpl.CallbackDrillFeedback, st.ID,
		map[string]map[string]any{
			tpl.BlockFeedbackWell:    {"type": "plain_text_input", "value": "Clear roles — 役割"},
			tpl.BlockFeedbackImprove: {"type": "plain_text_input", "value": "Legal review sooner"},
			tpl.BlockFeedbackRating:  {"type": "static_select", "selected_option": map[string]any{"value": "4"}},
		}), nil)
	require.Empty(t, body)
	require.Eventually(t, func() bool {
		for _, a := range fd.answered() {
			if a == "feedback U0000000003 4 Clear roles — 役割 / Legal review sooner" {
				return true
			}
		}
		return false
	}, 5*time.Second, 10*time.Millisecond, "the form reaches the service as the person wrote it: %v", fd.answered())

	// The facilitator edits the Improvement Plan from the same message: the
	// form opens with the plan so far; a malformed line keeps it open; the
	// plan reaches the service (the API's improve) as written.
	code, _, _ = signedPost(t, h.base+"/slack/interactions", testSecret, time.Now(), blockAction(managerSlack, ch, "1.1", tpl.ActionDrillPlanOpen, st.ID, h.slack.ResponseURL("pl1")), nil)
	require.Equal(t, http.StatusOK, code)
	require.Eventually(t, func() bool { return len(h.slack.OKCalls("views.open")) == 2 }, 5*time.Second, 10*time.Millisecond, "the plan form opens")
	_, body, _ = signedPost(t, h.base+"/slack/interactions", testSecret, time.Now(), viewSubmission(managerSlack, "VP1", tpl.CallbackDrillPlan, st.ID,
		map[string]map[string]any{tpl.BlockDrillPlan: {"type": "plain_text_input", "value": "GDPR notice late | template"}}), nil)
	require.Contains(t, body, "Line 1 has 2 fields")
	_, body, _ = signedPost(t, h.base+"/slack/interactions", testSecret, time.Now(), viewSubmission(managerSlack, "VP2", tpl.CallbackDrillPlan, st.ID,
		map[string]map[string]any{tpl.BlockDrillPlan: {"type": "plain_text_input", "value": "GDPR notice late | Pre-approve a template | DPO | 2026-06-30\n\nNo press line | Draft holding statements | Comms | 2026-07-15\n"}}), nil)
	require.Empty(t, body)
	require.Eventually(t, func() bool {
		for _, a := range fd.answered() {
			if a == "plan "+managerSlack+" 2 GDPR notice late/2026-06-30" {
				return true
			}
		}
		return false
	}, 5*time.Second, 10*time.Millisecond, "the plan reaches the service: %v", fd.answered())
}

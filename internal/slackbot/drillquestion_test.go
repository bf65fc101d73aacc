package slackbot

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/irbot/irbot/playbooks"
	tpl "github.com/irbot/irbot/templates/slack"
	"github.com/irbot/irbot/workflows"
)

func (f *fakeDrills) Drill(ctx context.Context, actor workflows.Actor, id string) (*workflows.DrillState, error) {
	sc, _ := playbooks.EmbeddedScenario("ransomware-exfiltration")
	return &workflows.DrillState{IncidentID: id, Package: *sc, Status: workflows.DrillRunning}, nil
}

func (f *fakeDrills) DrillAnswer(ctx context.Context, actor workflows.Actor, id, question, answer string) (*workflows.DrillState, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.answers = append(f.answers, actor.ID+" "+question+" "+answer)
	return &workflows.DrillState{IncidentID: id}, nil
}

func (f *fakeDrills) answered() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.answers...)
}

// A question with choices is posted with one button per choice (valid Block
// Kit in the strict fake); the manager alone gets the evaluator's notes; a
// participant's click records their answer, per person; a free-text
// question opens a form whose answer is recorded too.
func TestSlackDrillQuestionsAnswersAndEvaluatorNotes(t *testing.T) {
	h, fd := newDrillHarness(t)
	req := incidentReq("[DRILL] Ransomware")
	req.Mode = workflows.ModeDrill
	st, err := fd.Declare(t.Context(), workflows.Actor{ID: managerSlack, Roles: []string{"manager"}}, req)
	require.NoError(t, err)
	ch := h.slack.AddChannel(slackfakeBotChannel("drill-inc-20260301-ransomware"))
	fd.setChannel(st.ID, workflows.SlackRefs{ChannelID: ch})

	require.NoError(t, h.bot.PostDrillQuestion(t.Context(), workflows.DrillDelivery{
		IncidentID: st.ID, Kind: "question", ID: "isolate-or-observe", ScenarioAt: playbooks.Span(time.Hour),
		Text: "Do you isolate the affected servers now, or keep them connected to watch the attacker?", Choices: []string{"Isolate now", "Keep watching", "Ask the insurer first"},
	}))
	msgs := h.slack.Messages(ch)
	require.Len(t, msgs, 1)
	for _, c := range []string{"Isolate now", "Keep watching", "Ask the insurer first", tpl.ActionDrillAnswer + "#2"} {
		require.Contains(t, string(msgs[0].Blocks), c)
	}
	var notesTo []string
	for _, e := range h.slack.Ephemerals() {
		if strings.Contains(e.Text, "Evaluator notes") {
			notesTo = append(notesTo, e.User)
			require.Contains(t, e.Text, "Expected: Isolate now")
			require.Contains(t, e.Text, "Containment first")
		}
	}
	require.Equal(t, []string{managerSlack}, notesTo, "only the facilitator's role sees the evaluator notes")
	require.NotContains(t, msgs[0].Text+string(msgs[0].Blocks), "Containment first", "the channel never sees the guidance")

	click := func(user, ts, action, value string) {
		code, _, _ := signedPost(t, h.base+"/slack/interactions", testSecret, time.Now(), blockAction(user, ch, ts, action, value, h.slack.ResponseURL("c"+ts)), nil)
		require.Equal(t, http.StatusOK, code)
	}
	click("U0000000003", "1.1", tpl.ActionDrillAnswer+"#1", st.ID+"|isolate-or-observe|1")
	click("U0000000001", "1.2", tpl.ActionDrillAnswer, st.ID+"|isolate-or-observe|0")
	click("U0000000003", "1.3", tpl.ActionDrillAnswer, st.ID+"|isolate-or-observe|9")
	require.Eventually(t, func() bool { return len(fd.answered()) == 2 }, 5*time.Second, 10*time.Millisecond)
	require.ElementsMatch(t, []string{"U0000000003 isolate-or-observe Keep watching", "U0000000001 isolate-or-observe Isolate now"}, fd.answered())
	require.Eventually(t, func() bool {
		for _, r := range h.slack.Responses() {
			if r["_path"] == "c1.3" && strings.Contains(fmt.Sprint(r["text"]), "not in this drill") {
				return true
			}
		}
		return false
	}, 5*time.Second, 10*time.Millisecond, "a forged choice is refused")

	// A free-text question: "Answer…" opens a form; its answer is recorded.
	require.NoError(t, h.bot.PostDrillQuestion(t.Context(), workflows.DrillDelivery{
		IncidentID: st.ID, Kind: "question", ID: "who-talks-to-press", ScenarioAt: playbooks.Span(6 * time.Hour), Text: "Who answers the journalist?",
	}))
	click("U0000000003", "2.1", tpl.ActionDrillAnswerOpen, st.ID+"|who-talks-to-press")
	require.Eventually(t, func() bool { return len(h.slack.OKCalls("views.open")) == 1 }, 5*time.Second, 10*time.Millisecond)
	_, body, _ := signedPost(t, h.base+"/slack/interactions", testSecret, time.Now(), viewSubmission("U0000000003", "VA1", tpl.CallbackDrillAnswer, st.ID+"|who-talks-to-press",
		map[string]map[string]any{tpl.BlockDrillAnswer: {"type": "plain_text_input", "value": "  "}}), nil)
	require.Contains(t, body, "Write an answer")
	_, body, _ = signedPost(t, h.base+"/slack/interactions", testSecret, time.Now(), viewSubmission("U0000000003", "VA2", tpl.CallbackDrillAnswer, st.ID+"|who-talks-to-press",
		map[string]map[string]any{tpl.BlockDrillAnswer: {"type": "plain_text_input", "value": "The comms lead, with a holding statement — 広報"}}), nil)
	require.Empty(t, body)
	require.Eventually(t, func() bool { return len(fd.answered()) == 3 }, 5*time.Second, 10*time.Millisecond)
	require.Contains(t, fd.answered(), "U0000000003 who-talks-to-press The comms lead, with a holding statement — 広報")
}

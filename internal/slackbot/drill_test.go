package slackbot

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/irbot/irbot/internal/apperr"
	"github.com/irbot/irbot/internal/auth"
	"github.com/irbot/irbot/internal/incident"
	"github.com/irbot/irbot/internal/policy"
	"github.com/irbot/irbot/playbooks"
	tpl "github.com/irbot/irbot/templates/slack"
	"github.com/irbot/irbot/workflows"
)

// fakeDrills is the incident service with drills, as the bot sees it: the
// shipped scenarios, the one drill rule from policy, a drill declared as a
// drill-mode incident and published (as its workflow would) to its channel.
type fakeDrills struct {
	*fakeService
	bot     *Bot
	mu      sync.Mutex
	starts  []incident.DrillRequest
	acts    []string
	answers []string
}

var _ DrillService = (*fakeDrills)(nil)

func (f *fakeDrills) ListScenarios(ctx context.Context, actor workflows.Actor) ([]incident.ScenarioSummary, error) {
	if len(actor.Roles) == 0 {
		return nil, apperr.New(apperr.Forbidden, "%s has no role in irbot", actor.ID)
	}
	var out []incident.ScenarioSummary
	for _, sc := range playbooks.EmbeddedScenarios() {
		out = append(out, incident.ScenarioSummary{ID: sc.ID, Title: sc.Title, Regimes: sc.Regimes, Speed: sc.Speed, Duration: sc.Duration.String()})
	}
	return out, nil
}

func (f *fakeDrills) StartDrill(ctx context.Context, actor workflows.Actor, req incident.DrillRequest) (*incident.DrillStarted, error) {
	if !policy.MayRunDrills(actor.Roles) {
		return nil, apperr.New(apperr.Forbidden, "drills are run by a manager; %s does not have the manager role", actor.ID)
	}
	sc, ok := playbooks.EmbeddedScenario(req.Scenario)
	if !ok {
		return nil, apperr.New(apperr.Invalid, "unknown scenario %q", req.Scenario)
	}
	f.mu.Lock()
	f.starts = append(f.starts, req)
	f.mu.Unlock()
	d := incidentReq("[DRILL] " + sc.Title)
	d.Mode = workflows.ModeDrill
	st, err := f.Declare(ctx, actor, d)
	if err != nil {
		return nil, err
	}
	go func() {
		refs, err := f.bot.Publish(context.Background(), workflows.PublishInput{State: *st})
		if err == nil {
			f.setChannel(st.ID, refs)
		}
	}()
	return &incident.DrillStarted{ID: st.ID, Incident: st.ID, Status: workflows.DrillRunning}, nil
}

func (f *fakeDrills) DrillAct(ctx context.Context, actor workflows.Actor, id, action, event string) (*workflows.DrillState, error) {
	if !policy.MayRunDrills(actor.Roles) {
		return nil, apperr.New(apperr.Forbidden, "drills are run by a manager; %s does not have the manager role", actor.ID)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.acts = append(f.acts, id+" "+action+" "+event)
	return &workflows.DrillState{IncidentID: id, Speed: 60, Status: workflows.DrillPaused, StartedAt: time.Now()}, nil
}

const managerSlack = "U0000000007"

func newDrillHarness(t *testing.T) (*harness, *fakeDrills) {
	t.Helper()
	var fd *fakeDrills
	h := newHarness(t, func(c *Config) {
		fd = &fakeDrills{fakeService: c.Service.(*fakeService)}
		c.Service = fd
		d, err := auth.NewDirectory([]auth.User{
			{Name: "Rae Responder", SlackID: "U0000000003", Roles: []string{"responder"}},
			{Name: "Dana DPO", SlackID: "U0000000001", Roles: []string{"dpo"}},
			{Name: "Max Manager", SlackID: managerSlack, Roles: []string{"manager"}},
		}, "")
		require.NoError(t, err)
		c.Directory = d
	})
	fd.bot = h.bot
	return h, fd
}

// answer runs /incident TEXT as user in channel and returns what the worker
// answered privately through the response URL.
func (h *harness) answer(user, channel, text, trigger string) string {
	h.t.Helper()
	code, body, _ := signedPost(h.t, h.base+"/slack/commands", testSecret, time.Now(), slashBody(user, channel, text, trigger, h.slack.ResponseURL(trigger)), nil)
	require.Equal(h.t, http.StatusOK, code)
	if body != "" {
		return body
	}
	var got string
	require.Eventually(h.t, func() bool {
		for _, r := range h.slack.Responses() {
			if r["_path"] == trigger {
				got = fmt.Sprint(r["text"])
				return true
			}
		}
		return false
	}, 10*time.Second, 10*time.Millisecond, "no answer to /incident %s", text)
	return got
}

// /incident drill list, start with participants (private drill channel, the
// facilitator and every participant invited), the one role rule, and the
// facilitator's controls in the drill's channel, all against the strict
// Slack fake.
func TestSlackDrillListStartInviteAndControls(t *testing.T) {
	h, fd := newDrillHarness(t)

	list := h.answer("U0000000003", "CELSEWHERE", "drill list", "dl1")
	for _, sc := range playbooks.EmbeddedScenarios() {
		require.Contains(t, list, "`"+sc.ID+"`", "every shipped scenario is listed")
	}
	require.Contains(t, h.answer("U0000000099", "CELSEWHERE", "drill list", "dl2"), "no role")

	// A responder may not start a drill: the service's (policy's) rule.
	refused := h.answer("U0000000003", "CELSEWHERE", "drill start ransomware-exfiltration 60", "ds0")
	require.Contains(t, refused, "manager role")
	require.Empty(t, fd.starts)

	got := h.answer(managerSlack, "CELSEWHERE", "drill start ransomware-exfiltration 600 <@U0000000003|rae> @U0000000001", "ds1")
	require.Contains(t, got, "[DRILL] INC-2026-0001 started")
	require.Len(t, fd.starts, 1)
	require.Equal(t, 600.0, fd.starts[0].Speed)
	require.Equal(t, []string{"U0000000003", "U0000000001"}, fd.starts[0].Participants)
	var ch string
	require.Eventually(t, func() bool {
		for _, c := range h.slack.Channels() {
			if strings.HasPrefix(c.Name, "drill-") {
				ch = c.ID
				return c.Private && slices.Contains(c.Members, managerSlack) && slices.Contains(c.Members, "U0000000003") && slices.Contains(c.Members, "U0000000001")
			}
		}
		return false
	}, 10*time.Second, 20*time.Millisecond, "a private drill-… channel with the facilitator and both participants")
	require.Empty(t, h.slack.Messages("CANNOUNCE1"), "a drill is never announced")

	// Controls: in the drill's channel, by the facilitator; elsewhere, a
	// clear answer; a participant is refused by the rule.
	send := func(user, channel, text, trigger string) {
		code, _, _ := signedPost(t, h.base+"/slack/commands", testSecret, time.Now(), slashBody(user, channel, text, trigger, h.slack.ResponseURL(trigger)), nil)
		require.Equal(t, http.StatusOK, code)
	}
	send(managerSlack, ch, "drill pause", "dc1")
	require.Eventually(t, func() bool {
		for _, m := range h.slack.Messages(ch) {
			if strings.Contains(m.Text, "[DRILL] ⏸ Play paused") {
				return true
			}
		}
		return false
	}, 10*time.Second, 20*time.Millisecond, "the pause is announced in the drill channel")
	send(managerSlack, ch, "drill inject journalist-calls", "dc2")
	require.Eventually(t, func() bool {
		fd.mu.Lock()
		defer fd.mu.Unlock()
		return len(fd.acts) == 2
	}, 10*time.Second, 20*time.Millisecond)
	require.Equal(t, []string{"INC-2026-0001 pause ", "INC-2026-0001 inject_now journalist-calls"}, fd.acts)
	require.Contains(t, h.answer(managerSlack, "CELSEWHERE", "drill end", "dc3"), "not a drill's channel")
	require.Contains(t, h.answer("U0000000003", ch, "drill end", "dc4"), "manager role")
	require.Len(t, fd.acts, 2)
}

// /incident drill start with no scenario opens a form (valid Block Kit);
// its submission checks the speed under its field and starts the drill.
func TestSlackDrillStartForm(t *testing.T) {
	h, fd := newDrillHarness(t)
	code, body, _ := signedPost(t, h.base+"/slack/commands", testSecret, time.Now(), slashBody(managerSlack, "CELSEWHERE", "drill start", "form1", h.slack.ResponseURL("form1")), nil)
	require.Equal(t, http.StatusOK, code)
	require.Empty(t, body)
	require.Eventually(t, func() bool { return len(h.slack.OKCalls("views.open")) == 1 }, 5*time.Second, 10*time.Millisecond, "the form opens")
	view := h.slack.OKCalls("views.open")[0].Params["view"]
	require.Contains(t, view, tpl.CallbackDrillStart)
	require.Contains(t, view, "ransomware-exfiltration")

	submit := func(viewID, speed string) string {
		_, body, _ := signedPost(t, h.base+"/slack/interactions", testSecret, time.Now(), viewSubmission(managerSlack, viewID, tpl.CallbackDrillStart, "CELSEWHERE",
			map[string]map[string]any{
				tpl.BlockScenario:     {"type": "static_select", "selected_option": map[string]any{"value": "misdirected-email"}},
				tpl.BlockSpeed:        {"type": "plain_text_input", "value": speed},
				tpl.BlockParticipants: {"type": "multi_users_select", "selected_users": []string{"U0000000003"}},
			}), nil)
		return body
	}
	bad := submit("V1", "fast")
	var errs map[string]any
	require.NoError(t, json.Unmarshal([]byte(bad), &errs))
	require.Contains(t, fmt.Sprint(errs["errors"]), "Speed \"fast\" is not a number", "the form stays open naming the field")
	require.Empty(t, fd.starts)

	require.Empty(t, submit("V2", "120"))
	require.Eventually(t, func() bool {
		fd.mu.Lock()
		defer fd.mu.Unlock()
		return len(fd.starts) == 1
	}, 10*time.Second, 10*time.Millisecond)
	require.Equal(t, incident.DrillRequest{Scenario: "misdirected-email", Speed: 120, Participants: []string{"U0000000003"}, RequestKey: "slack:view:V2"}, fd.starts[0])
	require.Empty(t, submit("V2", "120"), "a repeated submission starts nothing more")
	require.Never(t, func() bool {
		fd.mu.Lock()
		defer fd.mu.Unlock()
		return len(fd.starts) > 1
	}, 300*time.Millisecond, 20*time.Millisecond)
}

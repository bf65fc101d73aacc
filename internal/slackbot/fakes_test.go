package slackbot

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/irbot/irbot/internal/apperr"
	"github.com/irbot/irbot/internal/auth"
	"github.com/irbot/irbot/internal/incident"
	"github.com/irbot/irbot/internal/schedule"
	"github.com/irbot/irbot/internal/slackbot/slackfake"
	"github.com/irbot/irbot/internal/store"
	"github.com/irbot/irbot/workflows"
)

const testSecret = "test-signing-secret"

// fakeService is the incident service as the bot sees it: declares are
// idempotent by request key, actions and recorded refusals by request ID,
// like the real one. Notices, drills and drill schedules answer that this
// fake has none; the fakes that test them embed it and add them.
type fakeService struct {
	noDrillsOrNotices
	mu       sync.Mutex
	denied   []string
	delay    time.Duration
	declares []incident.DeclareRequest
	byKey    map[string]string
	states   map[string]*workflows.IncidentState
	acts     []workflows.Action
	applied  map[string]bool
	channels map[string]string
	// onDeclare runs after a declare (e.g. publish, as the workflow would).
	onDeclare func(st workflows.IncidentState)
	refuse    func(actor workflows.Actor, a workflows.Action) error
	gets      int // Get calls: a modal's acknowledgement makes none
}

var _ Service = (*fakeService)(nil)

func newFakeService() *fakeService {
	return &fakeService{byKey: map[string]string{}, states: map[string]*workflows.IncidentState{}, applied: map[string]bool{}, channels: map[string]string{}}
}

func (f *fakeService) Declare(ctx context.Context, actor workflows.Actor, req incident.DeclareRequest) (*workflows.IncidentState, error) {
	if f.delay > 0 {
		select {
		case <-time.After(f.delay):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	f.mu.Lock()
	f.declares = append(f.declares, req)
	if id, ok := f.byKey[req.RequestKey]; ok && req.RequestKey != "" {
		st := *f.states[id]
		f.mu.Unlock()
		return &st, nil
	}
	id := fmt.Sprintf("INC-2026-%04d", len(f.states)+1)
	f.byKey[req.RequestKey] = id
	st := &workflows.IncidentState{
		ID: id, Title: req.Title, Severity: "high", Mode: workflows.ModeLive, Status: workflows.StatusOpen, Phase: "contain",
		DeclaredBy: actor, DeclaredAt: time.Date(2026, 3, 1, 9, 30, 0, 0, time.UTC), PublicChannel: req.Public,
		Phases: []workflows.PhaseState{{ID: "contain", Title: "Contain", Status: "active"}},
		Tasks:  []workflows.TaskState{{ID: "isolate", Title: "Isolate affected systems", Phase: "contain", Role: "responder", Required: true}},
		Facts:  map[string]any{},
	}
	if req.Mode != "" {
		st.Mode = req.Mode
	}
	f.states[id] = st
	cp := *st
	hook := f.onDeclare
	f.mu.Unlock()
	if hook != nil {
		hook(cp)
	}
	return &cp, nil
}

func (f *fakeService) Get(ctx context.Context, actor workflows.Actor, id string) (*workflows.IncidentState, error) {
	f.mu.Lock()
	f.gets++
	f.mu.Unlock()
	if len(actor.Roles) == 0 { // as the real service: reading needs a role
		return nil, apperr.New(apperr.Forbidden, "%s has no role in irbot; ask an admin to add you to the users file", actor.ID)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	st, ok := f.states[id]
	if !ok {
		return nil, apperr.New(apperr.NotFound, "no incident %s", id)
	}
	cp := *st
	return &cp, nil
}

func (f *fakeService) getCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.gets
}

func (f *fakeService) Act(ctx context.Context, actor workflows.Actor, id string, a workflows.Action) (*workflows.IncidentState, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	st, ok := f.states[id]
	if !ok {
		return nil, apperr.New(apperr.NotFound, "no incident %s", id)
	}
	if f.refuse != nil {
		if err := f.refuse(actor, a); err != nil {
			return nil, err
		}
	}
	if len(actor.Roles) == 0 {
		return nil, apperr.New(apperr.Forbidden, "%s has no role in irbot; ask an admin to add you to the users file", actor.ID)
	}
	if a.RequestID != "" && f.applied[id+a.RequestID] {
		cp := *st
		return &cp, nil
	}
	f.applied[id+a.RequestID] = true
	a.Actor = actor
	f.acts = append(f.acts, a)
	if a.Type == workflows.ActionNote {
		st.Notes++
	}
	cp := *st
	return &cp, nil
}

// RecordDenial records a refusal once per request ID, as the real service
// does with its event key.
func (f *fakeService) RecordDenial(ctx context.Context, incidentID string, actor workflows.Actor, a workflows.Action, reason string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.states[incidentID]; !ok {
		return apperr.New(apperr.NotFound, "no incident %s", incidentID)
	}
	if a.RequestID != "" && f.applied["denied:"+incidentID+a.RequestID] {
		return nil
	}
	f.applied["denied:"+incidentID+a.RequestID] = true
	f.denied = append(f.denied, fmt.Sprintf("%s|%s|%s|%s", actor.ID, a.Type, a.Name, reason))
	return nil
}

func (f *fakeService) denials() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.denied...)
}

// TemporalDown is false: the fake's engine is never down.
func (f *fakeService) TemporalDown() bool { return false }

// Timeline is empty: the fake keeps no events.
func (f *fakeService) Timeline(ctx context.Context, actor workflows.Actor, id string) ([]store.Event, error) {
	return nil, nil
}

// ResumeSlack accepts and does nothing; resumeService records the calls.
func (f *fakeService) ResumeSlack(ctx context.Context, actor workflows.Actor, id, reason string) error {
	return nil
}

// noDrillsOrNotices answers every notice, drill and drill schedule call as
// an outage would, so a test that reaches one without the fake for it fails
// with a visible message instead of passing on nothing.
type noDrillsOrNotices struct{}

func errNotInFake(what string) error {
	return apperr.New(apperr.Unavailable, "%s: not in this test's fake service", what)
}

func (noDrillsOrNotices) Notices(context.Context, workflows.Actor, string) ([]workflows.NoticeState, error) {
	return nil, errNotInFake("notices")
}
func (noDrillsOrNotices) NoticeAct(context.Context, workflows.Actor, string, string, workflows.NoticeAction) (*workflows.NoticeState, error) {
	return nil, errNotInFake("notice action")
}
func (noDrillsOrNotices) DraftNotice(context.Context, workflows.Actor, string, incident.NoticeRequest) (*workflows.NoticeState, error) {
	return nil, errNotInFake("notice draft")
}
func (noDrillsOrNotices) ListScenarios(context.Context, workflows.Actor) ([]incident.ScenarioSummary, error) {
	return nil, errNotInFake("drill scenarios")
}
func (noDrillsOrNotices) StartDrill(context.Context, workflows.Actor, incident.DrillRequest) (*incident.DrillStarted, error) {
	return nil, errNotInFake("drill start")
}
func (noDrillsOrNotices) DrillAct(context.Context, workflows.Actor, string, string, string) (*workflows.DrillState, error) {
	return nil, errNotInFake("drill action")
}
func (noDrillsOrNotices) Drill(context.Context, workflows.Actor, string) (*workflows.DrillState, error) {
	return nil, errNotInFake("drill")
}
func (noDrillsOrNotices) DrillAnswer(context.Context, workflows.Actor, string, string, string) (*workflows.DrillState, error) {
	return nil, errNotInFake("drill answer")
}
func (noDrillsOrNotices) DrillGiveFeedback(context.Context, workflows.Actor, string, workflows.DrillFeedbackInput) (*workflows.DrillState, error) {
	return nil, errNotInFake("drill feedback")
}
func (noDrillsOrNotices) DrillImprove(context.Context, workflows.Actor, string, []workflows.Improvement, bool) (*workflows.DrillState, error) {
	return nil, errNotInFake("drill plan")
}
func (noDrillsOrNotices) CreateDrillSchedule(context.Context, workflows.Actor, incident.DrillScheduleRequest) (*schedule.DrillSchedule, error) {
	return nil, errNotInFake("drill schedule")
}
func (noDrillsOrNotices) DrillSchedules(context.Context, workflows.Actor) ([]schedule.DrillSchedule, error) {
	return nil, errNotInFake("drill schedules")
}
func (noDrillsOrNotices) DeleteDrillSchedule(context.Context, workflows.Actor, string) error {
	return errNotInFake("drill schedule delete")
}

func (f *fakeService) IncidentByChannel(ctx context.Context, channelID string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.channels[channelID], nil
}

func (f *fakeService) setChannel(id string, refs workflows.SlackRefs) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.channels[refs.ChannelID] = id
	f.states[id].Slack = &refs
}

func (f *fakeService) declareCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.declares)
}

func (f *fakeService) actions(typ string) []workflows.Action {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []workflows.Action
	for _, a := range f.acts {
		if typ == "" || a.Type == typ {
			out = append(out, a)
		}
	}
	return out
}

func (f *fakeService) incidents() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.states)
}

// testUsers is a users file: a responder, a DPO, a commander.
func testUsers(t *testing.T) *auth.Directory {
	t.Helper()
	d, err := auth.NewDirectory([]auth.User{
		{Name: "Rae Responder", SlackID: "U0000000003", Roles: []string{"responder"}},
		{Name: "Dana DPO", SlackID: "U0000000001", Roles: []string{"dpo"}},
		{Name: "Cam Commander", SlackID: "U0000000005", Roles: []string{"commander"}},
	}, "")
	require.NoError(t, err)
	return d
}

type harness struct {
	t     *testing.T
	svc   *fakeService
	slack *slackfake.Server
	bot   *Bot
	base  string
	srv   *http.Server
}

func newHarness(t *testing.T, mut func(*Config)) *harness {
	t.Helper()
	fs := slackfake.New()
	t.Cleanup(fs.Close)
	t.Cleanup(func() {
		require.Empty(t, fs.Rejections(), "every message and view irbot sent must pass Slack's Block Kit rules")
	})
	svc := newFakeService()
	cfg := Config{
		Service: svc, Directory: testUsers(t), BotToken: "xoxb-test", SigningSecret: testSecret,
		APIURL: fs.APIURL(), AnnounceChannel: "CANNOUNCE1",
	}
	if mut != nil {
		mut(&cfg)
	}
	b, err := New(cfg)
	require.NoError(t, err)
	b.api.sleep = func(ctx context.Context, d time.Duration) error { return sleepCtx(ctx, d) }
	t.Cleanup(func() { _ = b.Close() })
	h := &harness{t: t, svc: svc, slack: fs, bot: b}
	mux := http.NewServeMux()
	for p, hd := range b.Routes() {
		mux.Handle(p, hd)
	}
	srv := newTestServer(t, mux)
	h.base = srv
	return h
}

// signedPost sends body to path signed with secret at ts, returning the
// status, the body and how long the answer took.
func signedPost(t *testing.T, url, secret string, ts time.Time, body string, hdr map[string]string) (int, string, time.Duration) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	require.NoError(t, err)
	stamp := strconv.FormatInt(ts.Unix(), 10)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Slack-Request-Timestamp", stamp)
	req.Header.Set("X-Slack-Signature", Sign(secret, stamp, []byte(body)))
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	start := time.Now()
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer func() { _ = resp.Body.Close() }()
	var sb strings.Builder
	_, _ = fmt.Fprint(&sb, readAll(resp))
	return resp.StatusCode, sb.String(), time.Since(start)
}

func slashBody(user, channel, text, trigger, responseURL string) string {
	v := url.Values{}
	v.Set("team_id", "T0000001")
	v.Set("channel_id", channel)
	v.Set("user_id", user)
	v.Set("user_name", strings.ToLower(user))
	v.Set("command", "/incident")
	v.Set("text", text)
	v.Set("trigger_id", trigger)
	v.Set("response_url", responseURL)
	return v.Encode()
}

func has(list []string, v string) bool { return slices.Contains(list, v) }

// OpenList returns the open incidents in ID order, capped as the real
// service caps them (the real one also orders them; that is its test).
func (f *fakeService) OpenList(ctx context.Context, actor workflows.Actor) (incident.OpenListResult, error) {
	if len(actor.Roles) == 0 {
		return incident.OpenListResult{}, apperr.New(apperr.Forbidden, "%s has no role in irbot; ask an admin to add you to the users file", actor.ID)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	var res incident.OpenListResult
	ids := make([]string, 0, len(f.states))
	for id := range f.states {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		st := *f.states[id]
		if st.Status == workflows.StatusClosed {
			continue
		}
		if len(res.Incidents) == incident.MaxOpenList {
			res.Rest++
			continue
		}
		res.Incidents = append(res.Incidents, incident.OpenSummary{State: st, Next: incident.NearestClock(st)})
	}
	return res, nil
}

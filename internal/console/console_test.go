package console

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/irbot/irbot/internal/apperr"
	"github.com/irbot/irbot/internal/auth"
	"github.com/irbot/irbot/internal/incident"
	"github.com/irbot/irbot/internal/store"
	"github.com/irbot/irbot/playbooks"
	"github.com/irbot/irbot/workflows"
)

// fakeService answers like the incident service: the role rules the tests
// rely on are the workflow's (set_fact and complete_task are not for
// compliance).
type fakeService struct {
	st         store.Store
	mu         sync.Mutex
	acts       []workflows.Action
	noticeActs []string // "actor notice type source reason"
	denials    []string
}

var _ Service = (*fakeService)(nil)

func (f *fakeService) Declare(ctx context.Context, a workflows.Actor, req incident.DeclareRequest) (*workflows.IncidentState, error) {
	if strings.TrimSpace(req.Title) == "" {
		return nil, apperr.New(apperr.Invalid, "title is required")
	}
	id, _, err := f.st.ReserveIncidentID(ctx, "INC-2026", "")
	if err != nil {
		return nil, err
	}
	mode := req.Mode
	if mode == "" {
		mode = "live"
	}
	if err := f.st.UpsertIncident(ctx, store.Incident{ID: id, Title: req.Title, Severity: "high", Mode: mode, Status: "open", Phase: "contain"}); err != nil {
		return nil, err
	}
	_, _, err = f.st.Append(ctx, store.Event{IncidentID: id, Key: "declared", Kind: "incident.declared", Actor: a.ID, Data: []byte(`{"regimes":["eu-gdpr"]}`)})
	return &workflows.IncidentState{ID: id}, err
}

func (f *fakeService) ListPage(ctx context.Context, a workflows.Actor, fl store.IncidentFilter) (store.IncidentPage, error) {
	// The real service's filter rules, on the real store.
	return (&incident.Service{Store: f.st, Rules: testRules}).ListPage(ctx, a, fl)
}

func (f *fakeService) Get(ctx context.Context, a workflows.Actor, id string) (*workflows.IncidentState, error) {
	inc, err := f.st.GetIncident(ctx, id)
	if err != nil {
		return nil, apperr.New(apperr.NotFound, "no incident %s", id)
	}
	due := time.Now().Add(72 * time.Hour)
	return &workflows.IncidentState{ID: inc.ID, Title: inc.Title, Status: inc.Status, Severity: inc.Severity, Mode: inc.Mode, Phase: "contain",
		Tasks: []workflows.TaskState{{ID: "isolate", Title: "Isolate the affected systems", Phase: "contain", Role: "responder"},
			// An older playbook's task for compliance: still nobody's form but the steering roles'.
			{ID: "log-it", Title: "Log the breach", Phase: "contain", Role: "compliance"}},
		Clocks: []workflows.ClockState{{Regime: "eu-gdpr", Obligation: "supervisory-authority", Recipient: "authority", DueAt: &due, Status: "running"},
			{Regime: "eu-nis2", Obligation: "early-warning", Recipient: "authority", DueAt: &due, Status: "running"},
			{Regime: "internal", Obligation: "review", Recipient: "internal", DueAt: &due, Status: "running"}}}, nil
}

func (f *fakeService) Act(ctx context.Context, a workflows.Actor, id string, act workflows.Action) (*workflows.IncidentState, error) {
	if !slices.ContainsFunc(a.Roles, func(r string) bool { return r == "responder" || r == "admin" }) {
		// The service puts its refusals on the timeline itself.
		err := apperr.New(apperr.Invalid, "task isolate is for the responder role; you hold %s", strings.Join(a.Roles, ", "))
		_ = f.RecordDenial(ctx, id, a, act, apperr.MessageOf(err))
		return nil, err
	}
	f.mu.Lock()
	f.acts = append(f.acts, act)
	f.mu.Unlock()
	return f.Get(ctx, a, id)
}

func (f *fakeService) Timeline(ctx context.Context, a workflows.Actor, id string) ([]store.Event, error) {
	return f.st.Events(ctx, id)
}

func (f *fakeService) Verify(ctx context.Context, a workflows.Actor, id string) (store.VerifyResult, error) {
	if _, err := f.st.GetIncident(ctx, id); err != nil {
		return store.VerifyResult{}, apperr.New(apperr.NotFound, "no incident %s", id)
	}
	return f.st.Verify(ctx, id)
}

func (f *fakeService) Register(ctx context.Context, a workflows.Actor) ([]store.RegisterEntry, error) {
	if !slices.ContainsFunc(a.Roles, func(r string) bool { return r == "compliance" || r == "admin" }) {
		return nil, apperr.New(apperr.Forbidden, "the register is for compliance")
	}
	return f.st.ListRegister(ctx)
}

func (f *fakeService) Notices(ctx context.Context, a workflows.Actor, id string) ([]workflows.NoticeState, error) {
	return nil, nil
}

func (f *fakeService) DraftNotice(ctx context.Context, a workflows.Actor, id string, req incident.NoticeRequest) (*workflows.NoticeState, error) {
	err := apperr.New(apperr.Invalid, "no mail configured")
	_ = f.RecordDenial(ctx, id, a, workflows.Action{Type: workflows.ActionCreateNotice}, apperr.MessageOf(err))
	return nil, err
}

// NoticeAct knows one notice, N-1; a person may not approve what they
// drafted (the drafter here is the dpo), as the service rules.
func (f *fakeService) NoticeAct(ctx context.Context, a workflows.Actor, id, n string, act workflows.NoticeAction) (*workflows.NoticeState, error) {
	if n != "N-1" {
		return nil, apperr.New(apperr.NotFound, "no notice %s", n)
	}
	if act.Type == "approve" && slices.Contains(a.Roles, "dpo") {
		err := apperr.New(apperr.Forbidden, "notice %s needs a second person: you drafted it", n)
		_ = f.RecordDenial(ctx, id, a, workflows.Action{Type: "notice_" + act.Type, Name: n, Source: act.Source}, apperr.MessageOf(err)) // as the real service does
		return nil, err
	}
	f.mu.Lock()
	f.noticeActs = append(f.noticeActs, strings.Join([]string{a.ID, n, act.Type, act.Source, act.Reason}, " "))
	f.mu.Unlock()
	return &workflows.NoticeState{NoticeSummary: workflows.NoticeSummary{ID: n}}, nil
}

func (f *fakeService) RecordDenial(ctx context.Context, id string, a workflows.Actor, act workflows.Action, reason string) error {
	f.mu.Lock()
	f.denials = append(f.denials, a.ID+": "+reason)
	f.mu.Unlock()
	return nil
}

func (f *fakeService) MayReviewSignIns(a workflows.Actor) error {
	return (&incident.Service{}).MayReviewSignIns(a)
}

func (f *fakeService) ClockZone(regime, obligation string) string { return "Europe/Brussels" }

// NoticeLanguages is the real service's, on the shipped rules and templates.
func (f *fakeService) NoticeLanguages(regime, obligation string) ([]string, string) {
	return (&incident.Service{Rules: testRules}).NoticeLanguages(regime, obligation)
}

// Offers is the real service's: the workflow's own role rules on the
// state Get answers.
func (f *fakeService) Offers(a workflows.Actor, st *workflows.IncidentState, ns []workflows.NoticeState) workflows.Offers {
	return (&incident.Service{}).Offers(a, st, ns)
}

var testRules = func() *playbooks.RuleSet {
	r, err := playbooks.LoadRules()
	if err != nil {
		panic(err)
	}
	return r
}()

type fixture struct {
	srv   *httptest.Server
	svc   *fakeService
	st    store.Store
	links LinkIssuer
}

const (
	complianceToken = "compliance-token-0123456789"
	responderToken  = "responder-token-0123456789"
	managerToken    = "manager-token-0123456789"
	dpoToken        = "dpo-token-0123456789"
)

func newFixture(t testing.TB, mutate func(*Config)) *fixture {
	t.Helper()
	st, err := store.Open(t.Context(), "", t.TempDir())
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	dir, err := auth.NewDirectory([]auth.User{
		{Name: "Cora Compliance", Email: "cora@example.com", Roles: []string{"compliance"}, TokenSHA256: auth.HashToken(complianceToken)},
		{Name: "Rui Responder", Email: "rui@example.com", Roles: []string{"responder"}, TokenSHA256: auth.HashToken(responderToken)},
		{Name: "Mia Manager", Email: "mia@example.com", Roles: []string{"manager"}, TokenSHA256: auth.HashToken(managerToken)},
		{Name: "Dario DPO", Email: "dario@example.com", Roles: []string{"dpo"}, TokenSHA256: auth.HashToken(dpoToken)},
	}, "")
	require.NoError(t, err)
	svc := &fakeService{st: st}
	cfg := Config{Service: svc, Store: st, Directory: dir, LocalAdmin: true, Regimes: []string{"eu-gdpr", "us-ca"}}
	if mutate != nil {
		mutate(&cfg)
	}
	c, err := New(cfg)
	require.NoError(t, err)
	srv := httptest.NewServer(c.Handler())
	t.Cleanup(srv.Close)
	return &fixture{srv: srv, svc: svc, st: st, links: LinkIssuer{Store: st}}
}

// browser is a cookie-keeping client that does not follow redirects.
func (f *fixture) browser(t testing.TB) *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func get(t testing.TB, c *http.Client, u string) (int, string, http.Header) {
	t.Helper()
	resp, err := c.Get(u)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

func post(t testing.TB, c *http.Client, u string, form url.Values) (int, string, http.Header) {
	t.Helper()
	resp, err := c.PostForm(u, form)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

var csrfRe = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

func csrfOf(t testing.TB, body string) string {
	t.Helper()
	m := csrfRe.FindStringSubmatch(body)
	require.NotNil(t, m, "the page has no CSRF token in its forms")
	return m[1]
}

// signIn signs in with an API token through the form.
func (f *fixture) signIn(t testing.TB, token string) (*http.Client, string) {
	c := f.browser(t)
	_, body, _ := get(t, c, f.srv.URL+"/login")
	status, _, h := post(t, c, f.srv.URL+"/login", url.Values{"csrf": {csrfOf(t, body)}, "token": {token}})
	require.Equal(t, http.StatusSeeOther, status)
	require.Equal(t, "/", h.Get("Location"))
	_, body, _ = get(t, c, f.srv.URL+"/")
	return c, csrfOf(t, body)
}

func TestNoSessionRedirectsToSignIn(t *testing.T) {
	f := newFixture(t, nil)
	c := f.browser(t)
	for _, p := range []string{"/", "/incidents?mode=drill", "/incidents/INC-2026-0001", "/register", "/sign-ins", "/incidents/INC-2026-0001/evidence", "/record", "/record/checkpoints/1"} {
		status, _, h := get(t, c, f.srv.URL+p)
		require.Equal(t, http.StatusSeeOther, status, p)
		require.Equal(t, "/login", h.Get("Location"), p)
	}
	status, body, h := get(t, c, f.srv.URL+"/login")
	require.Equal(t, http.StatusOK, status)
	require.Contains(t, body, `<label for="token">API token</label>`)
	require.Contains(t, h.Get("Content-Security-Policy"), "script-src 'self'")
	require.NotContains(t, h.Get("Content-Security-Policy"), "unsafe-inline")
	require.Equal(t, "no-referrer", h.Get("Referrer-Policy"))
	require.Equal(t, "nosniff", h.Get("X-Content-Type-Options"))
	require.Equal(t, "DENY", h.Get("X-Frame-Options"))
}

func TestSignInLinkWorksOnceAndPreviewsDoNotUseIt(t *testing.T) {
	f := newFixture(t, nil)
	path, exp, err := f.links.NewLink(t.Context(), "rui@example.com", "test")
	require.NoError(t, err)
	require.WithinDuration(t, time.Now().Add(15*time.Minute), exp, time.Minute)

	// A link preview bot fetches the link: it sees a button, nothing more.
	bot := f.browser(t)
	status, body, _ := get(t, bot, f.srv.URL+path)
	require.Equal(t, http.StatusOK, status)
	require.Contains(t, body, "Rui Responder")
	require.Contains(t, body, `id="sign-in"`)

	c := f.browser(t)
	_, body, _ = get(t, c, f.srv.URL+path)
	status, _, h := post(t, c, f.srv.URL+path, url.Values{"csrf": {csrfOf(t, body)}})
	require.Equal(t, http.StatusSeeOther, status)
	require.Equal(t, "/", h.Get("Location"))
	status, body, _ = get(t, c, f.srv.URL+"/")
	require.Equal(t, http.StatusOK, status)
	require.Contains(t, body, "Rui Responder")
	cookie := c.Jar.Cookies(mustURL(f.srv.URL))
	require.Len(t, cookie, 1)

	// The same link again, from another browser: refused, and on the record.
	other := f.browser(t)
	status, body, _ = get(t, other, f.srv.URL+path)
	require.Equal(t, http.StatusGone, status)
	require.Contains(t, body, "already used")
	_, body, _ = get(t, other, f.srv.URL+"/login")
	status, _, _ = post(t, other, f.srv.URL+path, url.Values{"csrf": {csrfOf(t, body)}})
	require.Equal(t, http.StatusGone, status)
	status, _, _ = get(t, other, f.srv.URL+"/login/link/not-a-link")
	require.Equal(t, http.StatusNotFound, status)

	ins, err := f.st.ListSignIns(t.Context(), 10)
	require.NoError(t, err)
	require.True(t, slices.ContainsFunc(ins, func(s store.SignIn) bool { return s.OK && s.UserID == "rui@example.com" && s.Method == "link" }))
	require.True(t, slices.ContainsFunc(ins, func(s store.SignIn) bool { return !s.OK && s.Method == "link" }))
}

func TestSessionCookieIsHttpOnlySameSiteAndSecureBehindHTTPS(t *testing.T) {
	for _, tc := range []struct {
		public string
		secure bool
	}{{"", false}, {"https://irbot.example.com", true}} {
		f := newFixture(t, func(c *Config) { c.PublicURL = tc.public })
		resp, err := http.Get(f.srv.URL + "/login")
		require.NoError(t, err)
		resp.Body.Close()
		raw := resp.Header.Get("Set-Cookie")
		require.Contains(t, raw, "HttpOnly")
		require.Contains(t, raw, "SameSite=Lax")
		require.Equal(t, tc.secure, strings.Contains(raw, "Secure"), "IRBOT_PUBLIC_URL %q: %s", tc.public, raw)
		if tc.secure {
			require.NotEmpty(t, resp.Header.Get("Strict-Transport-Security"))
		}
	}
}

func TestLocalAdminLinkOnlyFromLoopbackAndOnlyWithoutUsers(t *testing.T) {
	f := newFixture(t, nil)
	path, _, err := f.links.NewLink(t.Context(), LocalAdminID, "serve")
	require.NoError(t, err)
	c := f.browser(t)
	status, body, _ := get(t, c, f.srv.URL+path) // httptest listens on 127.0.0.1
	require.Equal(t, http.StatusOK, status)
	status, _, _ = post(t, c, f.srv.URL+path, url.Values{"csrf": {csrfOf(t, body)}})
	require.Equal(t, http.StatusSeeOther, status)
	_, body, _ = get(t, c, f.srv.URL+"/sign-ins")
	require.Contains(t, body, "local-admin", "the local admin may read the sign-in record")

	// Not from loopback: refused.
	req := httptest.NewRequest("GET", path, nil)
	req.RemoteAddr = "192.0.2.7:5555"
	cons, err := New(Config{Service: f.svc, Store: f.st, Directory: mustDir(t), LocalAdmin: true})
	require.NoError(t, err)
	path2, _, _ := f.links.NewLink(t.Context(), LocalAdminID, "serve")
	req = httptest.NewRequest("GET", path2, nil)
	req.RemoteAddr = "192.0.2.7:5555"
	rec := httptest.NewRecorder()
	cons.Handler().ServeHTTP(rec, req)
	require.Equal(t, http.StatusForbidden, rec.Code, "a local-admin link must not work from another machine by default")
	cons, _ = New(Config{Service: f.svc, Store: f.st, Directory: mustDir(t), LocalAdmin: true, LocalAdminAnywhere: true})
	rec = httptest.NewRecorder()
	cons.Handler().ServeHTTP(rec, req)
	require.Equal(t, http.StatusOK, rec.Code, "IRBOT_CONSOLE_LOCAL_ADMIN=anywhere allows it")
	cons, _ = New(Config{Service: f.svc, Store: f.st, Directory: mustDir(t)})
	rec = httptest.NewRecorder()
	req.RemoteAddr = "127.0.0.1:5555"
	cons.Handler().ServeHTTP(rec, req)
	require.Equal(t, http.StatusForbidden, rec.Code, "with users configured there is no local admin")
}

func mustDir(t *testing.T) *auth.Directory {
	d, err := auth.NewDirectory(nil, "")
	require.NoError(t, err)
	return d
}

func mustURL(s string) *url.URL {
	u, _ := url.Parse(s)
	return u
}

func TestCSRFMissingOrWrongIs403(t *testing.T) {
	f := newFixture(t, nil)
	c, csrf := f.signIn(t, responderToken)
	for name, form := range map[string]url.Values{
		"missing": {"title": {"x"}},
		"wrong":   {"title": {"x"}, "csrf": {"A" + csrf[1:]}},
		"empty":   {"title": {"x"}, "csrf": {""}},
	} {
		status, body, _ := post(t, c, f.srv.URL+"/incidents", form)
		require.Equal(t, http.StatusForbidden, status, name)
		require.Contains(t, body, "CSRF", name)
	}
	status, _, _ := post(t, c, f.srv.URL+"/logout", url.Values{})
	require.Equal(t, http.StatusForbidden, status, "sign-out is a form too")
	// Cross-origin POST with the right token: refused by CrossOriginProtection.
	req, _ := http.NewRequest("POST", f.srv.URL+"/incidents", strings.NewReader(url.Values{"csrf": {csrf}, "title": {"x"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	resp, err := c.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusForbidden, resp.StatusCode)
	page, err := f.st.ListIncidentsPage(t.Context(), store.IncidentFilter{})
	require.NoError(t, err)
	require.Zero(t, page.Total, "no refused form may declare anything")
}

func TestDeclareListAndIncidentPage(t *testing.T) {
	f := newFixture(t, nil)
	c, csrf := f.signIn(t, responderToken)
	_, body, _ := get(t, c, f.srv.URL+"/")
	require.Contains(t, body, "Nothing here yet", "an empty console offers to declare")
	require.Contains(t, body, "Drills not available in this build")

	status, _, h := post(t, c, f.srv.URL+"/incidents", url.Values{"csrf": {csrf}, "title": {"Customer database exposed 顧客"}, "regime": {"eu-gdpr"}})
	require.Equal(t, http.StatusSeeOther, status)
	require.Equal(t, "/incidents/INC-2026-0001", h.Get("Location"))
	status, body, _ = get(t, c, f.srv.URL+"/incidents/INC-2026-0001")
	require.Equal(t, http.StatusOK, status)
	require.Contains(t, body, "Declared INC-2026-0001")
	require.Contains(t, body, "Customer database exposed 顧客")
	require.Contains(t, body, `class="countdown"`)
	require.Contains(t, body, "Europe/Brussels")
	require.Contains(t, body, "incident.declared")

	status, body, _ = post(t, c, f.srv.URL+"/incidents", url.Values{"csrf": {csrf}, "title": {"  "}})
	require.Equal(t, http.StatusBadRequest, status)
	require.Contains(t, body, "title is required")

	status, body, _ = get(t, c, f.srv.URL+"/incidents?mode=live&severity=high&regime=eu-gdpr")
	require.Equal(t, http.StatusOK, status)
	require.Contains(t, body, "INC-2026-0001")
	for _, bad := range []string{"/incidents?offset=-1", "/incidents?from=yesterday", "/incidents?mode=both"} {
		status, _, _ = get(t, c, f.srv.URL+bad)
		require.Equal(t, http.StatusBadRequest, status, bad)
	}

	status, body, _ = post(t, c, f.srv.URL+"/incidents/INC-2026-0001/actions", url.Values{"csrf": {csrf}, "type": {"complete_task"}, "task": {"isolate"}})
	require.Equal(t, http.StatusSeeOther, status, body)
	require.Equal(t, "console", f.svc.acts[0].Source)

	status, body, _ = get(t, c, f.srv.URL+"/incidents/INC-2026-0001/verify")
	require.Equal(t, http.StatusOK, status)
	require.Contains(t, body, "hash chain intact")
	require.Contains(t, body, "Chain head")

	status, body, _ = get(t, c, f.srv.URL+"/incidents/INC-2026-0001/evidence")
	require.Equal(t, http.StatusNotImplemented, status)
	require.Contains(t, body, "not available in this build")
	status, _, _ = get(t, c, f.srv.URL+"/incidents/NOPE-1/evidence")
	require.Equal(t, http.StatusNotFound, status)
	status, _, _ = get(t, c, f.srv.URL+"/incidents/NOPE-1")
	require.Equal(t, http.StatusNotFound, status)
	status, _, _ = post(t, c, f.srv.URL+"/drills", url.Values{"csrf": {csrf}, "scenario": {"x"}})
	require.Equal(t, http.StatusNotImplemented, status)
	status, _, _ = get(t, c, f.srv.URL+"/drills/DRILL-1/report")
	require.Equal(t, http.StatusNotImplemented, status)

	// Sign out ends the session.
	status, _, _ = post(t, c, f.srv.URL+"/logout", url.Values{"csrf": {csrf}})
	require.Equal(t, http.StatusSeeOther, status)
	status, _, _ = get(t, c, f.srv.URL+"/")
	require.Equal(t, http.StatusSeeOther, status)
}

func TestComplianceReadsButCannotAct(t *testing.T) {
	f := newFixture(t, nil)
	_, err := f.svc.Declare(t.Context(), workflows.Actor{ID: "x"}, incident.DeclareRequest{Title: "t"})
	require.NoError(t, err)
	due := time.Now()
	require.NoError(t, f.st.PutRegister(t.Context(), store.RegisterEntry{ID: "r1", IncidentID: "INC-2026-0001", Kind: "notice", Regime: "eu-gdpr", Obligation: "supervisory-authority", Recipient: "authority", Status: "sent", SentAt: &due, DecidedBy: "=HYPERLINK(1)"}))
	c, csrf := f.signIn(t, complianceToken)
	status, body, _ := get(t, c, f.srv.URL+"/incidents/INC-2026-0001")
	require.Equal(t, http.StatusOK, status)
	status, body, _ = post(t, c, f.srv.URL+"/incidents/INC-2026-0001/actions", url.Values{"csrf": {csrf}, "type": {"set_fact"}, "name": {"measures"}, "value": {"closed"}})
	require.Equal(t, http.StatusForbidden, status)
	require.Contains(t, body, "Refused: ")
	require.Len(t, f.svc.denials, 1, "the refusal goes on the timeline through the service")
	require.Empty(t, f.svc.acts)

	status, body, _ = get(t, c, f.srv.URL+"/register?regime=eu-gdpr")
	require.Equal(t, http.StatusOK, status)
	require.Contains(t, body, "INC-2026-0001")
	status, body, h := get(t, c, f.srv.URL+"/register?format=csv&from=2020-01-01")
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, "text/csv; charset=utf-8", h.Get("Content-Type"))
	require.Contains(t, body, "INC-2026-0001,notice,eu-gdpr")
	require.Contains(t, body, "'=HYPERLINK(1)", "a formula in a cell is defused")
	status, body, _ = get(t, c, f.srv.URL+"/register?format=csv&to=2020-01-01")
	require.Equal(t, http.StatusOK, status)
	require.NotContains(t, body, "INC-2026-0001")
	for _, bad := range []string{"/register?regime=xx", "/register?period=1", "/register?format=pdf", "/register?from=2026-13-01"} {
		status, _, _ = get(t, c, f.srv.URL+bad)
		require.Equal(t, http.StatusBadRequest, status, bad)
	}
	status, body, _ = get(t, c, f.srv.URL+"/breach-register")
	require.Equal(t, http.StatusNotImplemented, status)
	status, body, _ = get(t, c, f.srv.URL+"/sign-ins")
	require.Equal(t, http.StatusOK, status)
	require.Contains(t, body, "cora@example.com")

	r, _ := f.signIn(t, responderToken)
	status, _, _ = get(t, r, f.srv.URL+"/register")
	require.Equal(t, http.StatusForbidden, status, "the register is the service's to refuse")
	status, _, _ = get(t, r, f.srv.URL+"/sign-ins")
	require.Equal(t, http.StatusForbidden, status)
}

func TestTokenSignInRefusalsAndRateLimit(t *testing.T) {
	f := newFixture(t, nil)
	c := f.browser(t)
	_, body, _ := get(t, c, f.srv.URL+"/login")
	csrf := csrfOf(t, body)
	for i, tok := range []string{"wrong", "", "a\x00b", strings.Repeat("x", 100000)} {
		status, _, _ := post(t, c, f.srv.URL+"/login", url.Values{"csrf": {csrf}, "token": {tok}})
		require.Contains(t, []int{http.StatusUnauthorized, http.StatusBadRequest}, status, "attempt %d", i)
	}
	var last int
	for range 10 {
		last, _, _ = post(t, c, f.srv.URL+"/login", url.Values{"csrf": {csrf}, "token": {"wrong"}})
	}
	require.Equal(t, http.StatusTooManyRequests, last, "POST /login is rate-limited per address")
}

func TestTrustedProxyHeaderOnlyFromTrustedAddresses(t *testing.T) {
	f := newFixture(t, nil)
	mk := func(cfg Config) http.Handler {
		cfg.Service, cfg.Store = f.svc, f.st
		d, _ := auth.NewDirectory([]auth.User{{Email: "cora@example.com", Roles: []string{"compliance"}}}, "")
		cfg.Directory = d
		c, err := New(cfg)
		require.NoError(t, err)
		return c.Handler()
	}
	req := func(remote string) *http.Request {
		r := httptest.NewRequest("GET", "/incidents", nil)
		r.RemoteAddr = remote
		r.Header.Set("X-Auth-User", "cora@example.com")
		return r
	}
	off := mk(Config{})
	rec := httptest.NewRecorder()
	off.ServeHTTP(rec, req("10.0.0.5:1"))
	require.Equal(t, http.StatusSeeOther, rec.Code, "off by default")
	on := mk(Config{TrustedProxyHeader: "X-Auth-User", TrustedProxies: mustPrefixes("10.0.0.0/8")})
	rec = httptest.NewRecorder()
	on.ServeHTTP(rec, req("10.0.0.5:1"))
	require.Equal(t, http.StatusOK, rec.Code)
	rec = httptest.NewRecorder()
	on.ServeHTTP(rec, req("192.0.2.1:1"))
	require.Equal(t, http.StatusSeeOther, rec.Code, "the header from an untrusted address is ignored")
}

func TestStaticAssetsAndNotFound(t *testing.T) {
	f := newFixture(t, nil)
	c := f.browser(t)
	for _, p := range []string{"/static/console.css", "/static/console.js"} {
		status, body, _ := get(t, c, f.srv.URL+p)
		require.Equal(t, http.StatusOK, status, p)
		require.NotEmpty(t, body)
	}
	status, _, _ := get(t, c, f.srv.URL+"/no/such/page")
	require.Equal(t, http.StatusNotFound, status)
}

func TestManyIncidentsPage(t *testing.T) {
	f := newFixture(t, nil)
	for i := range 120 {
		require.NoError(t, f.st.UpsertIncident(t.Context(), store.Incident{ID: fmt.Sprintf("INC-2026-%04d", i+1), Title: "t", Severity: "low", Mode: "live", Status: "open", DeclaredAt: time.Now().Add(time.Duration(i) * time.Minute)}))
	}
	c, _ := f.signIn(t, responderToken)
	status, body, _ := get(t, c, f.srv.URL+"/incidents?mode=live")
	require.Equal(t, http.StatusOK, status)
	require.Contains(t, body, "120 incident(s), showing 1–50")
	require.Contains(t, body, "INC-2026-0120")
	require.NotContains(t, body, "INC-2026-0070\"")
	require.Contains(t, body, "offset=50")
	_, body, _ = get(t, c, f.srv.URL+"/incidents?mode=live&offset=100")
	require.Contains(t, body, "showing 101–120")
}

func mustPrefixes(s ...string) []netip.Prefix {
	var out []netip.Prefix
	for _, p := range s {
		out = append(out, netip.MustParsePrefix(p))
	}
	return out
}

// TestActionFormsFollowTheRoles: the incident page shows a person the forms
// the rules offer them and no others; a form posted anyway is refused with
// 403 by the service and the refusal is recorded; without a session or with
// a bad CSRF token nothing reaches the service.
func TestActionFormsFollowTheRoles(t *testing.T) {
	f := newFixture(t, nil)
	_, err := f.svc.Declare(t.Context(), workflows.Actor{ID: "x"}, incident.DeclareRequest{Title: "t"})
	require.NoError(t, err)
	page := f.srv.URL + "/incidents/INC-2026-0001"
	actions := page + "/actions"

	r, rcsrf := f.signIn(t, responderToken)
	status, body, _ := get(t, r, page)
	require.Equal(t, http.StatusOK, status)
	require.Contains(t, body, `name="task" value="isolate"`, "the responder may complete the responder's task")
	require.Contains(t, body, `id="set-fact"`)
	require.Contains(t, body, `id="add-note"`)
	require.NotContains(t, body, `id="draft-notice"`, "drafting a notice is for dpo, legal, commander or admin")
	require.NotContains(t, body, `id="read-only"`)

	c, ccsrf := f.signIn(t, complianceToken)
	status, body, _ = get(t, c, page)
	require.Equal(t, http.StatusOK, status)
	require.NotContains(t, body, `name="task"`, "compliance sees no task form, not even for a task an old playbook gave compliance")
	require.NotContains(t, body, `id="set-fact"`)
	require.NotContains(t, body, `id="add-note"`, "compliance is read-only: no note either")
	require.Contains(t, body, `id="read-only"`, "the page says it is read-only for them")
	require.NotContains(t, body, `id="draft-notice"`)
	require.NotContains(t, body, `/notices/`)
	require.Contains(t, body, "for responder", "the page says whose task it is instead")

	for name, form := range map[string]url.Values{
		"complete another role's task": {"type": {"complete_task"}, "task": {"isolate"}},
		"set a fact":                   {"type": {"set_fact"}, "name": {"measures"}, "value": {"x"}},
		"complete its own old task":    {"type": {"complete_task"}, "task": {"log-it"}},
		"add a note":                   {"type": {"note"}, "text": {"reviewed"}},
	} {
		form.Set("csrf", ccsrf)
		status, body, _ = post(t, c, actions, form)
		require.Equal(t, http.StatusForbidden, status, name)
		require.Contains(t, body, "Refused: ", name)
	}
	require.Len(t, f.svc.denials, 4, "each refusal goes on the timeline through the service")
	require.Empty(t, f.svc.acts, "compliance changed nothing")

	status, _, _ = post(t, r, actions, url.Values{"csrf": {ccsrf}, "type": {"complete_task"}, "task": {"isolate"}})
	require.Equal(t, http.StatusForbidden, status, "another session's CSRF token is refused")
	status, _, h := post(t, f.browser(t), actions, url.Values{"csrf": {rcsrf}, "type": {"complete_task"}, "task": {"isolate"}})
	require.Equal(t, http.StatusForbidden, status, "no session: no CSRF token to match")
	status, _, h = get(t, f.browser(t), page)
	require.Equal(t, http.StatusSeeOther, status)
	require.Equal(t, "/login", h.Get("Location"))
	require.Empty(t, f.svc.acts)

	status, _, _ = post(t, r, actions, url.Values{"csrf": {rcsrf}, "type": {"complete_task"}, "task": {"isolate"}})
	require.Equal(t, http.StatusSeeOther, status)
	require.Len(t, f.svc.acts, 1)
	require.Equal(t, workflows.Action{Type: "complete_task", Task: "isolate", Source: "console"}, f.svc.acts[0])
}

// TestStaticAssetsAreVersionedAndCachedWithoutTheSession: pages link the
// CSS and JS by content version; that URL is cacheable for a year, any
// other must revalidate; no static answer touches the session.
func TestStaticAssetsAreVersionedAndCachedWithoutTheSession(t *testing.T) {
	f := newFixture(t, nil)
	c, _ := f.signIn(t, responderToken)
	_, body, h := get(t, c, f.srv.URL+"/incidents")
	require.Equal(t, "no-store", h.Get("Cache-Control"), "signed-in pages are never stored")
	for _, name := range []string{"console.css", "console.js"} {
		m := regexp.MustCompile(`"(/static/` + regexp.QuoteMeta(name) + `\?v=([0-9a-f]{16}))"`).FindStringSubmatch(body)
		require.NotNil(t, m, "the page links %s by version", name)
		status, content, h := get(t, c, f.srv.URL+m[1])
		require.Equal(t, http.StatusOK, status)
		require.NotEmpty(t, content)
		require.Equal(t, "public, max-age=31536000, immutable", h.Get("Cache-Control"), name)
		require.Equal(t, `"`+m[2]+`"`, h.Get("ETag"))
		require.Empty(t, h.Values("Set-Cookie"), "a static file sets no cookie")
		require.NotContains(t, h.Values("Vary"), "Cookie", "a static file does not vary by session")
		require.NotEmpty(t, h.Get("Content-Security-Policy"), "security headers on static files too")

		for _, stale := range []string{"/static/" + name, "/static/" + name + "?v=0000000000000000"} {
			status, _, h = get(t, c, f.srv.URL+stale)
			require.Equal(t, http.StatusOK, status, stale)
			require.Equal(t, "no-cache", h.Get("Cache-Control"), "%s: an unversioned or old URL revalidates", stale)
		}
		req, _ := http.NewRequest("GET", f.srv.URL+"/static/"+name, nil)
		req.Header.Set("If-None-Match", `"`+m[2]+`"`)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, http.StatusNotModified, resp.StatusCode, "revalidation of an unchanged file")
	}
	status, _, _ := get(t, c, f.srv.URL+"/static/nope.js")
	require.Equal(t, http.StatusNotFound, status)
	status, _, _ = get(t, c, f.srv.URL+"/static/../console.go")
	require.NotEqual(t, http.StatusOK, status, "nothing outside the static files is served")
}

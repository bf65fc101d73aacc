package httpapi

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/irbot/irbot/internal/apperr"
	"github.com/irbot/irbot/internal/auth"
	"github.com/irbot/irbot/internal/incident"
	"github.com/irbot/irbot/internal/store"
	"github.com/irbot/irbot/workflows"
)

// fakeService answers the incident endpoints with canned errors and keeps
// the last action. The rest of Service is the embedded nil interface: an
// endpoint these tests do not drive panics, and the server answers 500.
type fakeService struct {
	Service
	actErr error
	last   workflows.Action
}

var _ Service = (*fakeService)(nil)

func (f *fakeService) Declare(context.Context, workflows.Actor, incident.DeclareRequest) (*workflows.IncidentState, error) {
	return &workflows.IncidentState{ID: "INC-2026-0001"}, nil
}
func (f *fakeService) List(context.Context, workflows.Actor) ([]store.Incident, error) {
	return nil, nil
}
func (f *fakeService) Get(_ context.Context, _ workflows.Actor, id string) (*workflows.IncidentState, error) {
	return &workflows.IncidentState{ID: id}, nil
}
func (f *fakeService) Act(_ context.Context, _ workflows.Actor, id string, a workflows.Action) (*workflows.IncidentState, error) {
	f.last = a
	if f.actErr != nil {
		return nil, f.actErr
	}
	return &workflows.IncidentState{ID: id}, nil
}
func (f *fakeService) Timeline(context.Context, workflows.Actor, string) ([]store.Event, error) {
	return []store.Event{{Seq: 1, At: time.Now(), Kind: "incident.declared", Actor: "U1", Data: []byte(`{"title":"<script>"}`)}}, nil
}
func (f *fakeService) Verify(context.Context, workflows.Actor, string) (store.VerifyResult, error) {
	return store.VerifyResult{}, nil
}
func (f *fakeService) Register(context.Context, workflows.Actor) ([]store.RegisterEntry, error) {
	return nil, nil
}

const testToken = "a-long-enough-admin-token"

func newHygieneServer(t *testing.T, svc Service) *httptest.Server {
	t.Helper()
	dir, err := auth.NewDirectory(nil, testToken)
	require.NoError(t, err)
	srv := httptest.NewServer((&Server{Service: svc, Directory: dir}).Handler())
	t.Cleanup(srv.Close)
	return srv
}

func do(t *testing.T, srv *httptest.Server, method, path, body string, token bool) *http.Response {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, srv.URL+path, strings.NewReader(body))
	require.NoError(t, err)
	if token {
		req.Header.Set("Authorization", "Bearer "+testToken)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := srv.Client().Do(req)
	require.NoError(t, err)
	t.Cleanup(func() { _ = resp.Body.Close() })
	return resp
}

// Incident data (JSON, CSV, Markdown) and every error carry the headers that
// keep a browser from sniffing it into HTML and a proxy from caching it.
func TestEveryResponseCarriesSecurityHeaders(t *testing.T) {
	srv := newHygieneServer(t, &fakeService{})
	for _, c := range []struct {
		method, path string
		token        bool
	}{
		{"GET", "/api/v1/incidents/INC-2026-0001", true},
		{"GET", "/api/v1/incidents/INC-2026-0001/timeline?format=csv", true},
		{"GET", "/api/v1/incidents/INC-2026-0001/timeline?format=md", true},
		{"GET", "/api/v1/incidents/INC-2026-0001/timeline", true},
		{"GET", "/api/v1/incidents", false},
		{"GET", "/api/v1/nope", true},
		{"GET", "/healthz", false},
	} {
		resp := do(t, srv, c.method, c.path, "", c.token)
		require.Equal(t, "nosniff", resp.Header.Get("X-Content-Type-Options"), c.path)
		require.Equal(t, "no-store", resp.Header.Get("Cache-Control"), c.path)
		require.Equal(t, "DENY", resp.Header.Get("X-Frame-Options"), c.path)
		if strings.HasPrefix(c.path, "/api/") {
			require.Contains(t, resp.Header.Get("Content-Security-Policy"), "default-src 'none'", c.path)
		}
	}
}

// An API caller once set "source":"slack" and the timeline said Slack.
func TestTheSurfaceSetsTheSourceNeverTheBody(t *testing.T) {
	svc := &fakeService{}
	srv := newHygieneServer(t, svc)
	resp := do(t, srv, "POST", "/api/v1/incidents/INC-2026-0001/actions", `{"type":"note","text":"hi","source":"slack"}`, true)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "api", svc.last.Source)
}

// A title sent as "a\xff\xfeb" was stored as "a\uFFFD\uFFFDb" (encoding/json
// replaces invalid UTF-8): text other than what was sent. It is refused, and
// the service never sees it; valid text in other scripts passes unchanged.
func TestBodiesThatAreNotUTF8AreRefused(t *testing.T) {
	svc := &fakeService{}
	srv := newHygieneServer(t, svc)
	for _, body := range []string{"{\"type\":\"note\",\"text\":\"a\xff\xfeb\"}", "{\"type\":\"note\",\"text\":\"\xc3\"}", "{\"type\":\"note\",\"text\":\"\xed\xa0\x80\"}"} {
		resp := do(t, srv, "POST", "/api/v1/incidents/INC-2026-0001/actions", body, true)
		b, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		require.Equal(t, http.StatusBadRequest, resp.StatusCode, "%q: %s", body, b)
		require.Contains(t, string(b), "not valid UTF-8", "%q", body)
		require.Empty(t, svc.last.Type, "a refused body never reaches the service")
	}
	resp := do(t, srv, "POST", "/api/v1/incidents/INC-2026-0001/actions", `{"type":"note","text":"漏洩 утечка تسرب 🔥"}`, true)
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "漏洩 утечка تسرب 🔥", svc.last.Text)
}

// Role refusals are 403 as the contract says; an Update that times out is
// 503 with Retry-After, not 500.
func TestRefusalsAndTimeoutsAnswerTheContractStatus(t *testing.T) {
	svc := &fakeService{actErr: apperr.New(apperr.Forbidden, "gate g must be approved by someone with the role dpo")}
	srv := newHygieneServer(t, svc)
	resp := do(t, srv, "POST", "/api/v1/incidents/INC-2026-0001/actions", `{"type":"approve","gate":"g"}`, true)
	require.Equal(t, http.StatusForbidden, resp.StatusCode)

	svc.actErr = apperr.New(apperr.Unavailable, "incident did not answer in time")
	resp = do(t, srv, "POST", "/api/v1/incidents/INC-2026-0001/actions", `{"type":"note","text":"x"}`, true)
	require.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	require.NotEmpty(t, resp.Header.Get("Retry-After"))
}

// Every 503, whichever surface wrote it (the console's session store wrote
// one with http.Error and no Retry-After), tells the client when to try
// again; a handler's own Retry-After stands, and other statuses get none.
func TestEvery503SaysWhenToRetry(t *testing.T) {
	for _, c := range []struct {
		name string
		h    http.HandlerFunc
		code int
		want string
	}{
		{"plain 503", func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "store down", http.StatusServiceUnavailable)
		}, 503, RetryAfterSeconds},
		{"own Retry-After", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", "60")
			w.WriteHeader(http.StatusServiceUnavailable)
		}, 503, "60"},
		{"500", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "x", http.StatusInternalServerError) }, 500, ""},
		{"200", func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("ok")) }, 200, ""},
	} {
		rec := httptest.NewRecorder()
		securityHeaders(c.h).ServeHTTP(rec, httptest.NewRequest("GET", "/incidents", nil))
		require.Equal(t, c.code, rec.Code, c.name)
		require.Equal(t, c.want, rec.Header().Get("Retry-After"), c.name)
	}
}

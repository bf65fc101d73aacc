package main

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/irbot/irbot/internal/auth"
	"github.com/irbot/irbot/internal/cli"
	"github.com/irbot/irbot/internal/config"
)

// Test tokens: obviously fake, hashed into the users file like real ones.
const (
	adminToken     = "test-admin-token-0000"
	dpoToken       = "test-token-dpo-0001"
	legalToken     = "test-token-legal-0002"
	responderToken = "test-token-responder-0003"
	managerToken   = "test-token-manager-0004"
)

func writeUsersFile(t *testing.T, dir string) string {
	t.Helper()
	users := fmt.Sprintf(`users:
  - name: Dana DPO
    email: dana@example.com
    slack_id: U0000000001
    roles: [dpo]
    token_sha256: %s
  - name: Lee Legal
    email: lee@example.com
    slack_id: U0000000002
    roles: [legal]
    token_sha256: %s
  - name: Rae Responder
    email: rae@example.com
    slack_id: U0000000003
    roles: [responder]
    token_sha256: %s
  - name: Max Manager
    email: max@example.com
    slack_id: U0000000004
    roles: [manager]
    token_sha256: %s
`, auth.HashToken(dpoToken), auth.HashToken(legalToken), auth.HashToken(responderToken), auth.HashToken(managerToken))
	path := filepath.Join(dir, "users.yaml")
	require.NoError(t, os.WriteFile(path, []byte(users), 0o600))
	return path
}

// startMain runs the real irbot server (embedded Temporal, SQLite store,
// worker, HTTP) on free ports with dataDir, and waits until /readyz says so.
func startMain(t *testing.T, dataDir string) *Main {
	t.Helper()
	m, _ := startMainWith(t, dataDir, nil)
	return m
}

// startMainEnv is startMain with more settings (email, Slack...).
func startMainEnv(t *testing.T, dataDir string, extra map[string]string) *Main {
	t.Helper()
	m, _ := startMainWith(t, dataDir, extra)
	return m
}

// startMainWith starts irbot with the test users file plus extra settings
// and returns it with what it printed at start.
func startMainWith(t *testing.T, dataDir string, extra map[string]string) (*Main, string) {
	t.Helper()
	return startMainFull(t, dataDir, extra, nil, nil)
}

// startMainHook is startMainWith with hook run on the Main before it
// starts (e.g. to give it other playbooks).
func startMainHook(t *testing.T, dataDir string, extra map[string]string, hook func(*Main)) (*Main, string) {
	t.Helper()
	return startMainFull(t, dataDir, extra, hook, nil)
}

// startMainLogging is startMainWith with every log line of the process (its
// logger at IRBOT_LOG_LEVEL and the embedded Temporal server's) written to
// logs; nil logs warnings to standard error.
func startMainLogging(t *testing.T, dataDir string, extra map[string]string, logs io.Writer) (*Main, string) {
	t.Helper()
	return startMainFull(t, dataDir, extra, nil, logs)
}

func startMainFull(t *testing.T, dataDir string, extra map[string]string, hook func(*Main), logs io.Writer) (*Main, string) {
	t.Helper()
	env := map[string]string{
		"IRBOT_DATA_DIR":      dataDir,
		"IRBOT_HTTP_ADDR":     "127.0.0.1:0",
		"IRBOT_TEMPORAL_PORT": "0",
		"IRBOT_ADMIN_TOKEN":   adminToken,
		"IRBOT_USERS_FILE":    writeUsersFile(t, t.TempDir()),
		"IRBOT_LOG_LEVEL":     "warn",
	}
	for k, v := range extra {
		env[k] = v
	}
	cfg, err := config.FromEnv(func(k string) string { return env[k] })
	require.NoError(t, err)
	var out bytes.Buffer
	m := &Main{Config: cfg, Out: &out, Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))}
	if logs != nil {
		var level slog.Level
		require.NoError(t, level.UnmarshalText([]byte(cfg.LogLevel)))
		m.Logger = slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: level}))
		m.TemporalLog = logs
	}
	if hook != nil {
		hook(m)
	}
	require.NoError(t, m.Run(t.Context()))
	require.Contains(t, out.String(), "ready in")
	require.Eventually(t, func() bool {
		resp, err := http.Get("http://" + m.Addr() + "/readyz")
		if err != nil {
			return false
		}
		_ = resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}, 30*time.Second, 50*time.Millisecond, "irbot must become ready")
	return m, out.String()
}

type apiClient struct {
	t    *testing.T
	base string
}

func (c apiClient) do(method, path, token string, body any) (int, map[string]any) {
	c.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		require.NoError(c.t, err)
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	require.NoError(c.t, err)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(c.t, err)
	defer func() { _ = resp.Body.Close() }()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(c.t, err)
	checkOpenAPI(c.t, req, resp.StatusCode, resp.Header, raw)
	out := map[string]any{}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		require.NoError(c.t, json.Unmarshal(raw, &out), "body: %s", raw)
	} else {
		out["raw"] = string(raw)
	}
	return resp.StatusCode, out
}

func (c apiClient) act(token, id string, action map[string]any) map[string]any {
	c.t.Helper()
	code, out := c.do("POST", "/api/v1/incidents/"+id+"/actions", token, action)
	require.Equal(c.t, http.StatusOK, code, "action %v: %v", action, out)
	return out
}

func timelineKinds(c apiClient, id string) []string {
	_, tl := c.do("GET", "/api/v1/incidents/"+id+"/timeline", adminToken, nil)
	var kinds []string
	for _, e := range tl["events"].([]any) {
		kinds = append(kinds, e.(map[string]any)["kind"].(string))
	}
	return kinds
}

// TestIncidentSurvivesRestartAndTimersKeepRunning declares through the API,
// works the incident, stops the whole process mid-incident, starts it again on
// the same data directory, and finishes the incident: the incident is still
// there, its clock's timer fires after the restart, and the hash chain holds
// until a row is edited behind irbot's back.
func TestIncidentSurvivesRestartAndTimersKeepRunning(t *testing.T) {
	dataDir := filepath.Join(t.TempDir(), "data")
	m := startMain(t, dataDir)
	c := apiClient{t: t, base: "http://" + m.Addr()}

	// Awareness 72 h minus 6 s ago: the GDPR supervisory-authority clock is
	// due in 6 s, after the restart below.
	aware := time.Now().UTC().Add(-72*time.Hour + 6*time.Second)
	code, inc := c.do("POST", "/api/v1/incidents", responderToken, map[string]any{
		"title": "Customer database exposed", "severity": "high", "aware_at": aware.Format(time.RFC3339Nano), "regimes": []string{"eu-gdpr"},
	})
	require.Equal(t, http.StatusCreated, code, "%v", inc)
	id := inc["id"].(string)
	require.Regexp(t, `^INC-\d{4}-\d{4}$`, id)

	c.act(responderToken, id, map[string]any{"type": "complete_task", "task": "isolate"})
	c.act(responderToken, id, map[string]any{"type": "note", "text": "Bucket made private at 10:02."})

	require.NoError(t, m.Close(), "clean shutdown")

	m = startMain(t, dataDir)
	t.Cleanup(func() { _ = m.Close() })
	c.base = "http://" + m.Addr()

	code, st := c.do("GET", "/api/v1/incidents/"+id, dpoToken, nil)
	require.Equal(t, http.StatusOK, code, "the incident must survive a restart: %v", st)
	require.Equal(t, "open", st["status"])
	tasks := st["tasks"].([]any)
	require.True(t, tasks[0].(map[string]any)["done"].(bool), "work done before the restart is kept")

	require.Eventually(t, func() bool {
		for _, k := range timelineKinds(c, id) {
			if k == "clock.overdue" {
				return true
			}
		}
		return false
	}, 40*time.Second, 250*time.Millisecond, "the GDPR clock's timer must still fire after the restart")

	// Finish the incident: the DPO records the late notice with a reason,
	// every other clock gets a documented decision, then the admin closes.
	_, st = c.do("GET", "/api/v1/incidents/"+id, dpoToken, nil)
	for _, raw := range st["clocks"].([]any) {
		clk := raw.(map[string]any)
		if clk["status"] != "running" && clk["status"] != "overdue" {
			continue
		}
		if clk["obligation"] == "supervisory-authority" {
			c.act(dpoToken, id, map[string]any{"type": "record_notification", "regime": "eu-gdpr", "obligation": "supervisory-authority",
				"reference": "SA-2026-123", "reason": "forensics confirmed scope only on day 3"})
			continue
		}
		c.act(dpoToken, id, map[string]any{"type": "decide_not_to_notify", "regime": clk["regime"], "obligation": clk["obligation"],
			"reason": "Data was encrypted at rest with keys held elsewhere."})
	}
	out := c.act(adminToken, id, map[string]any{"type": "close", "reason": "contained; remaining steps tracked in the problem ticket"})
	require.Equal(t, "closed", out["status"])
	require.Eventually(t, func() bool {
		code, res := c.do("POST", "/api/v1/incidents/"+id+"/actions", adminToken, map[string]any{"type": "note", "text": "after close"})
		return code == http.StatusConflict && strings.Contains(res["error"].(string), "is closed")
	}, 10*time.Second, 100*time.Millisecond, "a closed incident refuses every action with a clear reason")
	_, closed := c.do("GET", "/api/v1/incidents/"+id, dpoToken, nil)
	require.Equal(t, "closed", closed["status"], "a closed incident can still be read")

	code, v := c.do("GET", "/api/v1/incidents/"+id+"/timeline/verify", adminToken, nil)
	require.Equal(t, http.StatusOK, code)
	require.Equal(t, true, v["ok"], "%v", v)
	writeHistory(t, m, "incident/"+id, "incident-restart-close")
	writeHistory(t, m, "incident/"+id+"/clock/eu-gdpr/supervisory-authority", "clock-overdue-settled")

	code, reg := c.do("GET", "/api/v1/register", dpoToken, nil)
	require.Equal(t, http.StatusOK, code)
	require.NotEmpty(t, reg["entries"], "the recorded notice is in the register")

	// Edit a row behind irbot's back: verify must say so and name it.
	require.NoError(t, m.Close())
	db, err := sql.Open("sqlite", filepath.Join(dataDir, "irbot.db"))
	require.NoError(t, err)
	_, err = db.Exec(`UPDATE timeline_events SET data = '{"text":"nothing happened"}' WHERE incident_id = ? AND seq = 3`, id)
	require.NoError(t, err)
	require.NoError(t, db.Close())
	m = startMain(t, dataDir)
	c.base = "http://" + m.Addr()
	_, v = c.do("GET", "/api/v1/incidents/"+id+"/timeline/verify", adminToken, nil)
	require.Equal(t, false, v["ok"], "an edited timeline must not verify")
	require.EqualValues(t, 3, v["first_bad_seq"])
}

// TestAPIErrorsNameTheProblem checks the API's answers to bad requests: never
// a 500 for bad input.
func TestAPIErrorsNameTheProblem(t *testing.T) {
	m := startMain(t, filepath.Join(t.TempDir(), "data"))
	t.Cleanup(func() { _ = m.Close() })
	c := apiClient{t: t, base: "http://" + m.Addr()}
	code, inc := c.do("POST", "/api/v1/incidents", responderToken, map[string]any{"title": "Phishing",
		"facts": map[string]any{"personal_data": "yes", "affected": map[string]int{"DE": 12}}})
	require.Equal(t, http.StatusCreated, code)
	id := inc["id"].(string)
	_, st := c.do("GET", "/api/v1/incidents/"+id, responderToken, nil)
	require.Equal(t, "yes", st["facts"].(map[string]any)["personal_data"], "facts given at declaration are kept")

	cases := []struct {
		name, method, path, token string
		body                      any
		status                    int
		want                      string
	}{
		{"no token", "GET", "/api/v1/incidents", "", nil, 401, "missing bearer token"},
		{"bad token", "GET", "/api/v1/incidents", "nope-nope-nope-nope", nil, 401, "unknown or revoked token"},
		{"malformed JSON", "POST", "/api/v1/incidents", responderToken, `{"title": `, 400, "malformed JSON"},
		{"unknown field", "POST", "/api/v1/incidents", responderToken, `{"title":"x","colour":"red"}`, 400, "unknown field"},
		{"no title", "POST", "/api/v1/incidents", responderToken, `{"severity":"high"}`, 400, "title is required"},
		{"bad severity", "POST", "/api/v1/incidents", responderToken, `{"title":"x","severity":"huge"}`, 400, "unknown severity"},
		{"bad aware_at", "POST", "/api/v1/incidents", responderToken, `{"title":"x","aware_at":"last tuesday"}`, 400, "not an RFC 3339 time"},
		{"unknown regime", "POST", "/api/v1/incidents", responderToken, `{"title":"x","regimes":["mars-gdpr"]}`, 400, "mars-gdpr"},
		{"bad fact at declare", "POST", "/api/v1/incidents", responderToken, `{"title":"x","facts":{"personal_data":"maybe"}}`, 400, `"personal_data" must be`},
		{"unknown incident", "GET", "/api/v1/incidents/INC-1999-0001", responderToken, nil, 404, "no incident"},
		{"unknown incident timeline", "GET", "/api/v1/incidents/INC-1999-0001/timeline", responderToken, nil, 404, "no incident"},
		{"unknown action", "POST", "/api/v1/incidents/" + id + "/actions", responderToken, `{"type":"dance"}`, 400, `unknown action type "dance"`},
		{"action without type", "POST", "/api/v1/incidents/" + id + "/actions", responderToken, `{"task":"isolate"}`, 400, `needs a "type"`},
		{"action malformed", "POST", "/api/v1/incidents/" + id + "/actions", responderToken, `[1,2`, 400, "not a JSON object"},
		{"actor smuggled", "POST", "/api/v1/incidents/" + id + "/actions", responderToken, `{"type":"note","text":"x","actor":{"id":"U-BOSS","roles":["admin"]}}`, 400, "cannot be set"},
		{"role may not act", "POST", "/api/v1/incidents/" + id + "/actions", managerToken, `{"type":"complete_task","task":"isolate"}`, 403, "is for the responder role"},
		{"NUL in a title", "POST", "/api/v1/incidents", responderToken, `{"title":"a\u0000b"}`, 400, "title contains a NUL"},
		{"NUL in a note", "POST", "/api/v1/incidents/" + id + "/actions", responderToken, `{"type":"note","text":"a\u0000b"}`, 400, "text contains a NUL"},
		{"NUL in an ID", "GET", "/api/v1/incidents/" + id + "%00", responderToken, nil, 404, "no incident"},
		{"non-ASCII ID", "GET", "/api/v1/incidents/INC-%C3%84/timeline", responderToken, nil, 404, "no incident"},
		{"non-ASCII notice ID", "GET", "/api/v1/incidents/" + id + "/notices/%C3%84", responderToken, nil, 404, "no notice"},
		{"register forbidden", "GET", "/api/v1/register", responderToken, nil, 403, "registers are for"},
		{"bad timeline format", "GET", "/api/v1/incidents/" + id + "/timeline?format=pdf", responderToken, nil, 400, "format must be"},
		{"unknown endpoint", "GET", "/api/v1/nothing", responderToken, nil, 404, "no such endpoint"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, out := c.do(tc.method, tc.path, tc.token, tc.body)
			require.Equal(t, tc.status, code, "%v", out)
			require.Contains(t, out["error"], tc.want)
		})
	}

	// The same declare sent twice with one idempotency key is one incident.
	req := func() string {
		r, err := http.NewRequest("POST", c.base+"/api/v1/incidents", strings.NewReader(`{"title":"Lost laptop"}`))
		require.NoError(t, err)
		r.Header.Set("Authorization", "Bearer "+responderToken)
		r.Header.Set("Idempotency-Key", "laptop-1")
		resp, err := http.DefaultClient.Do(r)
		require.NoError(t, err)
		defer func() { _ = resp.Body.Close() }()
		var out map[string]any
		require.NoError(t, json.NewDecoder(resp.Body).Decode(&out))
		return out["id"].(string)
	}
	require.Equal(t, req(), req())
}

// TestCLIWorksAnIncident drives the API through the CLI commands a person types.
func TestCLIWorksAnIncident(t *testing.T) {
	m := startMain(t, filepath.Join(t.TempDir(), "data"))
	t.Cleanup(func() { _ = m.Close() })
	env := cli.Env{URL: "http://" + m.Addr(), Token: responderToken}
	run := func(token string, args ...string) (string, int) {
		var out, errOut bytes.Buffer
		e := env
		e.Token = token
		code := cli.Run(args, e, &out, &errOut)
		return out.String() + errOut.String(), code
	}
	out, code := run(responderToken, "declare", "--severity", "critical", "--regime", "eu-gdpr,us-ca", "Ransomware", "on", "file", "server")
	require.Equal(t, 0, code, out)
	require.Contains(t, out, "declared INC-")
	id := strings.Fields(strings.TrimPrefix(out, "declared "))[0]
	id = strings.TrimSuffix(id, ":")

	out, code = run(responderToken, "act", id, "complete_task", "task=isolate")
	require.Equal(t, 0, code, out)
	require.Contains(t, out, "ok: complete_task")

	out, code = run(dpoToken, "act", id, "set_fact", "name=affected", `value={"US-CA": 600, "DE": 40}`)
	require.Equal(t, 0, code, out)

	out, code = run(dpoToken, "act", id, "complete_task", "task=isolate")
	require.Equal(t, 1, code)
	require.Contains(t, out, "already completed")

	out, code = run(dpoToken, "show", id)
	require.Equal(t, 0, code, out)
	require.Contains(t, out, "Ransomware on file server")
	require.Contains(t, out, "eu-gdpr/supervisory-authority")

	out, code = run(responderToken, "list")
	require.Equal(t, 0, code, out)
	require.Contains(t, out, id)

	out, code = run(responderToken, "timeline", id)
	require.Equal(t, 0, code, out)
	require.Contains(t, out, "incident.declared")
	require.Contains(t, out, "task.completed")

	out, code = run(responderToken, "timeline", id, "--format", "csv")
	require.Equal(t, 0, code, out)
	require.True(t, strings.HasPrefix(out, "incident_id,seq,key,at,kind,actor,data,hash,prev_hash,sealed\r\n"), out)

	out, code = run(responderToken, "verify", id)
	require.Equal(t, 0, code, out)
	require.Contains(t, out, "hash chain intact")

	out, code = run(dpoToken, "register")
	require.Equal(t, 0, code, out)

	// Filters go to the server, which checks them and names a bad one.
	out, code = run(dpoToken, "register", "--incident", id, "--from", "2020-01-01", "--format", "csv")
	require.Equal(t, 0, code, out)
	require.True(t, strings.HasPrefix(out, "id,incident_id,kind,regime,obligation,recipient,to,status,"), out)
	out, code = run(dpoToken, "register", "--status", "lost")
	require.NotEqual(t, 0, code, out)
	require.Contains(t, out, `unknown status "lost"`)
}

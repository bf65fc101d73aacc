package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/irbot/irbot/internal/embedtemporal"
	"github.com/irbot/irbot/internal/pgtest"
	"github.com/irbot/irbot/internal/slackbot/slackfake"
)

// outageAnswer is one API answer during an outage, with what a caller
// needs to back off.
type outageAnswer struct {
	status     int
	retryAfter string
	message    string
	took       time.Duration
}

// callDuringOutage sends one API request and returns its status, Retry-After
// and error message, checking the body against openapi.json like every
// other answer.
func callDuringOutage(t *testing.T, base, method, path, token string, body any) outageAnswer {
	t.Helper()
	var rd io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		require.NoError(t, err)
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, base+path, rd)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	start := time.Now()
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer func() { _ = resp.Body.Close() }()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	checkOpenAPI(t, req, resp.StatusCode, resp.Header, raw)
	var e struct {
		Error string `json:"error"`
	}
	_ = json.Unmarshal(raw, &e)
	return outageAnswer{status: resp.StatusCode, retryAfter: resp.Header.Get("Retry-After"), message: e.Error, took: time.Since(start)}
}

func readyz(t *testing.T, base string) (int, string) {
	t.Helper()
	resp, err := http.Get(base + "/readyz")
	if err != nil {
		return 0, err.Error()
	}
	defer func() { _ = resp.Body.Close() }()
	raw, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(raw)
}

// awaitReadyz waits until /readyz answers want.
func awaitReadyz(t *testing.T, base string, want int, within time.Duration, why string) {
	t.Helper()
	require.Eventually(t, func() bool {
		code, _ := readyz(t, base)
		return code == want
	}, within, 100*time.Millisecond, why)
}

// requireUnavailable checks an answer is the outage answer: 503, a
// Retry-After, a message naming what is down, and no long wait.
func requireUnavailable(t *testing.T, what string, a outageAnswer, names string) {
	t.Helper()
	require.Equal(t, http.StatusServiceUnavailable, a.status, "%s during the outage: %+v", what, a)
	require.NotEmpty(t, a.retryAfter, "%s: a 503 tells the caller when to retry", what)
	require.Contains(t, a.message, names, "%s: the message says what is down", what)
}

// TestTemporalFrontendDownAnswers503AndRecoversWithoutRestart runs irbot
// against a Temporal server of its own (the embedded server, started by
// the test as an operator's cluster would run apart from irbot), stops that
// server, and checks what people see: /readyz turns 503, the API answers
// 503 with Retry-After at once (not after the client's retries), a Slack
// command is acknowledged within 3 s saying it was not run and must be
// repeated, and that promise holds: it never runs. Temporal is then started
// again on the same port and file; irbot serves again without a restart.
func TestTemporalFrontendDownAnswers503AndRecoversWithoutRestart(t *testing.T) {
	t.Parallel() // waits on real timers or an outage; see TestMain
	dbFile := filepath.Join(t.TempDir(), "temporal", "temporal.db")
	// The server's own logs of its lost connections are noise here.
	srv, err := embedtemporal.Start(t.Context(), embedtemporal.Config{DatabaseFile: dbFile, LogLevel: "fatal"})
	require.NoError(t, err)
	running := true
	t.Cleanup(func() {
		if running {
			_ = srv.Stop()
		}
	})
	_, portStr, err := net.SplitHostPort(srv.HostPort())
	require.NoError(t, err)
	port, err := strconv.Atoi(portStr)
	require.NoError(t, err)

	fake := slackfake.New()
	t.Cleanup(fake.Close)
	m, _ := startMainWith(t, filepath.Join(t.TempDir(), "data"), map[string]string{
		"TEMPORAL_ADDRESS":     srv.HostPort(),
		"SLACK_BOT_TOKEN":      "xoxb-test-0000000000",
		"SLACK_SIGNING_SECRET": slackSecret,
		"SLACK_API_URL":        fake.APIURL(),
	})
	t.Cleanup(func() { _ = m.Close() })
	base := "http://" + m.Addr()
	c := apiClient{t: t, base: base}
	sc := &slackClient{t: t, base: base}
	code, inc := c.do("POST", "/api/v1/incidents", responderToken, map[string]any{"title": "Temporal outage drill"})
	require.Equal(t, http.StatusCreated, code, "%v", inc)
	id := inc["id"].(string)
	c.act(responderToken, id, map[string]any{"type": "note", "text": "before the outage"})

	require.NoError(t, srv.Stop())
	running = false
	down := time.Now()
	awaitReadyz(t, base, http.StatusServiceUnavailable, 15*time.Second, "/readyz must turn 503 so the load balancer stops sending traffic")
	_, body := readyz(t, base)
	require.Contains(t, body, "temporal", "/readyz says what is not ready")
	t.Logf("/readyz answered 503 %s after Temporal stopped", time.Since(down).Round(time.Millisecond))
	// The background health check (every 2 s) has seen it too by now.
	require.Eventually(t, func() bool {
		return callDuringOutage(t, base, "GET", "/api/v1/incidents/"+id, responderToken, nil).took < 3*time.Second
	}, 15*time.Second, 200*time.Millisecond, "once irbot knows Temporal is down it answers at once")

	get := callDuringOutage(t, base, "GET", "/api/v1/incidents/"+id, responderToken, nil)
	requireUnavailable(t, "reading an incident", get, "Temporal")
	act := callDuringOutage(t, base, "POST", "/api/v1/incidents/"+id+"/actions", responderToken,
		map[string]any{"type": "note", "text": "via the API during the outage", "request_id": "outage-api-1"})
	requireUnavailable(t, "an action", act, "Temporal")
	require.Contains(t, act.message, "nothing was changed", "the caller is told the action was not applied")
	decl := callDuringOutage(t, base, "POST", "/api/v1/incidents", responderToken, map[string]any{"title": "Declared during the outage"})
	requireUnavailable(t, "a declare", decl, "Temporal")
	t.Logf("during the outage: get %d in %s, action %d in %s, declare %d in %s (Retry-After %s)",
		get.status, get.took.Round(time.Millisecond), act.status, act.took.Round(time.Millisecond), decl.status, decl.took.Round(time.Millisecond), get.retryAfter)

	// Slack: acknowledged in time (sc.command checks < 3 s) with the promise.
	ack := sc.command("U0000000003", "CGENERAL1", "note slack during the outage "+id, fake.ResponseURL("outage-note"))
	require.Contains(t, ack, "not run", "the acknowledgement says the command was not run")
	require.Contains(t, ack, "Repeat it", "and that the person must repeat it")

	// Hold the outage a while: the worker's polls fail and back off.
	time.Sleep(time.Until(down.Add(10 * time.Second)))
	srv, err = embedtemporal.Start(t.Context(), embedtemporal.Config{DatabaseFile: dbFile, FrontendPort: port, LogLevel: "fatal"})
	require.NoError(t, err)
	running = true
	back := time.Now()
	awaitReadyz(t, base, http.StatusOK, 60*time.Second, "irbot must be ready again without a restart once Temporal is back")
	t.Logf("/readyz answered 200 %s after Temporal came back (down %s in all)", time.Since(back).Round(time.Millisecond), time.Since(down).Round(time.Second))

	// Everything works again: actions, a declare, Slack.
	require.Eventually(t, func() bool {
		code, _ := c.do("POST", "/api/v1/incidents/"+id+"/actions", responderToken,
			map[string]any{"type": "note", "text": "after the outage", "request_id": "outage-api-2"})
		return code == http.StatusOK
	}, 30*time.Second, 500*time.Millisecond, "actions are applied again once Temporal is back")
	code, inc2 := c.do("POST", "/api/v1/incidents", responderToken, map[string]any{"title": "Declared after the outage"})
	require.Equal(t, http.StatusCreated, code, "%v", inc2)
	ack = sc.command("U0000000003", "CGENERAL1", "status "+id, fake.ResponseURL("after-status"))
	require.NotContains(t, ack, "not run", "Slack commands run again")

	// The promises kept: what was refused during the outage never ran, what
	// was accepted before and after is on the timeline once, and the chain
	// verifies.
	require.Eventually(t, func() bool {
		return strings.Contains(strings.Join(timelineTexts(c, id), "\n"), "after the outage")
	}, 30*time.Second, 200*time.Millisecond)
	texts := strings.Join(timelineTexts(c, id), "\n")
	require.Equal(t, 1, strings.Count(texts, "before the outage"))
	require.Equal(t, 1, strings.Count(texts, "after the outage"))
	require.NotContains(t, texts, "during the outage", "a command irbot said was not run must not run later")
	code, v := c.do("GET", "/api/v1/incidents/"+id+"/timeline/verify", adminToken, nil)
	require.Equal(t, http.StatusOK, code)
	require.Equal(t, true, v["ok"], "%v", v)
}

// timelineTexts are the note texts on an incident's timeline.
func timelineTexts(c apiClient, id string) []string {
	_, tl := c.do("GET", "/api/v1/incidents/"+id+"/timeline", adminToken, nil)
	var out []string
	for _, e := range tl["events"].([]any) {
		ev := e.(map[string]any)
		if d, ok := ev["data"].(map[string]any); ok {
			if s, ok := d["text"].(string); ok {
				out = append(out, s)
			}
		}
	}
	return out
}

// TestPostgresDownAnswers503AndLosesNothing runs irbot on a private
// throwaway PostgreSQL (never the shared CI cluster), stops it for a while
// and starts it again: meanwhile /readyz is 503, the API answers what needs
// the database with 503 and Retry-After, an action accepted by the workflow
// waits in its retrying timeline activity, and once PostgreSQL is back that
// entry is written once and the chain verifies. No restart of irbot.
func TestPostgresDownAnswers503AndLosesNothing(t *testing.T) {
	t.Parallel() // waits on real timers or an outage; see TestMain
	pg := pgtest.Start(t, "irbot")
	m, _ := startMainWith(t, filepath.Join(t.TempDir(), "data"), map[string]string{"IRBOT_DATABASE_URL": pg.URL("irbot")})
	t.Cleanup(func() { _ = m.Close() })
	base := "http://" + m.Addr()
	c := apiClient{t: t, base: base}
	code, inc := c.do("POST", "/api/v1/incidents", responderToken, map[string]any{"title": "Database outage drill"})
	require.Equal(t, http.StatusCreated, code, "%v", inc)
	id := inc["id"].(string)
	c.act(responderToken, id, map[string]any{"type": "note", "text": "before the outage"})
	require.Eventually(t, func() bool {
		return strings.Contains(strings.Join(timelineTexts(c, id), "\n"), "before the outage")
	}, 20*time.Second, 100*time.Millisecond)

	pg.Stop()
	down := time.Now()
	awaitReadyz(t, base, http.StatusServiceUnavailable, 15*time.Second, "/readyz must turn 503 while the database is down")
	_, body := readyz(t, base)
	require.Contains(t, body, "store", "/readyz says what is not ready")

	// Reads and declares need the database: 503, and say so.
	tl := callDuringOutage(t, base, "GET", "/api/v1/incidents/"+id+"/timeline", responderToken, nil)
	requireUnavailable(t, "the timeline", tl, "database")
	list := callDuringOutage(t, base, "GET", "/api/v1/incidents", responderToken, nil)
	requireUnavailable(t, "the incident list", list, "database")
	decl := callDuringOutage(t, base, "POST", "/api/v1/incidents", responderToken, map[string]any{"title": "Declared during the outage", "request_key": "pg-outage-declare"})
	requireUnavailable(t, "a declare", decl, "database")
	// An action goes to the workflow, which holds it and writes it when it
	// can: accepted now, on the timeline later.
	act := callDuringOutage(t, base, "POST", "/api/v1/incidents/"+id+"/actions", responderToken,
		map[string]any{"type": "note", "text": "accepted during the outage", "request_id": "pg-outage-note"})
	t.Logf("during the outage: timeline %d, list %d, declare %d (Retry-After %s), action %d in %s",
		tl.status, list.status, decl.status, tl.retryAfter, act.status, act.took.Round(time.Millisecond))
	require.Contains(t, []int{http.StatusOK, http.StatusServiceUnavailable}, act.status, "%+v", act)

	// Hold the outage long enough for the timeline activity to retry.
	time.Sleep(time.Until(down.Add(20 * time.Second)))
	pg.Start()
	back := time.Now()
	awaitReadyz(t, base, http.StatusOK, 30*time.Second, "irbot must be ready again without a restart once the database is back")
	if act.status != http.StatusOK {
		// The caller retries with the same request ID, as told.
		c.act(responderToken, id, map[string]any{"type": "note", "text": "accepted during the outage", "request_id": "pg-outage-note"})
	}
	require.Eventually(t, func() bool {
		return strings.Contains(strings.Join(timelineTexts(c, id), "\n"), "accepted during the outage")
	}, 90*time.Second, 250*time.Millisecond, "the action accepted during the outage must reach the timeline once the database is back")
	t.Logf("the entry held during a %s outage was written %s after the database came back",
		back.Sub(down).Round(time.Second), time.Since(back).Round(time.Millisecond))
	code, inc2 := c.do("POST", "/api/v1/incidents", responderToken, map[string]any{"title": "Declared after the outage", "request_key": "pg-outage-declare"})
	require.Equal(t, http.StatusCreated, code, "%v", inc2)

	texts := strings.Join(timelineTexts(c, id), "\n")
	require.Equal(t, 1, strings.Count(texts, "accepted during the outage"), "written once")
	require.Equal(t, 1, strings.Count(texts, "before the outage"))
	code, v := c.do("GET", "/api/v1/incidents/"+id+"/timeline/verify", adminToken, nil)
	require.Equal(t, http.StatusOK, code)
	require.Equal(t, true, v["ok"], "%v", v)
}

// clockEvents are an incident's clock alerts on its timeline, in order.
func clockEvents(c apiClient, id string) []map[string]any {
	_, tl := c.do("GET", "/api/v1/incidents/"+id+"/timeline", adminToken, nil)
	var out []map[string]any
	for _, e := range tl["events"].([]any) {
		ev := e.(map[string]any)
		if k := ev["kind"]; k == "clock.reminder" || k == "clock.escalation" || k == "clock.overdue" {
			out = append(out, ev)
		}
	}
	return out
}

// lateBy is the lateness an alert recorded, 0 when it fired on time.
func lateBy(ev map[string]any) time.Duration {
	d, _ := ev["data"].(map[string]any)
	s, _ := d["late_by_seconds"].(float64)
	return time.Duration(s) * time.Second
}

// TestWorkersDownAcrossAnEscalationFiresItOnceLateThenOnTime stops irbot
// (its only worker) while Temporal runs on, across the due time of a clock
// escalation, and starts it again after: the escalation fires once, when
// the worker is back, and its timeline entry says how late; the overdue
// alert that follows fires on time. A drill at speed 120 (an hour in 30 s)
// keeps the clock's steps seconds apart.
func TestWorkersDownAcrossAnEscalationFiresItOnceLateThenOnTime(t *testing.T) {
	srv, err := embedtemporal.Start(t.Context(), embedtemporal.Config{DatabaseFile: filepath.Join(t.TempDir(), "temporal", "temporal.db"), LogLevel: "fatal"})
	require.NoError(t, err)
	t.Cleanup(func() { _ = srv.Stop() })
	dataDir := filepath.Join(t.TempDir(), "data")
	env := map[string]string{"TEMPORAL_ADDRESS": srv.HostPort()}
	m, _ := startMainWith(t, dataDir, env)
	c := apiClient{t: t, base: "http://" + m.Addr()}

	const speed = 120
	hour := time.Hour / speed // one incident hour in real time: 30 s
	// Aware 70 h ago: the GDPR 72 h clock is due in 2 incident hours. Its
	// 24 h and 6 h escalations have passed (one escalation now), the 1 h one
	// is due in one incident hour, the overdue alert in two.
	t0 := time.Now()
	code, inc := c.do("POST", "/api/v1/incidents", responderToken, map[string]any{
		"title": "Workers down across a clock", "mode": "drill", "speed": speed, "regimes": []string{"eu-gdpr"},
		"aware_at": t0.Add(-70 * time.Hour).UTC().Format(time.RFC3339Nano),
	})
	require.Equal(t, http.StatusCreated, code, "%v", inc)
	id := inc["id"].(string)
	require.Eventually(t, func() bool { return len(clockEvents(c, id)) >= 1 }, 20*time.Second, 100*time.Millisecond,
		"the passed escalations fold into one alert at once")
	require.Less(t, time.Since(t0), hour-5*time.Second, "the worker must stop before the 1 h escalation is due")

	// Every worker down from now until well after the 1 h escalation's time.
	require.NoError(t, m.Close())
	time.Sleep(time.Until(t0.Add(hour + hour/2)))
	m, _ = startMainWith(t, dataDir, env)
	t.Cleanup(func() { _ = m.Close() })
	c.base = "http://" + m.Addr()
	restarted := time.Since(t0)

	var esc, overdue []map[string]any
	require.Eventually(t, func() bool {
		esc, overdue = nil, nil
		for _, ev := range clockEvents(c, id) {
			d, _ := ev["data"].(map[string]any)
			switch {
			case d["obligation"] != "supervisory-authority":
			case ev["kind"] == "clock.escalation" && d["offset"] == "1h0m0s":
				esc = append(esc, ev)
			case ev["kind"] == "clock.overdue":
				overdue = append(overdue, ev)
			}
		}
		return len(overdue) >= 1
	}, 2*hour+30*time.Second, 250*time.Millisecond, "the overdue alert must fire once the worker is back")
	require.Len(t, esc, 1, "the escalation due while every worker was down fires once")
	require.Len(t, overdue, 1, "the overdue alert fires once")
	late := lateBy(esc[0])
	t.Logf("1 h escalation due at T+%s, worker back at T+%s: fired late by %s (recorded); overdue alert late by %s",
		hour, restarted.Round(time.Second), late, lateBy(overdue[0]))
	require.GreaterOrEqual(t, late, hour/2-5*time.Second, "the late escalation records how late it fired")
	require.LessOrEqual(t, lateBy(overdue[0]), 5*time.Second, "the alert after the outage is on time")
	code, v := c.do("GET", "/api/v1/incidents/"+id+"/timeline/verify", adminToken, nil)
	require.Equal(t, http.StatusOK, code)
	require.Equal(t, true, v["ok"], "%v", v)
}

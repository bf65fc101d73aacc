package main

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/irbot/irbot/internal/incident"
	"github.com/irbot/irbot/playbooks"
	"github.com/irbot/irbot/workflows"
)

// drillLagBudget is how much running (unpaused) real time a delivery may
// trail its timer on a shared machine playing four drills at once: the
// timer's firing, a workflow task and the previous delivery's activity. The
// exact timing, to the timer's granularity, is asserted in the workflows'
// tests with the SDK's clock; here a bug in the time mapping (speed ignored,
// a pause not shifted) shows as hours of scenario time, early or late.
const drillLagBudget = 20 * time.Second

// Every shipped scenario passes validate and an autoplay dry run on the real
// embedded server: a scripted team meeting every target scores 100 %, every
// inject arrives in order, and the report is written in every format.
func TestDrillAutoplayEveryShippedScenarioScoresFull(t *testing.T) {
	m := startMain(t, t.TempDir())
	for _, sc := range playbooks.EmbeddedScenarios() {
		t.Run(sc.ID, func(t *testing.T) {
			t.Parallel()
			start := time.Now()
			const speed = 5000
			r, err := playDrill(t.Context(), m.service, sc, speed, true)
			require.NoError(t, err)
			require.Equal(t, r.Score.Total, r.Score.Met, "autoplay must meet every target: %+v", r.Expected)
			require.Equal(t, 100, r.Score.Percent)
			for _, o := range r.Objectives {
				require.Equal(t, "P", o.Rating, o.ID)
			}
			var prev playbooks.Span
			var maxLate time.Duration
			for _, ev := range r.Injects {
				require.NotNil(t, ev.DeliveredAt, "inject %s never arrived", ev.ID)
				require.NotNil(t, ev.DeliveredScenarioAt, "inject %s has no scenario time of delivery", ev.ID)
				require.GreaterOrEqual(t, ev.ScenarioAt, prev, "injects arrive in scenario order")
				require.GreaterOrEqual(t, *ev.DeliveredScenarioAt, prev, "inject %s delivered before the one before it", ev.ID)
				prev = ev.ScenarioAt
				// Asserted in scenario time, as the workflow recorded it: the
				// scripted team pauses play around every expected action, so
				// the wall clock since the start is no measure of when an
				// inject was due. Never early (the recorded scenario time
				// is truncated to the second); late only by the worker's
				// lag, which at this speed is lagBudget of real time.
				late := ev.DeliveredScenarioAt.D() - ev.ScenarioAt.D()
				require.GreaterOrEqual(t, late, -time.Second, "inject %s arrived early: due %s, delivered %s", ev.ID, ev.ScenarioAt, *ev.DeliveredScenarioAt)
				require.Less(t, late, time.Duration(float64(drillLagBudget)*speed),
					"inject %s due %s was delivered at %s: later than %s of running time", ev.ID, ev.ScenarioAt, *ev.DeliveredScenarioAt, drillLagBudget)
				maxLate = max(maxLate, late)
			}
			dir := t.TempDir()
			var out bytes.Buffer
			require.NoError(t, writeReports(t.Context(), m.service, r.Drill, dir, &out))
			for _, f := range []string{"report.json", "report.md", "report.html"} {
				b, err := os.ReadFile(filepath.Join(dir, f))
				require.NoError(t, err)
				require.Contains(t, string(b), "DRILL")
				fi, err := os.Stat(filepath.Join(dir, f))
				require.NoError(t, err)
				require.Equal(t, os.FileMode(0o600), fi.Mode().Perm(), "%s records what the participants did: only its owner may read it", f)
			}
			t.Logf("%s: autoplay took %s; latest inject %s of running time after its scaled time", sc.ID, time.Since(start).Round(time.Millisecond), time.Duration(float64(maxLate)/speed).Round(time.Millisecond))
		})
	}
}

// A drill where nobody acts: the GDPR 72 h clock is missed and the report
// says so with its margin; the inject's facts changed the clocks (the
// affected count starts the California clocks); end stops play and closes
// the incident in one command, and the drill never reaches the register.
func TestDrillMissedGDPRClockAndIsolation(t *testing.T) {
	m := startMain(t, t.TempDir())
	api := apiClient{t: t, base: "http://" + m.Addr()}
	code, body := api.do("GET", "/api/v1/drills/scenarios", managerToken, nil)
	require.Equal(t, 200, code)
	require.Len(t, body["scenarios"], len(playbooks.EmbeddedScenarios()))
	code, body = api.do("POST", "/api/v1/drills", responderToken, map[string]any{"scenario": "ransomware-exfiltration", "speed": 20000})
	require.Equal(t, 403, code, "only managers run drills: %v", body)
	code, body = api.do("POST", "/api/v1/drills", managerToken, map[string]any{"scenario": "nope"})
	require.Equal(t, 400, code)
	require.Contains(t, body["error"], "unknown scenario")
	code, body = api.do("POST", "/api/v1/drills", managerToken, map[string]any{"scenario": "ransomware-exfiltration", "speed": 20000})
	require.Equal(t, 201, code, "%v", body)
	id := body["id"].(string)
	require.Equal(t, id, body["incident"])
	require.Eventually(t, func() bool {
		_, st := api.do("GET", "/api/v1/drills/"+id, managerToken, nil)
		return st["status"] == workflows.DrillEnded
	}, 3*time.Minute, 100*time.Millisecond, "play ends at the scenario's duration")
	_, inc := api.do("GET", "/api/v1/incidents/"+id, managerToken, nil)
	require.Equal(t, "drill", inc["mode"])
	require.Contains(t, inc["title"], "[DRILL]")
	keys := map[string]bool{}
	for _, c := range inc["clocks"].([]any) {
		cm := c.(map[string]any)
		keys[cm["regime"].(string)+"/"+cm["obligation"].(string)] = true
	}
	require.True(t, keys["eu-gdpr/data-subjects"], "the samples-posted inject (high_risk) added the Art. 34 clock: %v", keys)
	require.True(t, keys["us-ca/residents"], "the affected count inject started the California clock: %v", keys)

	req, _ := httpReq("GET", api.base+"/api/v1/drills/"+id+"/report?format=json", managerToken)
	raw := doRaw(t, req)
	var r incident.DrillReport
	require.NoError(t, json.Unmarshal(raw, &r))
	var gdpr *incident.ReportClock
	for i := range r.Clocks {
		if r.Clocks[i].Regime == "eu-gdpr" && r.Clocks[i].Obligation == "supervisory-authority" {
			gdpr = &r.Clocks[i]
		}
	}
	require.NotNil(t, gdpr)
	require.Equal(t, "missed", gdpr.Status)
	require.False(t, gdpr.Met)
	require.Equal(t, "T+72h", gdpr.DueAt)
	require.Regexp(t, `^-`, gdpr.Margin)
	require.Equal(t, 0, r.Score.Met)

	// End: closes the incident (clocks settle) with one command.
	code, body = api.do("POST", "/api/v1/drills/"+id+"/actions", managerToken, map[string]any{"type": "end"})
	require.Equal(t, 400, code, "play already ended by itself: %v", body)
	require.Contains(t, body["error"], "ended")
	require.Eventually(t, func() bool {
		_, inc = api.do("GET", "/api/v1/incidents/"+id, managerToken, nil)
		return inc["status"] == "closed"
	}, 30*time.Second, 100*time.Millisecond, "the end of play closes the drill's incident, stopping its clocks")
	code, body = api.do("POST", "/api/v1/drills/"+id+"/actions", managerToken, map[string]any{"type": "improve", "improvements": []map[string]any{
		{"issue": "GDPR notice missed", "action": "Pre-approve a notice template", "owner": "DPO", "due": "2026-06-30"},
	}})
	require.Equal(t, 200, code, "%v", body)
	code, _ = api.do("POST", "/api/v1/drills/"+id+"/actions", managerToken, map[string]any{"type": "improve", "improvements": []map[string]any{{"issue": "x", "action": "y", "owner": "z", "due": "soon"}}})
	require.Equal(t, 400, code)
	code, body = api.do("POST", "/api/v1/drills/"+id+"/actions", managerToken, map[string]any{"type": "finalize"})
	require.Equal(t, 200, code, "%v", body)
	require.Equal(t, true, body["final"])
	req, _ = httpReq("GET", api.base+"/api/v1/drills/"+id+"/report?format=md", managerToken)
	md := string(doRaw(t, req))
	require.Contains(t, md, "| GDPR notice missed | Pre-approve a notice template | DPO | 2026-06-30 |")
	require.Contains(t, md, "| eu-gdpr/supervisory-authority | T+72h |")

	_, reg := api.do("GET", "/api/v1/register", adminToken, nil)
	require.Empty(t, reg["entries"], "a drill never enters the register")
}

func httpReq(method, url, token string) (*http.Request, error) {
	req, err := http.NewRequest(method, url, nil)
	if err == nil {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return req, err
}

func doRaw(t *testing.T, req *http.Request) []byte {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, 200, resp.StatusCode, string(b))
	return b
}

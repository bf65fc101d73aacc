package main

import (
	"io"
	"net/http"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/irbot/irbot/activities"
	"github.com/irbot/irbot/internal/smtptest"
	"github.com/irbot/irbot/workflows"
)

// A drill played end to end through the DrillWorkflow stays in its sandbox:
// the regulator notice its team sends and every clock escalation by email
// reach only IRBOT_DRILL_MAIL_SINK (a real SMTP server in-process), it
// never enters the notification register or the breach register, and the
// daily digest leaves it out while it is open; played beside a live
// incident, it moves no live series of /metrics, only the drill ones.
func TestDrillIsolationEndToEnd(t *testing.T) {
	t.Parallel() // waits on real timers or an outage; see TestMain
	smtp := smtptest.Start(t)
	env := smtpEnv(smtp)
	env["IRBOT_DRILL_MAIL_SINK"] = "drill-sink@example.com"
	env["IRBOT_METRICS_TOKEN"] = metricsToken
	m := startMainEnv(t, filepath.Join(t.TempDir(), "data"), env)
	t.Cleanup(func() { _ = m.Close() })
	c := apiClient{t: t, base: "http://" + m.Addr()}

	// A live incident beside the drill, with a refusal on its record.
	code, body := c.do("POST", "/api/v1/incidents", responderToken, map[string]any{"title": "Live breach beside a drill", "severity": "high", "regimes": []string{"eu-gdpr"}})
	require.Equal(t, 201, code, "%v", body)
	liveID := body["id"].(string)
	code, _ = c.do("POST", "/api/v1/incidents/"+liveID+"/actions", responderToken, map[string]any{"type": "close", "reason": "x"})
	require.Equal(t, 403, code, "a responder cannot close: one live refusal")
	var liveBefore map[string]float64
	require.Eventually(t, func() bool {
		liveBefore = scrapeMetrics(t, m, "irbot_")
		return liveBefore[`irbot_incidents_open{severity="high"}`] == 1 && liveBefore["irbot_action_refusals_total"] == 1 && liveBefore[`irbot_clocks{status="running"}`] > 0
	}, time.Minute, 200*time.Millisecond, "the live incident, its clocks and its refusal are counted: %v", liveBefore)

	code, body = c.do("POST", "/api/v1/drills", managerToken, map[string]any{"scenario": "ransomware-exfiltration", "speed": 5000})
	require.Equal(t, 201, code, "%v", body)
	id := body["id"].(string)
	e := noticeEnv{c: c, id: id}
	for name, v := range gdprFacts {
		c.act(dpoToken, id, map[string]any{"type": "set_fact", "name": name, "value": v})
	}
	n := e.draft(t, dpoToken, map[string]any{"regime": "eu-gdpr", "obligation": "supervisory-authority", "to": []string{"breach@dpa.example"}})
	e.approveAndSend(t, n["id"].(string))
	e.waitStatus(t, n["id"].(string), "sent", time.Minute)
	code, _ = c.do("POST", "/api/v1/incidents/"+id+"/actions", responderToken, map[string]any{"type": "close", "reason": "x"})
	require.Equal(t, 403, code, "a responder cannot close the drill: one drill refusal")

	// While the drill is open, the digest has no line for it.
	states, err := m.service.OpenIncidents(t.Context())
	require.NoError(t, err)
	open := false
	for _, st := range states {
		open = open || st.ID == id
	}
	require.True(t, open, "the drill's incident is open while it plays")
	lines, res := activities.DigestLines(states, time.Now())
	for _, l := range lines {
		require.NotEqual(t, id, l.IncidentID, "a drill's clock in the digest")
	}
	require.Equal(t, 1, res.Incidents, "the digest counts the live incident beside the drill, and only it")
	require.NotContains(t, activities.RenderDigest(lines, res, time.Now()), id)
	require.Contains(t, activities.RenderDigest(lines, res, time.Now()), liveID)

	// Play runs to its end (72 h of scenario time: its clocks run overdue
	// and escalate), then the facilitator ends it.
	require.Eventually(t, func() bool {
		_, st := c.do("GET", "/api/v1/drills/"+id, managerToken, nil)
		return st["status"] == workflows.DrillEnded
	}, 3*time.Minute, 200*time.Millisecond, "play ends at the scenario's duration")
	require.Eventually(t, func() bool {
		_, inc := c.do("GET", "/api/v1/incidents/"+id, managerToken, nil)
		return inc["status"] == "closed"
	}, time.Minute, 200*time.Millisecond, "the end of play closes the drill's incident")

	msgs := smtp.Messages()
	require.NotEmpty(t, msgs, "the drill's regulator notice went out, to the sink")
	for _, msg := range msgs {
		require.Equal(t, []string{"drill-sink@example.com"}, msg.To, "drill mail %q reached a real recipient", msg.Subject)
		require.Contains(t, msg.Subject, "DRILL", "every drill message is marked: %q", msg.Subject)
	}
	drill := scrapeMetrics(t, m, "irbot_drill_")
	require.Positive(t, drill["irbot_drill_notices_sent_total"], "the drill's notice is counted, as a drill's: %v", drill)
	require.Positive(t, drill["irbot_drill_action_refusals_total"], "%v", drill)
	require.Equal(t, liveBefore, scrapeMetrics(t, m, "irbot_"), "the drill moved no live series")
	require.Empty(t, e.registerFor(t), "a drill never enters the notification register")
	_, br := c.do("GET", "/api/v1/breach-register", dpoToken, nil)
	for _, x := range br["entries"].([]any) {
		require.NotEqual(t, id, x.(map[string]any)["incident_id"], "a drill never enters the breach register")
	}
	t.Logf("%d drill messages, all to the sink", len(msgs))
}

// metricsToken is the test's IRBOT_METRICS_TOKEN.
const metricsToken = "test-metrics-token-0005"

// scrapeMetrics reads /metrics with the metrics token and returns the
// samples whose name starts with prefix (and not with irbot_drill_ unless
// the prefix does), keyed by name and labels as exposed.
func scrapeMetrics(t *testing.T, m *Main, prefix string) map[string]float64 {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), "GET", "http://"+m.Addr()+"/metrics", nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+metricsToken)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s", b)
	out := map[string]float64{}
	for _, line := range strings.Split(string(b), "\n") {
		if !strings.HasPrefix(line, prefix) || (prefix == "irbot_" && strings.HasPrefix(line, "irbot_drill_")) ||
			strings.HasPrefix(line, "irbot_slack_") || strings.HasPrefix(line, "irbot_record_up") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		require.NoError(t, err, line)
		out[line[:i]] = v
	}
	return out
}

package main

import (
	"path/filepath"
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
// daily digest leaves it out while it is open.
func TestDrillIsolationEndToEnd(t *testing.T) {
	t.Parallel() // waits on real timers or an outage; see TestMain
	smtp := smtptest.Start(t)
	env := smtpEnv(smtp)
	env["IRBOT_DRILL_MAIL_SINK"] = "drill-sink@example.com"
	m := startMainEnv(t, filepath.Join(t.TempDir(), "data"), env)
	t.Cleanup(func() { _ = m.Close() })
	c := apiClient{t: t, base: "http://" + m.Addr()}

	code, body := c.do("POST", "/api/v1/drills", managerToken, map[string]any{"scenario": "ransomware-exfiltration", "speed": 5000})
	require.Equal(t, 201, code, "%v", body)
	id := body["id"].(string)
	e := noticeEnv{c: c, id: id}
	for name, v := range gdprFacts {
		c.act(dpoToken, id, map[string]any{"type": "set_fact", "name": name, "value": v})
	}
	n := e.draft(t, dpoToken, map[string]any{"regime": "eu-gdpr", "obligation": "supervisory-authority", "to": []string{"breach@dpa.example"}})
	e.approveAndSend(t, n["id"].(string))
	e.waitStatus(t, n["id"].(string), "sent", time.Minute)

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
	require.Zero(t, res.Incidents)
	require.NotContains(t, activities.RenderDigest(lines, res, time.Now()), id)

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
	require.Empty(t, e.registerFor(t), "a drill never enters the notification register")
	_, br := c.do("GET", "/api/v1/breach-register", dpoToken, nil)
	for _, x := range br["entries"].([]any) {
		require.NotEqual(t, id, x.(map[string]any)["incident_id"], "a drill never enters the breach register")
	}
	t.Logf("%d drill messages, all to the sink", len(msgs))
}

package main

import (
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/irbot/irbot/playbooks"
)

// TestStatusUpdateNudgesOnTheRealServer: with a playbook whose critical
// cadence and unowned_after are one minute, an incident declared with no
// commander and no status update is, a minute later, pointed out once and
// its overdue update nudged once, on the timeline, by the real server's
// durable timers; it then closes. Its history (the nudges fired) is
// recorded for the replay test.
func TestStatusUpdateNudgesOnTheRealServer(t *testing.T) {
	t.Parallel() // waits on real timers or an outage; see TestMain
	short := func(id string) (*playbooks.Playbook, bool) {
		pb, ok := playbooks.EmbeddedPlaybook(id)
		if ok {
			pb.Updates = &playbooks.UpdatePolicy{Cadence: map[string]string{"critical": "1m"}, UnownedAfter: "1m"}
			pb.Regimes = nil // no clocks: it may close at once
		}
		return pb, ok
	}
	m, _ := startMainHook(t, filepath.Join(t.TempDir(), "data"), nil, func(m *Main) { m.playbooks = short })
	t.Cleanup(func() { _ = m.Close() })
	c := apiClient{t: t, base: "http://" + m.Addr()}
	code, inc := c.do("POST", "/api/v1/incidents", adminToken, map[string]any{"title": "Cadence on the real server", "severity": "critical"})
	require.Equal(t, http.StatusCreated, code, "%v", inc)
	id := inc["id"].(string)
	require.Eventually(t, func() bool {
		_, got := c.do("GET", "/api/v1/incidents/"+id, adminToken, nil)
		return got["update_due_at"] != nil
	}, 30*time.Second, 200*time.Millisecond, "the incident says when its first status update is due")

	kinds := func() map[string]int {
		_, tl := c.do("GET", "/api/v1/incidents/"+id+"/timeline", adminToken, nil)
		out := map[string]int{}
		for _, e := range tl["events"].([]any) {
			out[e.(map[string]any)["kind"].(string)]++
		}
		return out
	}
	require.Eventually(t, func() bool {
		k := kinds()
		return k["update.nudged"] >= 1 && k["incident.unowned"] >= 1
	}, 3*time.Minute, 500*time.Millisecond, "a minute on, the overdue update and the missing commander are on the timeline")
	out := c.act(adminToken, id, map[string]any{"type": "close", "reason": "cadence test done"})
	require.Equal(t, "closed", out["status"])
	k := kinds()
	require.Equal(t, 1, k["incident.unowned"], "pointed out once")
	require.Equal(t, 1, k["update.nudged"], "once in its first period")
	require.NoError(t, m.client.GetWorkflow(t.Context(), "incident/"+id, "").Get(t.Context(), nil))
	writeHistory(t, m, "incident/"+id, "incident-update-nudged")
}

package main

import (
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/api/enums/v1"

	"github.com/irbot/irbot/playbooks"
	"github.com/irbot/irbot/workflows"
)

// queryAs reads a workflow's query into out, zeroed first: JSON leaves a
// field it does not mention as it was, and a reused state would keep an old
// paused_at.
func queryAs(t *testing.T, m *Main, workflowID, query string, out any) error {
	t.Helper()
	v, err := m.client.QueryWorkflow(t.Context(), workflowID, "", query)
	if err != nil {
		return err
	}
	reflect.ValueOf(out).Elem().SetZero()
	return v.Get(out)
}

// A drill on the real server, paused, with irbot serve restarted while it is
// paused, then resumed and ended: the pause reaches the incident and its
// running GDPR clock (the card's scenario time, the clock and the injects
// stand still together and agree to the second afterwards), nothing done
// before the restart is lost, injects still to come arrive shifted by the
// time paused, and end stops every clock's timer at once.
func TestDrillPauseRestartResumeEndOnTheRealServer(t *testing.T) {
	dataDir := filepath.Join(t.TempDir(), "data")
	m := startMain(t, dataDir)
	api := apiClient{t: t, base: "http://" + m.Addr()}
	const speed = 1200 // T+2h at 6 s, T+6h at 18 s, 72 h in 3.6 min
	code, body := api.do("POST", "/api/v1/drills", managerToken, map[string]any{"scenario": "ransomware-exfiltration", "speed": speed})
	require.Equal(t, 201, code, "%v", body)
	id := body["id"].(string)
	drillID, incID := workflows.DrillWorkflowID(id), workflows.IncidentWorkflowID(id)
	gdprID := workflows.ClockWorkflowID(id, "eu-gdpr", "supervisory-authority")

	var d workflows.DrillState
	delivered := func() int {
		n := 0
		for _, ev := range d.Events {
			if ev.DeliveredAt != nil {
				n++
			}
		}
		return n
	}
	require.Eventually(t, func() bool {
		return queryAs(t, m, drillID, workflows.QueryDrill, &d) == nil && delivered() >= 2
	}, time.Minute, 100*time.Millisecond, "the T+0 and T+1h events arrive")
	var p workflows.ClockProgress
	require.Eventually(t, func() bool { return queryAs(t, m, gdprID, workflows.QueryClock, &p) == nil },
		30*time.Second, 100*time.Millisecond, "the GDPR clock runs")

	code, body = api.do("POST", "/api/v1/drills/"+id+"/actions", managerToken, map[string]any{"type": "pause"})
	require.Equal(t, 200, code, "%v", body)
	var inc workflows.IncidentState
	require.Eventually(t, func() bool {
		return queryAs(t, m, incID, workflows.QueryState, &inc) == nil && inc.DrillPause != nil && inc.DrillPause.PausedAt != nil &&
			queryAs(t, m, gdprID, workflows.QueryClock, &p) == nil && p.DrillPause != nil && p.DrillPause.PausedAt != nil
	}, 30*time.Second, 100*time.Millisecond, "the pause reaches the incident and its clock")
	require.NoError(t, queryAs(t, m, drillID, workflows.QueryDrill, &d))
	before := delivered()
	pausedAt := *d.PausedAt
	frozen := workflows.IncidentNow(inc, time.Now())
	require.Equal(t, *d.PausedAt, *inc.DrillPause.PausedAt, "one pause, one instant")

	// Restart irbot serve while the drill is paused.
	require.NoError(t, m.Close(), "clean shutdown mid-drill")
	m = startMain(t, dataDir)
	t.Cleanup(func() { _ = m.Close() })
	api.base = "http://" + m.Addr()
	require.NoError(t, queryAs(t, m, drillID, workflows.QueryDrill, &d))
	require.Equal(t, workflows.DrillPaused, d.Status, "still paused after the restart")
	require.Equal(t, before, delivered(), "nothing delivered while paused, nothing lost")
	require.NoError(t, queryAs(t, m, incID, workflows.QueryState, &inc))
	require.Equal(t, frozen, workflows.IncidentNow(inc, time.Now()), "the incident's scenario time stands still while paused")
	time.Sleep(2 * time.Second) // the pause must be long enough to see the shift

	code, body = api.do("POST", "/api/v1/drills/"+id+"/actions", managerToken, map[string]any{"type": "resume"})
	require.Equal(t, 200, code, "%v", body)
	require.NoError(t, queryAs(t, m, drillID, workflows.QueryDrill, &d))
	paused := d.Paused
	require.Greater(t, paused, 2*time.Second)
	require.Eventually(t, func() bool {
		return queryAs(t, m, incID, workflows.QueryState, &inc) == nil && inc.DrillPause != nil && inc.DrillPause.PausedAt == nil &&
			queryAs(t, m, gdprID, workflows.QueryClock, &p) == nil && p.DrillPause != nil && p.DrillPause.PausedAt == nil
	}, 30*time.Second, 100*time.Millisecond, "the resume reaches the incident and its clock")
	require.Equal(t, paused, inc.DrillPause.Paused, "the incident is shifted by exactly the drill's pause")
	require.Equal(t, paused, p.DrillPause.Paused, "the clock is shifted by exactly the drill's pause")
	now := time.Now()
	require.Equal(t, d.ScenarioTime(now), playbooks.Span(workflows.IncidentNow(inc, now).Sub(inc.DeclaredAt).Truncate(time.Second)),
		"the drill's injects and the incident's clocks count the same scenario time")

	// The next inject arrives at its scenario time shifted by the pause.
	require.Eventually(t, func() bool {
		return queryAs(t, m, drillID, workflows.QueryDrill, &d) == nil && delivered() > before
	}, time.Minute, 100*time.Millisecond, "play goes on after the resume")
	for _, ev := range d.Events {
		if ev.DeliveredAt == nil || ev.Early {
			continue
		}
		want := d.StartedAt.Add(time.Duration(float64(ev.ScenarioAt.D()) / speed))
		if want.After(pausedAt) {
			want = want.Add(paused)
		}
		require.False(t, ev.DeliveredAt.Before(want.Add(-time.Second)), "%s arrived before its shifted time", ev.ID)
	}

	// End stops every timer: the incident closes and its clocks end.
	code, body = api.do("POST", "/api/v1/drills/"+id+"/actions", managerToken, map[string]any{"type": "end"})
	require.Equal(t, 200, code, "%v", body)
	require.Eventually(t, func() bool {
		desc, err := m.client.DescribeWorkflowExecution(t.Context(), gdprID, "")
		return err == nil && desc.WorkflowExecutionInfo.Status == enums.WORKFLOW_EXECUTION_STATUS_COMPLETED
	}, 30*time.Second, 100*time.Millisecond, "end stops the GDPR clock's timers")
	require.NoError(t, queryAs(t, m, drillID, workflows.QueryDrill, &d))
	require.Equal(t, workflows.DrillEnded, d.Status)
	n := delivered()
	time.Sleep(2 * time.Second)
	require.NoError(t, queryAs(t, m, drillID, workflows.QueryDrill, &d))
	require.Equal(t, n, delivered(), "nothing is delivered after end")
	writeHistory(t, m, drillID, "drill-paused-restarted-ended")
	writeHistory(t, m, incID, "incident-drill-paused-ended")
	writeHistory(t, m, gdprID, "clock-drill-paused-closed")
}

package main

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/irbot/irbot/workflows"
)

// A manager schedules a quarterly drill in Paris time: it lists with its next
// run at 09:00 Paris time; bad cron expressions and time zones are refused
// with the problem named; the schedule, triggered, starts a drill (its
// incident is a drill, declared by the scheduling manager) and the reminder
// of the next run waits for its day; deleted, it is gone from the list.
func TestDrillScheduleOnTheRealServer(t *testing.T) {
	m := startMain(t, t.TempDir())
	api := apiClient{t: t, base: "http://" + m.Addr()}

	for _, bad := range []struct{ body map[string]any }{
		{map[string]any{"scenario": "ransomware-exfiltration", "cron": "0 9 1 */3"}},
		{map[string]any{"scenario": "ransomware-exfiltration", "cron": "61 9 1 */3 *"}},
		{map[string]any{"scenario": "ransomware-exfiltration", "cron": "0 9 1 */3 MON"}},
		{map[string]any{"scenario": "ransomware-exfiltration", "cron": "*/5 * * * *"}},
		{map[string]any{"scenario": "ransomware-exfiltration", "cron": "CRON_TZ=Europe/Paris 0 9 1 */3 *"}},
		{map[string]any{"scenario": "ransomware-exfiltration", "cron": "0 9 1 */3 *", "time_zone": "Mars/Olympus"}},
		{map[string]any{"scenario": "nope", "cron": "0 9 1 */3 *"}},
	} {
		code, body := api.do("POST", "/api/v1/drills/schedules", managerToken, bad.body)
		require.Equal(t, 400, code, "%v: %v", bad.body, body)
		require.NotEmpty(t, body["error"])
	}
	code, body := api.do("POST", "/api/v1/drills/schedules", managerToken, map[string]any{"scenario": "ransomware-exfiltration", "cron": "61 9 1 */3 *"})
	require.Equal(t, 400, code)
	require.Contains(t, body["error"], "61", "the refusal names what is wrong in the expression")
	code, body = api.do("POST", "/api/v1/drills/schedules", managerToken, map[string]any{"scenario": "ransomware-exfiltration", "cron": "0 9 1 */3 *", "time_zone": "Mars/Olympus"})
	require.Equal(t, 400, code)
	require.Contains(t, body["error"], "time_zone")

	code, body = api.do("POST", "/api/v1/drills/schedules", responderToken, map[string]any{"scenario": "ransomware-exfiltration", "cron": "0 9 1 */3 *"})
	require.Equal(t, 403, code, "only managers schedule drills: %v", body)

	code, body = api.do("POST", "/api/v1/drills/schedules", managerToken, map[string]any{
		"scenario": "ransomware-exfiltration", "cron": "0 9 1 */3 *", "time_zone": "Europe/Paris", "speed": 100000,
	})
	require.Equal(t, 201, code, "%v", body)
	id := body["id"].(string)
	paris, err := time.LoadLocation("Europe/Paris")
	require.NoError(t, err)

	var sched map[string]any
	require.Eventually(t, func() bool {
		_, list := api.do("GET", "/api/v1/drills/schedules", responderToken, nil)
		for _, s := range list["schedules"].([]any) {
			if s.(map[string]any)["id"] == id {
				sched = s.(map[string]any)
				return true
			}
		}
		return false
	}, time.Minute, 200*time.Millisecond, "the new schedule is listed")
	require.Equal(t, "0 9 1 */3 *", sched["cron"])
	require.Equal(t, "Europe/Paris", sched["time_zone"])
	next, err := time.Parse(time.RFC3339, sched["next_run"].(string))
	require.NoError(t, err)
	np := next.In(paris)
	require.True(t, next.After(time.Now()), "next run %s is ahead", next)
	require.Equal(t, 9, np.Hour(), "09:00 Paris time, not UTC: %s", np)
	require.Equal(t, 1, np.Day())
	require.Contains(t, []time.Month{time.January, time.April, time.July, time.October}, np.Month())

	// The first run's reminder waits for the day before it.
	rem, err := m.client.DescribeWorkflowExecution(t.Context(), workflows.DrillReminderWorkflowID(id, next), "")
	require.NoError(t, err, "the first run has its reminder")
	require.Equal(t, enums.WORKFLOW_EXECUTION_STATUS_RUNNING, rem.WorkflowExecutionInfo.Status)

	// Its time comes (Trigger): a drill starts.
	before := drillIDs(api)
	require.NoError(t, m.client.ScheduleClient().GetHandle(t.Context(), id).Trigger(t.Context(), client.ScheduleTriggerOptions{}))
	var drill string
	require.Eventually(t, func() bool {
		for d := range drillIDs(api) {
			if !before[d] {
				drill = d
				return true
			}
		}
		return false
	}, 2*time.Minute, 200*time.Millisecond, "the triggered schedule starts a drill")
	_, inc := api.do("GET", "/api/v1/incidents/"+drill, managerToken, nil)
	require.Equal(t, "drill", inc["mode"])
	require.Contains(t, inc["title"], "[DRILL]")
	code, st := api.do("GET", "/api/v1/drills/"+drill, managerToken, nil)
	require.Equal(t, 200, code, "%v", st)
	require.Equal(t, "ransomware-exfiltration", st["scenario"])
	require.EqualValues(t, 100000, st["speed"])

	code, body = api.do("DELETE", "/api/v1/drills/schedules/"+id, responderToken, nil)
	require.Equal(t, 403, code, "%v", body)
	code, body = api.do("DELETE", "/api/v1/drills/schedules/"+id, managerToken, nil)
	require.Equal(t, 200, code, "%v", body)
	code, _ = api.do("DELETE", "/api/v1/drills/schedules/"+id, managerToken, nil)
	require.Equal(t, 404, code)
	require.Eventually(t, func() bool {
		_, list := api.do("GET", "/api/v1/drills/schedules", managerToken, nil)
		return len(list["schedules"].([]any)) == 0
	}, time.Minute, 200*time.Millisecond, "a deleted schedule is not listed")
}

// drillIDs are the drill incidents the API lists.
func drillIDs(api apiClient) map[string]bool {
	_, list := api.do("GET", "/api/v1/incidents", adminToken, nil)
	out := map[string]bool{}
	for _, x := range list["incidents"].([]any) {
		inc := x.(map[string]any)
		if inc["mode"] == "drill" {
			out[inc["id"].(string)] = true
		}
	}
	return out
}

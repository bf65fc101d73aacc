package main

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/irbot/irbot/internal/cli"
	"github.com/irbot/irbot/internal/schedule"
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
	writeHistory(t, m, scheduledRun(t, m, id), "scheduled-drill-started")

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

// The same scenario scheduled at the same times twice is refused (409)
// naming the schedule that exists: the same expression and zone, another
// spelling of it, or many managers asking at once (exactly one wins); other
// zones and other scenarios are separate schedules, and a deleted schedule
// can be made again. A run whose drill is refused (its manager lost the
// role) starts no drill, says why in its result, and still sets up the
// reminder of the next run.
func TestDrillScheduleDuplicatesAndRefusedRunsOnTheRealServer(t *testing.T) {
	m := startMain(t, t.TempDir())
	api := apiClient{t: t, base: "http://" + m.Addr()}
	create := func(scenario, cron, tz string) (int, map[string]any) {
		return api.do("POST", "/api/v1/drills/schedules", managerToken, map[string]any{"scenario": scenario, "cron": cron, "time_zone": tz})
	}
	code, body := create("ransomware-exfiltration", "0 9 1 */3 *", "Europe/Paris")
	require.Equal(t, 201, code, "%v", body)
	id := body["id"].(string)

	code, body = create("ransomware-exfiltration", "  0 9 1  */3 * ", "Europe/Paris")
	require.Equal(t, 409, code, "the same schedule twice: %v", body)
	require.Contains(t, body["error"], id, "the refusal names the schedule that exists")
	require.Eventually(t, func() bool { return scheduleListed(api, id) }, time.Minute, 200*time.Millisecond)
	code, body = create("ransomware-exfiltration", "0 9 1 1,4,7,10 *", "Europe/Paris")
	require.Equal(t, 409, code, "another spelling of the same times: %v", body)
	require.Contains(t, body["error"], id)

	code, body = create("ransomware-exfiltration", "0 9 1 */3 *", "UTC")
	require.Equal(t, 201, code, "another zone is another time: %v", body)
	code, body = create("misdirected-email", "0 9 1 */3 *", "Europe/Paris")
	require.Equal(t, 201, code, "another scenario: %v", body)

	// Many managers at once: one schedule, the others refused.
	codes := make(chan int, 6)
	var wg sync.WaitGroup
	for range 6 {
		wg.Go(func() {
			b, _ := json.Marshal(map[string]any{"scenario": "credential-stuffing", "cron": "0 10 * * 1", "time_zone": "Asia/Tokyo"})
			req, _ := http.NewRequest("POST", api.base+"/api/v1/drills/schedules", bytes.NewReader(b))
			req.Header.Set("Authorization", "Bearer "+managerToken)
			req.Header.Set("Content-Type", "application/json")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				codes <- 0
				return
			}
			_ = resp.Body.Close()
			codes <- resp.StatusCode
		})
	}
	wg.Wait()
	close(codes)
	got := map[int]int{}
	for c := range codes {
		got[c]++
	}
	require.Equal(t, map[int]int{201: 1, 409: 5}, got, "six identical requests at once make one schedule")

	code, _ = api.do("DELETE", "/api/v1/drills/schedules/"+id, managerToken, nil)
	require.Equal(t, 200, code)
	code, body = create("ransomware-exfiltration", "0 9 1 */3 *", "Europe/Paris")
	require.Equal(t, 201, code, "a deleted schedule can be made again: %v", body)
	require.Equal(t, id, body["id"])

	// The same through the CLI a person types: list, create, a duplicate
	// refused with the server's reason (exit 1), delete.
	runCLI := func(token string, args ...string) (string, int) {
		var out, errOut bytes.Buffer
		code := cli.Run(args, cli.Env{URL: api.base, Token: token}, &out, &errOut)
		return out.String() + errOut.String(), code
	}
	out, code2 := runCLI(managerToken, "drill", "schedule", "create", "processor-breach", "0 8 15 * *", "America/New_York")
	require.Equal(t, 0, code2, out)
	require.Contains(t, out, "scheduled "+workflows.DrillScheduleIDPrefix+"processor-breach-")
	cliID := strings.Fields(strings.TrimPrefix(out, "scheduled "))[0]
	out, code2 = runCLI(managerToken, "drill", "schedule", "create", "processor-breach", "0 8 15 * *", "America/New_York")
	require.Equal(t, 1, code2, out)
	require.Contains(t, out, "already scheduled")
	require.Contains(t, out, cliID, "the CLI shows the refusal naming the schedule")
	require.Contains(t, out, "HTTP 409")
	out, code2 = runCLI(managerToken, "drill", "schedule", "create", "processor-breach", "0 8 15 * *", "Mars/Olympus")
	require.Equal(t, 1, code2, out)
	require.Contains(t, out, "time_zone")
	out, code2 = runCLI(responderToken, "drill", "schedule", "create", "processor-breach", "0 8 16 * *")
	require.Equal(t, 1, code2, out)
	require.Contains(t, out, "HTTP 403")
	out, code2 = runCLI(managerToken, "drill", "schedule", "create", "processor-breach")
	require.Equal(t, 2, code2, "a missing cron is a usage error: %s", out)
	require.Contains(t, out, "usage: irbot drill schedule")
	require.Eventually(t, func() bool {
		out, code2 = runCLI(responderToken, "drill", "schedule", "list")
		return code2 == 0 && strings.Contains(out, cliID)
	}, time.Minute, 200*time.Millisecond, "the CLI lists the new schedule")
	require.Contains(t, out, "NEXT RUN")
	require.Contains(t, out, "America/New_York")
	out, code2 = runCLI(managerToken, "drill", "schedule", "list", "--json")
	require.Equal(t, 0, code2, out)
	require.Contains(t, out, `"schedules"`)
	out, code2 = runCLI(managerToken, "drill", "schedule", "delete", cliID)
	require.Equal(t, 0, code2, out)
	require.Contains(t, out, "deleted "+cliID)
	out, code2 = runCLI(managerToken, "drill", "schedule", "delete", cliID)
	require.Equal(t, 1, code2, out)
	require.Contains(t, out, "HTTP 404")

	// A schedule whose manager no longer holds the role (made here as a
	// responder's, as if the role had been taken away since).
	in := workflows.ScheduledDrillInput{ScheduleID: workflows.DrillScheduleIDPrefix + "processor-breach-refused",
		Scenario: "processor-breach", Cron: "0 3 * * *", TimeZone: "UTC", Speed: 100000,
		By: workflows.Actor{ID: "U0000000003", Roles: []string{"manager"}}}
	require.NoError(t, schedule.CreateDrill(t.Context(), m.client, in, workflows.TaskQueue))
	before := drillIDs(api)
	require.NoError(t, m.client.ScheduleClient().GetHandle(t.Context(), in.ScheduleID).Trigger(t.Context(), client.ScheduleTriggerOptions{}))
	runID := scheduledRun(t, m, in.ScheduleID)
	var res workflows.ScheduledDrillStarted
	require.NoError(t, m.client.GetWorkflow(t.Context(), runID, "").Get(t.Context(), &res), "a refused run completes: it is not retried")
	require.Contains(t, res.Refused, "manager role", "the run says why no drill started")
	require.Empty(t, res.Incident)
	require.NotNil(t, res.NextRun, "the refused run still reads the next time")
	require.Equal(t, before, drillIDs(api), "no drill started")
	reminder := workflows.DrillReminderWorkflowID(in.ScheduleID, *res.NextRun)
	require.Eventually(t, func() bool {
		d, err := m.client.DescribeWorkflowExecution(t.Context(), reminder, "")
		return err == nil && d.WorkflowExecutionInfo.Status == enums.WORKFLOW_EXECUTION_STATUS_COMPLETED
	}, time.Minute, 200*time.Millisecond, "the next run (within a day) is reminded although this one was refused")
	writeHistory(t, m, runID, "scheduled-drill-refused")
	writeHistory(t, m, reminder, "drill-reminder-sent")
}

// scheduleListed says whether GET /api/v1/drills/schedules lists id.
func scheduleListed(api apiClient, id string) bool {
	_, list := api.do("GET", "/api/v1/drills/schedules", managerToken, nil)
	for _, s := range list["schedules"].([]any) {
		if s.(map[string]any)["id"] == id {
			return true
		}
	}
	return false
}

// scheduledRun waits for the run a schedule started to finish and returns
// its workflow ID.
func scheduledRun(t *testing.T, m *Main, scheduleID string) string {
	t.Helper()
	var wid string
	require.Eventually(t, func() bool {
		d, err := m.client.ScheduleClient().GetHandle(t.Context(), scheduleID).Describe(t.Context())
		if err != nil || len(d.Info.RecentActions) == 0 || d.Info.RecentActions[0].StartWorkflowResult == nil {
			return false
		}
		wid = d.Info.RecentActions[len(d.Info.RecentActions)-1].StartWorkflowResult.WorkflowID
		x, err := m.client.DescribeWorkflowExecution(t.Context(), wid, "")
		return err == nil && x.WorkflowExecutionInfo.Status == enums.WORKFLOW_EXECUTION_STATUS_COMPLETED
	}, 2*time.Minute, 200*time.Millisecond, "the schedule's run finishes")
	return wid
}

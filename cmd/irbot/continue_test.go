package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"

	"github.com/irbot/irbot/internal/smtptest"
	"github.com/irbot/irbot/workflows"
)

// incidentRuns follows an incident workflow's chain of runs back from the
// current one and returns their run IDs, first run first.
func incidentRuns(t *testing.T, c client.Client, id string) []string {
	t.Helper()
	var runs []string
	runID := ""
	for {
		d, err := c.DescribeWorkflowExecution(t.Context(), workflows.IncidentWorkflowID(id), runID)
		require.NoError(t, err)
		runID = d.GetWorkflowExecutionInfo().GetExecution().GetRunId()
		runs = append([]string{runID}, runs...)
		iter := c.GetWorkflowHistory(t.Context(), workflows.IncidentWorkflowID(id), runID, false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
		require.True(t, iter.HasNext())
		first, err := iter.Next()
		require.NoError(t, err)
		prev := first.GetWorkflowExecutionStartedEventAttributes().GetContinuedExecutionRunId()
		if prev == "" {
			return runs
		}
		runID = prev
	}
}

// TestLongIncidentContinuesAsNewWithNothingLost works one incident with
// hundreds of actions against a short history limit, so its workflow
// continues as new,
// while a notice is being delivered (four temporary SMTP refusals, so it
// reports attempts by signal across the boundaries) and callers retry with
// the same request ID. Every action is on the timeline exactly once, the
// notice lands once in the register against its clock, the clocks carry over
// unchanged and still take signals, and the chain verifies.
func TestLongIncidentContinuesAsNewWithNothingLost(t *testing.T) {
	t.Parallel() // waits on real timers or an outage; see TestMain
	if testing.Short() {
		t.Skip("hundreds of actions: minutes")
	}
	// 300 by default. At 2000 concurrent actions the run rarely gets a quiet
	// moment to hand over and Temporal's limit of 2000 Updates per run
	// refuses the rest (the README's "Running at scale" names this gap);
	// IRBOT_CAN_ACTIONS=2000 shows it.
	actions := 300
	if v := os.Getenv("IRBOT_CAN_ACTIONS"); v != "" {
		n, err := strconv.Atoi(v)
		require.NoError(t, err)
		actions = n
	}
	smtp := smtptest.Start(t)
	smtp.ReplyDataWith(451, 451, 451, 451, 250)
	env := smtpEnv(smtp)
	// A short history per run: the workflow continues as new every few
	// dozen actions, so the boundaries meet the notice's reports often.
	env["IRBOT_TEMPORAL_HISTORY_EVENTS"] = "300"
	m := startMainEnv(t, filepath.Join(t.TempDir(), "data"), env)
	t.Cleanup(func() { _ = m.Close() })
	c := apiClient{t: t, base: "http://" + m.Addr()}
	e := declareBreach(t, c, "live", time.Now().Add(-2*time.Hour), gdprFacts)

	clocks := func() map[string]any {
		_, st := c.do("GET", "/api/v1/incidents/"+e.id, dpoToken, nil)
		out := map[string]any{}
		for _, raw := range st["clocks"].([]any) {
			clk := raw.(map[string]any)
			out[clk["regime"].(string)+"/"+clk["obligation"].(string)] = clk
		}
		return out
	}
	before := clocks()
	require.Contains(t, before, "eu-gdpr/supervisory-authority")

	once := c.act(responderToken, e.id, map[string]any{"type": "note", "text": "applied once", "request_id": "can-once"})
	require.EqualValues(t, 1, once["notes"])

	nid := e.draft(t, dpoToken, map[string]any{"regime": "eu-gdpr", "obligation": "supervisory-authority", "to": []string{"breach@dpa.example"}})["id"].(string)
	code, out := e.action(legalToken, nid, "approve", "checked")
	require.Equal(t, http.StatusOK, code, "%v", out)

	// Four clients, each note with its own request ID; a caller that gets
	// no answer (an Update caught by a boundary, a timeout) sends the same
	// request again, as Slack and the CLI do.
	start := time.Now()
	var next, retries atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1))
				if i > actions {
					return
				}
				if i == actions/10 {
					// The notice goes out while the incident is being worked:
					// its attempts report back across the boundaries.
					code, out := e.action(dpoToken, nid, "send", "")
					if code != http.StatusOK {
						t.Errorf("send: %d %v", code, out)
					}
				}
				body := map[string]any{"type": "note", "text": fmt.Sprintf("note %05d", i), "request_id": fmt.Sprintf("can-%05d", i)}
				for try := 0; ; try++ {
					code, out := c.do("POST", "/api/v1/incidents/"+e.id+"/actions", responderToken, body)
					if code == http.StatusOK {
						break
					}
					if try == 5 || code < 500 {
						t.Errorf("note %d: %d %v", i, code, out)
						return
					}
					retries.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	require.False(t, t.Failed())

	e.waitStatus(t, nid, "sent", 3*time.Minute)
	reg := e.waitRegister(t, 1)
	require.Len(t, reg, 1, "the notice delivered across the boundaries is in the register once: %v", reg)
	require.Len(t, smtp.Messages(), 1, "delivered once")
	require.Equal(t, reg[0]["message_id"], smtp.Messages()[0].MessageID)

	runs := incidentRuns(t, m.client, e.id)
	t.Logf("%d actions in %s (%.1f/s), %d runs, %d retried requests", actions, elapsed.Round(time.Millisecond),
		float64(actions)/elapsed.Seconds(), len(runs), retries.Load())
	require.GreaterOrEqual(t, len(runs), 2, "thousands of actions must continue the workflow as new")

	// The request IDs used for idempotency carry over (the last 200).
	again := c.act(responderToken, e.id, map[string]any{"type": "note", "text": fmt.Sprintf("note %05d", actions), "request_id": fmt.Sprintf("can-%05d", actions)})
	require.EqualValues(t, actions+1, again["notes"], "a request repeated after continue-as-new is not applied again")

	// The timeline: every note once, no gap, the notice recorded against
	// its clock, the chain intact.
	_, tl := c.do("GET", "/api/v1/incidents/"+e.id+"/timeline", adminToken, nil)
	events := tl["events"].([]any)
	seen := map[string]int{}
	kinds := map[string]int{}
	fromIncident := 0 // the notice and clock workflows write their own entries
	for i, raw := range events {
		ev := raw.(map[string]any)
		require.EqualValues(t, i+1, ev["seq"], "the timeline has no gap")
		kinds[ev["kind"].(string)]++
		if strings.HasPrefix(ev["key"].(string), "wf-") {
			fromIncident++
		}
		if ev["kind"] == "note.added" {
			var d struct{ Text string }
			b, _ := json.Marshal(ev["data"])
			require.NoError(t, json.Unmarshal(b, &d))
			seen[d.Text]++
		}
	}
	require.Len(t, seen, actions+1, "every note is on the timeline")
	for text, n := range seen {
		require.Equal(t, 1, n, "%q is on the timeline once", text)
	}
	require.Equal(t, 1, kinds["notification.recorded"], "the notice is recorded once against its clock")
	require.Equal(t, 1, kinds["notice.sent"], "%v", kinds)
	_, st := c.do("GET", "/api/v1/incidents/"+e.id, dpoToken, nil)
	require.EqualValues(t, fromIncident, st["events"], "the state counts exactly the entries the incident wrote")
	require.EqualValues(t, actions+1, st["notes"])
	code, v := c.do("GET", "/api/v1/incidents/"+e.id+"/timeline/verify", adminToken, nil)
	require.Equal(t, http.StatusOK, code)
	require.Equal(t, true, v["ok"], "%v", v)

	// The clocks carried over: same obligations and due times, the
	// notified one met, the others still running in their own workflows,
	// which still take the incident's signals: closing settles them.
	after := clocks()
	require.Len(t, after, len(before))
	for key, b := range before {
		a := after[key].(map[string]any)
		require.Equal(t, b.(map[string]any)["due_at"], a["due_at"], "%s keeps its due time", key)
		if key == "eu-gdpr/supervisory-authority" {
			require.Equal(t, "met", a["status"])
			continue
		}
		require.Equal(t, b.(map[string]any)["status"], a["status"], "%s", key)
	}
	for key, a := range after {
		clk := a.(map[string]any)
		if clk["status"] != "running" && clk["status"] != "overdue" {
			continue
		}
		c.act(dpoToken, e.id, map[string]any{"type": "decide_not_to_notify", "regime": clk["regime"], "obligation": clk["obligation"],
			"reason": "Settled by the last run: " + key})
		wid := workflows.ClockWorkflowID(e.id, clk["regime"].(string), clk["obligation"].(string))
		require.Eventually(t, func() bool {
			d, err := m.client.DescribeWorkflowExecution(t.Context(), wid, "")
			return err == nil && d.GetWorkflowExecutionInfo().GetStatus() == enums.WORKFLOW_EXECUTION_STATUS_COMPLETED
		}, 30*time.Second, 200*time.Millisecond, "clock %s started by the first run is settled by the last", key)
	}
	_, v = c.do("GET", "/api/v1/incidents/"+e.id+"/timeline/verify", adminToken, nil)
	require.Equal(t, true, v["ok"], "%v", v)

	writeHistoryRun(t, m, workflows.IncidentWorkflowID(e.id), runs[len(runs)-1], "incident-resumed-settled")
}

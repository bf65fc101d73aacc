package main

import (
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/sdk/client"

	"github.com/irbot/irbot/internal/embedtemporal"
	"github.com/irbot/irbot/internal/smtptest"
	"github.com/irbot/irbot/workflows"
)

// resumeSlack is what a resume may take beyond the waits the design sets
// (the heartbeat timeout, the notice's back-off): Temporal's first retry
// interval (1 s), a workflow task first offered to the dead worker's sticky
// queue (5 s before Temporal gives it to another), polling, and a loaded
// machine. Two more heartbeat timeouts cover them with room for CI's load
// (the notice measured 19.7-21.6 s against a 25 s bound with one, at load
// 14-30); a worker whose send no longer heartbeats is found only at the
// activity's start-to-close timeout (2 minutes for a notice, 10 for a
// campaign batch), far beyond either.
const resumeSlack = 2 * workflows.SendHeartbeatTimeout

// workerProcess is one `irbot serve` in a process of its own (this test
// binary started again as irbot, see asIrbotEnv), against a Temporal server
// and a data directory it shares with the others: a replica that can die
// for real, mid-send, without a chance to tell anyone.
type workerProcess struct {
	cmd  *exec.Cmd
	base string
	out  *lockedBuffer
}

var apiLine = regexp.MustCompile(`api/console  http://(\S+)`)

// startWorkerProcess starts irbot serve with the test users, the SMTP
// server, the shared encryption keys and data directory, and waits until
// it is ready.
func startWorkerProcess(t *testing.T, temporal, dataDir, users, keys string, smtp *smtptest.Server) *workerProcess {
	t.Helper()
	exe, err := os.Executable()
	require.NoError(t, err)
	env := []string{asIrbotEnv + "=serve"}
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		// Only what this test sets: nothing of the caller's irbot, Temporal,
		// mail or Slack settings reaches the replica.
		if !strings.HasPrefix(name, "IRBOT_") && !strings.HasPrefix(name, "TEMPORAL_") && !strings.HasPrefix(name, "SMTP_") && !strings.HasPrefix(name, "SLACK_") {
			env = append(env, kv)
		}
	}
	env = append(env,
		"TEMPORAL_ADDRESS="+temporal, "IRBOT_DATA_DIR="+dataDir, "IRBOT_HTTP_ADDR=127.0.0.1:0",
		"IRBOT_ENCRYPTION_KEYS="+keys, "IRBOT_USERS_FILE="+users, "IRBOT_ADMIN_TOKEN="+adminToken, "IRBOT_LOG_LEVEL=warn",
		"SMTP_ADDR="+smtp.Addr, "SMTP_TLS=none", "SMTP_FROM=irbot@example.com",
	)
	p := &workerProcess{out: &lockedBuffer{}}
	p.cmd = exec.Command(exe) // #nosec G204 -- this test binary, started again as irbot serve
	p.cmd.Env = env
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	require.NoError(t, p.cmd.Start())
	// Cleanups run last first: the process is gone (its output complete)
	// before a failed test shows what it printed.
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("irbot serve (pid %d) printed:\n%s", p.cmd.Process.Pid, p.out.String())
		}
	})
	t.Cleanup(p.kill)
	require.Eventually(t, func() bool {
		if m := apiLine.FindStringSubmatch(p.out.String()); m != nil {
			p.base = "http://" + m[1]
		}
		if p.base == "" {
			return false
		}
		resp, err := http.Get(p.base + "/readyz")
		if err != nil {
			return false
		}
		_ = resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	}, 90*time.Second, 100*time.Millisecond, "irbot serve must become ready")
	return p
}

// kill ends the process with SIGKILL: no shutdown, no word to Temporal,
// the activity it runs is neither completed nor failed.
func (p *workerProcess) kill() {
	if p.cmd.ProcessState == nil {
		_ = p.cmd.Process.Signal(syscall.SIGKILL)
		_ = p.cmd.Wait()
	}
}

// replicas is a Temporal server started by the test (as an operator's
// cluster runs apart from irbot) and two irbot serve processes sharing it,
// one data directory (SQLite store) and one set of keys.
type replicas struct {
	procs    [2]*workerProcess
	temporal client.Client
}

func startReplicas(t *testing.T, smtp *smtptest.Server) *replicas {
	t.Helper()
	srv, err := embedtemporal.Start(t.Context(), embedtemporal.Config{DatabaseFile: filepath.Join(t.TempDir(), "temporal", "temporal.db"), LogLevel: "fatal"})
	require.NoError(t, err)
	t.Cleanup(func() { _ = srv.Stop() })
	// A plain client: it reads statuses and worker identities, never payloads.
	tc, err := client.Dial(client.Options{HostPort: srv.HostPort()})
	require.NoError(t, err)
	t.Cleanup(tc.Close)
	secret := make([]byte, 32)
	_, err = rand.Read(secret)
	require.NoError(t, err)
	keys := "k1:" + base64.StdEncoding.EncodeToString(secret)
	dataDir, users := filepath.Join(t.TempDir(), "data"), writeUsersFile(t, t.TempDir())
	r := &replicas{temporal: tc}
	// One after the other: the first creates the store and the
	// checkpoint key the second opens.
	for i := range r.procs {
		r.procs[i] = startWorkerProcess(t, srv.HostPort(), dataDir, users, keys, smtp)
	}
	return r
}

// sending waits until a worker process has started an activity of the
// workflow and returns that process and the other one. The SDK's worker
// identity starts with the process ID ("PID@HOST@").
func (r *replicas) sending(t *testing.T, workflowID string) (holder, other *workerProcess) {
	t.Helper()
	require.Eventually(t, func() bool {
		d, err := r.temporal.DescribeWorkflowExecution(t.Context(), workflowID, "")
		if err != nil {
			return false
		}
		for _, pa := range d.GetPendingActivities() {
			for i, p := range r.procs {
				if strings.HasPrefix(pa.GetLastWorkerIdentity(), strconv.Itoa(p.cmd.Process.Pid)+"@") {
					holder, other = p, r.procs[1-i]
					return true
				}
			}
		}
		return false
	}, 20*time.Second, 20*time.Millisecond, "an activity of %s must be running on one of the worker processes", workflowID)
	return holder, other
}

// heartbeatLost returns the history event where Temporal gave up on the
// dead worker's attempt, and checks it was the heartbeat timeout that did
// (not the activity's start-to-close timeout, minutes later): for a
// campaign batch, retried by Temporal itself, the next attempt's start
// carries that failure; for a notice send (one attempt per activity), the
// activity's timed-out event does.
func (r *replicas) heartbeatLost(t *testing.T, workflowID string) *historypb.HistoryEvent {
	t.Helper()
	it := r.temporal.GetWorkflowHistory(t.Context(), workflowID, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		ev, err := it.Next()
		require.NoError(t, err)
		if a := ev.GetActivityTaskStartedEventAttributes(); a != nil && a.GetAttempt() > 1 {
			require.Equal(t, enumspb.TIMEOUT_TYPE_HEARTBEAT, a.GetLastFailure().GetTimeoutFailureInfo().GetTimeoutType(), "the retried attempt followed a heartbeat timeout: %v", a.GetLastFailure())
			return ev
		}
		if a := ev.GetActivityTaskTimedOutEventAttributes(); a != nil {
			require.Equal(t, enumspb.TIMEOUT_TYPE_HEARTBEAT, a.GetFailure().GetTimeoutFailureInfo().GetTimeoutType(), "the send timed out on its heartbeat: %v", a.GetFailure())
			return ev
		}
	}
	t.Fatalf("%s: no attempt given up on a heartbeat timeout in the history", workflowID)
	return nil
}

// TestCampaignBatchResumesOnAnotherWorkerWithinTheHeartbeatTimeout: the
// process sending a campaign batch is SIGKILLed while the mail server holds
// one of its messages unanswered. The other process takes the batch over:
// its first message leaves within the heartbeat timeout (plus slack) of the
// death, everyone is reached, and the one message the dead worker may or
// may not have delivered goes again with the same Message-ID.
func TestCampaignBatchResumesOnAnotherWorkerWithinTheHeartbeatTimeout(t *testing.T) {
	t.Parallel() // waits on real timers; see TestMain
	smtp := smtptest.Start(t)
	const people, stalled = 120, 60 // the 60th message is in the second batch of 50
	smtp.StallAfterData(stalled)
	r := startReplicas(t, smtp)
	c := apiClient{t: t, base: r.procs[0].base}
	facts := map[string]any{"flags": []string{"high_risk"}}
	for k, v := range gdprFacts {
		facts[k] = v
	}
	e := declareBreach(t, c, "live", time.Now().Add(-2*time.Hour), facts)
	id := customerNotice(t, e)
	var csv strings.Builder
	csv.WriteString("email,name,jurisdiction,language\n")
	for i := range people {
		fmt.Fprintf(&csv, "person%04d@example.com,Person %d,DE,de\n", i, i)
	}
	code, body := postCSV(t, c, "/api/v1/incidents/"+e.id+"/campaigns?notice="+id, dpoToken, csv.String())
	require.Equal(t, http.StatusAccepted, code, body)

	held := smtp.WaitForMessages(t, stalled, 90*time.Second)[stalled-1]
	victim, survivor := r.sending(t, workflows.CampaignWorkflowID(e.id, id))
	killed := time.Now()
	victim.kill()
	e.c.base = survivor.base

	bound := workflows.SendHeartbeatTimeout + resumeSlack
	first := smtp.WaitForMessages(t, stalled+1, bound+time.Minute)[stalled]
	resumed := first.At.Sub(killed)
	t.Logf("SIGKILL of the worker sending a batch (pid %d) to the first message from the other worker: %s (bound %s)", victim.cmd.Process.Pid, resumed.Round(time.Millisecond), bound)
	require.LessOrEqual(t, resumed, bound, "a campaign stalls no longer than the heartbeat timeout (%s) plus slack when its worker dies", workflows.SendHeartbeatTimeout)

	e.waitStatus(t, id, "sent", 2*time.Minute)
	lost := r.heartbeatLost(t, workflows.CampaignWorkflowID(e.id, id))
	t.Logf("the other worker started the batch again %s after the kill", lost.GetEventTime().AsTime().Sub(killed).Round(time.Millisecond))
	msgs := smtp.Messages()
	byAddr := map[string]string{}
	repeats := map[string]int{}
	for _, msg := range msgs {
		require.Len(t, msg.To, 1)
		if prev, ok := byAddr[msg.To[0]]; ok {
			require.Equal(t, prev, msg.MessageID, "a repeat carries the same Message-ID")
			repeats[msg.To[0]]++
		}
		byAddr[msg.To[0]] = msg.MessageID
	}
	require.Len(t, byAddr, people, "everyone reached")
	require.Equal(t, map[string]int{held.To[0]: 1}, repeats, "only the message the dead worker left unanswered goes twice")
	require.True(t, e.hasEvent("campaign.completed"))
}

// TestNoticeSendResumesOnAnotherWorkerWithinTheHeartbeatTimeout: the mail
// server takes a regulator notice and never answers; the process waiting
// on it is SIGKILLed. The other process sends the notice again, with the
// same Message-ID, within the heartbeat timeout plus the notice's first
// back-off (plus slack) of the death; the first attempt is on record as
// uncertain and the register holds the notice once.
func TestNoticeSendResumesOnAnotherWorkerWithinTheHeartbeatTimeout(t *testing.T) {
	t.Parallel() // waits on real timers; see TestMain
	smtp := smtptest.Start(t)
	smtp.StallAfterData(1)
	r := startReplicas(t, smtp)
	c := apiClient{t: t, base: r.procs[0].base}
	e := declareBreach(t, c, "live", time.Now().Add(-2*time.Hour), gdprFacts)
	id := e.draft(t, dpoToken, map[string]any{"regime": "eu-gdpr", "obligation": "supervisory-authority", "to": []string{"breach@dpa.example"}})["id"].(string)
	e.approveAndSend(t, id)

	smtp.WaitForMessages(t, 1, 60*time.Second)
	victim, survivor := r.sending(t, workflows.NoticeWorkflowID(e.id, id))
	killed := time.Now()
	victim.kill()
	e.c.base = survivor.base

	bound := workflows.SendHeartbeatTimeout + workflows.NoticeFirstBackoff + resumeSlack
	msgs := smtp.WaitForMessages(t, 2, bound+time.Minute)
	resumed := msgs[1].At.Sub(killed)
	t.Logf("SIGKILL of the worker whose SMTP session stalled after DATA (pid %d) to the notice sent by the other worker: %s (bound %s)", victim.cmd.Process.Pid, resumed.Round(time.Millisecond), bound)
	require.LessOrEqual(t, resumed, bound, "a notice waits no longer than the heartbeat timeout (%s) and its first back-off (%s), plus slack, when its worker dies", workflows.SendHeartbeatTimeout, workflows.NoticeFirstBackoff)

	sent := e.waitStatus(t, id, "sent", time.Minute)
	lost := r.heartbeatLost(t, workflows.NoticeWorkflowID(e.id, id))
	t.Logf("Temporal gave up on the dead worker's attempt %s after the kill", lost.GetEventTime().AsTime().Sub(killed).Round(time.Millisecond))
	for _, msg := range smtp.Messages() {
		require.Equal(t, sent["message_id"], msg.MessageID, "every copy carries the notice's Message-ID")
	}
	attempts := sent["attempts"].([]any)
	require.Len(t, attempts, 2, "the attempt the dead worker never reported, then the delivery")
	require.Equal(t, true, attempts[0].(map[string]any)["uncertain"], "the first attempt is on record as uncertain")
	require.Len(t, e.waitRegister(t, 1), 1, "the register holds the notice once")
}

//go:build cluster

// Package cluster runs irbot as it runs at scale, without Docker: the
// official Temporal server built from the pinned go.temporal.io/server
// module (cmd/server with a config file, schema by its SQL tool) on a
// throwaway PostgreSQL cluster of its own, two `irbot serve` replicas, an
// in-process SMTP server and, where a scenario needs it, a fake Slack. Then
// it breaks things. `make cluster-test`; the
// build tag keeps it out of `go test ./...`.
package cluster

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"
	"google.golang.org/protobuf/types/known/durationpb"

	"go.temporal.io/api/workflowservice/v1"

	"github.com/irbot/irbot/internal/pgtest"
	"github.com/irbot/irbot/internal/slackbot"
	"github.com/irbot/irbot/internal/slackbot/slackfake"
	"github.com/irbot/irbot/internal/smtptest"
)

// temporalVersion is the server release the cluster runs: the one go.mod pins.
const temporalVersion = "v1.32.1"

const repoRoot = "../.."

// Tokens of deploy/examples/users.yaml (fake people, documented there).
const (
	dpoToken       = "dev-token-dana"
	commanderToken = "dev-token-marco"
	legalToken     = "dev-token-priya"
	adminToken     = "dev-token-lee"
)

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// binaries returns a directory holding irbot, built from this tree, and
// Temporal's server and SQL tool, built from their own module at the pinned
// version (nothing is downloaded but Go modules). Temporal's are built once
// per version into the Go build cache (irbot-temporal-server-VERSION, which
// CI keeps warm) and linked in; IRBOT_CLUSTER_BIN names a directory to use
// instead (its server and sql are built there when missing).
func binaries(t *testing.T) string {
	t.Helper()
	run := func(cmd *exec.Cmd) {
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "%s: %s", cmd, out)
	}
	install := func(dir string) {
		if _, err := os.Stat(filepath.Join(dir, "server")); err == nil {
			if _, err := os.Stat(filepath.Join(dir, "sql")); err == nil {
				return
			}
		}
		start := time.Now()
		cmd := exec.Command("go", "install", "go.temporal.io/server/cmd/server@"+temporalVersion, "go.temporal.io/server/cmd/tools/sql@"+temporalVersion)
		cmd.Env = append(os.Environ(), "GOBIN="+dir)
		run(cmd)
		t.Logf("built Temporal's server and SQL tool %s in %s", temporalVersion, time.Since(start).Round(time.Second))
	}
	pinned, err := exec.Command("go", "list", "-m", "-f", "{{.Version}}", "go.temporal.io/server").Output()
	require.NoError(t, err)
	require.Equal(t, temporalVersion, strings.TrimSpace(string(pinned)), "the cluster runs the Temporal server go.mod pins: update temporalVersion")
	dir := os.Getenv("IRBOT_CLUSTER_BIN")
	if dir != "" {
		abs, err := filepath.Abs(dir)
		require.NoError(t, err)
		dir = abs
		install(dir)
	} else {
		out, err := exec.Command("go", "env", "GOCACHE").Output()
		require.NoError(t, err)
		cache := filepath.Join(strings.TrimSpace(string(out)), "irbot-temporal-server-"+temporalVersion)
		install(cache)
		dir = t.TempDir()
		for _, name := range []string{"server", "sql"} {
			require.NoError(t, os.Symlink(filepath.Join(cache, name), filepath.Join(dir, name)))
		}
	}
	cmd := exec.Command("go", "build", "-o", filepath.Join(dir, "irbot"), "./cmd/irbot")
	cmd.Dir = repoRoot
	run(cmd)
	return dir
}

// smallFreePort is a free port below 32768: Temporal's PostgreSQL schema
// keeps membership ports in a smallint, and the kernel's ephemeral ports
// (freePort) are often above it ("value 37051 is out of range for type
// smallint", and the server never joins its own cluster).
var nextSmallPort = 20000 + os.Getpid()%10000

func smallFreePort(t *testing.T) int {
	t.Helper()
	for range 2000 {
		nextSmallPort++
		if nextSmallPort >= 32768 {
			nextSmallPort = 20000
		}
		port := nextSmallPort
		l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
		if err == nil {
			_ = l.Close()
			return port
		}
	}
	t.Fatal("no free port below 32768")
	return 0
}

// temporalServer is the official server process on pg.
type temporalServer struct {
	cmd      *exec.Cmd
	frontend string
	config   string
	bin      string
	log      *os.File
}

const temporalConfig = `log:
  stdout: true
  level: error
persistence:
  defaultStore: default
  visibilityStore: visibility
  numHistoryShards: 4
  datastores:
    default:
      sql:
        pluginName: postgres12
        databaseName: temporal
        connectAddr: "127.0.0.1:{{pg}}"
        connectProtocol: tcp
        user: postgres
        maxConns: 20
        maxIdleConns: 20
        maxConnLifetime: 1h
    visibility:
      sql:
        pluginName: postgres12
        databaseName: temporal_visibility
        connectAddr: "127.0.0.1:{{pg}}"
        connectProtocol: tcp
        user: postgres
        maxConns: 4
        maxIdleConns: 4
        maxConnLifetime: 1h
global:
  membership:
    maxJoinDuration: 30s
    broadcastAddress: 127.0.0.1
services:
  frontend:
    rpc: {grpcPort: {{frontend}}, membershipPort: {{m1}}, bindOnIP: 127.0.0.1}
  history:
    rpc: {grpcPort: {{history}}, membershipPort: {{m2}}, bindOnIP: 127.0.0.1}
  matching:
    rpc: {grpcPort: {{matching}}, membershipPort: {{m3}}, bindOnIP: 127.0.0.1}
  worker:
    rpc: {grpcPort: {{worker}}, membershipPort: {{m4}}, bindOnIP: 127.0.0.1}
clusterMetadata:
  enableGlobalNamespace: false
  failoverVersionIncrement: 10
  masterClusterName: active
  currentClusterName: active
  clusterInformation:
    active:
      enabled: true
      initialFailoverVersion: 1
      rpcName: frontend
      rpcAddress: "127.0.0.1:{{frontend}}"
dcRedirectionPolicy:
  policy: noop
`

func startTemporal(t *testing.T, bin string, pg *pgtest.Server) *temporalServer {
	t.Helper()
	pgPort := strconv.Itoa(pg.Port())
	for _, db := range []struct{ name, dir string }{{"temporal", "temporal"}, {"temporal_visibility", "visibility"}} {
		base := []string{"--plugin", "postgres12", "--ep", "127.0.0.1", "-p", pgPort, "-u", "postgres", "--db", db.name}
		for _, args := range [][]string{
			{"create"},
			{"setup-schema", "-v", "0.0"},
			{"update-schema", "-d", filepath.Join(serverModDir(t), "schema", "postgresql", "v12", db.dir, "versioned")},
		} {
			out, err := exec.Command(filepath.Join(bin, "sql"), append(base, args...)...).CombinedOutput()
			require.NoError(t, err, "temporal-sql-tool %v: %s", args, out)
		}
	}
	cfg := temporalConfig
	ts := &temporalServer{bin: bin}
	ports := map[string]int{}
	for _, k := range []string{"frontend", "history", "matching", "worker", "m1", "m2", "m3", "m4"} {
		ports[k] = smallFreePort(t)
		cfg = strings.ReplaceAll(cfg, "{{"+k+"}}", strconv.Itoa(ports[k]))
	}
	cfg = strings.ReplaceAll(cfg, "{{pg}}", pgPort)
	ts.frontend = "127.0.0.1:" + strconv.Itoa(ports["frontend"])
	ts.config = filepath.Join(t.TempDir(), "temporal.yaml")
	require.NoError(t, os.WriteFile(ts.config, []byte(cfg), 0o600))
	ts.start(t)
	t.Cleanup(func() { ts.kill() })

	// Register the namespace irbot uses, once the frontend answers.
	started := assert.Eventually(t, func() bool {
		nc, err := client.NewNamespaceClient(client.Options{HostPort: ts.frontend})
		if err != nil {
			return false
		}
		defer nc.Close()
		ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
		defer cancel()
		err = nc.Register(ctx, &workflowservice.RegisterNamespaceRequest{Namespace: "default", WorkflowExecutionRetentionPeriod: durationpb.New(72 * time.Hour)})
		return err == nil || strings.Contains(err.Error(), "already")
	}, 90*time.Second, time.Second)
	if !started {
		// Say why: the server's own log is in a temp dir removed at the end.
		raw, _ := os.ReadFile(ts.config + ".log")
		if len(raw) > 4000 {
			raw = raw[len(raw)-4000:]
		}
		t.Fatalf("the Temporal server must start and take the namespace; its log ends with:\n%s", raw)
	}
	return ts
}

// registerNamespace registers a namespace with a retention and waits until
// the frontend serves it.
func registerNamespace(t *testing.T, ts *temporalServer, name string) {
	t.Helper()
	nc, err := client.NewNamespaceClient(client.Options{HostPort: ts.frontend})
	require.NoError(t, err)
	defer nc.Close()
	require.Eventually(t, func() bool {
		ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
		defer cancel()
		err := nc.Register(ctx, &workflowservice.RegisterNamespaceRequest{Namespace: name, WorkflowExecutionRetentionPeriod: durationpb.New(72 * time.Hour)})
		if err != nil && !strings.Contains(err.Error(), "already") {
			return false
		}
		_, err = nc.Describe(ctx, name)
		return err == nil
	}, 60*time.Second, 500*time.Millisecond, "namespace %s must be registered", name)
}

func (ts *temporalServer) start(t *testing.T) {
	t.Helper()
	var err error
	ts.log, err = os.OpenFile(ts.config+".log", os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	require.NoError(t, err)
	ts.cmd = exec.Command(filepath.Join(ts.bin, "server"), "--config-file", ts.config, "--allow-no-auth", "start")
	ts.cmd.Stdout, ts.cmd.Stderr = ts.log, ts.log
	require.NoError(t, ts.cmd.Start())
}

func (ts *temporalServer) kill() {
	if ts.cmd != nil && ts.cmd.Process != nil {
		_ = ts.cmd.Process.Kill()
		_ = ts.cmd.Wait()
	}
	if ts.log != nil {
		_ = ts.log.Close()
	}
}

func serverModDir(t *testing.T) string {
	t.Helper()
	out, err := exec.Command("go", "mod", "download", "-json", "go.temporal.io/server@"+temporalVersion).Output()
	require.NoError(t, err)
	var m struct{ Dir string }
	require.NoError(t, json.Unmarshal(out, &m))
	return m.Dir
}

// replica is one `irbot serve` process.
type replica struct {
	cmd  *exec.Cmd
	base string
	log  bytes.Buffer
}

func startReplica(t *testing.T, bin string, ts *temporalServer, namespace string, pg *pgtest.Server, smtp *smtptest.Server, keys string, extraEnv ...string) *replica {
	t.Helper()
	port := freePort(t)
	users, err := filepath.Abs(filepath.Join(repoRoot, "deploy", "examples", "users.yaml"))
	require.NoError(t, err)
	r := &replica{base: fmt.Sprintf("http://127.0.0.1:%d", port)}
	r.cmd = exec.Command(filepath.Join(bin, "irbot"), "serve")
	r.cmd.Env = append(os.Environ(),
		"TEMPORAL_ADDRESS="+ts.frontend, "TEMPORAL_NAMESPACE="+namespace,
		"IRBOT_DATABASE_URL="+pg.URL("irbot"),
		"IRBOT_HTTP_ADDR=127.0.0.1:"+strconv.Itoa(port),
		"IRBOT_DATA_DIR="+t.TempDir(),
		"IRBOT_ENCRYPTION_KEYS="+keys,
		"IRBOT_USERS_FILE="+users,
		"IRBOT_LOG_LEVEL="+envOr("IRBOT_CLUSTER_LOG_LEVEL", "warn"),
		"SMTP_ADDR="+smtp.Addr, "SMTP_TLS=none", "SMTP_FROM=irbot@example.com",
	)
	r.cmd.Env = append(r.cmd.Env, extraEnv...)
	r.cmd.Stdout, r.cmd.Stderr = &r.log, &r.log
	require.NoError(t, r.cmd.Start())
	// Cleanups run last first: the replica is stopped (its output
	// complete) before a failed test shows what it logged.
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("replica %s logged:\n%s", r.base, r.log.String())
		}
	})
	t.Cleanup(func() { r.kill() })
	require.Eventually(t, func() bool { return r.ready() }, 60*time.Second, 200*time.Millisecond, "replica %s must become ready: %s", r.base, &r.log)
	return r
}

func (r *replica) ready() bool {
	resp, err := http.Get(r.base + "/readyz")
	if err != nil {
		return false
	}
	_ = resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

func (r *replica) kill() {
	if r.cmd.ProcessState == nil && r.cmd.Process != nil {
		_ = r.cmd.Process.Signal(syscall.SIGKILL)
		_ = r.cmd.Wait()
	}
}

// do calls the API; a caller that cannot reach a replica gets code 0.
func (r *replica) do(t *testing.T, method, path, token string, body any) (int, map[string]any, http.Header) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		require.NoError(t, err)
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, r.base+path, rd)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, nil
	}
	defer resp.Body.Close()
	out := map[string]any{}
	raw, _ := io.ReadAll(resp.Body)
	_ = json.Unmarshal(raw, &out)
	return resp.StatusCode, out, resp.Header
}

func (r *replica) must(t *testing.T, method, path, token string, body any, want int) map[string]any {
	t.Helper()
	code, out, _ := r.do(t, method, path, token, body)
	require.Equal(t, want, code, "%s %s: %v", method, path, out)
	return out
}

var gdprFacts = map[string]any{
	"nature":          "An unauthenticated storage bucket exposed a customer export.",
	"data_categories": []string{"names", "email addresses"},
	"subjects_count":  1200,
	"records_count":   1500,
	"dpo_contact":     "Dana Okafor, dpo@example.com",
	"consequences":    "Phishing aimed at the customers.",
	"measures":        "Bucket closed, customers warned.",
}

type cluster struct {
	pg   *pgtest.Server
	ts   *temporalServer
	smtp *smtptest.Server
	bin  string
	keys string // the one key ring every replica holds
	ns   string // the scenario's Temporal namespace
	a, b *replica
	tc   client.Client
	// slack is the fake Slack Web API the replicas talk to, when the
	// scenario runs them with Slack (clusterWithSlack).
	slack    *slackfake.Server
	channels map[string]string // incident ID → its Slack channel (with slack)
	env      []string          // what every replica of the scenario gets on top
}

// backends are what every replica shares and what outlives them: Temporal's
// server and the PostgreSQL cluster holding its databases and irbot's, with
// one key ring. They start once for all the scenarios (their start is most
// of a scenario's cost); each scenario starts two replicas of its own and
// works incidents of its own (IDs go on from the last scenario's).
type backends struct {
	bin  string
	pg   *pgtest.Server
	ts   *temporalServer
	keys string
	env  []string // extra environment for the replicas (clusterWithSlack)
}

func startBackends(t *testing.T) *backends {
	t.Helper()
	start := time.Now()
	be := &backends{bin: binaries(t)}
	built := time.Since(start)
	be.pg = pgtest.Start(t, "irbot")
	be.ts = startTemporal(t, be.bin, be.pg)
	secret := make([]byte, 32)
	_, err := rand.Read(secret)
	require.NoError(t, err)
	be.keys = "k1:" + base64.StdEncoding.EncodeToString(secret)
	t.Logf("irbot built in %s; PostgreSQL, Temporal's schema and server up in %s", built.Round(time.Millisecond), (time.Since(start) - built).Round(time.Millisecond))
	return be
}

// cluster starts a scenario's two replicas and mail server on be, in a
// Temporal namespace of the scenario's own: replicas of scenarios running at
// once poll the same task queue name, and one scenario's worker must not
// send another's mail through its own SMTP settings.
func (be *backends) cluster(t *testing.T, namespace string) *cluster {
	t.Helper()
	start := time.Now()
	c := &cluster{bin: be.bin, pg: be.pg, ts: be.ts, keys: be.keys, ns: namespace, env: be.env}
	registerNamespace(t, c.ts, namespace)
	c.smtp = smtptest.Start(t)
	c.a = c.startReplica(t)
	c.b = c.startReplica(t)
	t.Logf("two replicas ready in %s", time.Since(start).Round(time.Millisecond))
	return c
}

// slackSecret signs the Slack requests the test sends (a test value).
const slackSecret = "cluster-test-signing-secret"

// clusterWithSlack is cluster with Slack in HTTP mode on both replicas,
// against a fake Slack Web API of the scenario's own.
func (be *backends) clusterWithSlack(t *testing.T, namespace string) *cluster {
	t.Helper()
	fake := slackfake.New()
	t.Cleanup(fake.Close)
	// The fake stays strict: whatever irbot sent Slack was valid.
	t.Cleanup(func() { assert.Empty(t, fake.Rejections(), "Slack calls the fake refused as invalid") })
	be2 := *be
	be2.env = []string{"SLACK_BOT_TOKEN=xoxb-test-0000000000", "SLACK_SIGNING_SECRET=" + slackSecret, "SLACK_API_URL=" + fake.APIURL()}
	c := be2.cluster(t, namespace)
	c.slack = fake
	return c
}

// startReplica starts one more replica of the scenario.
func (c *cluster) startReplica(t *testing.T) *replica {
	t.Helper()
	return startReplica(t, c.bin, c.ts, c.ns, c.pg, c.smtp, c.keys, c.env...)
}

// TestCluster runs every scenario on one set of backends: the failovers and
// every worker down across a reminder at once (each on its own replicas and
// incident; most of their time is spent waiting for Temporal's timeouts and
// timers), then the outages one after the other, each leaving its backend
// running again.
func TestCluster(t *testing.T) {
	be := startBackends(t)
	type scenario struct {
		name  string
		run   func(*testing.T, *cluster)
		slack bool // the replicas run with Slack (a fake of the scenario's own)
	}
	t.Run("ReplicaWithoutKeysRefusesToStart", func(t *testing.T) { replicaWithoutKeysRefusesToStart(t, be) })
	t.Run("Failover", func(t *testing.T) {
		for _, sc := range []scenario{
			// Not a failover (no replica is left), but like them it
			// waits on Temporal's timers and keeps the backends up. The
			// longest (64 s): first, so it starts at once even when
			// -parallel is below the number of scenarios.
			{"WorkersDownAcrossAReminder", workersDownAcrossAReminder, false},
			{"ReplicaKilledMidNoticeSend", replicaKilledMidNoticeSend, false},
			{"ReplicaKilledWhileAnIncidentIsWorked", replicaKilledWhileAnIncidentIsWorked, false},
			{"ReplicaKilledMidCampaign", replicaKilledMidCampaign, false},
		} {
			t.Run(sc.name, func(t *testing.T) {
				t.Parallel()
				sc.run(t, be.cluster(t, strings.ToLower(sc.name)))
			})
		}
	})
	for _, sc := range []scenario{
		{"TemporalServerDown", temporalServerDown, true},
		{"PostgresDown", postgresDown, false},
	} {
		t.Run(sc.name, func(t *testing.T) {
			if sc.slack {
				sc.run(t, be.clusterWithSlack(t, strings.ToLower(sc.name)))
				return
			}
			sc.run(t, be.cluster(t, strings.ToLower(sc.name)))
		})
	}
}

// declare declares a live GDPR incident with its Art. 33(3) facts.
func (c *cluster) declare(t *testing.T, r *replica) string {
	t.Helper()
	inc := r.must(t, "POST", "/api/v1/incidents", commanderToken, map[string]any{
		"title": "Customer export exposed", "aware_at": time.Now().Add(-2 * time.Hour).UTC().Format(time.RFC3339Nano), "regimes": []string{"eu-gdpr"},
	}, http.StatusCreated)
	id := inc["id"].(string)
	c.inspectOnFailure(t, "incident/"+id)
	if c.slack != nil {
		// With Slack, the incident gets its channel: Slack commands are
		// sent there.
		require.Eventually(t, func() bool {
			st := r.must(t, "GET", "/api/v1/incidents/"+id, dpoToken, nil, http.StatusOK)
			if s, ok := st["slack"].(map[string]any); ok && s["channel_id"] != nil && s["channel_id"] != "" {
				if c.channels == nil {
					c.channels = map[string]string{}
				}
				c.channels[id] = s["channel_id"].(string)
				return true
			}
			return false
		}, 30*time.Second, 100*time.Millisecond, "the incident must get its Slack channel")
	}
	for _, name := range []string{"nature", "data_categories", "subjects_count", "records_count", "dpo_contact", "consequences", "measures"} {
		r.must(t, "POST", "/api/v1/incidents/"+id+"/actions", dpoToken, map[string]any{"type": "set_fact", "name": name, "value": gdprFacts[name]}, http.StatusOK)
	}
	return id
}

// waitRecorded waits until the incident's timeline records n sent notices
// (the incident's workflow writes them after the notice's own status
// changes) and the register holds as many for it.
func waitRecorded(t *testing.T, r *replica, id string, n int) {
	t.Helper()
	require.Eventually(t, func() bool {
		tl := r.must(t, "GET", "/api/v1/incidents/"+id+"/timeline", adminToken, nil, http.StatusOK)
		recorded := 0
		for _, raw := range tl["events"].([]any) {
			if raw.(map[string]any)["kind"] == "notification.recorded" {
				recorded++
			}
		}
		reg := r.must(t, "GET", "/api/v1/register", dpoToken, nil, http.StatusOK)
		registered := 0
		for _, e := range reg["entries"].([]any) {
			if e.(map[string]any)["incident_id"] == id {
				registered++
			}
		}
		return recorded >= n && registered >= n
	}, 60*time.Second, 250*time.Millisecond, "%d sent notices of %s must reach the timeline and the register", n, id)
}

// verifyConsistent checks what every test ends with: the chain verifies, no
// timeline key twice, and the register holds each sent notice once.
func verifyConsistent(t *testing.T, r *replica, id string, notices int) {
	t.Helper()
	v := r.must(t, "GET", "/api/v1/incidents/"+id+"/timeline/verify", adminToken, nil, http.StatusOK)
	require.Equal(t, true, v["ok"], "%v", v)
	tl := r.must(t, "GET", "/api/v1/incidents/"+id+"/timeline", adminToken, nil, http.StatusOK)
	keys := map[string]bool{}
	recorded := 0
	for _, raw := range tl["events"].([]any) {
		ev := raw.(map[string]any)
		require.False(t, keys[ev["key"].(string)], "timeline key %s twice", ev["key"])
		keys[ev["key"].(string)] = true
		if ev["kind"] == "notification.recorded" {
			recorded++
		}
	}
	require.Equal(t, notices, recorded, "each sent notice is recorded once on the timeline")
	reg := r.must(t, "GET", "/api/v1/register", dpoToken, nil, http.StatusOK)
	n := 0
	for _, e := range reg["entries"].([]any) {
		if e.(map[string]any)["incident_id"] == id {
			n++
		}
	}
	require.Equal(t, notices, n, "the register agrees with the timeline")
}

// replicaKilledMidNoticeSend: replica A takes the declare and the
// send of a notice the mail server refuses once (so the send is in its
// retry wait), then is SIGKILLed. Replica B's worker finishes it: delivered,
// recorded once, in the register once, the chain intact; actions sent to
// the dead replica are retried on B with the same request ID and applied once.
func replicaKilledMidNoticeSend(t *testing.T, c *cluster) {
	c.smtp.ReplyDataWith(451, 250)
	id := c.declare(t, c.a)
	n := c.a.must(t, "POST", "/api/v1/incidents/"+id+"/notices", dpoToken, map[string]any{
		"regime": "eu-gdpr", "obligation": "supervisory-authority", "to": []string{"breach@dpa.example"},
	}, http.StatusCreated)
	nid := n["id"].(string)
	c.a.must(t, "POST", "/api/v1/incidents/"+id+"/notices/"+nid+"/actions", legalToken, map[string]any{"type": "approve"}, http.StatusOK)
	c.a.must(t, "POST", "/api/v1/incidents/"+id+"/notices/"+nid+"/actions", dpoToken, map[string]any{"type": "send"}, http.StatusOK)
	require.Eventually(t, func() bool { return c.smtp.Attempts() >= 1 }, 30*time.Second, 50*time.Millisecond, "the first attempt must reach the mail server")
	killed := time.Now()
	c.a.kill()

	// A caller whose request hit the dead replica retries on the live one.
	note := map[string]any{"type": "note", "text": "retried by the caller", "request_id": "cluster-note-1"}
	code, _, _ := c.a.do(t, "POST", "/api/v1/incidents/"+id+"/actions", commanderToken, note)
	require.Equal(t, 0, code, "the killed replica answers nothing")
	for range 2 {
		c.b.must(t, "POST", "/api/v1/incidents/"+id+"/actions", commanderToken, note, http.StatusOK)
	}

	require.Eventually(t, func() bool {
		out := c.b.must(t, "GET", "/api/v1/incidents/"+id+"/notices", dpoToken, nil, http.StatusOK)
		for _, raw := range out["notices"].([]any) {
			if m := raw.(map[string]any); m["id"] == nid && m["status"] == "sent" {
				return true
			}
		}
		return false
	}, 90*time.Second, 250*time.Millisecond, "the live replica must finish the send")
	t.Logf("notice sent %s after replica A was killed", time.Since(killed).Round(time.Millisecond))
	msgs := c.smtp.Messages()
	require.NotEmpty(t, msgs)
	for _, m := range msgs {
		require.Equal(t, msgs[0].MessageID, m.MessageID, "a duplicate delivery carries the same Message-ID")
	}
	waitRecorded(t, c.b, id, 1)
	st := c.b.must(t, "GET", "/api/v1/incidents/"+id, dpoToken, nil, http.StatusOK)
	require.EqualValues(t, 1, st["notes"], "the note retried on the live replica is applied once")
	verifyConsistent(t, c.b, id, 1)
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

// inspectOnFailure shows, when the test fails, what Temporal holds for the
// workflow: its status and the last events of its history (what `temporal
// workflow show` would print), so a failure says why the workflow is where
// it is rather than only what the API answered.
func (c *cluster) inspectOnFailure(t *testing.T, workflowID string) {
	t.Helper()
	t.Cleanup(func() {
		if !t.Failed() {
			return
		}
		tc, err := client.Dial(client.Options{HostPort: c.ts.frontend, Namespace: c.ns})
		if err != nil {
			t.Logf("inspect %s: %v", workflowID, err)
			return
		}
		defer tc.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		d, err := tc.DescribeWorkflowExecution(ctx, workflowID, "")
		if err != nil {
			t.Logf("describe %s: %v", workflowID, err)
			return
		}
		info := d.GetWorkflowExecutionInfo()
		t.Logf("workflow %s run %s: status %s, history length %d, pending activities %d", workflowID, info.GetExecution().GetRunId(), info.GetStatus(), info.GetHistoryLength(), len(d.GetPendingActivities()))
		it := tc.GetWorkflowHistory(ctx, workflowID, "", false, 0)
		var lines []string
		for it.HasNext() {
			ev, err := it.Next()
			if err != nil {
				t.Logf("history %s: %v", workflowID, err)
				break
			}
			line := fmt.Sprintf("%d %s %s", ev.GetEventId(), ev.GetEventTime().AsTime().Format("15:04:05.000"), ev.GetEventType())
			if a := ev.GetWorkflowTaskFailedEventAttributes(); a != nil {
				line += " " + a.GetCause().String() + ": " + a.GetFailure().GetMessage()
			}
			if a := ev.GetWorkflowExecutionFailedEventAttributes(); a != nil {
				line += ": " + a.GetFailure().GetMessage()
			}
			if a := ev.GetWorkflowTaskTimedOutEventAttributes(); a != nil {
				line += " " + a.GetTimeoutType().String()
			}
			lines = append(lines, line)
		}
		if len(lines) > 40 {
			lines = lines[len(lines)-40:]
		}
		t.Logf("last events of %s:\n%s", workflowID, strings.Join(lines, "\n"))
	})
}

// pid is the replica's process ID, which Temporal's SDK puts first in its
// worker identity ("PID@HOST@").
func (r *replica) pid() int { return r.cmd.Process.Pid }

// runningActivity returns the replica whose worker holds a pending activity
// of the workflow (by its worker identity), or nil when none does yet.
func (c *cluster) runningActivity(t *testing.T, workflowID string) *replica {
	t.Helper()
	tc := c.temporalClient(t)
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	d, err := tc.DescribeWorkflowExecution(ctx, workflowID, "")
	if err != nil {
		return nil
	}
	for _, pa := range d.GetPendingActivities() {
		for _, r := range []*replica{c.a, c.b} {
			if strings.HasPrefix(pa.GetLastWorkerIdentity(), strconv.Itoa(r.pid())+"@") {
				return r
			}
		}
	}
	return nil
}

// temporalClient is a plain SDK client on the cluster (no codec: it reads
// statuses and worker identities, never payloads).
func (c *cluster) temporalClient(t *testing.T) client.Client {
	t.Helper()
	if c.tc == nil {
		tc, err := client.Dial(client.Options{HostPort: c.ts.frontend, Namespace: c.ns})
		require.NoError(t, err)
		c.tc = tc
		t.Cleanup(tc.Close)
	}
	return c.tc
}

// other is the replica that is not r.
func (c *cluster) other(r *replica) *replica {
	if r == c.a {
		return c.b
	}
	return c.a
}

// actRetrying sends one action as a caller behind a load balancer would: to
// first, and when that replica answers nothing or 5xx, again with the same
// request ID to the other, until one answers 2xx or 4xx or a minute passes.
// It returns the final code and the number of tries.
func (c *cluster) actRetrying(t *testing.T, first *replica, id string, body map[string]any) (int, int) {
	t.Helper()
	r := first
	deadline := time.Now().Add(60 * time.Second)
	for tries := 1; ; tries++ {
		code, _, _ := r.do(t, "POST", "/api/v1/incidents/"+id+"/actions", commanderToken, body)
		if (code >= 200 && code < 500) || time.Now().After(deadline) {
			return code, tries
		}
		r = c.other(r)
		time.Sleep(200 * time.Millisecond)
	}
}

// replicaKilledWhileAnIncidentIsWorked: two callers act on one
// incident at once, one through each replica; replica A is SIGKILLed in the
// middle. Every action a caller retried on B with its request ID is applied
// exactly once, and the timeline holds each once.
func replicaKilledWhileAnIncidentIsWorked(t *testing.T, c *cluster) {
	id := c.declare(t, c.a)
	const perCaller = 15
	type result struct{ code, tries int }
	results := make(chan result, 2*perCaller)
	progress := make(chan struct{}, 2*perCaller)
	for caller, r := range []*replica{c.a, c.b} {
		go func() {
			for i := range perCaller {
				code, tries := c.actRetrying(t, r, id, map[string]any{
					"type": "note", "text": fmt.Sprintf("caller %d note %d", caller, i), "request_id": fmt.Sprintf("worked-%d-%d", caller, i),
				})
				results <- result{code, tries}
				progress <- struct{}{}
			}
		}()
	}
	for range perCaller / 2 {
		<-progress
	}
	killed := time.Now()
	c.a.kill()
	retried := 0
	for range 2 * perCaller {
		res := <-results
		require.Equal(t, http.StatusOK, res.code, "every action is answered by the live replica in the end")
		if res.tries > 1 {
			retried++
		}
	}
	t.Logf("all %d actions answered %s after replica A was killed; %d needed a retry on B", 2*perCaller, time.Since(killed).Round(time.Millisecond), retried)
	st := c.b.must(t, "GET", "/api/v1/incidents/"+id, dpoToken, nil, http.StatusOK)
	require.EqualValues(t, 2*perCaller, st["notes"], "each note applied once, retried or not")
	tl := c.b.must(t, "GET", "/api/v1/incidents/"+id+"/timeline", adminToken, nil, http.StatusOK)
	texts := map[string]int{}
	for _, raw := range tl["events"].([]any) {
		ev := raw.(map[string]any)
		if data, ok := ev["data"].(map[string]any); ok && ev["kind"] == "note.added" {
			texts[fmt.Sprint(data["text"])]++
		}
	}
	require.Len(t, texts, 2*perCaller, "each note is on the timeline: %v", texts)
	for text, n := range texts {
		require.Equal(t, 1, n, "%q on the timeline once", text)
	}
	verifyConsistent(t, c.b, id, 0)
}

// replicaKilledMidCampaign: a campaign to 600 people runs in
// batches; the replica whose worker is sending a batch is SIGKILLed. The
// other finishes it: everyone reached, a repeat only with the same
// Message-ID, the campaign completed and registered once.
func replicaKilledMidCampaign(t *testing.T, c *cluster) {
	id := c.declare(t, c.a)
	c.a.must(t, "POST", "/api/v1/incidents/"+id+"/actions", dpoToken, map[string]any{"type": "set_fact", "name": "flags", "value": []string{"high_risk"}}, http.StatusOK)
	n := c.a.must(t, "POST", "/api/v1/incidents/"+id+"/notices", dpoToken, map[string]any{"regime": "eu-gdpr", "obligation": "data-subjects"}, http.StatusCreated)
	nid := n["id"].(string)
	c.a.must(t, "POST", "/api/v1/incidents/"+id+"/notices/"+nid+"/actions", legalToken, map[string]any{"type": "approve"}, http.StatusOK)
	const people = 600
	var csv strings.Builder
	csv.WriteString("email,name,jurisdiction,language\n")
	for i := range people {
		fmt.Fprintf(&csv, "person%04d@example.com,Person %d,DE,de\n", i, i)
	}
	req, err := http.NewRequest("POST", c.a.base+"/api/v1/incidents/"+id+"/campaigns?notice="+nid, strings.NewReader(csv.String()))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+dpoToken)
	req.Header.Set("Content-Type", "text/csv")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	raw, _ := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	require.Equal(t, http.StatusAccepted, resp.StatusCode, "%s", raw)

	// Kill the replica that is sending a batch, once some are out.
	var victim *replica
	require.Eventually(t, func() bool {
		if len(c.smtp.Messages()) < 60 {
			return false
		}
		victim = c.runningActivity(t, "incident/"+id+"/notice/"+nid+"/campaign")
		return victim != nil
	}, 60*time.Second, 20*time.Millisecond, "a batch must be in flight on a replica")
	before := len(c.smtp.Messages())
	killed := time.Now()
	victim.kill()
	live := c.other(victim)
	require.Less(t, before, people, "the campaign was mid-way when the replica died")

	require.Eventually(t, func() bool {
		out := live.must(t, "GET", "/api/v1/incidents/"+id+"/notices", dpoToken, nil, http.StatusOK)
		for _, raw := range out["notices"].([]any) {
			if m := raw.(map[string]any); m["id"] == nid && m["status"] == "sent" {
				return true
			}
		}
		return false
	}, 120*time.Second, 250*time.Millisecond, "the live replica must finish the campaign")
	t.Logf("killed the replica sending a batch after %d of %d messages; the campaign finished %s later", before, people, time.Since(killed).Round(time.Millisecond))
	byAddr := map[string]string{}
	msgs := c.smtp.Messages()
	for _, m := range msgs {
		require.Len(t, m.To, 1)
		if prev, ok := byAddr[m.To[0]]; ok {
			require.Equal(t, prev, m.MessageID, "a repeat carries the same Message-ID")
		}
		byAddr[m.To[0]] = m.MessageID
	}
	require.Len(t, byAddr, people, "everyone reached")
	t.Logf("%d messages for %d people (%d repeated, each with its Message-ID)", len(msgs), people, len(msgs)-people)
	require.LessOrEqual(t, len(msgs)-people, 50, "at most the batch in flight is repeated")
	tl := live.must(t, "GET", "/api/v1/incidents/"+id+"/timeline", adminToken, nil, http.StatusOK)
	completed := 0
	for _, raw := range tl["events"].([]any) {
		if raw.(map[string]any)["kind"] == "campaign.completed" {
			completed++
		}
	}
	require.Equal(t, 1, completed, "the campaign completes once")
	waitRecorded(t, live, id, 1)
	verifyConsistent(t, live, id, 1)
}

// clockAlerts are the incident's clock alerts on its timeline for the GDPR
// supervisory-authority obligation: the escalations due at offset, and the
// overdue alerts.
func clockAlerts(t *testing.T, r *replica, id, offset string) (esc, overdue []map[string]any) {
	t.Helper()
	tl := r.must(t, "GET", "/api/v1/incidents/"+id+"/timeline", adminToken, nil, http.StatusOK)
	for _, raw := range tl["events"].([]any) {
		ev := raw.(map[string]any)
		d, _ := ev["data"].(map[string]any)
		switch {
		case d["obligation"] != "supervisory-authority":
		case ev["kind"] == "clock.escalation" && d["offset"] == offset:
			esc = append(esc, ev)
		case ev["kind"] == "clock.overdue":
			overdue = append(overdue, ev)
		}
	}
	return esc, overdue
}

// lateBy is the lateness an alert recorded on the timeline, 0 when on time.
func lateBy(ev map[string]any) time.Duration {
	d, _ := ev["data"].(map[string]any)
	s, _ := d["late_by_seconds"].(float64)
	return time.Duration(s * float64(time.Second))
}

// workersDownAcrossAReminder: both replicas (every worker) are SIGKILLed
// before a clock escalation is due, while Temporal runs on; one replica is
// started again after the due time. The escalation fires once, its
// timeline entry records how late, and the overdue alert that follows is
// on time. A drill at speed 120 (an incident hour in 30 s) declared aware
// 70 h ago: the 1 h escalation is due 30 s later, the overdue alert 60 s.
func workersDownAcrossAReminder(t *testing.T, c *cluster) {
	const speed = 120
	hour := time.Hour / speed
	t0 := time.Now()
	inc := c.a.must(t, "POST", "/api/v1/incidents", commanderToken, map[string]any{
		"title": "Workers down across a clock", "mode": "drill", "speed": speed, "regimes": []string{"eu-gdpr"},
		"aware_at": t0.Add(-70 * time.Hour).UTC().Format(time.RFC3339Nano),
	}, http.StatusCreated)
	id := inc["id"].(string)
	c.inspectOnFailure(t, "incident/"+id)
	// The passed 24 h and 6 h escalations fold into one alert at once: the
	// clock runs on a worker before the workers go.
	require.Eventually(t, func() bool {
		tl := c.b.must(t, "GET", "/api/v1/incidents/"+id+"/timeline", adminToken, nil, http.StatusOK)
		for _, raw := range tl["events"].([]any) {
			if raw.(map[string]any)["kind"] == "clock.escalation" {
				return true
			}
		}
		return false
	}, 20*time.Second, 100*time.Millisecond, "the passed escalations must fold into one alert at once")
	c.a.kill()
	c.b.kill()
	killed := time.Since(t0)
	require.Less(t, killed, hour-5*time.Second, "every worker must be down before the 1 h escalation is due")

	// Down until half an incident hour past the escalation's due time.
	time.Sleep(time.Until(t0.Add(hour + hour/2)))
	c.a = c.startReplica(t)
	back := time.Since(t0)

	var esc, overdue []map[string]any
	require.Eventually(t, func() bool {
		esc, overdue = clockAlerts(t, c.a, id, "1h0m0s")
		return len(overdue) >= 1
	}, hour+30*time.Second, 250*time.Millisecond, "the overdue alert must fire once a worker is back")
	require.Len(t, esc, 1, "the escalation due while every worker was down fires once")
	require.Len(t, overdue, 1, "the overdue alert fires once")
	late := lateBy(esc[0])
	t.Logf("every worker killed at T+%s; 1 h escalation due at T+%s, a replica back at T+%s: fired once, late by %s (recorded); overdue alert due at T+%s late by %s",
		killed.Round(time.Millisecond), hour, back.Round(time.Millisecond), late, 2*hour, lateBy(overdue[0]))
	require.GreaterOrEqual(t, late, hour/2-5*time.Second, "the late escalation records how late it fired")
	require.LessOrEqual(t, lateBy(overdue[0]), 5*time.Second, "the alert after the outage is on time")
	verifyConsistent(t, c.a, id, 0)
}

// waitReady waits until every live replica's /readyz is want (true: 200).
func (c *cluster) waitReady(t *testing.T, want bool, within time.Duration, why string) time.Duration {
	t.Helper()
	start := time.Now()
	require.Eventually(t, func() bool {
		for _, r := range []*replica{c.a, c.b} {
			if r.cmd.ProcessState == nil && r.ready() != want {
				return false
			}
		}
		return true
	}, within, 100*time.Millisecond, why)
	return time.Since(start)
}

// repeatUntilApplied repeats an action with its request ID, as the 503's
// message asks, until a replica answers 200.
func repeatUntilApplied(t *testing.T, r *replica, id string, body map[string]any) int {
	t.Helper()
	tries := 0
	require.Eventually(t, func() bool {
		tries++
		code, _, _ := r.do(t, "POST", "/api/v1/incidents/"+id+"/actions", commanderToken, body)
		return code == http.StatusOK
	}, 90*time.Second, 500*time.Millisecond, "the repeated action must be applied once the backend is back")
	return tries
}

// requireUnavailable checks an answer during an outage: 503 with a
// Retry-After, never a 500 or a hang.
func requireUnavailable(t *testing.T, r *replica, method, path string, body any) time.Duration {
	t.Helper()
	start := time.Now()
	code, out, h := r.do(t, method, path, commanderToken, body)
	took := time.Since(start)
	require.Equal(t, http.StatusServiceUnavailable, code, "%s %s during the outage: %v", method, path, out)
	require.NotEmpty(t, h.Get("Retry-After"), "%s %s: a 503 says when to retry", method, path)
	require.NotEmpty(t, out["error"], "%s %s: a 503 says why", method, path)
	t.Logf("%s %s during the outage: 503 in %s: %v", method, path, took.Round(time.Millisecond), out["error"])
	return took
}

const outage = 10 * time.Second

// outage takes a backend down with stop for the outage length at least and
// brings it back with start, without restarting irbot: both replicas turn
// unready and ready again. during runs the checks while it is down, given
// the action a caller sends then and repeats, with its request ID, once the
// backend is back; it is applied once, and the chain verifies.
func (c *cluster) outage(t *testing.T, what string, stop, start func(), during func(id string, note map[string]any)) {
	t.Helper()
	id := c.declare(t, c.a)
	c.b.must(t, "POST", "/api/v1/incidents/"+id+"/actions", commanderToken, map[string]any{"type": "note", "text": "before", "request_id": what + "-before"}, http.StatusOK)

	stop()
	down := time.Now()
	t.Logf("both replicas unready %s after %s went down", c.waitReady(t, false, 15*time.Second, "/readyz must turn 503 when "+what+" is gone").Round(time.Millisecond), what)
	note := map[string]any{"type": "note", "text": "during the " + what + " outage", "request_id": what + "-during"}
	during(id, note)
	time.Sleep(time.Until(down.Add(outage)))

	start()
	back := time.Now()
	t.Logf("both replicas ready %s after %s was back (down %s)", c.waitReady(t, true, 120*time.Second, "/readyz must turn 200 again without restarting irbot").Round(time.Millisecond), what, back.Sub(down).Round(time.Millisecond))
	tries := repeatUntilApplied(t, c.a, id, note)
	t.Logf("the repeated action was applied %s after %s was back (%d tries)", time.Since(back).Round(time.Millisecond), what, tries)
	c.b.must(t, "POST", "/api/v1/incidents/"+id+"/actions", commanderToken, note, http.StatusOK)
	st := c.b.must(t, "GET", "/api/v1/incidents/"+id, dpoToken, nil, http.StatusOK)
	require.EqualValues(t, 2, st["notes"], "the note before and the one repeated after: each once")
	require.Eventually(t, func() bool {
		tl := c.b.must(t, "GET", "/api/v1/incidents/"+id+"/timeline", adminToken, nil, http.StatusOK)
		n := 0
		for _, raw := range tl["events"].([]any) {
			if raw.(map[string]any)["kind"] == "note.added" {
				n++
			}
		}
		return n == 2
	}, 60*time.Second, 500*time.Millisecond, "both notes reach the timeline, once each")
	verifyConsistent(t, c.b, id, 0)
}

// temporalServerDown kills Temporal's server (every service: frontend,
// history, matching) and starts it again with the same config: the API
// answers 503 with Retry-After at once, for actions and reads.
//
// The replicas run with Slack: a signed `/incident note` sent to a replica
// in the incident's channel during the outage is acknowledged within Slack's
// 3 s saying it was not run and must be repeated, and that promise holds:
// it never runs by itself; repeated once Temporal is back, it is applied once.
func temporalServerDown(t *testing.T, c *cluster) {
	const slackNote = "noted in Slack during the Temporal outage"
	var incident string
	c.outage(t, "Temporal", c.ts.kill, func() { c.ts.start(t) }, func(id string, note map[string]any) {
		incident = id
		requireUnavailable(t, c.a, "POST", "/api/v1/incidents/"+id+"/actions", note)
		requireUnavailable(t, c.b, "GET", "/api/v1/incidents/"+id, nil)
		ack, took := c.slashCommand(t, c.a, c.channels[id], "note "+slackNote)
		t.Logf("Slack /incident note during the outage acknowledged in %s: %s", took.Round(time.Millisecond), ack)
		require.Contains(t, ack, "not run", "the acknowledgement says the command was not run")
		require.Contains(t, ack, "Repeat it", "and that the person must repeat it")
	})
	notes := func() int {
		tl := c.b.must(t, "GET", "/api/v1/incidents/"+incident+"/timeline", adminToken, nil, http.StatusOK)
		n := 0
		for _, raw := range tl["events"].([]any) {
			if d, ok := raw.(map[string]any)["data"].(map[string]any); ok && d["text"] == slackNote {
				n++
			}
		}
		return n
	}
	require.Zero(t, notes(), "a Slack command irbot said was not run has not run")
	// The person repeats it, as told, through the other replica.
	ack, took := c.slashCommand(t, c.b, c.channels[incident], "note "+slackNote)
	require.NotContains(t, ack, "not run", "Slack commands run again once Temporal is back")
	require.Eventually(t, func() bool { return notes() == 1 }, 30*time.Second, 200*time.Millisecond, "the repeated Slack note reaches the timeline")
	t.Logf("the repeated Slack note was acknowledged in %s and applied", took.Round(time.Millisecond))
	st := c.b.must(t, "GET", "/api/v1/incidents/"+incident, dpoToken, nil, http.StatusOK)
	require.EqualValues(t, 3, st["notes"], "the two API notes and the repeated Slack one, each once; the refused one never")
	require.Equal(t, 1, notes(), "the Slack note is on the timeline once")
	verifyConsistent(t, c.b, incident, 0)
}

// slashCommand sends a Slack-signed `/incident TEXT` from Marco (commander)
// in channel to r, as Slack would, and returns the acknowledgement and how
// long it took; Slack gives up on an answer after 3 s.
func (c *cluster) slashCommand(t *testing.T, r *replica, channel, text string) (string, time.Duration) {
	t.Helper()
	require.NotEmpty(t, channel, "the incident's Slack channel")
	body := url.Values{"team_id": {"T0000001"}, "channel_id": {channel}, "user_id": {"U0000000002"}, "user_name": {"marco"},
		"command": {"/incident"}, "text": {text}, "trigger_id": {"trigger-" + strconv.FormatInt(time.Now().UnixNano(), 10)},
		"response_url": {c.slack.ResponseURL("cluster")}}.Encode()
	req, err := http.NewRequest(http.MethodPost, r.base+"/slack/commands", strings.NewReader(body))
	require.NoError(t, err)
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Slack-Request-Timestamp", ts)
	req.Header.Set("X-Slack-Signature", slackbot.Sign(slackSecret, ts, []byte(body)))
	start := time.Now()
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	took := time.Since(start)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode, "%s", raw)
	require.Less(t, took, 3*time.Second, "Slack gives up after 3 s")
	return string(raw), took
}

// postgresDown stops the PostgreSQL cluster that holds irbot's database and
// Temporal's (one server, as in docker-compose.yml): reads answer 503 with
// Retry-After at once, an action after its Update timeout.
func postgresDown(t *testing.T, c *cluster) {
	c.outage(t, "PostgreSQL", c.pg.Stop, c.pg.Start, func(id string, note map[string]any) {
		requireUnavailable(t, c.a, "GET", "/api/v1/incidents/"+id+"/timeline", nil)
		requireUnavailable(t, c.b, "GET", "/api/v1/incidents", nil)
		requireUnavailable(t, c.b, "POST", "/api/v1/incidents/"+id+"/actions", note)
	})
}

// replicaWithoutKeysRefusesToStart: a replica on the shared backends with no
// IRBOT_ENCRYPTION_KEYS(_FILE) stops at start-up saying what to set, and
// leaves no generated key behind (one of its own would seal payloads the
// other replicas cannot open).
func replicaWithoutKeysRefusesToStart(t *testing.T, be *backends) {
	data := t.TempDir()
	cmd := exec.Command(filepath.Join(be.bin, "irbot"), "serve")
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "IRBOT_ENCRYPTION_KEYS") {
			env = append(env, kv)
		}
	}
	cmd.Env = append(env, "TEMPORAL_ADDRESS="+be.ts.frontend, "IRBOT_DATABASE_URL="+be.pg.URL("irbot"),
		"IRBOT_DATA_DIR="+data, "IRBOT_HTTP_ADDR=127.0.0.1:"+strconv.Itoa(freePort(t)))
	done := make(chan struct{})
	var out []byte
	var err error
	go func() { out, err = cmd.CombinedOutput(); close(done) }()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		_ = cmd.Process.Kill()
		<-done
		t.Fatalf("irbot serve without keys must stop at start-up; it ran for a minute: %s", out)
	}
	require.Error(t, err, "irbot serve without keys must exit non-zero: %s", out)
	require.Contains(t, string(out), "IRBOT_ENCRYPTION_KEYS", "the refusal names what to set")
	require.Contains(t, string(out), "every replica needs the same keys")
	_, statErr := os.Stat(filepath.Join(data, "encryption.keys"))
	require.ErrorIs(t, statErr, os.ErrNotExist, "no key generated")
}

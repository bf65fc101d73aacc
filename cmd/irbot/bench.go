package main

// irbot bench: the whole stack in one process (embedded Temporal, the store,
// a fake Slack Web API behind a latency proxy; no mail is sent), driven from
// outside over HTTP as users drive it. Every figure is printed beside a
// baseline measured in the same run, so a shared, noisy machine changes both
// sides alike; budgets are judged on the ratio where the budget is relative.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/irbot/irbot/internal/config"
	"github.com/irbot/irbot/internal/slackbot"
	"github.com/irbot/irbot/internal/slackbot/slackfake"
	"github.com/irbot/irbot/internal/store"
	"github.com/irbot/irbot/playbooks"
	"github.com/irbot/irbot/workflows"
)

// BenchRow is one line of the report. Every row is always present; a row
// that could not be measured says why in Note and has Measured false.
type BenchRow struct {
	Name          string  `json:"name"`
	What          string  `json:"what"`
	Measured      bool    `json:"measured"`
	Value         float64 `json:"value"`
	Unit          string  `json:"unit"`
	Baseline      string  `json:"baseline,omitempty"`
	BaselineValue float64 `json:"baseline_value,omitempty"`
	Ratio         float64 `json:"ratio,omitempty"` // value / baseline_value
	Budget        string  `json:"budget,omitempty"`
	Pass          *bool   `json:"pass,omitempty"` // nil: no budget for this row
	Note          string  `json:"note,omitempty"`
}

// BenchReport is what --out writes.
type BenchReport struct {
	Version  string     `json:"version"`
	Mode     string     `json:"mode"` // quick | full
	Store    string     `json:"store"`
	CPUs     int        `json:"cpus"`
	Started  time.Time  `json:"started"`
	Duration string     `json:"duration"`
	Rows     []BenchRow `json:"rows"`
}

// BenchRowNames is every row a report holds, in order; the CI test checks
// the JSON against it.
var BenchRowNames = []string{
	"slack_ack_p99", "slack_declare_ready", "slack_calls_per_declare",
	"api_declares", "note_sequential_p50", "actions_concurrent_one_incident",
	"actions_while_open", "rss_open_incidents", "verify_events",
	"timeline_export", "incidents_list", "startup_open_incidents", "reminder_punctuality",
}

type benchOpts struct {
	quick        bool
	databaseURL  string
	slackLatency time.Duration
	out          string
	// temporalDC overrides the embedded server's dynamic config (--temporal-dc).
	temporalDC map[string]any
	// stickyCache overrides the worker's sticky cache size (--sticky-cache).
	stickyCache int
	// sizes
	acks, slackDeclares, apiDeclares, openIncidents, notes, concurrent, loadActions, verifyEvents, reminders int
}

func benchCmd(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o benchOpts
	fs.BoolVar(&o.quick, "quick", false, "small sizes: finishes in a few minutes (CI runs this)")
	fs.StringVar(&o.databaseURL, "database-url", "", "postgres://... to measure PostgreSQL instead of SQLite")
	fs.DurationVar(&o.slackLatency, "slack-latency", 50*time.Millisecond, "latency the fake Slack Web API adds to every call")
	fs.StringVar(&o.out, "out", "", "also write the report as JSON to this file")
	cpuProfile := fs.String("cpuprofile", "", "write a CPU profile of the whole run (irbot and the embedded Temporal) to this file")
	memProfile := fs.String("memprofile", "", "write a heap profile at the end of the run to this file")
	only := fs.String("only", "", "memory: only declare --open incidents in steps and print where the memory goes")
	open := fs.String("open", "500,1000,2000", "with --only memory: the open-incident counts to measure at, ascending")
	fs.Func("temporal-dc", "KEY=VALUE: override one of the embedded Temporal server's dynamic config keys (repeatable), to measure a setting against irbot's", func(v string) error {
		k, val, ok := strings.Cut(v, "=")
		if !ok || k == "" {
			return errors.New("want KEY=VALUE")
		}
		if o.temporalDC == nil {
			o.temporalDC = map[string]any{}
		}
		o.temporalDC[k] = dcValue(val)
		return nil
	})
	sticky := fs.Int("sticky-cache", 0, "the SDK worker's sticky workflow cache size for this run (0: irbot's)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "irbot bench: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	var steps []int
	switch *only {
	case "":
	case "memory":
		var err error
		if steps, err = parseSteps(*open); err != nil {
			fmt.Fprintf(stderr, "irbot bench: %v\n", err)
			return 2
		}
	default:
		fmt.Fprintf(stderr, "irbot bench: --only: want memory, got %q\n", *only)
		return 2
	}
	o.sizes()
	o.stickyCache = *sticky
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			fmt.Fprintf(stderr, "irbot bench: --cpuprofile: %v\n", err)
			return 1
		}
		defer func() { _ = f.Close() }()
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintf(stderr, "irbot bench: --cpuprofile: %v\n", err)
			return 1
		}
		defer pprof.StopCPUProfile()
	}
	writeMemProfile := func() {
		if *memProfile != "" {
			if f, ferr := os.Create(*memProfile); ferr == nil {
				_ = pprof.WriteHeapProfile(f)
				_ = f.Close()
			}
		}
	}
	if steps != nil {
		samples, err := runMemory(context.Background(), o, steps, stderr, writeMemProfile)
		printMemory(stdout, samples)
		if err != nil {
			fmt.Fprintf(stderr, "irbot bench: %v\n", err)
			return 1
		}
		if o.out != "" {
			if err := writeMemoryJSON(o.out, samples); err != nil {
				fmt.Fprintf(stderr, "irbot bench: --out: %v\n", err)
				return 1
			}
		}
		return 0
	}
	rep, err := runBench(context.Background(), o, stderr)
	writeMemProfile()
	if err != nil {
		fmt.Fprintf(stderr, "irbot bench: %v\n", err)
		return 1
	}
	printBench(stdout, rep)
	if o.out != "" {
		raw, _ := json.MarshalIndent(rep, "", "  ")
		if err := os.WriteFile(o.out, append(raw, '\n'), 0o600); err != nil {
			fmt.Fprintf(stderr, "irbot bench: --out: %v\n", err)
			return 1
		}
	}
	return 0
}

// dcValue reads a dynamic config value as the server's settings take it:
// a bool, an integer, or else the text (durations such as 10m).
func dcValue(v string) any {
	if n, err := strconv.Atoi(v); err == nil {
		return n
	}
	if v == "true" || v == "false" {
		return v == "true"
	}
	return v
}

func (o *benchOpts) sizes() {
	if o.quick {
		o.acks, o.slackDeclares, o.apiDeclares, o.openIncidents = 200, 10, 16, 50
		o.notes, o.concurrent, o.loadActions, o.verifyEvents = 10, 32, 40, 1000
		// 100 clocks: the last of 200 reminders landed 40 s after the
		// second they were due on a loaded machine, a fifth of the run.
		o.reminders = 100
		return
	}
	o.acks, o.slackDeclares, o.apiDeclares, o.openIncidents = 1000, 50, 200, 10000
	o.notes, o.concurrent, o.loadActions, o.verifyEvents = 100, 32, 1000, 100000
	o.reminders = 1000
}

const (
	benchToken       = "bench-admin-token-not-a-secret" // a throwaway in-process token
	benchSecret      = "bench-signing-secret"
	benchSlackUser   = "U0BENCH0001"
	benchTaskQueue   = "irbot-bench-baseline"
	benchBaselineWF  = "BenchBaselineWorkflow"
	benchBaselineUpd = "noop"
)

// benchEnv is the running stack plus the baselines' own pieces.
type benchEnv struct {
	o        benchOpts
	m        *Main
	base     string
	http     *http.Client
	fake     *slackfake.Server
	proxy    *slackProxy
	bare     string // URL of a bare signed-HTTP handler in this process
	baseWork worker.Worker
	log      io.Writer
	openIDs  []string // the open incidents openAndLoad declared
}

func runBench(ctx context.Context, o benchOpts, logw io.Writer) (*BenchReport, error) {
	start := time.Now()
	rep := &BenchReport{Version: version, Mode: map[bool]string{true: "quick", false: "full"}[o.quick], Store: "sqlite", CPUs: runtime.NumCPU(), Started: start.UTC()}
	if o.databaseURL != "" {
		rep.Store = "postgres"
	}
	e, stop, err := startBenchEnv(ctx, o, logw)
	if err != nil {
		return nil, err
	}
	defer stop()
	if e.bare, err = bareSignedHandler(); err != nil {
		return nil, err
	}
	e.baseWork = worker.New(e.m.client, benchTaskQueue, worker.Options{})
	e.baseWork.RegisterWorkflowWithOptions(benchBaselineWorkflow, workflow.RegisterOptions{Name: benchBaselineWF})
	e.baseWork.RegisterActivity(benchNoop)
	if err := e.baseWork.Start(); err != nil {
		return nil, err
	}
	defer e.baseWork.Stop()

	steps := []func(context.Context) []BenchRow{
		e.slackAcks, e.slackDeclares, e.apiDeclares, e.noteSequential, e.concurrentActions,
		e.openAndLoad, e.verifyAndExport, e.startup, e.reminders,
	}
	for _, step := range steps {
		rep.Rows = append(rep.Rows, step(ctx)...)
	}
	// Order and completeness: every named row once.
	byName := map[string]BenchRow{}
	for _, r := range rep.Rows {
		byName[r.Name] = r
	}
	rep.Rows = rep.Rows[:0]
	for _, n := range BenchRowNames {
		r, ok := byName[n]
		if !ok {
			r = BenchRow{Name: n, Note: "not produced (bench bug)"}
		}
		rep.Rows = append(rep.Rows, r)
	}
	rep.Duration = time.Since(start).Round(time.Second).String()
	return rep, nil
}

// startBenchEnv starts the whole stack in a temporary data directory with
// the fake Slack behind its latency proxy; stop closes it all and removes
// the directory.
func startBenchEnv(ctx context.Context, o benchOpts, logw io.Writer) (*benchEnv, func(), error) {
	dir, err := os.MkdirTemp("", "irbot-bench-")
	if err != nil {
		return nil, nil, err
	}
	fake := slackfake.New()
	proxy, err := newSlackProxy(fake.APIURL(), o.slackLatency)
	if err != nil {
		fake.Close()
		_ = os.RemoveAll(dir)
		return nil, nil, err
	}
	stop := func() {
		proxy.close()
		fake.Close()
		_ = os.RemoveAll(dir)
	}
	users := filepath.Join(dir, "users.yaml")
	if err := os.WriteFile(users, []byte("users:\n  - name: Bench Commander\n    email: bench@example.invalid\n    slack_id: "+benchSlackUser+"\n    roles: [commander, responder]\n"), 0o600); err != nil {
		stop()
		return nil, nil, err
	}
	// #nosec G101 -- the benchmark's throwaway in-process token and secret
	env := map[string]string{
		"IRBOT_DATA_DIR": filepath.Join(dir, "data"), "IRBOT_HTTP_ADDR": "127.0.0.1:0", "IRBOT_TEMPORAL_PORT": "0",
		"IRBOT_ADMIN_TOKEN": benchToken, "IRBOT_USERS_FILE": users, "IRBOT_LOG_LEVEL": "error",
		"SLACK_BOT_TOKEN": "xoxb-bench-0000", "SLACK_SIGNING_SECRET": benchSecret, "SLACK_API_URL": proxy.url + "/api/",
		"IRBOT_DATABASE_URL": o.databaseURL, "IRBOT_DIGEST_CRON": "off",
	}
	cfg, err := config.FromEnv(func(k string) string { return env[k] })
	if err != nil {
		stop()
		return nil, nil, err
	}
	cfg.TemporalLogLevel = "fatal" // the server's own error lines under overload would bury the report
	e := &benchEnv{o: o, fake: fake, proxy: proxy, log: logw, http: &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 128}}}
	if e.m, err = startBenchMain(ctx, cfg, o); err != nil {
		stop()
		return nil, nil, err
	}
	e.base = "http://" + e.m.Addr()
	return e, func() { _ = e.m.Close(); stop() }, nil
}

func startBenchMain(ctx context.Context, cfg config.Config, o benchOpts) (*Main, error) {
	m := &Main{Config: cfg, Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)), Out: io.Discard, temporalDC: o.temporalDC, stickyCache: o.stickyCache}
	if err := m.Run(ctx); err != nil {
		_ = m.Close()
		return nil, err
	}
	return m, nil
}

func (e *benchEnv) logf(format string, args ...any) {
	fmt.Fprintf(e.log, "bench: "+format+"\n", args...)
}

// --- baselines

func benchNoop(context.Context) error { return nil }

// benchBaselineWorkflow is the bare Temporal cost of what irbot does: it runs
// n no-op activities, then answers Updates that run k no-op activities each
// until signalled done.
func benchBaselineWorkflow(ctx workflow.Context, n int) error {
	opts := workflow.ActivityOptions{StartToCloseTimeout: 30 * time.Second}
	if err := workflow.SetUpdateHandler(ctx, benchBaselineUpd, func(ctx workflow.Context, k int) error {
		ctx = workflow.WithActivityOptions(ctx, opts)
		for i := 0; i < k; i++ {
			if err := workflow.ExecuteActivity(ctx, benchNoop).Get(ctx, nil); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		return err
	}
	actx := workflow.WithActivityOptions(ctx, opts)
	for i := 0; i < n; i++ {
		if err := workflow.ExecuteActivity(actx, benchNoop).Get(actx, nil); err != nil {
			return err
		}
	}
	workflow.GetSignalChannel(ctx, "done").Receive(ctx, nil)
	return workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) })
}

// baselineStart starts a baseline workflow and waits for one Update running k
// activities: the bare shape of a declare (start, then the first answer).
func (e *benchEnv) baselineStart(ctx context.Context, id string, k int) error {
	if _, err := e.m.client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: id, TaskQueue: benchTaskQueue}, benchBaselineWF, 0); err != nil {
		return err
	}
	return e.baselineUpdate(ctx, id, k)
}

func (e *benchEnv) baselineUpdate(ctx context.Context, id string, k int) error {
	h, err := e.m.client.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{WorkflowID: id, UpdateName: benchBaselineUpd, Args: []any{k}, WaitForStage: client.WorkflowUpdateStageCompleted})
	if err != nil {
		return err
	}
	return h.Get(ctx, nil)
}

func (e *benchEnv) baselineDone(ctx context.Context, ids ...string) {
	for _, id := range ids {
		_ = e.m.client.SignalWorkflow(ctx, id, "", "done", nil)
	}
}

// bareSignedHandler serves a handler that checks Slack's signature and
// answers 200 with nothing else: the floor for a slash-command ack.
func bareSignedHandler() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	v := slackbot.Verifier{Secret: benchSecret}
	srv := &http.Server{ReadHeaderTimeout: 10 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if err := v.Verify(r.Header, body); err != nil {
			http.Error(w, err.Error(), http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"response_type":"ephemeral","text":"ok"}`))
	})}
	go func() { _ = srv.Serve(ln) }()
	return "http://" + ln.Addr().String(), nil
}

// slackProxy adds latency to every Web API call and timestamps them, so the
// bench can see when each card was pinned and how many calls a declare took.
type slackProxy struct {
	url   string
	srv   *http.Server
	mu    sync.Mutex
	calls []proxyCall
}

type proxyCall struct {
	method string
	at     time.Time
}

func newSlackProxy(target string, latency time.Duration) (*slackProxy, error) {
	u, err := url.Parse(target)
	if err != nil {
		return nil, err
	}
	u.Path = ""
	rp := httputil.NewSingleHostReverseProxy(u)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &slackProxy{url: "http://" + ln.Addr().String()}
	p.srv = &http.Server{ReadHeaderTimeout: 10 * time.Second, Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(latency)
		rp.ServeHTTP(w, r)
		p.mu.Lock()
		p.calls = append(p.calls, proxyCall{method: strings.TrimPrefix(r.URL.Path, "/api/"), at: time.Now()})
		p.mu.Unlock()
	})}
	go func() { _ = p.srv.Serve(ln) }()
	return p, nil
}

func (p *slackProxy) close() { _ = p.srv.Close() }

// callsByMethod counts calls per Web API method, most called first.
func callsByMethod(calls []proxyCall) string {
	count := map[string]int{}
	for _, c := range calls {
		count[c.method]++
	}
	methods := make([]string, 0, len(count))
	for m := range count {
		methods = append(methods, m)
	}
	slices.SortFunc(methods, func(a, b string) int {
		if count[a] != count[b] {
			return count[b] - count[a]
		}
		return strings.Compare(a, b)
	})
	parts := make([]string, len(methods))
	for i, m := range methods {
		parts[i] = fmt.Sprintf("%s %d", m, count[m])
	}
	return strings.Join(parts, ", ")
}

func (p *slackProxy) snapshot() []proxyCall {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.calls)
}

// --- measuring helpers

type latencies []time.Duration

func (l latencies) pct(p float64) time.Duration {
	if len(l) == 0 {
		return 0
	}
	s := slices.Clone(l)
	slices.Sort(s)
	i := int(math.Ceil(p/100*float64(len(s)))) - 1
	return s[max(0, min(i, len(s)-1))]
}

func ms(d time.Duration) float64 { return math.Round(float64(d.Microseconds())/10) / 100 }

// runN calls f n times from c goroutines and returns each call's latency and
// the number of failures with the first error.
func runN(n, c int, f func(i int) error) (latencies, int, error) {
	var (
		mu       sync.Mutex
		lat      latencies
		failed   int
		firstErr error
		next     atomic.Int64
		wg       sync.WaitGroup
	)
	for w := 0; w < c; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				t := time.Now()
				err := f(i)
				d := time.Since(t)
				mu.Lock()
				if err != nil {
					failed++
					if firstErr == nil {
						firstErr = err
					}
				} else {
					lat = append(lat, d)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return lat, failed, firstErr
}

func (e *benchEnv) request(method, path string, body any, want int) ([]byte, error) {
	var rd io.Reader
	if body != nil {
		raw, _ := json.Marshal(body)
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, e.base+path, rd)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+benchToken)
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := e.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer func() { _ = resp.Body.Close() }()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if want != 0 && resp.StatusCode != want {
		return raw, fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, bytes.TrimSpace(raw[:min(len(raw), 300)]))
	}
	return raw, nil
}

func (e *benchEnv) get(url string) error {
	resp, err := e.http.Get(url)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %d", url, resp.StatusCode)
	}
	return nil
}

func (e *benchEnv) declare(title string) (string, int, error) {
	raw, err := e.request("POST", "/api/v1/incidents", map[string]any{
		"title": title, "severity": "high", "regimes": []string{"eu-gdpr", "us-hipaa"},
		"facts": map[string]any{"personal_data": "yes"},
	}, http.StatusCreated)
	if err != nil {
		return "", 0, err
	}
	var st struct {
		ID     string            `json:"id"`
		Clocks []json.RawMessage `json:"clocks"`
	}
	if err := json.Unmarshal(raw, &st); err != nil || st.ID == "" {
		return "", 0, fmt.Errorf("declare answered %s", raw[:min(len(raw), 200)])
	}
	return st.ID, len(st.Clocks), nil
}

// clockCount is how many clocks an incident runs once its children started.
func (e *benchEnv) clockCount(id any) int {
	s, _ := id.(string)
	if s == "" {
		return 0
	}
	var st struct {
		Clocks []json.RawMessage `json:"clocks"`
	}
	for i := 0; i < 50; i++ {
		raw, err := e.request("GET", "/api/v1/incidents/"+s, nil, http.StatusOK)
		if err == nil && json.Unmarshal(raw, &st) == nil && len(st.Clocks) > 0 {
			return len(st.Clocks)
		}
		time.Sleep(100 * time.Millisecond)
	}
	return 0
}

func (e *benchEnv) note(id string, i int) error {
	_, err := e.request("POST", "/api/v1/incidents/"+id+"/actions", map[string]any{"type": "note", "text": "bench note " + strconv.Itoa(i)}, http.StatusOK)
	return err
}

func (e *benchEnv) slackPost(base, path, body string) error {
	req, err := http.NewRequest(http.MethodPost, base+path, strings.NewReader(body))
	if err != nil {
		return err
	}
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Slack-Request-Timestamp", ts)
	req.Header.Set("X-Slack-Signature", slackbot.Sign(benchSecret, ts, []byte(body)))
	resp, err := e.http.Do(req)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("POST %s: %d", path, resp.StatusCode)
	}
	return nil
}

// slashBody is a slash command as Slack sends it, response_url included:
// without one, irbot's private answer to a declare went out as an
// ephemeral message in a channel the fake does not know, then as a DM
// (conversations.open and chat.postMessage), three Web API calls per
// declare that real Slack never sees.
func (e *benchEnv) slashBody(text string, i int) string {
	return url.Values{"team_id": {"T0BENCH"}, "channel_id": {"C0BENCHGEN"}, "user_id": {benchSlackUser}, "user_name": {"bench"},
		"command": {"/incident"}, "text": {text}, "trigger_id": {"trigger-" + strconv.Itoa(i)},
		"response_url": {e.fake.ResponseURL("bench")}}.Encode()
}

// baseline runs a baseline like runN; a baseline that fails is reported in
// the row's note rather than silently shown as zero.
func (e *benchEnv) baseline(n, c int, f func(i int) error) (latencies, string) {
	lat, failed, err := runN(n, c, f)
	if failed > 0 {
		return lat, fmt.Sprintf("; baseline: %d of %d failed (first: %v)", failed, n, err)
	}
	return lat, ""
}

func ratioRow(r BenchRow, value, baseline, maxRatio float64) BenchRow {
	r.Measured, r.Value, r.BaselineValue = true, value, baseline
	if baseline > 0 {
		r.Ratio = math.Round(value/baseline*100) / 100
	}
	if maxRatio > 0 && baseline > 0 {
		ok := value/baseline <= maxRatio
		r.Pass = &ok
	}
	return r
}

func absRow(r BenchRow, value float64, ok bool) BenchRow {
	r.Measured, r.Value, r.Pass = true, value, &ok
	return r
}

func failedRow(name, what string, err error) BenchRow {
	f := false
	return BenchRow{Name: name, What: what, Pass: &f, Note: "failed: " + err.Error()}
}

// --- the rows

func (e *benchEnv) slackAcks(ctx context.Context) []BenchRow {
	e.logf("slash-command acknowledgements, 50 concurrent")
	const c = 50
	n := e.o.acks
	what := fmt.Sprintf("slash-command acknowledgement p99, %d concurrent, %d requests", c, n)
	// Open the clients' connections first (an unmeasured round), then
	// alternate short rounds of the three, so that connection set-up and
	// whatever else the machine does fall on all of them alike: measured
	// one after the other, the first (cold) round's p99 was mostly TCP
	// handshakes and new goroutines, which the others never paid.
	_, _, _ = runN(c, c, func(int) error { return e.get(e.base + "/healthz") })
	_, _, _ = runN(c, c, func(i int) error { return e.slackPost(e.bare, "/", e.slashBody("help", i)) })
	var ack, health, bare latencies
	const rounds = 4
	for r := 0; r < rounds; r++ {
		a, failed, err := runN(n/rounds, c, func(i int) error {
			return e.slackPost(e.base, "/slack/commands", e.slashBody("help", r*n+i))
		})
		if failed > 0 {
			return []BenchRow{failedRow("slack_ack_p99", what, err)}
		}
		h, _, _ := runN(n/rounds, c, func(int) error { return e.get(e.base + "/healthz") })
		b, _, _ := runN(n/rounds, c, func(i int) error { return e.slackPost(e.bare, "/", e.slashBody("help", i)) })
		ack, health, bare = append(ack, a...), append(health, h...), append(bare, b...)
	}
	r := ratioRow(BenchRow{Name: "slack_ack_p99", What: what, Unit: "ms", Baseline: "/healthz p99, same concurrency", Budget: "≤ 2× /healthz p99"},
		ms(ack.pct(99)), ms(health.pct(99)), 2)
	r.Note = fmt.Sprintf("p50 %.2f ms; bare signed handler p99 %.2f ms; Slack's limit is 3 s", ms(ack.pct(50)), ms(bare.pct(99)))
	return []BenchRow{r}
}

func (e *benchEnv) slackDeclares(ctx context.Context) []BenchRow {
	n := e.o.slackDeclares
	e.logf("%d concurrent Slack declares", n)
	what := fmt.Sprintf("%d concurrent Slack declares: channel created, card posted and pinned", n)
	before := len(e.proxy.snapshot())
	t0 := time.Now()
	_, failed, err := runN(n, n, func(i int) error {
		return e.slackPost(e.base, "/slack/commands", e.slashBody("declare Bench burst "+strconv.Itoa(i), 1000+i))
	})
	if failed > 0 {
		return []BenchRow{failedRow("slack_declare_ready", what, err), failedRow("slack_calls_per_declare", "Slack Web API calls per declare", err)}
	}
	deadline := time.Now().Add(5 * time.Minute)
	var pins []time.Duration
	for time.Now().Before(deadline) {
		pins = pins[:0]
		for _, c := range e.proxy.snapshot()[before:] {
			if c.method == "pins.add" {
				pins = append(pins, c.at.Sub(t0))
			}
		}
		if len(pins) >= n {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	calls := len(e.proxy.snapshot()) - before
	if len(pins) < n {
		err := fmt.Errorf("only %d of %d cards pinned within 5 minutes", len(pins), n)
		return []BenchRow{failedRow("slack_declare_ready", what, err), failedRow("slack_calls_per_declare", "Slack Web API calls per declare", err)}
	}
	// Baseline: the bare Temporal cost of n concurrent starts with one
	// Update running as many no-op activities as the declare's Slack calls.
	per := float64(calls) / float64(n)
	bl, blNote := e.baseline(n, n, func(i int) error {
		return e.baselineStart(ctx, fmt.Sprintf("bench/slack/%d/%d", t0.UnixNano(), i), int(math.Ceil(per)))
	})
	ready := latencies(pins)
	r := ratioRow(BenchRow{Name: "slack_declare_ready", What: what, Unit: "ms", Budget: "p99 ≤ 3000 ms",
		Baseline: fmt.Sprintf("bare workflow start + Update with %d no-op activities, p99", int(math.Ceil(per)))}, ms(ready.pct(99)), ms(bl.pct(99)), 0)
	ok := ready.pct(99) <= 3*time.Second
	r.Pass = &ok
	r.Note = fmt.Sprintf("p50 %.0f ms; Slack latency %s per call", ms(ready.pct(50)), e.o.slackLatency) + blNote
	c := absRow(BenchRow{Name: "slack_calls_per_declare", What: "Slack Web API calls per declare (until every card is pinned)", Unit: "calls", Budget: "≤ 6 before the card is pinned"}, math.Round(per*10)/10, per <= 6)
	c.Note = "by method: " + callsByMethod(e.proxy.snapshot()[before:before+calls])
	return []BenchRow{r, c}
}

func (e *benchEnv) apiDeclares(ctx context.Context) []BenchRow {
	n := e.o.apiDeclares
	e.logf("%d API declares, 8 clients", n)
	what := fmt.Sprintf("API declares (eu-gdpr + us-hipaa), 8 clients, %d declares", n)
	t0 := time.Now()
	var last atomic.Value
	lat, failed, err := runN(n, 8, func(i int) error {
		id, _, err := e.declare("Bench declare " + strconv.Itoa(i))
		last.Store(id)
		return err
	})
	el := time.Since(t0)
	if failed > 0 {
		return []BenchRow{failedRow("api_declares", what, err)}
	}
	t1 := time.Now()
	bl, blNote := e.baseline(n, 8, func(i int) error {
		return e.baselineStart(ctx, fmt.Sprintf("bench/declare/%d/%d", t1.UnixNano(), i), 3)
	})
	blRate := float64(n) / time.Since(t1).Seconds()
	rate := float64(n) / el.Seconds()
	r := ratioRow(BenchRow{Name: "api_declares", What: what, Unit: "declares/s", Budget: "≥ 100/s",
		Baseline: "bare workflow start + Update with 3 no-op activities, same clients, per s"}, math.Round(rate*10)/10, math.Round(blRate*10)/10, 0)
	ok := rate >= 100
	r.Pass = &ok
	r.Note = fmt.Sprintf("p99 %.0f ms (baseline p99 %.0f ms); %d clocks per incident", ms(lat.pct(99)), ms(bl.pct(99)), e.clockCount(last.Load())) + blNote
	return []BenchRow{r}
}

func (e *benchEnv) noteSequential(ctx context.Context) []BenchRow {
	e.logf("sequential notes")
	what := fmt.Sprintf("one incident, %d sequential note actions", e.o.notes)
	id, _, err := e.declare("Bench sequential")
	if err != nil {
		return []BenchRow{failedRow("note_sequential_p50", what, err)}
	}
	lat, failed, err := runN(e.o.notes, 1, func(i int) error { return e.note(id, i) })
	if failed > 0 {
		return []BenchRow{failedRow("note_sequential_p50", what, err)}
	}
	bid := fmt.Sprintf("bench/seq/%d", time.Now().UnixNano())
	_ = e.baselineStart(ctx, bid, 0)
	bl, blNote := e.baseline(e.o.notes, 1, func(int) error { return e.baselineUpdate(ctx, bid, 1) })
	e.baselineDone(ctx, bid)
	r := ratioRow(BenchRow{Name: "note_sequential_p50", What: what, Unit: "ms", Budget: "p50 ≤ 30 ms", Baseline: "bare Update running 1 no-op activity, p50"},
		ms(lat.pct(50)), ms(bl.pct(50)), 0)
	ok := lat.pct(50) <= 30*time.Millisecond
	r.Pass = &ok
	r.Note = fmt.Sprintf("p99 %.0f ms", ms(lat.pct(99))) + blNote
	return []BenchRow{r}
}

func (e *benchEnv) concurrentActions(ctx context.Context) []BenchRow {
	e.logf("32 concurrent actions on one incident")
	n := e.o.concurrent * 2
	what := fmt.Sprintf("one incident, %d concurrent clients, %d note actions", e.o.concurrent, n)
	id, _, err := e.declare("Bench concurrent")
	if err != nil {
		return []BenchRow{failedRow("actions_concurrent_one_incident", what, err)}
	}
	t0 := time.Now()
	lat, failed, err := runN(n, e.o.concurrent, func(i int) error { return e.note(id, i) })
	rate := float64(n-failed) / time.Since(t0).Seconds()
	bid := fmt.Sprintf("bench/conc/%d", time.Now().UnixNano())
	_ = e.baselineStart(ctx, bid, 0)
	bl, blNote := e.baseline(n, e.o.concurrent, func(int) error { return e.baselineUpdate(ctx, bid, 1) })
	e.baselineDone(ctx, bid)
	r := ratioRow(BenchRow{Name: "actions_concurrent_one_incident", What: what, Unit: "ms p99", Budget: "all succeed, p99 ≤ 1000 ms", Baseline: "bare Updates with 1 no-op activity, same clients, p99"},
		ms(lat.pct(99)), ms(bl.pct(99)), 0)
	ok := failed == 0 && lat.pct(99) <= time.Second
	r.Pass = &ok
	r.Note = fmt.Sprintf("%.1f actions/s, %d failed", rate, failed) + blNote
	if err != nil {
		r.Note += " (first: " + err.Error() + ")"
	}
	return []BenchRow{r}
}

// openAndLoad declares the open-incident population, measures memory and
// the incidents list, then acts on one incident while they are all open.
func (e *benchEnv) openAndLoad(ctx context.Context) []BenchRow {
	n := e.o.openIncidents
	e.logf("declaring %d open incidents (memory)", n)
	memWhat := fmt.Sprintf("RSS of the whole process (embedded Temporal included) with %d open incidents idle", n)
	rss0 := rssBytes()
	e.openIDs = make([]string, n)
	_, failed, err := runN(n, 8, func(i int) error {
		id, _, err := e.declare("Bench open " + strconv.Itoa(i))
		e.openIDs[i] = id
		return err
	})
	if failed > 0 {
		return []BenchRow{failedRow("rss_open_incidents", memWhat, err), failedRow("incidents_list", "incidents list", err), failedRow("actions_while_open", "actions while open", err)}
	}
	time.Sleep(2 * time.Second) // let clock children start and settle
	runtime.GC()
	rss1 := rssBytes()
	perKiB := float64(rss1-rss0) / 1024 / float64(n)
	mem := BenchRow{Name: "rss_open_incidents", What: memWhat, Unit: "MiB", Measured: true, Value: math.Round(float64(rss1)/(1<<20)*10) / 10,
		Baseline: "RSS before declaring them", BaselineValue: math.Round(float64(rss0)/(1<<20)*10) / 10}
	mem.Note = fmt.Sprintf("%.0f KiB per open incident", perKiB)
	if n >= 10000 {
		ok := rss1 < 1<<30
		mem.Budget, mem.Pass = "10,000 open incidents under 1024 MiB", &ok
	} else {
		mem.Note += "; the budget (10,000 open incidents under 1 GiB) is judged only in the full run"
	}

	e.logf("incidents list with %d+ incidents", n)
	list, _, lerr := runN(20, 1, func(int) error { _, err := e.request("GET", "/api/v1/incidents", nil, http.StatusOK); return err })
	health, _, _ := runN(20, 1, func(int) error { return e.get(e.base + "/healthz") })
	lr := ratioRow(BenchRow{Name: "incidents_list", What: fmt.Sprintf("GET /api/v1/incidents with %d+ incidents, p50", n), Unit: "ms", Baseline: "/healthz p50"}, ms(list.pct(50)), ms(health.pct(50)), 0)
	if lerr != nil {
		lr = failedRow("incidents_list", lr.What, lerr)
	}

	e.logf("8 clients on one incident while %d are open", n)
	lw := fmt.Sprintf("%d note actions, 8 clients on one incident, %d incidents open", e.o.loadActions, n)
	id, _, err := e.declare("Bench under load")
	if err != nil {
		return []BenchRow{mem, lr, failedRow("actions_while_open", lw, err)}
	}
	lat, failed, ferr := runN(e.o.loadActions, 8, func(i int) error { return e.note(id, i) })
	bid := fmt.Sprintf("bench/load/%d", time.Now().UnixNano())
	_ = e.baselineStart(ctx, bid, 0)
	bl, blNote := e.baseline(e.o.loadActions, 8, func(int) error { return e.baselineUpdate(ctx, bid, 1) })
	e.baselineDone(ctx, bid)
	ar := ratioRow(BenchRow{Name: "actions_while_open", What: lw, Unit: "ms p99", Budget: "none fails, p99 ≤ 1000 ms", Baseline: "bare Updates with 1 no-op activity, same clients, p99"}, ms(lat.pct(99)), ms(bl.pct(99)), 0)
	ok := failed == 0 && lat.pct(99) <= time.Second
	ar.Pass = &ok
	ar.Note = fmt.Sprintf("%d failed", failed) + blNote
	if ferr != nil {
		ar.Note += " (first: " + ferr.Error() + ")"
	}
	return []BenchRow{mem, lr, ar}
}

// verifyAndExport writes a long chain straight into the store (as the
// timeline activity would) and measures verify and the CSV export.
func (e *benchEnv) verifyAndExport(ctx context.Context) []BenchRow {
	n := e.o.verifyEvents
	e.logf("writing %d timeline events", n)
	id, _, err := e.declare("Bench long timeline")
	what := fmt.Sprintf("verify the hash chain of one incident with %d events", n)
	if err != nil {
		return []BenchRow{failedRow("verify_events", what, err), failedRow("timeline_export", "timeline export", err)}
	}
	at := time.Now().UTC()
	var payload int
	for i := 0; i < n; i++ {
		data := []byte(fmt.Sprintf(`{"text":"bench event %d"}`, i))
		payload += len(data)
		if _, _, err := e.m.store.Append(ctx, store.Event{IncidentID: id, Key: "bench-" + strconv.Itoa(i), At: at.Add(time.Duration(i) * time.Millisecond), Kind: "note.added", Actor: "bench", Data: data}); err != nil {
			return []BenchRow{failedRow("verify_events", what, err), failedRow("timeline_export", "timeline export", err)}
		}
	}
	// Best of five for both sides: one walk is short enough that a busy
	// machine's scheduling alone can multiply it.
	const tries = 5
	var vd, bd time.Duration
	var res store.VerifyResult
	for try := 0; try < tries; try++ {
		t0 := time.Now()
		res, err = e.m.store.Verify(ctx, id)
		if d := time.Since(t0); try == 0 || d < vd {
			vd = d
		}
		if err == nil && !res.OK {
			err = errors.New("verify: " + res.Reason)
		}
		if err != nil {
			return []BenchRow{failedRow("verify_events", what, err), failedRow("timeline_export", "timeline export", err)}
		}
		// Baseline: SHA-256 over the same number of events of the same
		// size, in memory: the floor any verify must pay.
		t1 := time.Now()
		buf := make([]byte, payload/max(n, 1)+200)
		for i := 0; i < n; i++ {
			_ = sha256.Sum256(buf)
		}
		if d := time.Since(t1); try == 0 || d < bd {
			bd = d
		}
	}
	v := ratioRow(BenchRow{Name: "verify_events", What: what, Unit: "ms", Budget: "100,000 events ≤ 1000 ms", Baseline: "SHA-256 of as many events in memory, best of 5"}, ms(vd), ms(bd), 0)
	scaled := vd * time.Duration(100000) / time.Duration(max(res.Events, 1))
	ok := scaled <= time.Second
	v.Pass = &ok
	v.Note = fmt.Sprintf("best of %d walks; %d events; %.0f ms per 100,000 at this rate", tries, res.Events, ms(scaled))

	t2 := time.Now()
	raw, xerr := e.request("GET", "/api/v1/incidents/"+id+"/timeline?format=csv", nil, http.StatusOK)
	xd := time.Since(t2)
	if xerr != nil {
		return []BenchRow{v, failedRow("timeline_export", "timeline export", xerr)}
	}
	health, _, _ := runN(20, 1, func(int) error { return e.get(e.base + "/healthz") })
	x := ratioRow(BenchRow{Name: "timeline_export", What: fmt.Sprintf("timeline CSV export of %d events", res.Events), Unit: "ms", Baseline: "/healthz p50"}, ms(xd), ms(health.pct(50)), 0)
	x.Note = fmt.Sprintf("%d KiB", len(raw)/1024)
	return []BenchRow{v, x}
}

// startup stops the whole process and starts it again on the same data with
// every incident still open.
func (e *benchEnv) startup(ctx context.Context) []BenchRow {
	e.logf("restart with open incidents")
	what := fmt.Sprintf("start-up to ready with %d+ open incidents", e.o.openIncidents)
	e.baseWork.Stop()
	cfg := e.m.Config
	cfg.HTTPAddr = e.m.Addr()
	if err := e.m.Close(); err != nil {
		return []BenchRow{failedRow("startup_open_incidents", what, err)}
	}
	t0 := time.Now()
	m, err := startBenchMain(ctx, cfg, e.o)
	if err != nil {
		return []BenchRow{failedRow("startup_open_incidents", what, err)}
	}
	d := time.Since(t0)
	e.m = m
	e.baseWork = worker.New(e.m.client, benchTaskQueue, worker.Options{})
	e.baseWork.RegisterWorkflowWithOptions(benchBaselineWorkflow, workflow.RegisterOptions{Name: benchBaselineWF})
	e.baseWork.RegisterActivity(benchNoop)
	_ = e.baseWork.Start()
	// Ready means an action is answered, not only that /readyz says so.
	t1 := time.Now()
	id, _, err := e.declare("Bench after restart")
	if err == nil {
		err = e.note(id, 0)
	}
	if err != nil {
		return []BenchRow{failedRow("startup_open_incidents", what, err)}
	}
	r := BenchRow{Name: "startup_open_incidents", What: what, Unit: "ms", Measured: true, Value: ms(d), Note: fmt.Sprintf("first declare + action after start %.0f ms", ms(time.Since(t1)))}
	return []BenchRow{r}
}

// reminders starts as many real clock workflows as the row names for one
// declared incident, each with a reminder every minute, so every one of
// them is due at the same next minute; then it reads each clock's history
// for when its reminder was recorded (the ClockAlert activity completed:
// timeline written, Slack posted) and reports that minus the minute.
func (e *benchEnv) reminders(ctx context.Context) []BenchRow {
	n := e.o.reminders
	what := fmt.Sprintf("reminder punctuality: %d clocks due in the same minute, recorded − scheduled", n)
	e.logf("%d clocks due in the same minute", n)
	// Spread over the open incidents, as real clocks are: Slack takes about
	// one message a second per channel, so clocks all in one channel would
	// measure that limit, not irbot.
	ids := slices.DeleteFunc(slices.Clone(e.openIDs), func(id string) bool { return id == "" })
	if len(ids) == 0 {
		id, _, err := e.declare("Bench reminders")
		if err != nil {
			return []BenchRow{failedRow("reminder_punctuality", what, err)}
		}
		ids = []string{id}
	}
	// Every clock's cron names one minute (UTC) far enough ahead for all
	// of them to start first: all n are due at that same instant. The
	// quick run does not wait for a minute boundary (up to a minute of
	// nothing): its clocks' one alert is an escalation an hour before a due
	// time set an hour after a whole second just ahead, the same timer,
	// workflow task and ClockAlert activity as a reminder.
	target := time.Now().Add(10*time.Second + time.Duration(n)*120*time.Millisecond).Truncate(time.Minute).Add(time.Minute)
	policy := playbooks.ClockPolicy{ReminderCron: fmt.Sprintf("%d %d * * *", target.UTC().Minute(), target.UTC().Hour()), TimeZone: "UTC", EscalateBefore: []string{"1h"}}
	due := time.Now().Add(30 * 24 * time.Hour)
	if e.o.quick {
		target = time.Now().Add(5*time.Second + time.Duration(n)*60*time.Millisecond).Truncate(time.Second).Add(time.Second)
		due = target.Add(time.Hour)
		policy.ReminderCron = "0 0 1 1 *" // once a year: not in this run
	}
	wid := func(i int) string {
		return workflows.ClockWorkflowID(ids[i%len(ids)], "bench", fmt.Sprintf("reminder-%04d", i))
	}
	t0 := time.Now()
	_, failed, err := runN(n, 16, func(i int) error {
		_, err := e.m.client.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: wid(i), TaskQueue: workflows.TaskQueue}, workflows.ClockWorkflowName,
			workflows.ClockInput{IncidentID: ids[i%len(ids)], Title: "Bench reminders", Mode: workflows.ModeLive, Regime: "bench", Obligation: fmt.Sprintf("reminder-%04d", i), DueAt: due, Policy: policy})
		return err
	})
	defer func() {
		_, _, _ = runN(n, 16, func(i int) error { return e.m.client.TerminateWorkflow(ctx, wid(i), "", "bench done") })
	}()
	if failed > 0 {
		return []BenchRow{failedRow("reminder_punctuality", what, fmt.Errorf("%d of %d clocks did not start: %w", failed, n, err))}
	}
	startedIn := time.Since(t0)
	e.logf("%d clocks started in %s; their reminders are due at %s", n, startedIn.Round(time.Millisecond), target.Format(time.TimeOnly))
	deadline := target.Add(3 * time.Minute)
	var late latencies
	missing := 0
	for time.Now().Before(target.Add(5 * time.Second)) {
		time.Sleep(time.Second)
	}
	for i := 0; i < n; i++ {
		at, ok := e.reminderRecorded(ctx, wid(i), deadline)
		if !ok {
			missing++
			continue
		}
		late = append(late, at.Sub(target))
	}
	if len(late) == 0 {
		return []BenchRow{failedRow("reminder_punctuality", what, fmt.Errorf("no reminder was recorded by %s", deadline.Format(time.TimeOnly)))}
	}
	r := BenchRow{Name: "reminder_punctuality", What: what, Unit: "ms p99", Measured: true, Value: ms(late.pct(99))}
	r.Note = fmt.Sprintf("p50 %.0f ms; %d of %d recorded; %d incidents (channels); the clocks took %.1f s to start", ms(late.pct(50)), len(late), n, len(ids), startedIn.Seconds())
	if missing > 0 {
		r.Note += fmt.Sprintf("; %d not recorded within 3 minutes of the minute", missing)
	}
	if e.o.quick {
		r.Note += "; quick: one escalation each, due at the same second (not a minute's reminder cron)"
	}
	return []BenchRow{r}
}

// reminderRecorded is when the clock's first ClockAlert activity completed,
// waiting until deadline for it.
func (e *benchEnv) reminderRecorded(ctx context.Context, wid string, deadline time.Time) (time.Time, bool) {
	for {
		it := e.m.client.GetWorkflowHistory(ctx, wid, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
		for it.HasNext() {
			ev, err := it.Next()
			if err != nil {
				break
			}
			if ev.GetEventType() == enumspb.EVENT_TYPE_ACTIVITY_TASK_COMPLETED {
				return ev.GetEventTime().AsTime(), true
			}
		}
		if time.Now().After(deadline) {
			return time.Time{}, false
		}
		time.Sleep(500 * time.Millisecond)
	}
}

func rssBytes() int64 {
	if s := readMemSample(0); s.VmRSS > 0 {
		return s.VmRSS
	}
	var ms runtime.MemStats // no /proc: what the Go runtime holds
	runtime.ReadMemStats(&ms)
	return int64(min(ms.Sys, math.MaxInt64)) // #nosec G115 -- clamped to MaxInt64
}

func printBench(w io.Writer, rep *BenchReport) {
	fmt.Fprintf(w, "irbot bench (%s, %s store, %d CPUs, %s)\n\n", rep.Mode, rep.Store, rep.CPUs, rep.Duration)
	fmt.Fprintf(w, "%-32s %12s %-10s %12s %7s  %-6s %s\n", "row", "value", "unit", "baseline", "ratio", "budget", "notes")
	for _, r := range rep.Rows {
		verdict := "-"
		if r.Pass != nil {
			verdict = map[bool]string{true: "pass", false: "FAIL"}[*r.Pass]
		}
		val, bl, ratio := "n/a", "", ""
		if r.Measured {
			val = strconv.FormatFloat(r.Value, 'f', -1, 64)
		}
		if r.BaselineValue != 0 {
			bl = strconv.FormatFloat(r.BaselineValue, 'f', -1, 64)
		}
		if r.Ratio != 0 {
			ratio = strconv.FormatFloat(r.Ratio, 'f', 2, 64) + "×"
		}
		fmt.Fprintf(w, "%-32s %12s %-10s %12s %7s  %-6s %s\n", r.Name, val, r.Unit, bl, ratio, verdict, r.Note)
	}
	fmt.Fprintln(w)
	for _, r := range rep.Rows {
		fmt.Fprintf(w, "  %s: %s", r.Name, r.What)
		if r.Baseline != "" {
			fmt.Fprintf(w, "; baseline: %s", r.Baseline)
		}
		if r.Budget != "" {
			fmt.Fprintf(w, "; budget: %s", r.Budget)
		}
		fmt.Fprintln(w)
	}
}

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"sync/atomic"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/contrib/envconfig"
	"go.temporal.io/sdk/converter"
	sdklog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"

	"github.com/irbot/irbot/activities"
	"github.com/irbot/irbot/internal/auth"
	"github.com/irbot/irbot/internal/config"
	"github.com/irbot/irbot/internal/embedtemporal"
	"github.com/irbot/irbot/internal/httpapi"
	"github.com/irbot/irbot/internal/incident"
	"github.com/irbot/irbot/internal/keyring"
	"github.com/irbot/irbot/internal/schedule"
	"github.com/irbot/irbot/internal/slackbot"
	"github.com/irbot/irbot/internal/store"
	"github.com/irbot/irbot/playbooks"
	"github.com/irbot/irbot/workflows"
)

// Main is the whole irbot server: embedded Temporal (unless TEMPORAL_ADDRESS
// is set), the timeline store, the worker, and the HTTP API. End-to-end tests
// run this same Main on port 0 with a temporary data directory.
type Main struct {
	Config config.Config
	Logger *slog.Logger
	// Out receives the few start-up lines that say where everything is.
	Out io.Writer
	// TemporalLog receives the embedded Temporal server's log lines (nil:
	// standard error), so a test reads every line the process logs.
	TemporalLog io.Writer

	temporal  *embedtemporal.Server
	client    client.Client
	store     store.Store
	ring      *keyring.Ring
	worker    worker.Worker
	http      *http.Server
	listener  net.Listener
	ready     atomic.Bool
	service   *incident.Service
	slack     *slackbot.Bot // nil when Slack is off
	health    incident.TemporalHealth
	stopWatch context.CancelFunc
	watchDone chan struct{}
	// playbooks finds a playbook by id; nil: the embedded ones (tests
	// set it to shorten the status-update cadence).
	playbooks func(id string) (*playbooks.Playbook, bool)
	// temporalDC overrides the embedded server's dynamic config (the
	// memory bench compares a setting with irbot's own choice).
	temporalDC map[string]any
	// stickyCache overrides StickyCacheSize (the memory bench).
	stickyCache int
}

// StickyCacheSize is how many workflows the worker keeps in memory between
// their tasks (the SDK's sticky cache; its default is 10,000). Every open
// incident is its workflow and one per running clock (3.3 workflows per
// bench incident), so the default kept about 3,000 idle incidents'
// workflows resident. Together with embedtemporal.HistoryCacheEntries it
// took the Go heap of 999 open incidents from 434 to 383 MiB (README,
// Performance). A workflow evicted from the cache replays its history at
// its next task (a reminder, an action): milliseconds, not correctness.
const StickyCacheSize = 2048

// Run starts everything and returns once it is ready to serve; Close stops
// it. The start-up steps are the methods below, in this order.
func (m *Main) Run(ctx context.Context) error {
	log := m.Logger
	if log == nil {
		log = slog.Default()
	}
	start := time.Now()
	rules, dir, err := loadRulesAndPeople(m.Config)
	if err != nil {
		return err
	}
	if err := m.openStore(ctx); err != nil {
		return err
	}
	opts, err := m.connectTemporal(ctx, log)
	if err != nil {
		return err
	}
	m.newService(rules, dir, opts.DataConverter)
	if err := m.startWorker(ctx, log, dir, rules); err != nil {
		return err
	}
	if err := m.serveHTTP(log, dir); err != nil {
		return err
	}
	m.watchTemporal(log)
	m.ready.Store(true)
	if m.Out == nil {
		return nil
	}
	return m.printReady(ctx, time.Since(start), opts)
}

// loadRulesAndPeople reads the regime rules and the people (users file and
// bootstrap admin token).
func loadRulesAndPeople(cfg config.Config) (*playbooks.RuleSet, *auth.Directory, error) {
	rules, err := playbooks.LoadRules()
	if err != nil {
		return nil, nil, fmt.Errorf("rule files: %w", err)
	}
	var users []auth.User
	if cfg.UsersFile != "" {
		if users, err = auth.LoadUsersFile(cfg.UsersFile); err != nil {
			return nil, nil, err
		}
	}
	dir, err := auth.NewDirectory(users, cfg.AdminToken)
	if err != nil {
		return nil, nil, err
	}
	return rules, dir, nil
}

// openStore loads the encryption keys and opens the timeline store. Keys
// come before anything that stores data: the codec seals Temporal payloads,
// the store seals personal data with them.
func (m *Main) openStore(ctx context.Context) error {
	cfg := m.Config
	var err error
	m.ring, err = keyring.Load(keyring.Source{Inline: cfg.EncryptionKeys, File: cfg.EncryptionFile, DataDir: cfg.DataDir, Shared: cfg.TemporalAddress != "" && cfg.DatabaseURL != ""})
	if err != nil {
		return err
	}
	m.store, err = store.Open(ctx, cfg.DatabaseURL, cfg.DataDir, store.WithKeyRing(m.ring))
	if err != nil {
		return fmt.Errorf("timeline store: %w", err)
	}
	return nil
}

// connectTemporal starts the embedded Temporal server (no TEMPORAL_ADDRESS)
// or reads the TEMPORAL_* settings, and dials it with the sealing data
// converter. It returns the client options it dialled with.
func (m *Main) connectTemporal(ctx context.Context, log *slog.Logger) (client.Options, error) {
	cfg := m.Config
	hostPort := cfg.TemporalAddress
	var opts client.Options
	var err error
	if hostPort == "" {
		m.temporal, err = embedtemporal.Start(ctx, embedtemporal.Config{
			DatabaseFile:  filepath.Join(cfg.DataDir, "temporal.db"),
			FrontendPort:  cfg.TemporalPort,
			Namespace:     cfg.TemporalNS,
			Retention:     cfg.Retention,
			LogLevel:      cfg.TemporalLogLevel,
			HistoryEvents: cfg.TemporalHistory,
			LogOutput:     m.TemporalLog,
			DynamicConfig: m.temporalDC,
		})
		if err != nil {
			return opts, err
		}
		hostPort = m.temporal.HostPort()
		opts = client.Options{HostPort: hostPort, Namespace: cfg.TemporalNS}
	} else {
		opts, err = envconfig.LoadClientOptions(envconfig.LoadClientOptionsRequest{})
		if err != nil {
			return opts, fmt.Errorf("TEMPORAL_* settings: %w", err)
		}
		opts.HostPort = hostPort
		if opts.Namespace == "" {
			opts.Namespace = cfg.TemporalNS
		}
	}
	opts.Logger = sdklog.NewStructuredLogger(log.With("component", "temporal-sdk"))
	// Every payload (inputs, results, Updates, Queries, heartbeats) and every
	// failure message is sealed before it reaches Temporal's history.
	opts.DataConverter = keyring.DataConverter(m.ring)
	opts.FailureConverter = temporal.NewDefaultFailureConverter(temporal.DefaultFailureConverterOptions{
		DataConverter: opts.DataConverter, EncodeCommonAttributes: true,
	})
	m.client, err = client.DialContext(ctx, opts)
	if err != nil {
		return opts, fmt.Errorf("connect to Temporal at %s: %w", hostPort, err)
	}
	return opts, nil
}

// newService builds the incident service every surface calls.
func (m *Main) newService(rules *playbooks.RuleSet, dir *auth.Directory, payloads converter.DataConverter) {
	findPlaybook := m.playbooks
	if findPlaybook == nil {
		findPlaybook = playbooks.EmbeddedPlaybook
	}
	m.service = &incident.Service{
		Temporal:  m.client,
		Store:     m.store,
		Record:    m.store,
		Counter:   m.store,
		Rules:     rules,
		Playbooks: findPlaybook,
		TaskQueue: workflows.TaskQueue,
		Payloads:  payloads,
		RolesOf: func(id string) []string {
			if u, ok := dir.ByID(id); ok {
				return u.Roles
			}
			return nil
		},
		Health: &m.health,
	}
	if m.temporal != nil {
		// This process is the embedded server's only client: it may use
		// most of the server's per-workflow allowance of Updates.
		m.service.UpdatesInFlight = embedtemporal.MaxInFlightUpdates * 3 / 4
	}
}

// startWorker builds the Slack bot (when configured) and the activities,
// registers every workflow and activity, starts the worker and makes sure
// the digest schedule exists.
func (m *Main) startWorker(ctx context.Context, log *slog.Logger, dir *auth.Directory, rules *playbooks.RuleSet) error {
	cfg := m.Config
	acts := &activities.Activities{Store: m.store, Logger: log, People: dir, Notices: m.store}
	// --- Slack (internal/slackbot): before the worker starts, so the
	// Publisher and Alerter are in place when running incidents resume.
	if cfg.SlackEnabled() {
		var err error
		m.slack, err = slackbot.New(slackbot.Config{
			Service: m.service, Directory: dir, BotToken: cfg.SlackBotToken, AppToken: cfg.SlackAppToken,
			SigningSecret: cfg.SlackSigning, APIURL: cfg.SlackAPIURL, AnnounceChannel: cfg.AnnounceChannel,
			Regimes: rules.IDs(), Logger: log,
		})
		if err != nil {
			return err
		}
		acts.Publisher, acts.Alerter, acts.Nudger = m.slack, m.slack, m.slack
	}
	// --- end Slack
	digest := &activities.Digest{Incidents: m.service, Logger: log, People: dir}
	if m.slack != nil {
		digest.Sender = m.slack // IRBOT_COMPLIANCE_CHANNEL, else the announcement channel
	}
	key, err := wireCheckpoints(ctx, cfg.DataDir, m.store, digest)
	if err != nil {
		return err
	}
	m.service.Checkpoints, m.service.CheckpointKey, m.service.Purged = m.store, key, m.store
	sticky := StickyCacheSize
	if m.stickyCache > 0 {
		sticky = m.stickyCache
	}
	worker.SetStickyWorkflowCacheSize(sticky) // process-wide; read when the first worker starts
	// WorkerStopTimeout lets a campaign batch finish the SMTP session in
	// progress and record it before the store closes.
	m.worker = worker.New(m.client, workflows.TaskQueue, worker.Options{WorkerStopTimeout: 15 * time.Second})
	workflows.Register(m.worker)
	acts.Register(m.worker)
	digest.Register(m.worker)
	drillActs := &activities.Drill{Incidents: m.service, Logger: log}
	if m.slack != nil {
		drillActs.Questions = m.slack                             // questions with answer buttons, evaluator notes
		drillActs.Channels, drillActs.States = m.slack, m.service // end archives the channel
	}
	drillActs.Register(m.worker)
	drillSchedules := &activities.DrillSchedule{Schedules: m.service, Logger: log}
	if m.slack != nil {
		drillSchedules.Reminders = m.slack // managers told a day ahead
	}
	drillSchedules.Register(m.worker)
	// Notices: notice and campaign workflows, mailer, drill sink.
	if err := wireNotices(cfg, acts, m.service, m.store); err != nil {
		return err
	}
	digest.Mailer = acts.Mailer // the compliance role's addresses get the digest too
	if err := m.worker.Start(); err != nil {
		return fmt.Errorf("start worker: %w", err)
	}
	if cfg.DigestCron != "off" {
		if err := schedule.EnsureDigest(ctx, m.client, cfg.DigestCron, cfg.ComplianceChan, workflows.TaskQueue); err != nil {
			return fmt.Errorf("IRBOT_DIGEST_CRON: %w", err)
		}
	}
	return nil
}

// serveHTTP mounts the API, the Slack endpoints and the console on one mux,
// starts serving, and connects Socket Mode when Slack uses it.
func (m *Main) serveHTTP(log *slog.Logger, dir *auth.Directory) error {
	cfg := m.Config
	api := &httpapi.Server{Service: m.service, Directory: dir, Logger: log, Ready: m.readyCheck, MetricsToken: cfg.MetricsToken,
		Evidence: evidencePacker(m.service),
		Codec:    converter.NewPayloadCodecHTTPHandler(keyring.Codec{Ring: m.ring})}
	if m.slack != nil { // Slack: HTTP-mode endpoints, signed; Socket Mode below
		if api.Extra == nil {
			api.Extra = map[string]http.Handler{}
		}
		for pattern, h := range m.slack.Routes() {
			api.Extra[pattern] = h
		}
	}
	// Console: at / on the same mux; the API keeps /api/v1.
	cons, err := newConsole(cfg, m.service, m.store, dir, log)
	if err != nil {
		return err
	}
	if api.Extra == nil {
		api.Extra = map[string]http.Handler{}
	}
	api.Extra["/"] = cons.Handler()
	m.listener, err = net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("IRBOT_HTTP_ADDR %s: %w", cfg.HTTPAddr, err)
	}
	m.http = &http.Server{
		Handler:           api.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       2 * time.Minute,
	}
	go func() {
		if err := m.http.Serve(m.listener); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("http server stopped", "error", err)
		}
	}()
	if m.slack != nil && cfg.SlackMode() == "socket" {
		// Lives until Close, not until Run's ctx: Run returns once ready.
		if err := m.slack.StartSocketMode(context.Background()); err != nil {
			return err
		}
	}
	return nil
}

// printReady writes where everything is to Out (and, with no users, a
// single-use sign-in link for a local admin).
func (m *Main) printReady(ctx context.Context, took time.Duration, opts client.Options) error {
	cfg := m.Config
	hostPort := opts.HostPort
	temporalDesc := "embedded, " + hostPort + ", namespace " + cfg.TemporalNS + ", data " + filepath.Join(cfg.DataDir, "temporal.db")
	if cfg.TemporalAddress != "" {
		temporalDesc = "cluster at " + hostPort + ", namespace " + opts.Namespace
	}
	storeDesc := "SQLite " + filepath.Join(cfg.DataDir, "irbot.db")
	if cfg.DatabaseURL != "" {
		storeDesc = "PostgreSQL"
	}
	email := "off (set SMTP_ADDR)"
	if cfg.EmailEnabled() {
		email = "SMTP " + cfg.SMTPAddr + " (" + cfg.SMTPTLS + ")"
	}
	slack := "off (set SLACK_BOT_TOKEN)"
	if cfg.SlackEnabled() {
		slack = cfg.SlackMode() + " mode"
	}
	fmt.Fprintf(m.Out, "irbot %s ready in %s\n", version, took.Round(10*time.Millisecond))
	fmt.Fprintf(m.Out, "  api/console  http://%s\n", m.listener.Addr())
	fmt.Fprintf(m.Out, "  temporal     %s\n", temporalDesc)
	fmt.Fprintf(m.Out, "  store        %s\n", storeDesc)
	fmt.Fprintf(m.Out, "  slack        %s\n", slack)
	fmt.Fprintf(m.Out, "  email        %s\n", email)
	if localAdminWanted(cfg) {
		if err := printLocalAdminLink(ctx, m.Out, cfg, m.store, m.listener.Addr().String()); err != nil {
			return err
		}
		fmt.Fprintf(m.Out, "  auth         no users: set IRBOT_ADMIN_TOKEN or IRBOT_USERS_FILE to use the API\n")
	}
	return nil
}

// Addr is the HTTP listener's address (useful with port 0).
func (m *Main) Addr() string {
	if m.listener == nil {
		return ""
	}
	return m.listener.Addr().String()
}

func (m *Main) readyCheck(ctx context.Context) error {
	if !m.ready.Load() {
		return errors.New("starting")
	}
	if err := m.store.Ping(ctx); err != nil {
		return errors.New("store: the database cannot be reached")
	}
	if err := m.checkTemporal(ctx); err != nil {
		return errors.New("temporal: the workflow engine cannot be reached")
	}
	return nil
}

// checkTemporal asks the Temporal frontend whether it serves and records the
// answer for the surfaces that must not wait (service.TemporalDown).
func (m *Main) checkTemporal(ctx context.Context) error {
	_, err := m.client.CheckHealth(ctx, &client.CheckHealthRequest{})
	m.health.Observe(err, time.Now())
	return err
}

// temporalWatchEvery is how often irbot checks that the Temporal frontend
// answers, so Slack learns of an outage (and of its end) within seconds
// even when no load balancer polls /readyz.
const temporalWatchEvery = 2 * time.Second

// watchTemporal checks Temporal's health in the background until Close,
// and logs each change (down, back) once.
func (m *Main) watchTemporal(log *slog.Logger) {
	ctx, cancel := context.WithCancel(context.Background())
	m.stopWatch, m.watchDone = cancel, make(chan struct{})
	go func() {
		defer close(m.watchDone)
		t := time.NewTicker(temporalWatchEvery)
		defer t.Stop()
		wasDown := false
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			cctx, ccancel := context.WithTimeout(ctx, temporalWatchEvery)
			err := m.checkTemporal(cctx)
			ccancel()
			if ctx.Err() != nil {
				return
			}
			if down := err != nil; down != wasDown {
				if down {
					log.Warn("temporal unreachable: API answers 503, Slack commands are refused until it is back", "error", err)
				} else {
					log.Info("temporal reachable again")
				}
				wasDown = down
			}
		}
	}()
}

// Close stops the HTTP server, the worker, the client, the store and the
// embedded server, in that order, so in-flight work finishes first.
func (m *Main) Close() error {
	m.ready.Store(false)
	if m.stopWatch != nil {
		m.stopWatch()
		<-m.watchDone
	}
	var errs []error
	if m.http != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		errs = append(errs, m.http.Shutdown(ctx))
		cancel()
	}
	if m.slack != nil { // Slack: after HTTP stops taking requests, before the worker
		errs = append(errs, m.slack.Close())
	}
	if m.worker != nil {
		m.worker.Stop()
	}
	if m.client != nil {
		m.client.Close()
	}
	if m.store != nil {
		errs = append(errs, m.store.Close())
	}
	if m.temporal != nil {
		errs = append(errs, m.temporal.Stop())
	}
	return errors.Join(errs...)
}

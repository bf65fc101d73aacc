// Package embedtemporal runs a real Temporal server inside the irbot process,
// persisted in a SQLite file, the way the Temporal CLI's dev server does.
//
// It is the only package that links go.temporal.io/server: the server is heavy
// to compile and link, so keep every other package (and its tests) free of it.
package embedtemporal

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"time"

	namespacepb "go.temporal.io/api/namespace/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/server/common/cluster"
	"go.temporal.io/server/common/config"
	"go.temporal.io/server/common/dynamicconfig"
	tlog "go.temporal.io/server/common/log"
	"go.temporal.io/server/common/membership/static"
	"go.temporal.io/server/common/metrics"
	sqliteplugin "go.temporal.io/server/common/persistence/sql/sqlplugin/sqlite"
	"go.temporal.io/server/common/primitives"
	"go.temporal.io/server/schema/sqlite"
	"go.temporal.io/server/temporal"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/types/known/durationpb"

	"github.com/irbot/irbot/internal/store"
)

const clusterName = "active"

// Config says where the embedded server keeps its data and listens.
type Config struct {
	// DatabaseFile is the SQLite file; it and its schema are created on first start.
	DatabaseFile string
	// IP is the address every service binds to; default 127.0.0.1 (never a public interface).
	IP string
	// FrontendPort is the gRPC port clients dial; 0 picks a free one.
	FrontendPort int
	// Namespace is registered on first start if missing.
	Namespace string
	// Retention is the namespace's history retention. Temporal's SQLite helper
	// creates namespaces with 24 h; irbot raises it so closed incidents stay
	// inspectable in Temporal for weeks (the compliance record lives in irbot's own store).
	Retention time.Duration
	// LogLevel for the server's own logs: debug, info, warn or error (default error).
	LogLevel string
	// HistoryEvents is the history length after which the server suggests
	// continue-as-new (Temporal's default 4096 when 0); lower it to exercise
	// continue-as-new without thousands of actions.
	HistoryEvents int
	// LogOutput receives the server's log lines (JSON, one a line); nil
	// means standard error. Tests capture them to scan for leaks.
	LogOutput io.Writer
	// DynamicConfig overrides the server's dynamic config keys (after
	// irbot's own settings below); the memory bench uses it to measure a
	// setting against irbot's choice in the same build.
	DynamicConfig map[string]any
}

// MaxInFlightUpdates is the embedded server's history.maxInFlightUpdates:
// how many Updates one workflow may have admitted and not yet answered.
// Temporal's default is 10, which 32 people acting on one incident at once
// overran; the incident workflow answers every Update admitted in one
// workflow task together, so a longer line costs it little. A Temporal
// cluster keeps its own setting (see the README's Performance section).
const MaxInFlightUpdates = 64

// HistoryCacheEntries bounds the embedded history service's cache of
// workflow mutable state (history.hostLevelCacheMaxSize; Temporal's default
// is 128,000 entries, each kept up to an hour). Every open incident is its
// workflow and one per running clock, each cached once touched, so with the
// default the cache grew with the number of open incidents. Measured with
// irbot bench --only memory (README, Performance): with this and
// StickyCacheSize at 2,048, 999 open incidents took 667 MiB RSS against
// 739 MiB with both defaults (two runs side by side). A miss reloads one
// workflow's state from SQLite.
const HistoryCacheEntries = 2048

// Server is a running embedded Temporal server.
type Server struct {
	srv      temporal.Server
	hostPort string
	level    zap.AtomicLevel
}

// Start creates the schema if the database file is new, registers the
// namespace idempotently, starts every Temporal service, and returns once the
// frontend answers.
func Start(ctx context.Context, cfg Config) (*Server, error) {
	if cfg.DatabaseFile == "" {
		return nil, errors.New("embedded temporal: database file is required")
	}
	if cfg.IP == "" {
		cfg.IP = "127.0.0.1"
	}
	if cfg.Namespace == "" {
		cfg.Namespace = "default"
	}
	if cfg.Retention <= 0 {
		cfg.Retention = 30 * 24 * time.Hour
	}
	if cfg.LogLevel == "" {
		cfg.LogLevel = "error"
	}
	if err := store.PrivateDir(filepath.Dir(cfg.DatabaseFile)); err != nil {
		return nil, fmt.Errorf("embedded temporal: %w", err)
	}

	ports, err := freePorts(cfg.IP, cfg.FrontendPort, 8)
	if err != nil {
		return nil, err
	}
	frontend := net.JoinHostPort(cfg.IP, strconv.Itoa(ports[0]))

	sqlCfg := &config.SQL{
		PluginName:        sqliteplugin.PluginName,
		DatabaseName:      cfg.DatabaseFile,
		ConnectAttributes: sqliteAttributes(),
	}
	if _, err := os.Stat(cfg.DatabaseFile); errors.Is(err, os.ErrNotExist) {
		if err := sqlite.SetupSchema(sqlCfg); err != nil {
			return nil, fmt.Errorf("embedded temporal: create schema in %s: %w", cfg.DatabaseFile, err)
		}
	}
	// The history holds incident data: the file (and so the -wal and -shm
	// SQLite makes after it) is for this user only.
	if err := store.RestrictFiles(cfg.DatabaseFile); err != nil {
		return nil, fmt.Errorf("embedded temporal: %w", err)
	}
	ns, err := sqlite.NewNamespaceConfig(clusterName, cfg.Namespace, false, nil)
	if err != nil {
		return nil, fmt.Errorf("embedded temporal: namespace config: %w", err)
	}
	ns.Detail.Config.Retention = durationpb.New(cfg.Retention)
	if err := sqlite.CreateNamespaces(sqlCfg, ns); err != nil {
		return nil, fmt.Errorf("embedded temporal: register namespace %q: %w", cfg.Namespace, err)
	}

	services := map[string]int{"frontend": ports[0], "history": ports[1], "matching": ports[2], "worker": ports[3]}
	svcCfg := map[string]config.Service{}
	hosts := map[primitives.ServiceName]static.Hosts{}
	i := 4
	for name, port := range services {
		svcCfg[name] = config.Service{RPC: config.RPC{
			GRPCPort:       port,
			MembershipPort: ports[i],
			BindOnIP:       cfg.IP,
		}}
		hosts[primitives.ServiceName(name)] = static.SingleLocalHost(net.JoinHostPort(cfg.IP, strconv.Itoa(port)))
		i++
	}

	serverCfg := &config.Config{
		Global: config.Global{
			Membership: config.Membership{MaxJoinDuration: 30 * time.Second, BroadcastAddress: cfg.IP},
			Metrics:    &metrics.Config{},
		},
		Persistence: config.Persistence{
			DefaultStore:     sqliteplugin.PluginName,
			VisibilityStore:  sqliteplugin.PluginName,
			NumHistoryShards: 1,
			DataStores:       map[string]config.DataStore{sqliteplugin.PluginName: {SQL: sqlCfg}},
		},
		ClusterMetadata: &cluster.Config{
			EnableGlobalNamespace:    false,
			FailoverVersionIncrement: 10,
			MasterClusterName:        clusterName,
			CurrentClusterName:       clusterName,
			ClusterInformation: map[string]cluster.ClusterInformation{
				clusterName: {Enabled: true, InitialFailoverVersion: 1, RPCAddress: frontend},
			},
		},
		DCRedirectionPolicy: config.DCRedirectionPolicy{Policy: "noop"},
		Services:            svcCfg,
		Archival: config.Archival{
			History:    config.HistoryArchival{State: "disabled"},
			Visibility: config.VisibilityArchival{State: "disabled"},
		},
		NamespaceDefaults: config.NamespaceDefaults{Archival: config.ArchivalNamespaceDefaults{
			History:    config.HistoryArchivalNamespaceDefaults{State: "disabled"},
			Visibility: config.VisibilityArchivalNamespaceDefaults{State: "disabled"},
		}},
		PublicClient: config.PublicClient{HostPort: frontend},
	}

	level, err := zap.ParseAtomicLevel(cfg.LogLevel)
	if err != nil {
		return nil, fmt.Errorf("embedded temporal: log level %q: %w", cfg.LogLevel, err)
	}
	zcfg := zap.NewProductionConfig()
	zcfg.Level = level
	zcfg.Sampling = nil
	zcfg.DisableStacktrace = true
	var zopts []zap.Option
	if cfg.LogOutput != nil {
		out := zapcore.AddSync(cfg.LogOutput)
		zopts = append(zopts, zap.WrapCore(func(zapcore.Core) zapcore.Core {
			return zapcore.NewCore(zapcore.NewJSONEncoder(zcfg.EncoderConfig), out, level)
		}))
	}
	zl, err := zcfg.Build(zopts...)
	if err != nil {
		return nil, fmt.Errorf("embedded temporal: logger: %w", err)
	}
	logger := tlog.NewZapLogger(zl)
	dc := dynamicconfig.NewMemoryClient()
	dc.OverrideValue(dynamicconfig.WorkflowExecutionMaxInFlightUpdates.Key(), MaxInFlightUpdates)
	dc.OverrideValue(dynamicconfig.HistoryCacheHostLevelMaxSize.Key(), HistoryCacheEntries)
	if cfg.HistoryEvents > 0 {
		dc.OverrideValue(dynamicconfig.HistoryCountSuggestContinueAsNew.Key(), cfg.HistoryEvents)
	}
	for k, v := range cfg.DynamicConfig {
		dc.OverrideValue(dynamicconfig.MakeKey(k), v)
	}
	srv, err := temporal.NewServer(
		temporal.WithDynamicConfigClient(dc),
		temporal.WithConfig(serverCfg),
		temporal.ForServices(temporal.DefaultServices),
		temporal.WithStaticHosts(hosts),
		temporal.WithLogger(logger),
	)
	if err != nil {
		return nil, fmt.Errorf("embedded temporal: %w", err)
	}
	if err := srv.Start(); err != nil {
		return nil, fmt.Errorf("embedded temporal: start: %w", err)
	}
	s := &Server{srv: srv, hostPort: frontend, level: level}
	if err := s.settle(ctx, cfg.Namespace, cfg.Retention); err != nil {
		_ = srv.Stop()
		return nil, err
	}
	return s, nil
}

// sqliteAttributes are the embedded server's SQLite settings. Temporal's
// plugin passes every key but a few URI parameters (mode) to SQLite as
// PRAGMA key=value, so keys are pragma names: the mattn-style
// "_journal_mode" this used to say became an unknown pragma that SQLite
// ignores, and the server ran with a rollback journal, syncing the journal
// and the database on every commit (the bench's profile: a quarter of the
// process's CPU in fsync under history updates). WAL keeps full sync on
// commit (synchronous=FULL) with one sync of the log instead.
func sqliteAttributes() map[string]string {
	return map[string]string{
		"mode":         "rwc",
		"journal_mode": "wal",
		"synchronous":  "full",
		"busy_timeout": "10000",
	}
}

// HostPort is the frontend address clients dial.
func (s *Server) HostPort() string { return s.hostPort }

// Stop stops every service; the database file keeps all state for the next start.
func (s *Server) Stop() error {
	// Stopping cancels in-flight polls and persistence calls, which the
	// server logs as errors; none of them matter once we are stopping.
	s.level.SetLevel(zap.FatalLevel)
	return s.srv.Stop()
}

// settle waits for the frontend to answer for the namespace and makes sure an
// existing namespace has the configured retention.
func (s *Server) settle(ctx context.Context, namespace string, retention time.Duration) error {
	conn, err := grpc.NewClient(s.hostPort, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return fmt.Errorf("embedded temporal: dial %s: %w", s.hostPort, err)
	}
	defer func() { _ = conn.Close() }()
	svc := workflowservice.NewWorkflowServiceClient(conn)
	deadline := time.Now().Add(60 * time.Second)
	for {
		cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		resp, err := svc.DescribeNamespace(cctx, &workflowservice.DescribeNamespaceRequest{Namespace: namespace})
		cancel()
		if err == nil {
			if resp.GetConfig().GetWorkflowExecutionRetentionTtl().AsDuration() == retention {
				return nil
			}
			uctx, ucancel := context.WithTimeout(ctx, 10*time.Second)
			defer ucancel()
			_, err = svc.UpdateNamespace(uctx, &workflowservice.UpdateNamespaceRequest{
				Namespace: namespace,
				Config: &namespacepb.NamespaceConfig{
					WorkflowExecutionRetentionTtl: durationpb.New(retention),
				},
			})
			if err != nil {
				return fmt.Errorf("embedded temporal: set retention of %q: %w", namespace, err)
			}
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("embedded temporal: frontend %s not ready after 60s: %w", s.hostPort, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// freePorts returns n ports on ip: the first is want when want > 0, the rest
// are picked by the kernel. A busy wanted port is a clear error, not a silent
// move elsewhere: clients are configured to dial it.
func freePorts(ip string, want, n int) ([]int, error) {
	ports := make([]int, 0, n)
	var held []net.Listener
	defer func() {
		for _, l := range held {
			_ = l.Close()
		}
	}()
	for len(ports) < n {
		port := 0
		if len(ports) == 0 {
			port = want
		}
		l, err := net.Listen("tcp", net.JoinHostPort(ip, strconv.Itoa(port)))
		if err != nil {
			if len(ports) == 0 && want > 0 {
				return nil, fmt.Errorf("IRBOT_TEMPORAL_PORT: port %d on %s is not free (%v); choose another or 0 for any", want, ip, err)
			}
			return nil, fmt.Errorf("embedded temporal: find a free port: %w", err)
		}
		held = append(held, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

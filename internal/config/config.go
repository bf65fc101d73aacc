// Package config reads irbot's settings from the environment: defaults first,
// each variable documented here and in the README, and a malformed value
// stops the program with one line naming the variable.
package config

import (
	"fmt"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/irbot/irbot/internal/keyring"
)

// Config is every setting of irbot serve.
type Config struct {
	DataDir          string        // IRBOT_DATA_DIR
	HTTPAddr         string        // IRBOT_HTTP_ADDR
	DatabaseURL      string        // IRBOT_DATABASE_URL
	TemporalAddress  string        // TEMPORAL_ADDRESS; empty: embedded server
	TemporalNS       string        // TEMPORAL_NAMESPACE
	TemporalPort     int           // IRBOT_TEMPORAL_PORT
	Retention        time.Duration // IRBOT_TEMPORAL_RETENTION
	AdminToken       string        // IRBOT_ADMIN_TOKEN
	MetricsToken     string        // IRBOT_METRICS_TOKEN
	UsersFile        string        // IRBOT_USERS_FILE
	SlackBotToken    string        // SLACK_BOT_TOKEN
	SlackAppToken    string        // SLACK_APP_TOKEN
	SlackSigning     string        // SLACK_SIGNING_SECRET
	SlackAPIURL      string        // SLACK_API_URL
	AnnounceChannel  string        // IRBOT_ANNOUNCE_CHANNEL
	SMTPAddr         string        // SMTP_ADDR
	SMTPUsername     string        // SMTP_USERNAME
	SMTPPassword     string        // SMTP_PASSWORD
	SMTPFrom         string        // SMTP_FROM
	SMTPTLS          string        // SMTP_TLS
	DrillMailSink    string        // IRBOT_DRILL_MAIL_SINK
	DigestCron       string        // IRBOT_DIGEST_CRON
	ComplianceChan   string        // IRBOT_COMPLIANCE_CHANNEL
	LogLevel         string        // IRBOT_LOG_LEVEL
	TemporalLogLevel string        // IRBOT_TEMPORAL_LOG_LEVEL
	TemporalHistory  int           // IRBOT_TEMPORAL_HISTORY_EVENTS
	EncryptionKeys   string        // IRBOT_ENCRYPTION_KEYS (internal/keyring parses it)
	EncryptionFile   string        // IRBOT_ENCRYPTION_KEYS_FILE
	Console          Console       // console.go
}

// Var documents one environment variable.
type Var struct {
	Name, Default, Meaning string
}

// Vars lists every variable irbot reads, for the README and --help.
var Vars = []Var{
	{"IRBOT_DATA_DIR", "./data", "embedded Temporal database, SQLite timeline store"},
	{"IRBOT_HTTP_ADDR", "127.0.0.1:8080", "API, Slack endpoints, console"},
	{"IRBOT_DATABASE_URL", "unset: SQLite in the data dir", "postgres://... selects PostgreSQL"},
	{"TEMPORAL_ADDRESS", "unset: embedded server", "host:port of a Temporal frontend"},
	{"TEMPORAL_NAMESPACE", "default", "Temporal namespace"},
	{"IRBOT_TEMPORAL_PORT", "7233", "frontend port of the embedded server; 0 picks a free one"},
	{"IRBOT_TEMPORAL_RETENTION", "720h", "history retention of the embedded namespace (Go duration)"},
	{"IRBOT_ADMIN_TOKEN", "unset", "bootstrap bearer token with the admin role (16+ characters)"},
	{"IRBOT_METRICS_TOKEN", "unset: /metrics answers 401", "bearer token for scraping /metrics and nothing else (16+ characters)"},
	{"IRBOT_USERS_FILE", "unset", "people, API tokens and roles (YAML)"},
	{"SLACK_BOT_TOKEN", "unset: Slack off", "xoxb-..."},
	{"SLACK_APP_TOKEN", "unset", "xapp-...: Socket Mode; without it, HTTP mode"},
	{"SLACK_SIGNING_SECRET", "unset", "required for HTTP mode"},
	{"SLACK_API_URL", "Slack's", "Web API base URL (fakes in tests)"},
	{"IRBOT_ANNOUNCE_CHANNEL", "unset", "channel for incident announcements"},
	{"SMTP_ADDR", "unset: email off", "host:port"},
	{"SMTP_USERNAME", "unset", "SMTP user"},
	{"SMTP_PASSWORD", "unset", "SMTP password"},
	{"SMTP_FROM", "unset", "sender address of notices"},
	{"SMTP_TLS", "starttls", "none, starttls or tls"},
	{"IRBOT_DRILL_MAIL_SINK", "unset", "where drill mail goes instead of real recipients"},
	{"IRBOT_DIGEST_CRON", "0 8 * * *", "when the daily digest of open clocks goes out (cron, CRON_TZ= allowed; \"off\" disables)"},
	{"IRBOT_COMPLIANCE_CHANNEL", "unset", "Slack channel for the digest of open clocks (unset: the announcement channel); with SMTP set it is also emailed to the compliance role"},
	{"IRBOT_LOG_LEVEL", "info", "debug, info, warn or error"},
	{"IRBOT_TEMPORAL_LOG_LEVEL", "error", "log level of the embedded Temporal server"},
	{"IRBOT_TEMPORAL_HISTORY_EVENTS", "4096", "embedded Temporal: history events after which an incident's workflow continues as new (Temporal's default; lower only to exercise it)"},
	{"IRBOT_ENCRYPTION_KEYS", "unset", "encryption keys ID:BASE64 (32 bytes), comma-separated, the last current; wins over the file"},
	{"IRBOT_ENCRYPTION_KEYS_FILE", "unset: encryption.keys in the data dir, generated 0600 (not with TEMPORAL_ADDRESS and IRBOT_DATABASE_URL: replicas share keys)", "file of ID:BASE64 keys, one per line, the last current"},
}

// FromEnv reads the configuration through getenv (os.Getenv in main, a map in
// tests) and reports the first malformed variable.
func FromEnv(getenv func(string) string) (Config, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	get := func(name, def string) string {
		if v, ok := lookup(getenv, name); ok {
			return v
		}
		return def
	}
	c := Config{
		DataDir:          get("IRBOT_DATA_DIR", "./data"),
		HTTPAddr:         get("IRBOT_HTTP_ADDR", "127.0.0.1:8080"),
		DatabaseURL:      get("IRBOT_DATABASE_URL", ""),
		TemporalAddress:  get("TEMPORAL_ADDRESS", ""),
		TemporalNS:       get("TEMPORAL_NAMESPACE", "default"),
		AdminToken:       get("IRBOT_ADMIN_TOKEN", ""),
		MetricsToken:     get("IRBOT_METRICS_TOKEN", ""),
		UsersFile:        get("IRBOT_USERS_FILE", ""),
		SlackBotToken:    get("SLACK_BOT_TOKEN", ""),
		SlackAppToken:    get("SLACK_APP_TOKEN", ""),
		SlackSigning:     get("SLACK_SIGNING_SECRET", ""),
		SlackAPIURL:      get("SLACK_API_URL", ""),
		AnnounceChannel:  get("IRBOT_ANNOUNCE_CHANNEL", ""),
		SMTPAddr:         get("SMTP_ADDR", ""),
		SMTPUsername:     get("SMTP_USERNAME", ""),
		SMTPPassword:     get("SMTP_PASSWORD", ""),
		SMTPFrom:         get("SMTP_FROM", ""),
		SMTPTLS:          get("SMTP_TLS", "starttls"),
		DrillMailSink:    get("IRBOT_DRILL_MAIL_SINK", ""),
		DigestCron:       get("IRBOT_DIGEST_CRON", "0 8 * * *"),
		ComplianceChan:   get("IRBOT_COMPLIANCE_CHANNEL", ""),
		LogLevel:         get("IRBOT_LOG_LEVEL", "info"),
		TemporalLogLevel: get("IRBOT_TEMPORAL_LOG_LEVEL", "error"),
		EncryptionKeys:   get("IRBOT_ENCRYPTION_KEYS", ""),
		EncryptionFile:   get("IRBOT_ENCRYPTION_KEYS_FILE", ""),
	}
	if c.DataDir == "" {
		return c, fmt.Errorf("IRBOT_DATA_DIR must not be empty")
	}
	if err := checkHostPort("IRBOT_HTTP_ADDR", c.HTTPAddr); err != nil {
		return c, err
	}
	if c.DatabaseURL != "" {
		u, err := url.Parse(c.DatabaseURL)
		if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") || u.Host == "" {
			return c, fmt.Errorf("IRBOT_DATABASE_URL must be a postgres://user:password@host:port/db URL (unset means SQLite in IRBOT_DATA_DIR)")
		}
	}
	if c.TemporalAddress != "" {
		if err := checkHostPort("TEMPORAL_ADDRESS", c.TemporalAddress); err != nil {
			return c, err
		}
	}
	if c.TemporalNS == "" {
		return c, fmt.Errorf("TEMPORAL_NAMESPACE must not be empty")
	}
	port, err := strconv.Atoi(get("IRBOT_TEMPORAL_PORT", "7233"))
	if err != nil || port < 0 || port > 65535 {
		return c, fmt.Errorf("IRBOT_TEMPORAL_PORT must be a port number from 0 to 65535, got %q", get("IRBOT_TEMPORAL_PORT", ""))
	}
	c.TemporalPort = port
	hist, err := strconv.Atoi(get("IRBOT_TEMPORAL_HISTORY_EVENTS", "4096"))
	if err != nil || hist < 100 || hist > 40960 {
		return c, fmt.Errorf("IRBOT_TEMPORAL_HISTORY_EVENTS must be a number of events from 100 to 40960, got %q", get("IRBOT_TEMPORAL_HISTORY_EVENTS", ""))
	}
	c.TemporalHistory = hist
	ret, err := time.ParseDuration(get("IRBOT_TEMPORAL_RETENTION", "720h"))
	if err != nil || ret < 24*time.Hour {
		return c, fmt.Errorf("IRBOT_TEMPORAL_RETENTION must be a Go duration of at least 24h, e.g. 720h, got %q", get("IRBOT_TEMPORAL_RETENTION", ""))
	}
	c.Retention = ret
	if c.AdminToken != "" && len(c.AdminToken) < 16 {
		return c, fmt.Errorf("IRBOT_ADMIN_TOKEN must be at least 16 characters")
	}
	if c.MetricsToken != "" && len(c.MetricsToken) < 16 {
		return c, fmt.Errorf("IRBOT_METRICS_TOKEN must be at least 16 characters")
	}
	if c.SlackBotToken != "" && !strings.HasPrefix(c.SlackBotToken, "xoxb-") {
		return c, fmt.Errorf("SLACK_BOT_TOKEN must be a bot token starting with xoxb-")
	}
	if c.SlackAppToken != "" && !strings.HasPrefix(c.SlackAppToken, "xapp-") {
		return c, fmt.Errorf("SLACK_APP_TOKEN must be an app-level token starting with xapp- (Socket Mode)")
	}
	if c.SlackAppToken != "" && c.SlackBotToken == "" {
		return c, fmt.Errorf("SLACK_APP_TOKEN is set but SLACK_BOT_TOKEN is not: Socket Mode needs both")
	}
	if c.SlackBotToken != "" && c.SlackAppToken == "" && c.SlackSigning == "" {
		return c, fmt.Errorf("SLACK_SIGNING_SECRET is required in HTTP mode (SLACK_BOT_TOKEN set without SLACK_APP_TOKEN)")
	}
	if c.SlackAPIURL != "" {
		if u, err := url.Parse(c.SlackAPIURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return c, fmt.Errorf("SLACK_API_URL must be an http(s) URL, e.g. https://slack.com/api/")
		}
	}
	if c.SMTPAddr != "" {
		if err := checkHostPort("SMTP_ADDR", c.SMTPAddr); err != nil {
			return c, err
		}
		if c.SMTPFrom == "" {
			return c, fmt.Errorf("SMTP_FROM is required when SMTP_ADDR is set")
		}
	}
	switch c.SMTPTLS {
	case "none", "starttls", "tls":
	default:
		return c, fmt.Errorf("SMTP_TLS must be none, starttls or tls, got %q", c.SMTPTLS)
	}
	if c.DigestCron != "off" {
		if _, err := cron.ParseStandard(c.DigestCron); err != nil {
			return c, fmt.Errorf("IRBOT_DIGEST_CRON must be a cron expression such as \"0 8 * * *\" (or \"off\"): %v", err)
		}
	}
	for _, lv := range []struct{ name, v string }{{"IRBOT_LOG_LEVEL", c.LogLevel}, {"IRBOT_TEMPORAL_LOG_LEVEL", c.TemporalLogLevel}} {
		switch lv.v {
		case "debug", "info", "warn", "error":
		default:
			return c, fmt.Errorf("%s must be debug, info, warn or error, got %q", lv.name, lv.v)
		}
	}
	if c.EncryptionKeys != "" {
		// The file forms are read at start-up (keyring.Load), the inline
		// form here, so a typo stops irbot before anything opens.
		if _, err := keyring.Parse(c.EncryptionKeys); err != nil {
			return c, fmt.Errorf("%s: %w", keyring.EnvKeys, err)
		}
	}
	if c.Console, err = consoleFromEnv(get); err != nil {
		return c, err
	}
	return c, nil
}

// lookup treats a variable set to the empty string as unset, as shells and
// compose files often export empty values.
func lookup(getenv func(string) string, name string) (string, bool) {
	v := strings.TrimSpace(getenv(name))
	return v, v != ""
}

func checkHostPort(name, v string) error {
	host, port, err := net.SplitHostPort(v)
	if err != nil {
		return fmt.Errorf("%s must be host:port, got %q", name, v)
	}
	_ = host
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return fmt.Errorf("%s has a bad port in %q", name, v)
	}
	return nil
}

// SlackEnabled reports whether Slack is configured.
func (c Config) SlackEnabled() bool { return c.SlackBotToken != "" }

// SlackMode is "socket", "http" or "off".
func (c Config) SlackMode() string {
	switch {
	case c.SlackBotToken == "":
		return "off"
	case c.SlackAppToken != "":
		return "socket"
	}
	return "http"
}

// EmailEnabled reports whether SMTP is configured.
func (c Config) EmailEnabled() bool { return c.SMTPAddr != "" }

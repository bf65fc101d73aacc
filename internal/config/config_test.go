package config

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func env(kv map[string]string) func(string) string { return func(k string) string { return kv[k] } }

func TestDefaultsMatchTheContract(t *testing.T) {
	c, err := FromEnv(env(nil))
	require.NoError(t, err)
	require.Equal(t, "./data", c.DataDir)
	require.Equal(t, "127.0.0.1:8080", c.HTTPAddr)
	require.Equal(t, "default", c.TemporalNS)
	require.Equal(t, 7233, c.TemporalPort)
	require.Equal(t, 720*time.Hour, c.Retention)
	require.Equal(t, "off", c.SlackMode())
	require.False(t, c.EmailEnabled())
}

func TestSlackModes(t *testing.T) {
	c, err := FromEnv(env(map[string]string{"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_APP_TOKEN": "xapp-test"}))
	require.NoError(t, err)
	require.Equal(t, "socket", c.SlackMode())
	c, err = FromEnv(env(map[string]string{"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": "s"}))
	require.NoError(t, err)
	require.Equal(t, "http", c.SlackMode())
}

func TestMalformedValuesNameTheVariable(t *testing.T) {
	cases := map[string]struct {
		env  map[string]string
		want string
	}{
		"http addr":         {map[string]string{"IRBOT_HTTP_ADDR": "8080"}, "IRBOT_HTTP_ADDR must be host:port"},
		"database url":      {map[string]string{"IRBOT_DATABASE_URL": "mysql://x"}, "IRBOT_DATABASE_URL must be a postgres://"},
		"temporal address":  {map[string]string{"TEMPORAL_ADDRESS": "temporal"}, "TEMPORAL_ADDRESS must be host:port"},
		"temporal port":     {map[string]string{"IRBOT_TEMPORAL_PORT": "seven"}, "IRBOT_TEMPORAL_PORT must be a port number"},
		"retention":         {map[string]string{"IRBOT_TEMPORAL_RETENTION": "1h"}, "IRBOT_TEMPORAL_RETENTION must be"},
		"admin token":       {map[string]string{"IRBOT_ADMIN_TOKEN": "short"}, "IRBOT_ADMIN_TOKEN must be at least 16"},
		"bot token":         {map[string]string{"SLACK_BOT_TOKEN": "xoxp-user"}, "SLACK_BOT_TOKEN must be a bot token"},
		"app token":         {map[string]string{"SLACK_BOT_TOKEN": "xoxb-a", "SLACK_APP_TOKEN": "xoxb-b"}, "SLACK_APP_TOKEN must be an app-level token"},
		"http needs secret": {map[string]string{"SLACK_BOT_TOKEN": "xoxb-a"}, "SLACK_SIGNING_SECRET is required"},
		"app without bot":   {map[string]string{"SLACK_APP_TOKEN": "xapp-a"}, "SLACK_BOT_TOKEN is not"},
		"slack url":         {map[string]string{"SLACK_API_URL": "slack.com/api"}, "SLACK_API_URL must be an http(s) URL"},
		"smtp addr":         {map[string]string{"SMTP_ADDR": "mail"}, "SMTP_ADDR must be host:port"},
		"smtp from":         {map[string]string{"SMTP_ADDR": "mail:25"}, "SMTP_FROM is required"},
		"smtp tls":          {map[string]string{"SMTP_TLS": "ssl"}, `SMTP_TLS must be none, starttls or tls, got "ssl"`},
		"log level":         {map[string]string{"IRBOT_LOG_LEVEL": "loud"}, "IRBOT_LOG_LEVEL must be"},
		"encryption keys":   {map[string]string{"IRBOT_ENCRYPTION_KEYS": "k1:c2hvcnQ="}, "IRBOT_ENCRYPTION_KEYS: key k1 is not the standard base64 of 32 bytes"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := FromEnv(env(tc.env))
			require.Error(t, err)
			require.Contains(t, err.Error(), tc.want)
			require.NotContains(t, err.Error(), "\n", "one line")
		})
	}
}

func TestEveryVariableIsDocumented(t *testing.T) {
	names := map[string]bool{}
	for _, v := range Vars {
		names[v.Name] = true
	}
	for _, n := range []string{"IRBOT_DATA_DIR", "IRBOT_HTTP_ADDR", "IRBOT_DATABASE_URL", "TEMPORAL_ADDRESS", "TEMPORAL_NAMESPACE",
		"IRBOT_TEMPORAL_PORT", "IRBOT_ADMIN_TOKEN", "IRBOT_USERS_FILE", "SLACK_BOT_TOKEN", "SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET",
		"SLACK_API_URL", "IRBOT_ANNOUNCE_CHANNEL", "SMTP_ADDR", "SMTP_USERNAME", "SMTP_PASSWORD", "SMTP_FROM", "SMTP_TLS", "IRBOT_DRILL_MAIL_SINK",
		"IRBOT_ENCRYPTION_KEYS", "IRBOT_ENCRYPTION_KEYS_FILE"} {
		require.True(t, names[n], "%s from CONTRACT.md must be documented in Vars", n)
	}
}

func TestConsoleSettings(t *testing.T) {
	env := func(kv ...string) func(string) string {
		m := map[string]string{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return func(k string) string { return m[k] }
	}
	c, err := FromEnv(env("IRBOT_PUBLIC_URL", "https://irbot.example.com/", "IRBOT_TRUSTED_PROXY_HEADER", "X-Forwarded-User", "IRBOT_TRUSTED_PROXIES", "10.0.0.0/8, 192.0.2.1"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Console.PublicURL != "https://irbot.example.com" || len(c.Console.TrustedProxies) != 2 || c.Console.LocalAdminAnywhere {
		t.Fatalf("console settings: %+v", c.Console)
	}
	for _, bad := range [][]string{
		{"IRBOT_PUBLIC_URL", "irbot.example.com"},
		{"IRBOT_CONSOLE_LOCAL_ADMIN", "everywhere"},
		{"IRBOT_TRUSTED_PROXIES", "10.0.0.0/99"},
		{"IRBOT_TRUSTED_PROXY_HEADER", "X-User"},
	} {
		_, err := FromEnv(env(bad...))
		if err == nil || !strings.Contains(err.Error(), bad[0]) {
			t.Errorf("%s=%q: want an error naming the variable, got %v", bad[0], bad[1], err)
		}
	}
}

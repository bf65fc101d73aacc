package main

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/irbot/irbot/internal/config"
)

// TestReadmeFirstCommandOpensTheConsole runs what the README's quick start
// runs (serve, no users), opens the printed sign-in link, and uses the
// console on the real incident service: declare, see the clocks, Verify.
func TestReadmeFirstCommandOpensTheConsole(t *testing.T) {
	env := map[string]string{"IRBOT_DATA_DIR": t.TempDir(), "IRBOT_HTTP_ADDR": "127.0.0.1:0", "IRBOT_TEMPORAL_PORT": "0", "IRBOT_LOG_LEVEL": "warn"}
	cfg, err := config.FromEnv(func(k string) string { return env[k] })
	require.NoError(t, err)
	var out bytes.Buffer
	m := &Main{Config: cfg, Out: &out, Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))}
	require.NoError(t, m.Run(t.Context()))
	t.Cleanup(func() { _ = m.Close() })
	printed := out.String()
	link := regexp.MustCompile(`(?m)^  console      (http://\S+/login/link/\S+)$`).FindStringSubmatch(printed)
	require.NotNil(t, link, "serve with no users must print a sign-in link; it printed:\n%s", printed)
	require.Contains(t, printed, "single use, 15 minutes")

	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 30 * time.Second}
	read := func(resp *http.Response, err error) (int, string) {
		t.Helper()
		require.NoError(t, err)
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	csrf := func(body string) string {
		m := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(body)
		require.NotNil(t, m, "no CSRF token in the page")
		return m[1]
	}
	status, body := read(c.Get(link[1]))
	require.Equal(t, http.StatusOK, status)
	require.Contains(t, body, "Local admin")
	status, body = read(c.PostForm(link[1], url.Values{"csrf": {csrf(body)}}))
	require.Equal(t, http.StatusOK, status)
	require.Contains(t, body, "Nothing here yet", "the console's empty state")
	require.Contains(t, body, "Declare")

	base := "http://" + m.Addr()
	status, body = read(c.PostForm(base+"/incidents", url.Values{"csrf": {csrf(body)}, "title": {"Customer database exposed"}, "regime": {"eu-gdpr"}}))
	require.Equal(t, http.StatusOK, status, body)
	require.Contains(t, body, "INC-")
	require.Contains(t, body, "eu-gdpr/supervisory-authority")
	require.Contains(t, body, `class="countdown"`)
	id := regexp.MustCompile(`<h1>(INC-\d{4}-\d{4}):`).FindStringSubmatch(body)
	require.NotNil(t, id)
	require.Eventually(t, func() bool {
		_, b := read(c.Get(base + "/incidents/" + id[1] + "/verify"))
		return strings.Contains(b, "hash chain intact") && strings.Contains(b, "incident.declared")
	}, 30*time.Second, 200*time.Millisecond, "Verify must show the chain result")
	status, _ = read(c.Get(link[1]))
	require.Equal(t, http.StatusGone, status, "the printed link works once")
	status, body = read(c.Get(base + "/api/v1/incidents"))
	require.Equal(t, http.StatusUnauthorized, status, "the API still wants a bearer token: %s", body)
}

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
	read := pageReader(t)
	csrf := func(body string) string { return formCSRF(t, body) }
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

// TestConsoleFormsAreTheRealServicesOffers signs in two people from the
// users file on the real server: each sees the forms the workflow's role
// rules offer them; an offered form succeeds, and a form another role holds,
// posted anyway, is refused with 403 and recorded on the timeline.
func TestConsoleFormsAreTheRealServicesOffers(t *testing.T) {
	m := startMain(t, t.TempDir())
	readAll := pageReader(t)
	base := "http://" + m.Addr()
	signIn := func(token string) (*http.Client, string) {
		jar, _ := cookiejar.New(nil)
		c := &http.Client{Jar: jar, Timeout: 30 * time.Second}
		_, body := readAll(c.Get(base + "/login"))
		status, body := readAll(c.PostForm(base+"/login", url.Values{"csrf": {formCSRF(t, body)}, "token": {token}}))
		require.Equal(t, http.StatusOK, status, body)
		return c, formCSRF(t, body)
	}
	dpo, dcsrf := signIn(dpoToken)
	status, body := readAll(dpo.PostForm(base+"/incidents", url.Values{"csrf": {dcsrf}, "title": {"Laptop stolen"}, "regime": {"eu-gdpr"}}))
	require.Equal(t, http.StatusOK, status, body)
	id := regexp.MustCompile(`<h1>(INC-\d{4}-\d{4}):`).FindStringSubmatch(body)
	require.NotNil(t, id)
	require.Contains(t, body, `id="draft-notice"`, "the dpo may draft a notice")
	require.Regexp(t, `name="clock" value="eu-gdpr/supervisory-authority">(?s:.*?)<select [^>]*name="language"><option value="en" selected>English \(en\)</option><option value="de">Deutsch \(de\)</option><option value="fr">Français \(fr\)</option></select>`, body,
		"the GDPR authority notice is offered in the languages its template exists in, English (the EU's default) chosen")
	page := base + "/incidents/" + id[1]
	status, body = readAll(dpo.PostForm(page+"/notices", url.Values{"csrf": {dcsrf}, "clock": {"eu-gdpr/supervisory-authority"}, "to": {"dpa@example.org"}, "language": {"es"}}))
	require.Equal(t, http.StatusBadRequest, status, body)
	require.Regexp(t, `name="clock" value="eu-gdpr/supervisory-authority">\s*<p [^>]*>.*</p>\s*<p class="error" role="alert" id="dn-\d+-err">Refused: no eu-gdpr/supervisory-authority notice template in language &#34;es&#34;; it exists in en, de, fr</p>`, body,
		"a language the template lacks is refused by the service, the reason in the form")

	rae, rcsrf := signIn(responderToken)
	status, body = readAll(rae.Get(page))
	require.Equal(t, http.StatusOK, status)
	require.NotContains(t, body, `id="draft-notice"`, "a responder drafts no notice")
	require.Contains(t, body, `id="set-fact"`)
	task := regexp.MustCompile(`name="task" value="([^"]+)"`).FindStringSubmatch(body)
	require.NotNil(t, task, "the responder is offered a task of theirs in the first phase")

	status, body = readAll(rae.PostForm(page+"/notices", url.Values{"csrf": {rcsrf}, "clock": {"eu-gdpr/supervisory-authority"}, "to": {"dpa@example.org"}}))
	require.Equal(t, http.StatusForbidden, status, body)
	require.Contains(t, body, "Refused: ")
	status, body = readAll(rae.PostForm(page+"/actions", url.Values{"csrf": {rcsrf}, "type": {"complete_task"}, "task": {task[1]}}))
	require.Equal(t, http.StatusOK, status, "an offered task completes: %s", body)
	require.Contains(t, body, "Done: complete task")
	require.Eventually(t, func() bool {
		_, b := readAll(dpo.Get(page + "?kind=action.denied"))
		return strings.Contains(b, "<td>U0000000003</td>") && strings.Contains(b, "create_notice needs one of the roles dpo, legal, commander, admin")
	}, 30*time.Second, 200*time.Millisecond, "the refused draft is on the timeline, by the responder, with the workflow's reason")
}

// pageReader reads a console answer: its status and body.
func pageReader(t *testing.T) func(*http.Response, error) (int, string) {
	return func(resp *http.Response, err error) (int, string) {
		t.Helper()
		require.NoError(t, err)
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
}

// formCSRF is the CSRF token of the page's forms.
func formCSRF(t *testing.T, body string) string {
	t.Helper()
	m := regexp.MustCompile(`name="csrf" value="([^"]+)"`).FindStringSubmatch(body)
	require.NotNil(t, m, "no CSRF token in the page")
	return m[1]
}

// TestLoginLinkCommandSignsInAPersonFromTheUsersFile: `irbot login-link
// USER`, run beside the server on its data, prints a link that signs that
// person in once; people not in the users file and bad arguments are
// refused with an exit code that says which. Not parallel: it sets the
// process environment the command reads.
func TestLoginLinkCommandSignsInAPersonFromTheUsersFile(t *testing.T) {
	dataDir, users := t.TempDir(), writeUsersFile(t, t.TempDir())
	m := startMainEnv(t, dataDir, map[string]string{"IRBOT_USERS_FILE": users})
	t.Cleanup(func() { _ = m.Close() })
	t.Setenv("IRBOT_DATA_DIR", dataDir)
	t.Setenv("IRBOT_USERS_FILE", users)
	t.Setenv("IRBOT_HTTP_ADDR", m.Addr())

	var out, errb bytes.Buffer
	require.Equal(t, 0, loginLinkCmd([]string{"dana@example.com"}, &out, &errb), errb.String())
	link := strings.TrimSpace(out.String())
	require.True(t, strings.HasPrefix(link, "http://"+m.Addr()+"/login/link/"), link)

	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 30 * time.Second}
	read := pageReader(t)
	status, body := read(c.Get(link))
	require.Equal(t, http.StatusOK, status)
	require.Contains(t, body, "Dana DPO", "the link names whom it signs in")
	status, body = read(c.PostForm(link, url.Values{"csrf": {formCSRF(t, body)}}))
	require.Equal(t, http.StatusOK, status)
	require.Contains(t, body, "Dana DPO", "signed in as Dana")
	status, _ = read(c.Get(link))
	require.Equal(t, http.StatusGone, status, "the link works once")

	for _, tc := range []struct {
		args []string
		code int
		says string
	}{
		{nil, 2, "usage: irbot login-link USER"},
		{[]string{"-h"}, 2, "usage"},
		{[]string{"nobody@example.com"}, 1, "is not in the users file"},
		{[]string{"dana@example.com\x00"}, 1, "is not in the users file"},
		{[]string{"dana@example.com", "lee@example.com"}, 2, "usage"},
	} {
		out.Reset()
		errb.Reset()
		require.Equal(t, tc.code, loginLinkCmd(tc.args, &out, &errb), "%q", tc.args)
		require.Contains(t, errb.String(), tc.says, "%q", tc.args)
		require.Empty(t, out.String(), "no link for %q", tc.args)
	}
}

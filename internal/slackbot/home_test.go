package slackbot

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/irbot/irbot/workflows"
)

// TestAppHomeListsTheViewersIncidentsAndAllOpenOnes: opening irbot's App
// Home publishes a home view (checked by the fake: type home, at most 100
// blocks, Slack's rules) with the incidents the viewer holds a role in,
// then every open incident with its phase; someone with no role in irbot
// is told why they see no list. The Messages tab publishes nothing.
func TestAppHomeListsTheViewersIncidentsAndAllOpenOnes(t *testing.T) {
	h := newHarness(t, nil)
	rae := workflows.Actor{ID: "U0000000003", Roles: []string{"responder"}}
	for _, title := range []string{"Laptop stolen", "Phishing <b>wave</b>", "Vendor breach"} {
		_, err := h.svc.Declare(t.Context(), rae, incidentReq(title))
		require.NoError(t, err)
	}
	h.svc.mu.Lock()
	h.svc.states["INC-2026-0002"].Roles = []workflows.RoleAssignment{{Role: "commander", User: "U0000000005"}, {Role: "dpo", User: "U0000000005"}}
	h.svc.states["INC-2026-0003"].Roles = []workflows.RoleAssignment{{Role: "commander", User: "U0000000003"}}
	h.svc.mu.Unlock()

	open := func(id, user, tab string) {
		code, _, took := signedPost(t, h.base+"/slack/events", testSecret, time.Now(),
			eventBody(id, map[string]any{"type": "app_home_opened", "user": user, "channel": "D0000001", "tab": tab, "event_ts": "1772357400.000100"}),
			map[string]string{"Content-Type": "application/json"})
		require.Equal(t, http.StatusOK, code)
		require.Less(t, took, 3*time.Second)
	}
	home := func(user string) string {
		t.Helper()
		var v string
		require.Eventually(t, func() bool {
			raw := h.slack.View("home:" + user)
			v = strings.NewReplacer(`\u003c`, "<", `\u003e`, ">", `\u0026`, "&").Replace(string(raw))
			return raw != nil
		}, 5*time.Second, 10*time.Millisecond, "the home of %s must be published", user)
		return v
	}
	open("Ev-h1", "U0000000005", "home")
	v := home("U0000000005")
	var view struct {
		Type   string            `json:"type"`
		Blocks []json.RawMessage `json:"blocks"`
	}
	require.NoError(t, json.Unmarshal(h.slack.View("home:U0000000005"), &view))
	require.Equal(t, "home", view.Type)
	require.LessOrEqual(t, len(view.Blocks), 100)
	mine, all, _ := strings.Cut(v, "Open incidents (3)")
	require.Contains(t, mine, "Your incidents (1)")
	require.Contains(t, mine, "INC-2026-0002")
	require.Contains(t, mine, "You are commander, dpo.")
	require.NotContains(t, mine, "INC-2026-0003", "Cam holds no role in it")
	for _, id := range []string{"INC-2026-0001", "INC-2026-0002", "INC-2026-0003"} {
		require.Contains(t, all, id)
	}
	require.Contains(t, all, "Phase Contain")
	require.Contains(t, all, "Phishing &lt;b&gt;wave&lt;/b&gt;", "titles are escaped")

	open("Ev-h2", "U0000000099", "home")
	require.Contains(t, home("U0000000099"), "has no role in irbot")

	open("Ev-h3", "U0000000001", "messages")
	require.NoError(t, h.bot.Close())
	require.Nil(t, h.slack.View("home:U0000000001"), "the Messages tab is not the home")
	require.Len(t, h.slack.OKCalls("views.publish"), 2)
}

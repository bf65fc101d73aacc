package main

import (
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/irbot/irbot/internal/slackbot/slackfake"
)

// TestSameRuleSameWordsFromAPIAndSlack: a rule has one home (workflows/rules.go,
// applied by the service and the Update validators), so the same bad input
// sent through the API and through a slash command is refused in the same
// words, and each refusal is one action.denied on the timeline, naming its
// surface.
func TestSameRuleSameWordsFromAPIAndSlack(t *testing.T) {
	fake := slackfake.New()
	t.Cleanup(fake.Close)
	m := startSlackMain(t, fake)
	sc := &slackClient{t: t, base: "http://" + m.Addr()}
	api := apiClient{t: t, base: "http://" + m.Addr()}
	const dana = "U0000000001" // dpo, as dpoToken
	e := declareBreach(t, api, "live", time.Now().Add(-time.Hour), gdprFacts)
	var channel string
	require.Eventually(t, func() bool {
		for _, c := range fake.Channels() {
			if strings.HasPrefix(c.Name, "inc-") {
				channel = c.ID
			}
		}
		return channel != ""
	}, 30*time.Second, 50*time.Millisecond, "the incident channel must appear")
	answer := func(path string) string { t.Helper(); return fmt.Sprint(slackAnswer(t, fake, path)["text"]) }
	// "(it is now …)" differs by the seconds between the two requests.
	now := regexp.MustCompile(`\(it is now [^)]*\)`)
	future := time.Now().Add(2 * time.Hour).UTC().Truncate(time.Second)
	for _, tc := range []struct {
		name, slash string
		api         map[string]any
		want        string
	}{
		{"rationale too short", "not-notify eu-gdpr/supervisory-authority too short",
			map[string]any{"type": "decide_not_to_notify", "regime": "eu-gdpr", "obligation": "supervisory-authority", "reason": "too short"},
			"a decision not to notify must be documented"},
		{"rationale in few characters of another script", "not-notify eu-gdpr/supervisory-authority 通知不要です",
			map[string]any{"type": "decide_not_to_notify", "regime": "eu-gdpr", "obligation": "supervisory-authority", "reason": "通知不要です"},
			"a decision not to notify must be documented"},
		{"awareness in the future", "aware " + future.Format(time.RFC3339),
			map[string]any{"type": "set_fact", "name": "aware_at", "value": future.Format(time.RFC3339)},
			"aware_at " + future.Format(time.RFC3339) + " is in the future"},
	} {
		before := len(denials(api, e.id))
		code, out := api.do("POST", "/api/v1/incidents/"+e.id+"/actions", dpoToken, tc.api)
		require.Equal(t, http.StatusBadRequest, code, "%s: %v", tc.name, out)
		apiWords := fmt.Sprint(out["error"])
		require.Contains(t, apiWords, tc.want, tc.name)

		path := strings.ReplaceAll(tc.name, " ", "-")
		sc.command(dana, channel, tc.slash, fake.ResponseURL(path))
		slackWords := answer(path)
		require.Equal(t, now.ReplaceAllString(apiWords, ""), now.ReplaceAllString(strings.TrimPrefix(slackWords, ":warning: "), ""), tc.name)

		var got []map[string]any
		require.Eventually(t, func() bool { got = denials(api, e.id); return len(got) == before+2 }, 10*time.Second, 50*time.Millisecond,
			"%s: one action.denied per refusal, from each surface", tc.name)
		time.Sleep(200 * time.Millisecond)
		got = denials(api, e.id)
		require.Len(t, got, before+2, "%s: no second record of a refusal", tc.name)
		sources := []string{fmt.Sprint(got[before]["source"]), fmt.Sprint(got[before+1]["source"])}
		require.ElementsMatch(t, []string{"api", "slack"}, sources, tc.name)
		require.Equal(t, now.ReplaceAllString(fmt.Sprint(got[before]["reason"]), ""), now.ReplaceAllString(fmt.Sprint(got[before+1]["reason"]), ""), tc.name)
	}
	_, st := api.do("GET", "/api/v1/incidents/"+e.id, dpoToken, nil)
	for _, raw := range st["clocks"].([]any) {
		require.NotEqual(t, "not_notified", raw.(map[string]any)["status"], "nothing was decided")
	}
}

// denials are the data of the incident's action.denied events, in order.
func denials(c apiClient, id string) []map[string]any {
	_, tl := c.do("GET", "/api/v1/incidents/"+id+"/timeline", adminToken, nil)
	var out []map[string]any
	for _, e := range tl["events"].([]any) {
		ev := e.(map[string]any)
		if ev["kind"] == "action.denied" {
			d, _ := ev["data"].(map[string]any)
			out = append(out, d)
		}
	}
	return out
}

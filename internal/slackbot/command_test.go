package slackbot

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/irbot/irbot/workflows"
)

func TestParseCommand(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	ok := []struct {
		text string
		want Command
	}{
		{"", Command{Name: "help"}},
		{"help", Command{Name: "help"}},
		{"declare", Command{Name: "declare"}},
		{"declare   Customer DB exposed ", Command{Name: "declare", Title: "Customer DB exposed"}},
		{"status", Command{Name: "status"}},
		{"status inc-2026-0042", Command{Name: "status", Incident: "INC-2026-0042"}},
		{"clocks", Command{Name: "clocks"}},
		{"list", Command{Name: "list"}},
		{" LS ", Command{Name: "list"}},
		{"task done isolate", Command{Name: "task_done", Task: "isolate"}},
		{"severity Critical", Command{Name: "severity", Severity: "critical"}},
		{"role dpo <@U024BE7LH|dana>", Command{Name: "role", Role: "dpo", User: "U024BE7LH"}},
		{"role commander <@U024BE7LH>", Command{Name: "role", Role: "commander", User: "U024BE7LH"}},
		{"role commander me", Command{Name: "role", Role: "commander", User: "me"}},
		{"note  Bucket closed at 10:02 <b>", Command{Name: "note", Text: "Bucket closed at 10:02 <b>"}},
		{"aware now", Command{Name: "aware", AwareAt: now}},
		{"aware 2h ago", Command{Name: "aware", AwareAt: now.Add(-2 * time.Hour)}},
		{"aware 2026-03-01 09:30", Command{Name: "aware", AwareAt: time.Date(2026, 3, 1, 9, 30, 0, 0, time.UTC)}},
		{"aware 2026-03-01T10:30:00+01:00", Command{Name: "aware", AwareAt: time.Date(2026, 3, 1, 9, 30, 0, 0, time.UTC)}},
		{"close", Command{Name: "close"}},
		{"close contained early", Command{Name: "close", Text: "contained early"}},
		{"notices", Command{Name: "notices"}},
		{"notices inc-2026-0042", Command{Name: "notices", Incident: "INC-2026-0042"}},
		{"notified eu-gdpr/supervisory-authority", Command{Name: "notified", Regime: "eu-gdpr", Obligation: "supervisory-authority"}},
		{"notified EU-GDPR/supervisory-authority SA-2026-123", Command{Name: "notified", Regime: "eu-gdpr", Obligation: "supervisory-authority", Reference: "SA-2026-123"}},
		{"notified eu-gdpr/supervisory-authority case 42 / portal reason: scope confirmed on day 3",
			Command{Name: "notified", Regime: "eu-gdpr", Obligation: "supervisory-authority", Reference: "case 42 / portal", Text: "scope confirmed on day 3"}},
		{"notified eu-gdpr/supervisory-authority Reason: late, see ticket", Command{Name: "notified", Regime: "eu-gdpr", Obligation: "supervisory-authority", Text: "late, see ticket"}},
		{"not-notify us-ca/individuals Data encrypted at rest; keys not exposed.", Command{Name: "not_notify", Regime: "us-ca", Obligation: "individuals", Text: "Data encrypted at rest; keys not exposed."}},
		{"not_notify us-ca/individuals reason: Data encrypted at rest.", Command{Name: "not_notify", Regime: "us-ca", Obligation: "individuals", Text: "Data encrypted at rest."}},
		// Whether a time has happened and a rationale is long enough are
		// the service's and the workflow's rules (workflows/rules.go), not
		// the parser's: these parse, and the service refuses them.
		{"aware 2026-03-02 09:30", Command{Name: "aware", AwareAt: time.Date(2026, 3, 2, 9, 30, 0, 0, time.UTC)}},
		{"not-notify us-ca/individuals", Command{Name: "not_notify", Regime: "us-ca", Obligation: "individuals"}},
		{"not-notify us-ca/individuals reason:", Command{Name: "not_notify", Regime: "us-ca", Obligation: "individuals"}},
		{"notified eu-gdpr/sa " + strings.Repeat("x", 201), Command{Name: "notified", Regime: "eu-gdpr", Obligation: "sa", Reference: strings.Repeat("x", 201)}},
		{"drill list", Command{Name: "drill_list"}},
		{"drill start", Command{Name: "drill_start"}}, // the form asks
		{"drill start ransomware", Command{Name: "drill_start", Scenario: "ransomware"}},
		{"drill start ransomware 60", Command{Name: "drill_start", Scenario: "ransomware", Speed: 60}},
		{"drill start ransomware <@U0AB12|rae> 600 @U0CD34", Command{Name: "drill_start", Scenario: "ransomware", Speed: 600, Participants: []string{"U0AB12", "U0CD34"}}},
		{"drill PAUSE", Command{Name: "drill_control", Text: workflows.DrillPause}},
		{"drill resume", Command{Name: "drill_control", Text: workflows.DrillResume}},
		{"drill inject journalist-calls", Command{Name: "drill_control", Text: workflows.DrillInjectNow, Task: "journalist-calls"}},
		{"drill skip", Command{Name: "drill_control", Text: workflows.DrillSkip}},
		{"drill end", Command{Name: "drill_control", Text: workflows.DrillEnd}},
	}
	for _, tc := range ok {
		got, err := ParseCommand(tc.text, now)
		require.NoError(t, err, tc.text)
		require.Equal(t, tc.want, got, tc.text)
	}
	bad := []struct{ text, want string }{
		{"dance", "unknown subcommand"},
		{"statsu", "did you mean `/incident status`?"},
		{"notifed eu-gdpr/supervisory-authority", "did you mean `/incident notified`?"},
		{"repots", "did you mean `/incident repost`?"},
		{"lisst", "did you mean `/incident list`?"},
		{"list INC-2026-0001", "takes nothing after it"},
		{"task isolate", "task done ID"},
		{"task done", "task done ID"},
		{"severity huge", "critical, high, medium, low"},
		{"role wizard <@U1AB>", "unknown role"},
		{"role dpo dana", "not a Slack user"},
		{"note", "note TEXT"},
		{"aware", "aware TIME"},
		{"aware tomorrow", "not a time I can read"},
		{"status 42", "not an incident ID"},
		{"drill", "/incident drill list"},
		{"drill start x fast", `"fast" is neither a speed nor a @participant`},
		{"drill start x 60 60", `"60" is neither a speed`},
		{"drill start x rae", "@participant"},
		{"drill list all", "takes nothing after it"},
		{"drill pause now", "takes nothing after it"},
		{"drill inject a b", "at most an inject or question ID"},
		{"drill fly", "unknown drill command"},
		{"notices 42", "not an incident ID"},
		{"notified", "/incident notified REGIME/OBLIGATION [REFERENCE] [reason: WHY LATE]"},
		{"notified eu-gdpr", `"eu-gdpr" is not a clock: write REGIME/OBLIGATION`},
		{"notified eu-gdpr supervisory-authority", "is not a clock"},
		{"notified /supervisory-authority", "is not a clock"},
		{"notified eu-gdpr/supervisory-authority SA-1 reason:", "`reason:` needs the reason for the delay"},
		{"not-notify", "/incident not-notify REGIME/OBLIGATION REASON"},
		{"not-notify us-ca", "is not a clock"},
	}
	for _, tc := range bad {
		_, err := ParseCommand(tc.text, now)
		require.Error(t, err, tc.text)
		var pe *ParseError
		require.ErrorAs(t, err, &pe, tc.text)
		require.Contains(t, err.Error(), tc.want, tc.text)
	}
}

func TestChannelNames(t *testing.T) {
	st := workflows.IncidentState{ID: "INC-2026-0007", DeclaredAt: time.Date(2026, 3, 1, 23, 59, 0, 0, time.FixedZone("x", -5*3600))}
	cases := []struct {
		title, mode string
		n           int
		want        string
	}{
		{"Customer DB exposed!", "live", 1, "inc-20260302-customer-db-exposed"},
		{"Données clients exposées", "live", 1, "inc-20260302-donnees-clients-exposees"},
		{"Laptop stolen", "live", 3, "inc-20260302-laptop-stolen-3"},
		{"Tabletop: ransomware", "drill", 1, "drill-inc-20260302-tabletop-ransomware"},
		{"!!!", "live", 1, "inc-20260302-inc-2026-0007"},
		{"漏洩", "live", 1, "inc-20260302-inc-2026-0007"},
	}
	for _, tc := range cases {
		st.Title, st.Mode = tc.title, tc.mode
		require.Equal(t, tc.want, ChannelName(st, tc.n), tc.title)
	}
	st.Title, st.Mode = strings.Repeat("very long title words ", 20), "drill"
	for _, n := range []int{1, 99} {
		name := ChannelName(st, n)
		require.LessOrEqual(t, len(name), 80)
		require.Regexp(t, `^[a-z0-9_-]+$`, name)
		require.False(t, strings.Contains(name, "--"))
	}
}

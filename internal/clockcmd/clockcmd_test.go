package clockcmd

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/irbot/irbot/playbooks"
)

func run(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errOut bytes.Buffer
	now := func() time.Time { return time.Date(2026, 10, 25, 8, 0, 0, 0, time.UTC) }
	code = RunWith(args, &out, &errOut, Options{Now: now})
	return out.String(), errOut.String(), code
}

func TestJSONOutputHasTheContractShape(t *testing.T) {
	out, errOut, code := run(t, "--regime", "eu-gdpr,us-sec-8k", "--at", "awareness=2026-10-24T10:00:00+02:00", "--format", "json")
	require.Equal(t, 0, code, errOut)
	require.Empty(t, errOut)
	var got []map[string]any
	require.NoError(t, json.Unmarshal([]byte(out), &got), "output must be a JSON array")
	require.NotEmpty(t, got)
	for _, o := range got {
		for _, k := range []string{"regime", "obligation", "recipient", "trigger", "due_at", "basis", "source"} {
			require.Contains(t, o, k, "every element has %q: %v", k, o)
		}
	}
	first := got[0]
	require.Equal(t, "eu-gdpr", first["regime"])
	require.Equal(t, "supervisory-authority", first["obligation"])
	require.Equal(t, "authority", first["recipient"])
	require.Equal(t, "2026-10-27T08:00:00Z", first["due_at"])
	require.Equal(t, "PT72H", first["basis"])
	require.Contains(t, first["source"], "Art. 33")

	var sec map[string]any
	for _, o := range got {
		if o["regime"] == "us-sec-8k" {
			sec = o
		}
	}
	require.NotNil(t, sec)
	require.Nil(t, sec["due_at"], "a missing trigger gives due_at null")
	require.Equal(t, "materiality_determination", sec["waiting_for"])
}

func TestAffectedFlagsAndSubmissionsReachTheEngine(t *testing.T) {
	out, errOut, code := run(t, "--regime", "us-hipaa", "--regime", "eu-nis2",
		"--at", "discovery=2026-02-02T15:00:00Z", "--at", "awareness=2026-03-10T09:00:00Z",
		"--affected", "US-CA=501", "--affected", "us-nv=3",
		"--submitted", "eu-nis2/incident-notification=2026-03-12T15:30:00Z",
		"--delay", "us-hipaa/individuals=2026-02-10T00:00:00Z..2026-03-12T00:00:00Z",
		"--format", "json")
	require.Equal(t, 0, code, errOut)
	var got []map[string]any
	require.NoError(t, json.Unmarshal([]byte(out), &got))
	due := map[string]any{}
	for _, o := range got {
		due[o["regime"].(string)+"/"+o["obligation"].(string)] = o["due_at"]
	}
	require.Contains(t, due, "us-hipaa/media", "501 Californians need the media notice")
	require.Equal(t, "2026-04-12T15:30:00Z", due["eu-nis2/final-report"])
	require.Equal(t, "2026-05-03T15:00:00Z", due["us-hipaa/individuals"])

	out, _, code = run(t, "--regime", "us-hipaa", "--at", "discovery=2026-02-02T15:00:00Z", "--flag", "business_associate", "--format", "json")
	require.Equal(t, 0, code)
	require.Contains(t, out, "business-associate-to-covered-entity")
	require.NotContains(t, out, `"obligation": "individuals"`)
}

func TestTableShowsTimeLeftAndWaiting(t *testing.T) {
	out, errOut, code := run(t, "--regime", "eu-gdpr", "--regime", "us-sec-8k", "--at", "awareness=2026-10-24T10:00:00+02:00")
	require.Equal(t, 0, code, errOut)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Contains(t, lines[0], "REGIME")
	require.Contains(t, lines[0], "LEFT")
	require.Contains(t, lines[0], "SOURCE")
	require.Contains(t, out, "2026-10-27T08:00:00Z")
	require.Contains(t, out, "due in 2 d") // now is 25 Oct 08:00Z, due 27 Oct 08:00Z
	require.Contains(t, out, "waiting for materiality_determination")
	// Aligned columns: the DUE column starts at the same offset on every row.
	col := strings.Index(lines[0], "DUE")
	for _, l := range lines[1:] {
		require.Greater(t, len(l), col)
		require.NotEqual(t, ' ', rune(l[col]), "misaligned row: %q", l)
	}
}

func TestOverdueInTheTable(t *testing.T) {
	out, _, code := run(t, "--regime", "eu-nis2", "--at", "awareness=2026-10-20T08:00:00Z")
	require.Equal(t, 0, code)
	require.Contains(t, out, "overdue by 4 d")
}

func TestListShowsEveryRegimeAndRuleWithItsSource(t *testing.T) {
	out, errOut, code := run(t, "--list")
	require.Equal(t, 0, code, errOut)
	rs := playbooks.MustRules()
	for _, reg := range rs.Regimes {
		require.Contains(t, out, reg.Source, "regime %s source missing from --list", reg.ID)
		for _, r := range reg.Obligations {
			require.Contains(t, out, r.Source, "%s/%s source missing from --list", reg.ID, r.ID)
		}
	}
	for _, id := range []string{"eu-gdpr", "uk-gdpr", "eu-nis2", "eu-dora", "us-hipaa", "us-sec-8k", "us-ny-dfs", "us-ca", "us-ny", "us-tx", "us-co", "us-fl", "us-wa", "br-lgpd", "sg-pdpa", "au-ndb", "ca-pipeda", "jp-appi"} {
		require.Contains(t, out, "\n"+id+" ", "--list lacks %s", id)
	}

	out, _, code = run(t, "--list", "--format", "json", "--regime", "eu-gdpr")
	require.Equal(t, 0, code)
	var got playbooks.RuleSet
	require.NoError(t, json.Unmarshal([]byte(out), &got))
	require.Len(t, got.Regimes, 1)
	require.Equal(t, "eu-gdpr", got.Regimes[0].ID)
	require.NotEmpty(t, got.Regimes[0].Obligations[0].Source)
}

func TestBadInputExits2WithOneClearLine(t *testing.T) {
	for _, tc := range []struct {
		name  string
		args  []string
		wants []string
	}{
		{"unknown regime", []string{"--regime", "eu-gdpr,xx-nowhere"}, []string{`unknown regime "xx-nowhere"`, "accepted are", "eu-gdpr"}},
		{"unknown trigger", []string{"--regime", "eu-gdpr", "--at", "awarenes=2026-10-24T10:00:00Z"}, []string{`unknown trigger "awarenes"`, "awareness, discovery"}},
		{"malformed time", []string{"--regime", "eu-gdpr", "--at", "awareness=2026-10-24 10:00"}, []string{`"2026-10-24 10:00"`, "RFC 3339"}},
		{"time without offset", []string{"--regime", "eu-gdpr", "--at", "awareness=2026-10-24T10:00:00"}, []string{"RFC 3339 with an offset"}},
		{"at without =", []string{"--regime", "eu-gdpr", "--at", "awareness"}, []string{"expected TRIGGER=RFC3339"}},
		{"malformed count", []string{"--regime", "us-hipaa", "--affected", "US-CA=many"}, []string{`count "many"`}},
		{"negative count", []string{"--regime", "us-hipaa", "--affected", "US-CA=-5"}, []string{`count "-5"`}},
		{"bad jurisdiction", []string{"--regime", "us-hipaa", "--affected", "California=5"}, []string{`jurisdiction "California" is a name, not a jurisdiction code: use the ISO 3166 code US-CA`}},
		{"private-use country", []string{"--regime", "us-hipaa", "--affected", "XX=5"}, []string{`"XX": XX is not an assigned ISO 3166-1 country code`}},
		{"private-use country ZZ", []string{"--regime", "us-hipaa", "--affected", "ZZ=5"}, []string{`ZZ is not an assigned ISO 3166-1 country code`}},
		{"unknown state", []string{"--regime", "us-hipaa", "--affected", "US-ZZ=5"}, []string{`ZZ is not an ISO 3166-2 subdivision of United States (US)`}},
		{"unknown Land", []string{"--regime", "eu-gdpr", "--affected", "DE-XY=5"}, []string{`XY is not an ISO 3166-2 subdivision of Germany (DE)`}},
		{"EU subdivision", []string{"--regime", "eu-gdpr", "--affected", "EU-DE=5"}, []string{`EU has no subdivisions`}},
		{"country name", []string{"--regime", "eu-gdpr", "--affected", "Germany=5"}, []string{`"Germany" is a name, not a jurisdiction code: use the ISO 3166 code DE`}},
		{"missing regime", []string{"--at", "awareness=2026-10-24T10:00:00Z"}, []string{"missing --regime", "eu-gdpr"}},
		{"unknown format", []string{"--regime", "eu-gdpr", "--format", "xml"}, []string{`unknown --format "xml"`, "table, json"}},
		{"unknown flag", []string{"--regime", "eu-gdpr", "--frobnicate"}, []string{"frobnicate"}},
		{"stray argument", []string{"--regime", "eu-gdpr", "awareness"}, []string{`unexpected argument "awareness"`}},
		{"unknown stage", []string{"--regime", "eu-nis2", "--submitted", "eu-nis2/final=2026-03-12T15:30:00Z"}, []string{`no obligation "final"`, "incident-notification"}},
		{"bad delay", []string{"--regime", "us-hipaa", "--delay", "us-hipaa=2026-03-12T00:00:00Z..2026-02-10T00:00:00Z"}, []string{"not after the start"}},
		{"bad establishment", []string{"--regime", "eu-dora", "--establishment", "XX"}, []string{`unknown --establishment "XX"`, "DE"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, errOut, code := run(t, tc.args...)
			require.Equal(t, 2, code)
			require.Empty(t, out, "nothing on stdout after bad input")
			require.Equal(t, 1, strings.Count(errOut, "\n"), "exactly one line: %q", errOut)
			require.True(t, strings.HasPrefix(errOut, "irbot clocks: "), errOut)
			for _, w := range tc.wants {
				require.Contains(t, errOut, w)
			}
		})
	}
}

func TestHelpGoesToStdout(t *testing.T) {
	out, errOut, code := run(t, "--help")
	require.Equal(t, 0, code)
	require.Empty(t, errOut)
	require.Contains(t, out, "usage: irbot clocks")
}

func TestParseAt(t *testing.T) {
	trig, at, err := ParseAt("awareness=2026-10-24T10:00:00+02:00")
	require.NoError(t, err)
	require.Equal(t, "awareness", trig)
	require.True(t, at.Equal(time.Date(2026, 10, 24, 8, 0, 0, 0, time.UTC)))
	_, offset := at.Zone()
	require.Equal(t, 2*3600, offset, "the given offset is kept")
}

func TestParseAffected(t *testing.T) {
	j, n, err := ParseAffected("us-ca=600")
	require.NoError(t, err)
	require.Equal(t, "US-CA", j)
	require.Equal(t, 600, n)
	j, n, err = ParseAffected("EU=0")
	require.NoError(t, err)
	require.Equal(t, "EU", j)
	require.Zero(t, n)
	_, _, err = ParseAffected("BR=+3")
	require.Error(t, err)
}

func FuzzParseAt(f *testing.F) {
	for _, s := range []string{"awareness=2026-10-24T10:00:00+02:00", "discovery=2026-01-01T00:00:00Z", "x=y", "=", "", "awareness=", "prior_submission=2026-02-30T00:00:00Z"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		trig, at, err := ParseAt(s)
		if err != nil {
			require.NotContains(t, err.Error(), "\n", "one line")
			require.True(t, strings.HasPrefix(err.Error(), "--at "), err.Error())
			return
		}
		require.Contains(t, playbooks.RuleTriggers, trig)
		require.False(t, at.IsZero() && !strings.Contains(s, "0001-01-01"))
	})
}

func FuzzParseAffected(f *testing.F) {
	for _, s := range []string{"US-CA=600", "EU=1", "br=0", "DE=-1", "XX-YYYY=3", "=", "", "US-CA=99999999999999999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		j, n, err := ParseAffected(s)
		if err != nil {
			require.NotContains(t, err.Error(), "\n", "one line")
			require.True(t, strings.HasPrefix(err.Error(), "--affected "), err.Error())
			return
		}
		require.GreaterOrEqual(t, n, 0)
		require.Regexp(t, `^(EU|[A-Z]{2}(-[A-Z0-9]{1,3})?)$`, j)
	})
}

// --at prior_submission=... was accepted and silently ignored: an input that
// would change nothing is refused with exit 2 and points at --submitted.
func TestPriorSubmissionAsABareTriggerIsRefused(t *testing.T) {
	_, errOut, code := run(t, "--regime", "eu-nis2", "--at", "awareness=2026-03-12T08:00:00Z", "--at", "prior_submission=2026-03-12T15:30:00Z")
	require.Equal(t, 2, code)
	require.Contains(t, errOut, "--submitted REGIME/OBLIGATION=")
}

package playbooks

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// contractRegimes are the regime ids CONTRACT.md promises.
var contractRegimes = []string{"eu-gdpr", "uk-gdpr", "eu-nis2", "eu-dora", "us-hipaa", "us-sec-8k", "us-ny-dfs", "us-ca", "us-ny", "us-tx", "us-co", "us-fl", "us-wa", "br-lgpd", "sg-pdpa", "au-ndb", "ca-pipeda", "jp-appi"}

func TestEmbeddedRuleFilesLoadAndMustRulesDoesNotPanic(t *testing.T) {
	rs, err := LoadRules()
	require.NoError(t, err, "the embedded rule files are broken: irbot would panic at start")
	require.NotPanics(t, func() { MustRules() })
	require.Same(t, MustRules(), MustRules(), "MustRules is cached")
	require.Equal(t, rs.IDs(), MustRules().IDs())
}

func TestEveryContractRegimeIsCovered(t *testing.T) {
	rs := MustRules()
	for _, id := range contractRegimes {
		require.True(t, rs.Has(id), "CONTRACT.md regime %s has no rules", id)
	}
	require.GreaterOrEqual(t, len(rs.Regimes), len(contractRegimes)+5, "more than the contract's regimes are covered")
}

func TestEveryEmbeddedRegimeAndRuleHasASource(t *testing.T) {
	for _, reg := range MustRules().Regimes {
		require.NotEmpty(t, strings.TrimSpace(reg.Source), "regime %s has no source", reg.ID)
		for _, r := range reg.Obligations {
			require.NotEmpty(t, strings.TrimSpace(r.Source), "%s/%s has no source", reg.ID, r.ID)
			require.Contains(t, []string{"high", "medium", "low"}, r.Confidence, "%s/%s", reg.ID, r.ID)
			if r.Confidence == "low" {
				require.NotEmpty(t, r.Note, "%s/%s is low confidence without a note", reg.ID, r.ID)
			}
			for _, v := range r.Variants {
				require.NotEmpty(t, v.Source, "%s/%s variant has no source", reg.ID, r.ID)
			}
		}
	}
}

func TestRuleSetLookups(t *testing.T) {
	rs := MustRules()
	ids := rs.IDs()
	require.True(t, slices.IsSorted(ids))
	reg, ok := rs.Regime("us-hipaa-bnr")
	require.True(t, ok, "the reference's ids work as aliases")
	require.Equal(t, "us-hipaa", reg.ID)
	require.False(t, rs.Has("xx-nope"))
	r, ok := reg.Rule("media")
	require.True(t, ok)
	require.Equal(t, "more_than", r.Thresholds[0].Comparison)
	var nilSet *RuleSet
	require.False(t, nilSet.Has("eu-gdpr"))
}

func TestSubsetPinsCopiesAndNamesUnknownIDs(t *testing.T) {
	rs := MustRules()
	sub, err := rs.Subset([]string{"us-sec-8k", "eu-gdpr", "us-sec-8k-1-05"})
	require.NoError(t, err)
	require.Equal(t, []string{"us-sec-8k", "eu-gdpr"}, []string{sub.Regimes[0].ID, sub.Regimes[1].ID})
	sub.Regimes[1].Obligations[0].Clock = "PT1H"
	sub.Regimes[1].Obligations[0].RequiredContent[0] = "changed"
	orig, _ := rs.Regime("eu-gdpr")
	require.Equal(t, "PT72H", orig.Obligations[0].Clock, "a pinned subset must not alias the shared rules")
	require.Equal(t, "nature", orig.Obligations[0].RequiredContent[0])

	_, err = rs.Subset([]string{"eu-gdpr", "xx-nope"})
	require.ErrorContains(t, err, `unknown regime "xx-nope"`)
}

func TestRuleSetRoundTripsThroughJSON(t *testing.T) {
	rs := MustRules()
	b, err := json.Marshal(rs)
	require.NoError(t, err)
	var back RuleSet
	require.NoError(t, json.Unmarshal(b, &back))
	require.Equal(t, *rs, back, "the rule set pinned into workflow input must survive JSON")
	require.Contains(t, string(b), `"effective_from"`)
	require.Contains(t, string(b), `"bounded_by"`)
}

func TestParseRuleDuration(t *testing.T) {
	for in, want := range map[string]RuleDuration{
		"PT72H": {Elapsed: 72 * 3600e9}, "P30D": {Days: 30}, "P1M": {Months: 1}, "P2W": {Weeks: 2},
		"P1Y2M3DT4H5M6S": {Years: 1, Months: 2, Days: 3, Elapsed: 4*3600e9 + 5*60e9 + 6e9}, "PT0H": {},
	} {
		got, err := ParseRuleDuration(in)
		require.NoError(t, err, in)
		require.Equal(t, want, got, in)
	}
	for _, bad := range []string{"", "P", "PT", "72h", "P1.5D", "-P1D", "P1DT", "p1d"} {
		_, err := ParseRuleDuration(bad)
		require.Error(t, err, bad)
	}
}

const minimalRules = `
regimes:
  - id: xx-test
    name: Test regime
    jurisdiction: DE
    source: "Test Act s 1"
    confidence: high
    obligations:
      - id: authority
        name: Tell the authority
        recipient: authority
        trigger: awareness
        clock: PT72H
        counting: calendar hours
        semantics: hard
        source: "Test Act s 2"
        confidence: high
`

func TestParseRulesAcceptsAMinimalFile(t *testing.T) {
	rs, err := ParseRules("min.yaml", []byte(minimalRules))
	require.NoError(t, err)
	require.Equal(t, "in_force", rs.Regimes[0].Status)
}

func TestParseRulesNamesFileRegimeRuleAndProblem(t *testing.T) {
	for _, tc := range []struct{ name, from, to, want string }{
		{"missing source", `        source: "Test Act s 2"`, ``, `bad.yaml: regime "xx-test": obligation "authority": source is missing`},
		{"bad clock", `clock: PT72H`, `clock: 72h`, `obligation "authority": clock: "72h" is not an ISO-8601 duration`},
		{"clock and counting disagree", `clock: PT72H`, `clock: P3D`, `clock P3D does not fit counting "calendar hours"`},
		{"unknown trigger", `trigger: awareness`, `trigger: noticed`, `trigger "noticed" is not one of awareness`},
		{"unknown recipient", `recipient: authority`, `recipient: regulator`, `recipient "regulator" is not one of`},
		{"business days need a calendar", `counting: calendar hours`, "counting: business days", `business days need a calendar`},
		{"prior submission needs after", `trigger: awareness`, `trigger: prior_submission`, `trigger prior_submission needs after`},
		{"unknown field", `semantics: hard`, "semantics: hard\n        deadline: soon", `field deadline not found`},
		{"bad threshold", `semantics: hard`, "semantics: hard\n        thresholds: [{in: California, comparison: over, count: 500}]", `threshold 1: in "California" is a name, not a jurisdiction code: use the ISO 3166 code US-CA`},
		{"bad zone", `semantics: hard`, "semantics: hard\n        time_zone: Mars/Olympus", `time_zone "Mars/Olympus"`},
		{"low confidence without note", `        confidence: high
`, "        confidence: low\n", `confidence low needs a note`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data := strings.Replace(minimalRules, tc.from, tc.to, 1)
			require.NotEqual(t, minimalRules, data, "test edit did not apply")
			_, err := ParseRules("bad.yaml", []byte(data))
			require.Error(t, err)
			require.Contains(t, err.Error(), tc.want)
			require.True(t, strings.HasPrefix(err.Error(), "bad.yaml"), err.Error())
		})
	}
}

func TestParseRulesRejectsOverlappingVersionsAndLoops(t *testing.T) {
	twice := minimalRules + `
      - id: authority
        name: Tell the authority
        recipient: authority
        trigger: awareness
        clock: PT24H
        counting: calendar hours
        semantics: hard
        effective_from: "2025-01-01"
        source: "Test Act s 2 as amended"
        confidence: high
`
	_, err := ParseRules("v.yaml", []byte(twice))
	require.ErrorContains(t, err, "overlapping effective dates")
	fixed := strings.Replace(twice, "        clock: PT72H\n", "        clock: PT72H\n        effective_until: \"2025-01-01\"\n", 1)
	_, err = ParseRules("v.yaml", []byte(fixed))
	require.NoError(t, err)

	loop := minimalRules + `
      - id: a
        name: A
        recipient: authority
        trigger: prior_submission
        after: b
        clock: P1M
        counting: months
        semantics: hard
        source: s
        confidence: high
      - id: b
        name: B
        recipient: authority
        trigger: prior_submission
        after: a
        clock: P1M
        counting: months
        semantics: hard
        source: s
        confidence: high
`
	_, err = ParseRules("loop.yaml", []byte(loop))
	require.ErrorContains(t, err, "loop")
}

func TestParseRulesEmptyAndBrokenFiles(t *testing.T) {
	_, err := ParseRules("empty.yaml", nil)
	require.ErrorContains(t, err, "empty.yaml: the file is empty")
	_, err = ParseRules("syntax.yaml", []byte("regimes: [\n"))
	require.ErrorContains(t, err, "syntax.yaml: ")
	_, err = ParseRules("none.yaml", []byte("regimes: []\n"))
	require.ErrorContains(t, err, "no regimes")
}

func FuzzParseRules(f *testing.F) {
	f.Add([]byte(minimalRules))
	f.Add([]byte("regimes: [{id: a}]"))
	f.Add([]byte("regimes:\n  - id: x\n    obligations: [{id: y, after: y, trigger: prior_submission, clock: P}]"))
	f.Add([]byte("{"))
	f.Add([]byte("0"))
	names, _ := embeddedRuleFiles.ReadDir("rules")
	for _, n := range names {
		data, _ := embeddedRuleFiles.ReadFile("rules/" + n.Name())
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		rs, err := ParseRules("fuzz.yaml", data)
		if err != nil {
			require.NotEmpty(t, err.Error())
			for _, line := range strings.Split(err.Error(), "\n") {
				require.True(t, strings.HasPrefix(line, "fuzz.yaml"), "every problem names the file: %q", line)
			}
			return
		}
		for _, reg := range rs.Regimes {
			require.NotEmpty(t, reg.Source)
			for _, r := range reg.Obligations {
				require.NotEmpty(t, r.Source)
			}
		}
		_, err = json.Marshal(rs)
		require.NoError(t, err)
	})
}

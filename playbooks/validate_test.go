package playbooks

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// playbookWant is one expected problem: where it is ("line:col", "line" or "" for the
// whole file) and a phrase its message must contain.
type playbookWant struct {
	at, phrase string
}

func (w playbookWant) warning() bool { return strings.HasPrefix(w.phrase, "warning: ") }

// TestBrokenPlaybooksReportEveryProblemWhereItIs runs each file in
// testdata/playbooks and checks that every problem is reported, in file
// order, at the exact line and column, in words that say what to fix.
func TestBrokenPlaybooksReportEveryProblemWhereItIs(t *testing.T) {
	cases := map[string][]playbookWant{
		"valid-minimal.yaml": nil,
		"syntax-error.yaml": {
			{"9", "not valid YAML: the indentation is off: this list item does not line up"},
		},
		"empty.yaml": {
			{"", "the file is empty"},
		},
		"not-a-mapping.yaml": {
			{"1:1", "the playbook should be a set of keys (id, name, version"},
		},
		"unknown-keys.yaml": {
			{"4:1", `unknown key "descripton" in the playbook; did you mean "description"?`},
			{"7:3", `unknown key "timezone" in clocks; did you mean "time_zone"?`},
			{"9:9", `warning: phase "contain" has no required task and no gate`},
			{"16:5", `unknown key "requird" in task "isolate"; did you mean "required"?`},
			{"17:5", `unknown key "owner" in task "isolate" (task keys are id, phase, title, role, required, regime, help)`},
		},
		"missing-top.yaml": {
			{"2:1", "the playbook has no id"},
			{"2:1", "the playbook has no name"},
			{"2:1", "the playbook has no version"},
			{"2:1", "the playbook has no clocks section"},
			{"2:1", "the playbook has no phases"},
		},
		"duplicate-ids.yaml": {
			{"9:9", `phase id "contain" is used twice (first on line 7)`},
			{"17:9", `task id "isolate" is used twice (first on line 12)`},
			{"26:9", `gate id "ok" is used twice (first on line 22)`},
		},
		"unknown-phase.yaml": {
			{"9:9", `phase "assess" has no tasks and no gates`},
			{"18:12", `task "notify-sa" names phase "notify", which is not one of the playbook's phases (contain, assess)`},
			{"22:5", `task "orphan" has no phase`},
			{"27:12", `gate "risk-assessment" names phase "asess", which is not one of the playbook's phases`},
		},
		"task-roles.yaml": {
			{"10:5", `task "isolate" has no role; say which role owns it (responder, commander, dpo, legal, manager, compliance, admin)`},
			{"17:11", `task "brief-board" names role "ciso", which is not a role irbot knows`},
		},
		"gate-roles.yaml": {
			{"10:5", `gate "nobody" names no roles, so nobody could approve it`},
			{"16:12", `gate "empty-roles" names no roles`},
			{"20:18", `gate "wrong-role" names role "ceo", which is not a role irbot knows`},
		},
		"empty-phase.yaml": {
			{"9:9", `phase "assess" has no tasks and no gates`},
			{"11:9", `warning: phase "optional-only" has no required task and no gate`},
		},
		"unknown-regime.yaml": {
			{"4:20", `the regimes list names regime "eu-gpdr", which is not in the regime rules`},
			{"16:13", `task "isolate" names regime "us-hippa", which is not in the regime rules`},
		},
		"bad-cron.yaml": {
			{"5:18", `reminder_cron "0 9-25 * *" is not a valid cron schedule: expected exactly 5 fields, found 4`},
		},
		"cron-out-of-range.yaml": {
			{"5:18", `reminder_cron "0 9-25 * * 1-5" is not a valid cron schedule: end of range (25) above maximum (23)`},
		},
		"cron-never.yaml": {
			{"5:18", `reminder_cron "0 9 30 2 *" never fires`},
		},
		"bad-time-zone.yaml": {
			{"6:14", `time_zone "Europe/Berln" is not a known IANA time zone name`},
		},
		"bad-escalate-before.yaml": {
			{"6:21", `escalate_before "2d" is not a duration`},
			{"6:25", `escalate_before "0h" must be more than zero`},
			{"6:29", `escalate_before "-1h" must be more than zero`},
		},
		"bad-escalate-to.yaml": {
			{"7:28", `escalate_to names role "ciso", which is not a role irbot knows`},
		},
		"bad-version.yaml": {
			{"3:10", "the playbook version is 0, but it must be 1 or more"},
		},
		"wrong-types.yaml": {
			{"3:10", `the playbook version should be a whole number, but it is "one"`},
			{"4:10", `regimes should be a list, such as [eu-gdpr, uk-gdpr], but it is "eu-gdpr"`},
			{"8:9", `warning: phase "contain" has no required task and no gate`},
			{"11:9", `task id "Isolate Systems" should be lower-case letters, digits and single hyphens (such as isolate-systems)`},
			{"15:15", `required in task "Isolate Systems" should be true or false, but it is "maybe"`},
		},
		"many-problems.yaml": {
			{"2:1", "the playbook has no name"},
			{"2:5", `the playbook id "Data Breach" should be lower-case letters, digits and single hyphens (such as data-breach)`},
			{"3:10", "the playbook version is 0, but it must be 1 or more"},
			{"5:18", `reminder_cron "every morning" is not a valid cron schedule: expected exactly 5 fields, found 2`},
			{"6:14", `time_zone "Mars/Olympus_Mons" is not a known IANA time zone name`},
			{"7:21", `escalate_before "1 day" is not a duration`},
			{"8:17", `escalate_to names role "ceo"`},
			{"10:9", `warning: phase "contain" has no required task and no gate`},
			{"12:9", `phase id "contain" is used twice (first on line 10)`},
			{"21:5", `unknown key "requird" in task "isolate"; did you mean "required"?`},
			{"22:9", `task id "isolate" is used twice (first on line 17)`},
			{"23:12", `task "isolate" names phase "notify", which is not one of the playbook's phases (contain, assess)`},
			{"25:11", `task "isolate" names role "intern"`},
			{"27:5", `gate "approve" names no roles`},
			{"30:20", `the regimes list names regime "xx-nowhere"`},
		},
	}

	files, err := filepath.Glob("testdata/playbooks/*.yaml")
	require.NoError(t, err)
	var names []string
	for _, f := range files {
		names = append(names, filepath.Base(f))
	}
	for name := range cases {
		require.Contains(t, names, name)
	}
	for _, name := range names {
		require.Contains(t, cases, name, "every file in testdata/playbooks needs its expected problems in this table")
	}

	for name, wants := range cases {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join("testdata", "playbooks", name)
			pb, problems := LoadPlaybookFile(path, playbookTestRegimes)

			var got []string
			for _, p := range problems {
				got = append(got, p.String())
			}
			require.Len(t, problems, len(wants), "problems reported:\n%s", strings.Join(got, "\n"))

			hasError := false
			for i, w := range wants {
				p := problems[i]
				prefix := path
				if w.at != "" {
					prefix += ":" + w.at
				}
				require.True(t, strings.HasPrefix(got[i], prefix+": "), "problem %d is at the wrong place: want %s, got\n%s", i, prefix, got[i])
				require.Contains(t, got[i], w.phrase)
				require.Equal(t, w.warning(), p.Warning, got[i])
				hasError = hasError || !p.Warning
			}
			if hasError {
				require.Nil(t, pb, "a playbook with errors must not be returned for use")
			} else {
				require.NotNil(t, pb, "a playbook with only warnings is still usable")
			}
		})
	}
}

func TestValidMinimalPlaybookParsesFully(t *testing.T) {
	pb, problems := LoadPlaybookFile("testdata/playbooks/valid-minimal.yaml", playbookTestRegimes)
	require.Empty(t, problems)
	require.Equal(t, &Playbook{
		ID: "minimal", Name: "Minimal breach playbook", Version: 1,
		Regimes: []string{"eu-gdpr"},
		Clocks: ClockPolicy{
			ReminderCron: "0 9 * * 1-5", TimeZone: "Europe/Dublin",
			EscalateBefore: []string{"6h"}, EscalateTo: []string{"dpo"},
		},
		Phases: []Phase{{ID: "contain", Title: "Contain"}, {ID: "notify", Title: "Notify"}},
		Tasks:  []Task{{ID: "isolate", Phase: "contain", Title: "Isolate the systems", Role: "responder", Required: true}},
		Gates:  []Gate{{ID: "notice-approval", Phase: "notify", Title: "Approve the notice", Roles: []string{"dpo", "legal"}, TwoPerson: true}},
	}, pb)
}

func TestTimeZoneDefaultsToUTC(t *testing.T) {
	pb, problems := ParsePlaybook("tz.yaml", []byte(`
id: tz
name: TZ
version: 1
clocks: {reminder_cron: "@daily"}
phases: [{id: contain, title: Contain}]
tasks: [{id: isolate, phase: contain, title: Isolate, role: responder, required: true}]
`), nil)
	require.Empty(t, problems)
	require.Equal(t, "UTC", pb.Clocks.TimeZone, "the pinned playbook must say which zone its reminders run in")
}

func TestRegimesAreNotCheckedWithoutALookup(t *testing.T) {
	_, problems := LoadPlaybookFile("testdata/playbooks/unknown-regime.yaml", nil)
	require.Empty(t, problems)
}

func TestAnchorsAndAliasesAreAllowed(t *testing.T) {
	pb, problems := ParsePlaybook("alias.yaml", []byte(`
id: alias
name: Alias
version: 1
clocks:
  reminder_cron: "0 9 * * *"
  escalate_before: [6h]
  escalate_to: &approvers [dpo, legal]
phases: [{id: contain, title: Contain}]
gates: [{id: ok, phase: contain, title: OK, roles: *approvers}]
`), nil)
	require.Empty(t, problems)
	require.Equal(t, []string{"dpo", "legal"}, pb.Gates[0].Roles)
}

func TestYAMLSyntaxErrorsPointAtTheOffendingLine(t *testing.T) {
	for _, tc := range []struct{ yaml, at, phrase string }{
		{"id: x\nname: y\nphases:\n  - id: a\n\ttitle: b\n", ":5: ", "a tab is used for indentation"},
		{"id: x\nname: \"y\nversion: 1\n", ":2: ", "missing closing quote"},
		{"id: x\nname: y: z\nversion: 1\n", ":2: ", `put quotes around text that contains ": "`},
		{"id: x\nregimes: [a, b\nversion: 1\n", ":2: ", "not closed with ]"},
		{"id: x\nphases:\n- id: a\n  title: b\n - id: c\n", ":5: ", "does not line up"},
		{"id: x\n---\nid: y\n", ":2:1: ", "a second YAML document"},
	} {
		_, problems := ParsePlaybook("f.yaml", []byte(tc.yaml), nil)
		require.NotEmpty(t, problems, tc.yaml)
		var found bool
		for _, p := range problems {
			found = found || (strings.HasPrefix(p.String(), "f.yaml"+tc.at) && strings.Contains(p.Message, tc.phrase))
		}
		require.True(t, found, "%q: want a problem at %s saying %q, got %v", tc.yaml, tc.at, tc.phrase, problems)
	}
}

func TestLoadPlaybookFileThatCannotBeRead(t *testing.T) {
	path := filepath.Join(t.TempDir(), "missing.yaml")
	pb, problems := LoadPlaybookFile(path, nil)
	require.Nil(t, pb)
	require.Equal(t, []Problem{{File: path, Message: "cannot read the playbook file: no such file"}}, problems)
	require.Equal(t, path+": cannot read the playbook file: no such file", problems[0].String())
}

func TestValidatePlaybookFilesReportsEveryFile(t *testing.T) {
	dir := t.TempDir()
	copyFile := func(name, to string) string {
		data, err := os.ReadFile(filepath.Join("testdata", "playbooks", name))
		require.NoError(t, err)
		p := filepath.Join(dir, to)
		require.NoError(t, os.WriteFile(p, data, 0o600))
		return p
	}
	a := copyFile("valid-minimal.yaml", "a.yaml")
	b := copyFile("valid-minimal.yaml", "b.yaml")
	bad := copyFile("bad-version.yaml", "bad.yaml")
	missing := filepath.Join(dir, "missing.yaml")

	problems := ValidatePlaybookFiles([]string{a, bad, b, missing}, playbookTestRegimes)
	var got []string
	for _, p := range problems {
		got = append(got, p.String())
	}
	require.Equal(t, []string{
		bad + ":3:10: the playbook version is 0, but it must be 1 or more",
		b + `: playbook id "minimal" is also used by ` + a + "; each playbook needs its own id",
		missing + ": cannot read the playbook file: no such file",
	}, got)

	require.Empty(t, ValidatePlaybookFiles([]string{a, "data-breach.yaml"}, playbookTestRegimes))
}

func TestProblemString(t *testing.T) {
	require.Equal(t, "f.yaml:12:5: bad", Problem{File: "f.yaml", Line: 12, Column: 5, Message: "bad"}.String())
	require.Equal(t, "f.yaml:12: bad", Problem{File: "f.yaml", Line: 12, Message: "bad"}.String())
	require.Equal(t, "f.yaml: bad", Problem{File: "f.yaml", Message: "bad"}.String())
	require.Equal(t, "f.yaml:1:2: warning: meh", Problem{File: "f.yaml", Line: 1, Column: 2, Message: "meh", Warning: true}.String())
}

// FuzzParsePlaybook checks that no file, however malformed, makes the parser
// panic (the validator and the server read files people write), that every
// problem says where it is, and that anything accepted survives the JSON
// round trip into a workflow input.
func FuzzParsePlaybook(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/playbooks/*.yaml")
	seeds = append(seeds, "data-breach.yaml")
	for _, s := range seeds {
		data, err := os.ReadFile(s)
		require.NoError(f, err)
		f.Add(data)
	}
	f.Add([]byte("a: &a [*a]\n"))
	f.Add([]byte("<<: {id: x}\n"))
	f.Add([]byte("? [a]\n: b\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		pb, problems := ParsePlaybook("fuzz.yaml", data, playbookTestRegimes)
		if pb == nil {
			require.NotEmpty(t, problems, "a rejected playbook must say why")
		}
		for _, p := range problems {
			require.Equal(t, "fuzz.yaml", p.File)
			require.NotEmpty(t, p.Message)
			whole := p.Line == 0 && p.Column == 0
			require.True(t, p.Line >= 1 || whole, "problem without a usable position: %#v", p)
			require.GreaterOrEqual(t, p.Column, 0)
		}
		if pb == nil {
			return
		}
		js, err := json.Marshal(pb)
		require.NoError(t, err)
		var back Playbook
		require.NoError(t, json.Unmarshal(js, &back))
		require.Equal(t, pb, &back, fmt.Sprintf("JSON round trip changed the playbook: %s", js))
	})
}

// TestUpdateCadenceByPlaybookWithDefaults: a playbook may set the
// status-update cadence per severity and when an unowned incident is
// pointed out; what it leaves out keeps the defaults; a typo or a duration
// that is not one is reported where it is.
func TestUpdateCadenceByPlaybookWithDefaults(t *testing.T) {
	base := `
id: cadence
name: Cadence
version: 1
clocks: {reminder_cron: "@daily"}
phases: [{id: contain, title: Contain}]
tasks: [{id: isolate, phase: contain, title: Isolate, role: responder, required: true}]
`
	pb, problems := ParsePlaybook("c.yaml", []byte(base+"updates: {cadence: {critical: 15m, low: 48h}, unowned_after: 10m}\n"), nil)
	require.Empty(t, problems)
	require.Equal(t, 15*time.Minute, pb.UpdateCadence("critical"))
	require.Equal(t, time.Hour, pb.UpdateCadence("high"), "a severity left out keeps its default")
	require.Equal(t, 48*time.Hour, pb.UpdateCadence("low"))
	require.Equal(t, 10*time.Minute, pb.UnownedAfter())
	require.Zero(t, pb.UpdateCadence(""), "no severity, no cadence")

	pb, problems = ParsePlaybook("c.yaml", []byte(base), nil)
	require.Empty(t, problems)
	require.Nil(t, pb.Updates)
	require.Equal(t, 4*time.Hour, pb.UpdateCadence("medium"))
	require.Equal(t, DefaultUnownedAfter, pb.UnownedAfter())
	raw, err := json.Marshal(pb)
	require.NoError(t, err)
	require.NotContains(t, string(raw), "updates", "a playbook without updates pins the same JSON as before")

	_, problems = ParsePlaybook("c.yaml", []byte(base+"updates: {cadence: {critcal: 15m, high: soon}, unowned_after: 10s}\n"), nil)
	var msgs []string
	for _, p := range problems {
		msgs = append(msgs, p.String())
	}
	all := strings.Join(msgs, "\n")
	require.Contains(t, all, `unknown key "critcal"`)
	require.Contains(t, all, `did you mean "critical"?`)
	require.Contains(t, all, `cadence high "soon" is not a duration`)
	require.Contains(t, all, `unowned_after "10s" is too short`)
}

// Compliance is read-only (policy.ReadOnly): a playbook that gives it a task
// or a gate would leave work nobody may do, so validate names the line.
func TestReadOnlyRoleOwnsNoTaskAndApprovesNoGate(t *testing.T) {
	_, problems := ParsePlaybook("ro.yaml", []byte(`id: ro
name: RO
version: 1
phases: [{id: contain, title: Contain}]
tasks: [{id: log, phase: contain, title: Log it, role: compliance, required: true}]
gates:
  - {id: ok, phase: contain, title: OK, roles: [commander, compliance]}
clocks:
  reminder_cron: "@daily"
  escalate_to: [compliance]
`), nil)
	require.Len(t, problems, 2, "%v", problems)
	require.Equal(t, 5, problems[0].Line, "the task's line")
	require.Contains(t, problems[0].Message, `role "compliance", which is read-only`)
	require.Equal(t, 7, problems[1].Line, "the gate's line")
	require.Contains(t, problems[1].Message, "read-only")
}

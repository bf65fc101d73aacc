package playbooks_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/irbot/irbot/playbooks"
	"github.com/irbot/irbot/workflows"
)

func factCheck(name string, raw json.RawMessage) error {
	_, err := workflows.NormalizeFact(name, raw)
	return err
}

// Every shipped scenario validates with the real rule set and fact rules,
// the way `irbot playbook validate` checks it.
func TestShippedScenariosValidate(t *testing.T) {
	rules := playbooks.MustRules()
	files, err := filepath.Glob("scenarios/*.yaml")
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(files), 4, "the four required scenario packages ship")
	problems := playbooks.ValidateFiles(files, rules.Has, factCheck)
	require.Empty(t, problems, "a shipped scenario has problems")
	ids := map[string]bool{}
	gdpr := false
	for _, sc := range playbooks.EmbeddedScenarios() {
		ids[sc.ID] = true
		require.NotEmpty(t, sc.Objectives, sc.ID)
		require.NotEmpty(t, sc.Expected, sc.ID)
		require.NotEmpty(t, sc.Injects(), sc.ID)
		require.NotEmpty(t, sc.Questions(), sc.ID)
		for _, r := range sc.Regimes {
			gdpr = gdpr || r == "eu-gdpr"
		}
	}
	for _, id := range []string{"ransomware-exfiltration", "misdirected-email", "credential-stuffing", "processor-breach"} {
		require.True(t, ids[id], "scenario %s ships", id)
	}
	require.True(t, gdpr)
}

func TestScenarioProblemsNameFileAndLine(t *testing.T) {
	src := `id: Bad Id
title: t
regimes: [eu-gdpr, xx-nowhere]
duration: 10h
facts:
  subjects_count: many
objectives:
  - id: o1
    title: t
    phases: [contain, nowhere]
modules:
  - id: m1
    title: m
    text: x
    injects:
      - id: i1
        at: 12h
        text: late
      - id: i1
        at: soon
        text: dup
    questions:
      - id: q1
        text: q
        choices: [a, b]
        expected: c
expected:
  - id: e1
    objective: o2
    task: no-such-task
    by: 2h
  - id: e2
    objective: o1
    task: isolate
    gate: risk-assessment
    by: 2h
`
	sc, problems := playbooks.ParseScenario("s.yaml", []byte(src), playbooks.MustRules().Has, factCheck)
	require.Nil(t, sc)
	var lines []string
	for _, p := range problems {
		lines = append(lines, p.String())
	}
	all := strings.Join(lines, "\n")
	for _, want := range []string{
		`s.yaml:1:5: scenario id "Bad Id" should be lower-case`,
		`s.yaml:3:20: the scenario names regime "xx-nowhere"`,
		`s.yaml:6:19: fact "subjects_count"`,
		`s.yaml:10:23: objective "o1" names phase "nowhere"`,
		`s.yaml:17:13: inject "i1" comes at T+12h, after the drill ends (T+10h)`,
		`s.yaml:19:13: inject id "i1" is used twice (first on line 16)`,
		`s.yaml:20:13: at in inject "i1" "soon" is not a scenario time`,
		`s.yaml:26:19: the expected answer "c" of question "q1" is not one of its choices (a, b)`,
		`s.yaml:29:16: expected action "e1" names objective "o2"`,
		`s.yaml:30:11: expected action "e1" names task "no-such-task"`,
		`s.yaml:32:5: expected action "e2" needs exactly one of task, gate, notify or fact`,
	} {
		require.Contains(t, all, want)
	}
}

// Hostile inputs never panic and always explain themselves.
func TestScenarioHostileInputs(t *testing.T) {
	for name, src := range map[string]string{
		"empty":     "",
		"nul":       "id: a\x00b\n",
		"list":      "- a\n- b\n",
		"scalar":    "hello",
		"alias":     "a: &x [*x]\n",
		"cjk":       "id: 演習\ntitle: 演習\n",
		"huge":      strings.Repeat("x", playbooks.MaxScenarioFileSize+1),
		"deep":      strings.Repeat("[", 5000),
		"two docs":  "id: a\n---\nid: b\n",
		"bad times": "id: a\ntitle: b\nregimes: [eu-gdpr]\nduration: -5h\nobjectives: []\nmodules: []\n",
	} {
		sc, problems := playbooks.ParseScenario("f.yaml", []byte(src), nil, nil)
		require.Nil(t, sc, name)
		require.NotEmpty(t, problems, name)
	}
}

func FuzzParseScenario(f *testing.F) {
	for _, p := range []string{"scenarios/misdirected-email.yaml", "scenarios/processor-breach.yaml"} {
		b, err := os.ReadFile(p)
		require.NoError(f, err)
		f.Add(b)
	}
	f.Add([]byte("id: x\nmodules: [{id: a, injects: [{at: 1h}]}]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		sc, problems := playbooks.ParseScenario("f.yaml", data, nil, nil)
		if sc == nil && len(problems) == 0 {
			t.Fatal("a refused scenario must say why")
		}
		if sc != nil {
			_ = sc.Clone()
		}
	})
}

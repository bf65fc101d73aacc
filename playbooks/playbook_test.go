package playbooks

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
)

// playbookTestRegimes stands in for the regime rule set, so these tests do not depend
// on the rule files' loader.
func playbookTestRegimes(id string) bool {
	return slices.Contains([]string{
		"eu-gdpr", "uk-gdpr", "eu-nis2", "eu-dora", "us-hipaa", "us-sec-8k", "us-ny-dfs",
		"us-ca", "us-ny", "us-tx", "us-co", "us-fl", "us-wa", "br-lgpd", "sg-pdpa",
		"au-ndb", "ca-pipeda", "jp-appi",
	}, id)
}

func TestEmbeddedDataBreachPlaybookHasNoProblems(t *testing.T) {
	data, err := embeddedPlaybookFiles.ReadFile("data-breach.yaml")
	require.NoError(t, err)
	pb, problems := ParsePlaybook("data-breach.yaml", data, playbookTestRegimes)
	require.Empty(t, problems, "the default playbook shipped in the binary must validate cleanly, or every new incident starts from a broken plan")
	require.NotNil(t, pb)
	require.Equal(t, pb, DefaultPlaybook())
}

func TestDefaultPlaybookIsAPersonalDataBreachResponse(t *testing.T) {
	pb := DefaultPlaybook()
	require.Equal(t, "data-breach", pb.ID)
	require.Equal(t, 2, pb.Version)
	require.Equal(t, []string{"eu-gdpr"}, pb.Regimes)
	require.Equal(t, ClockPolicy{
		ReminderCron:   "0 9-17/4 * * 1-5",
		TimeZone:       "UTC",
		EscalateBefore: []string{"24h", "6h", "1h"},
		EscalateTo:     []string{"commander", "dpo", "legal"},
	}, pb.Clocks)

	var phases []string
	for _, ph := range pb.Phases {
		phases = append(phases, ph.ID)
	}
	require.Equal(t, []string{"contain", "assess", "notify-regulators", "notify-customers", "remediate", "review"}, phases)
	for _, ph := range pb.Phases {
		required := slices.ContainsFunc(pb.PhaseTasks(ph.ID), func(t Task) bool { return t.Required })
		require.True(t, required, "phase %q has no required task, so it could end with nothing done", ph.ID)
	}

	gates := map[string]Gate{}
	for _, g := range pb.Gates {
		gates[g.ID] = g
	}
	require.Equal(t, Gate{ID: "risk-assessment", Phase: "assess", Title: gates["risk-assessment"].Title, Roles: []string{"dpo", "legal"}}, gates["risk-assessment"])
	require.Equal(t, "notify-regulators", gates["regulator-notice-approval"].Phase)
	require.True(t, gates["regulator-notice-approval"].TwoPerson, "the regulator notice must need two approvers")
	require.Equal(t, []string{"dpo", "legal"}, gates["regulator-notice-approval"].Roles)
	require.Equal(t, "notify-customers", gates["customer-notice-approval"].Phase)
	require.Equal(t, []string{"commander", "dpo"}, gates["close-review"].Roles, "compliance is read-only: it approves no gate")
	require.Equal(t, "review", gates["close-review"].Phase)
}

func TestDefaultPlaybookReturnsAnIndependentCopy(t *testing.T) {
	a := DefaultPlaybook()
	a.Tasks[0].Title = "changed"
	a.Gates[0].Roles[0] = "admin"
	a.Clocks.EscalateTo[0] = "admin"
	a.Regimes = append(a.Regimes[:0], "us-ca")

	b := DefaultPlaybook()
	require.NotEqual(t, "changed", b.Tasks[0].Title, "one incident changing its playbook must not change the default for the next")
	require.Equal(t, "dpo", b.Gates[0].Roles[0])
	require.Equal(t, "commander", b.Clocks.EscalateTo[0])
	require.Equal(t, []string{"eu-gdpr"}, b.Regimes)
}

func TestEmbeddedPlaybookByID(t *testing.T) {
	pb, ok := EmbeddedPlaybook("data-breach")
	require.True(t, ok)
	require.Equal(t, "data-breach", pb.ID)

	_, ok = EmbeddedPlaybook("no-such-playbook")
	require.False(t, ok)
}

func TestPlaybookLookups(t *testing.T) {
	pb := DefaultPlaybook()

	task, ok := pb.Task("isolate")
	require.True(t, ok)
	require.Equal(t, "contain", task.Phase)
	_, ok = pb.Task("nope")
	require.False(t, ok)

	gate, ok := pb.Gate("regulator-notice-approval")
	require.True(t, ok)
	require.True(t, gate.TwoPerson)
	_, ok = pb.Gate("nope")
	require.False(t, ok)

	require.Equal(t, 0, pb.PhaseIndex("contain"))
	require.Equal(t, 5, pb.PhaseIndex("review"))
	require.Equal(t, -1, pb.PhaseIndex("nope"))
}

func TestValidRole(t *testing.T) {
	for _, r := range []string{"responder", "commander", "dpo", "legal", "manager", "compliance", "admin"} {
		require.True(t, ValidRole(r), r)
	}
	for _, r := range []string{"", "ciso", "DPO", "Admin"} {
		require.False(t, ValidRole(r), r)
	}
}

// fullPlaybook sets every field, so a JSON round trip exercises all of them.
func fullPlaybook() *Playbook {
	return &Playbook{
		ID: "full", Name: "Full", Version: 3, Description: "every field set",
		Regimes: []string{"eu-gdpr", "us-ca"},
		Clocks: ClockPolicy{
			ReminderCron: "*/30 * * * *", TimeZone: "Europe/Dublin",
			EscalateBefore: []string{"48h", "90m"}, EscalateTo: []string{"dpo"},
		},
		Phases: []Phase{{ID: "contain", Title: "Contain", Description: "stop it"}},
		Tasks: []Task{
			{ID: "isolate", Phase: "contain", Title: "Isolate", Role: "responder", Required: true, Regime: "eu-gdpr", Help: "quickly"},
			{ID: "optional", Phase: "contain", Title: "Optional", Role: "legal"},
		},
		Gates: []Gate{{ID: "ok", Phase: "contain", Title: "OK", Roles: []string{"dpo", "legal"}, TwoPerson: true}},
	}
}

func TestPlaybookSurvivesTheWorkflowInputJSONRoundTrip(t *testing.T) {
	for name, pb := range map[string]*Playbook{
		"default": DefaultPlaybook(),
		"full":    fullPlaybook(),
		"minimal": {ID: "x", Name: "X", Version: 1},
	} {
		t.Run(name, func(t *testing.T) {
			data, err := json.Marshal(pb)
			require.NoError(t, err)
			var back Playbook
			require.NoError(t, json.Unmarshal(data, &back))
			require.Equal(t, pb, &back, "a playbook pinned into a workflow input must come back exactly as it went in")
		})
	}
}

// Workflow histories hold playbooks as JSON: renaming a field's JSON name
// would make running incidents lose it on replay.
func TestPlaybookJSONNamesAreStable(t *testing.T) {
	data, err := json.Marshal(fullPlaybook())
	require.NoError(t, err)
	require.JSONEq(t, `{
		"id": "full", "name": "Full", "version": 3, "description": "every field set",
		"regimes": ["eu-gdpr", "us-ca"],
		"clocks": {"reminder_cron": "*/30 * * * *", "time_zone": "Europe/Dublin",
		           "escalate_before": ["48h", "90m"], "escalate_to": ["dpo"]},
		"phases": [{"id": "contain", "title": "Contain", "description": "stop it"}],
		"tasks": [
			{"id": "isolate", "phase": "contain", "title": "Isolate", "role": "responder", "required": true, "regime": "eu-gdpr", "help": "quickly"},
			{"id": "optional", "phase": "contain", "title": "Optional", "role": "legal", "required": false}
		],
		"gates": [{"id": "ok", "phase": "contain", "title": "OK", "roles": ["dpo", "legal"], "two_person": true}]
	}`, string(data))
}

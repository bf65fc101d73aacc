package workflows_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/irbot/irbot/workflows"
)

// offersState is an incident in its assess phase with one task each for the
// responder and compliance, a dpo gate, a two-person gate, a regulator clock
// and two notices (one drafted by the dpo, one already approved).
func offersState() workflows.IncidentState {
	return workflows.IncidentState{
		ID: "INC-2026-0001", Status: workflows.StatusOpen, Phase: "assess", Mode: workflows.ModeLive,
		DeclaredBy: workflows.Actor{ID: "U-DECL", Roles: []string{"legal"}},
		Phases:     []workflows.PhaseState{{ID: "contain"}, {ID: "assess"}, {ID: "review"}},
		Tasks: []workflows.TaskState{
			{ID: "isolate", Phase: "contain", Role: "responder"},
			{ID: "scope", Phase: "assess", Role: "responder", Done: true, DoneBy: "U-R"},
			{ID: "update-register", Phase: "review", Role: "compliance"},
			{ID: "log", Phase: "assess", Role: "compliance"},
		},
		Gates: []workflows.GateState{
			{ID: "risk-assessment", Phase: "assess", Roles: []string{"dpo", "legal"}},
			{ID: "two", Phase: "assess", Roles: []string{"legal"}, TwoPerson: true},
		},
		Roles:  []workflows.RoleAssignment{{Role: "commander", User: "U-CMD"}},
		Clocks: []workflows.ClockState{{Regime: "eu-gdpr", Obligation: "supervisory-authority", Recipient: "authority"}, {Regime: "x", Obligation: "internal", Recipient: "internal"}},
		Notices: []workflows.NoticeSummary{
			{ID: "N1", Recipient: "authority", Status: workflows.NoticeDraft, DraftedBy: "U-DPO"},
			{ID: "N2", Recipient: "authority", Status: workflows.NoticeApproved, DraftedBy: "U-DPO"},
		},
	}
}

func TestOffersFollowTheValidatorsRoleRules(t *testing.T) {
	st := offersState()
	for _, tc := range []struct {
		name  string
		actor workflows.Actor
		want  workflows.Offers
	}{
		{"responder completes own tasks and sets facts, drafts nothing", workflows.Actor{ID: "U-R", Roles: []string{"responder"}},
			workflows.Offers{Tasks: []string{"isolate"}, SetFact: true, Note: true}},
		{"compliance is read-only: not even a task the playbook gives it, nor a note", workflows.Actor{ID: "U-C", Roles: []string{"compliance"}},
			workflows.Offers{}},
		{"a dpo who is also compliance acts as dpo only", workflows.Actor{ID: "U-DC", Roles: []string{"compliance", "dpo"}},
			workflows.Offers{Gates: []string{"risk-assessment"}, SetFact: true, Note: true, CreateNotice: true,
				Notices: map[string][]string{"N1": {workflows.NoticeApprove, workflows.NoticeReject}, "N2": {workflows.NoticeSend, workflows.NoticeReject}}}},
		{"the drafting dpo cannot approve their own notice but may reject it and send the approved one", workflows.Actor{ID: "U-DPO", Roles: []string{"dpo"}},
			workflows.Offers{Gates: []string{"risk-assessment"}, SetFact: true, Note: true, CreateNotice: true,
				Notices: map[string][]string{"N1": {workflows.NoticeReject}, "N2": {workflows.NoticeSend, workflows.NoticeReject}}}},
		{"the declarer cannot approve a two-person gate", workflows.Actor{ID: "U-DECL", Roles: []string{"legal"}},
			workflows.Offers{Gates: []string{"risk-assessment"}, SetFact: true, Note: true, CreateNotice: true,
				Notices: map[string][]string{"N1": {workflows.NoticeApprove, workflows.NoticeReject}, "N2": {workflows.NoticeSend, workflows.NoticeReject}}}},
		{"a commander assigned in the incident steers every open task", workflows.Actor{ID: "U-CMD", Roles: []string{"manager"}},
			workflows.Offers{Tasks: []string{"isolate", "log"}, SetFact: true, Note: true, CreateNotice: true,
				Notices: map[string][]string{"N2": {workflows.NoticeSend}}}},
		{"no role, nothing", workflows.Actor{ID: "U-X"}, workflows.Offers{}},
		{"no identity, nothing", workflows.Actor{Roles: []string{"admin"}}, workflows.Offers{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want, workflows.OffersFor(st, tc.actor, nil))
		})
	}

	st.Status = workflows.StatusClosed
	o := workflows.OffersFor(st, workflows.Actor{ID: "U-A", Roles: []string{"admin"}}, nil)
	require.False(t, o.Any(), "a closed incident offers nothing, even to an admin")

	st = offersState()
	fresh := []workflows.NoticeSummary{{ID: "N1", Recipient: "authority", Status: workflows.NoticeSent, DraftedBy: "U-DPO"}}
	o = workflows.OffersFor(st, workflows.Actor{ID: "U-L", Roles: []string{"legal"}}, fresh)
	require.Empty(t, o.Notices, "offers follow the notices' latest state: a sent notice offers nothing")
	fresh[0].Status, fresh[0].Missing = workflows.NoticeDraft, []string{"measures"}
	o = workflows.OffersFor(st, workflows.Actor{ID: "U-L", Roles: []string{"legal"}}, fresh)
	require.Equal(t, map[string][]string{"N1": {workflows.NoticeReject}}, o.Notices, "a draft missing content cannot be approved yet")
}

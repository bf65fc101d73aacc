package policy

import (
	"path/filepath"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/irbot/irbot/internal/docsync"
)

// The matrix: every role against every action, written out so a change to
// the table shows up here as a deliberate edit. Anything unlisted is denied.
func TestRBACMatrixDeniesByDefault(t *testing.T) {
	want := map[string][]string{
		"complete_task":        {Commander, Admin},
		"assign_role":          {Commander, Manager, Admin},
		"set_severity":         {Responder, Commander, Manager, Admin},
		"set_fact":             {Responder, Commander, DPO, Legal, Admin},
		"note":                 {Responder, Commander, DPO, Legal, Manager, Admin, Recorder},
		"approve":              {},
		"record_notification":  {Commander, DPO, Legal, Admin},
		"decide_not_to_notify": {DPO, Legal, Admin},
		"snooze_clock":         {Commander, DPO, Legal, Admin},
		"delay_clock":          {Commander, DPO, Legal, Admin},
		"create_notice":        {Commander, DPO, Legal, Admin},
		"close":                {Commander, Admin},
		"add_reference":        {Commander, DPO, Legal, Admin},
		"dance":                {},
		"":                     {},
	}
	for action, allowed := range want {
		for _, role := range append(slices.Clone(Roles), Recorder) {
			require.Equal(t, slices.Contains(allowed, role), Allowed(action, []string{role}), "%s × %s", role, action)
		}
		require.False(t, Allowed(action, nil), "no roles may not %s", action)
	}
	for action := range Actions {
		require.Contains(t, want, action, "every action in the table is in the matrix")
	}
	require.False(t, Allowed("snooze_clock", []string{Compliance}), "compliance cannot snooze a regulatory clock")
}

// Compliance is read-only: it may act under no action, whatever list names
// it (a task's role, a gate's roles), and holding it beside an acting role
// takes nothing away from that role. Reading stays its own.
func TestComplianceIsReadOnly(t *testing.T) {
	for action := range Actions {
		require.False(t, Allowed(action, []string{Compliance}), "compliance may not %s", action)
	}
	require.False(t, MayActAs([]string{Compliance}, []string{Compliance}), "a task or gate naming compliance gives compliance nothing to do")
	require.False(t, MayActAs([]string{Compliance, Compliance}, Roles), "duplicates change nothing")
	require.True(t, MayActAs([]string{Compliance, DPO}, []string{DPO}), "a dpo who is also compliance still acts as dpo")
	require.True(t, Allowed("note", []string{Compliance, Responder}))
	require.Empty(t, Acting([]string{Compliance}))
	require.Equal(t, []string{DPO}, Acting([]string{Compliance, DPO}))
	require.True(t, HoldsAny([]string{Compliance}, RegisterReaders), "compliance reads the registers")
	require.True(t, MayOnRecord(SignCheckpoint, []string{Compliance}), "and may have a checkpoint signed")
	require.True(t, MayDecodePayloads([]string{Compliance}))
	in := []string{Compliance, DPO}
	_ = Acting(in)
	require.Equal(t, []string{Compliance, DPO}, in, "Acting does not change its argument")
}

// Roles cannot be gained through an incident: admin is never given, org
// roles only to who holds them, and an assignment of anything but commander
// or responder confers nothing.
func TestRolesCannotBeEscalated(t *testing.T) {
	require.ErrorContains(t, CanAssign(Admin, []string{Admin}), "admin cannot be given")
	require.ErrorContains(t, CanAssign(DPO, []string{Commander}), "only be given to someone who holds it")
	require.ErrorContains(t, CanAssign(Legal, []string{Responder}), "only be given")
	require.ErrorContains(t, CanAssign("wizard", nil), "unknown role")
	require.NoError(t, CanAssign(DPO, []string{DPO}))
	require.NoError(t, CanAssign(Commander, nil))
	require.NoError(t, CanAssign(Responder, []string{Compliance}))

	require.Equal(t, []string{Manager, Commander}, Effective([]string{Manager}, []string{Admin, Commander, DPO}))
	require.Equal(t, []string{Responder}, Effective([]string{Responder}, []string{Legal, Responder}))
}

// Checkpoints and tombstones are the record's: whoever reads the registers
// reads them and may have a checkpoint signed; nobody else, and no unknown
// record action.
func TestRecordActionsAreForRecordReaders(t *testing.T) {
	for _, action := range []string{ReadCheckpoints, SignCheckpoint, ReadTombstones} {
		for _, r := range Roles {
			require.Equal(t, r != Responder, MayOnRecord(action, []string{r}), "%s × %s", r, action)
		}
		require.False(t, MayOnRecord(action, nil), "no roles may not %s", action)
		require.False(t, MayOnRecord(action, []string{"Compliance"}), "a role spelled differently is not the role")
	}
	require.False(t, MayOnRecord("purge_incident", []string{Admin}), "an action not in the table is denied")
	require.False(t, MayOnRecord("", []string{Admin}))
}

func TestOnlyComplianceAndAdminDecodePayloads(t *testing.T) {
	for _, r := range Roles {
		want := r == Compliance || r == Admin
		if got := MayDecodePayloads([]string{r}); got != want {
			t.Errorf("MayDecodePayloads(%s) = %v, want %v", r, got, want)
		}
	}
	if MayDecodePayloads(nil) || MayDecodePayloads([]string{"Admin", ""}) {
		t.Error("no roles, or a role spelled differently, decodes nothing")
	}
}

// The README's role table is MarkdownTable, so "who may do X?" has one
// answer (IRBOT_UPDATE_README=1 go test ./internal/policy rewrites it).
func TestReadmeRoleTableIsThePolicy(t *testing.T) {
	want := MarkdownTable()
	docsync.Check(t, filepath.Join("..", "..", "README.md"), "roles", want, "go test ./internal/policy")
	for a := range Actions {
		require.Contains(t, want, "| `"+a+"` |", "every action has a row")
	}
	for a := range actionNotes {
		require.Contains(t, Actions, a, "a note for an action that does not exist")
	}
}

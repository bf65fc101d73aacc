package workflows

import (
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/irbot/irbot/internal/docsync"
	"github.com/irbot/irbot/internal/policy"
)

// TestEveryIncidentActionIsOneEntry: each Update an incident accepts has one
// entry in the action table (its own action_<name>.go) with what it does, its
// check and its effect; its roles are internal/policy's, and the two lists
// name the same actions.
func TestEveryIncidentActionIsOneEntry(t *testing.T) {
	want := append(slices.Clone(ActionTypes), ActionCreateNotice)
	require.ElementsMatch(t, want, slices.Collect(maps.Keys(incidentActions)), "ActionTypes (plus create_notice) and the table")
	require.ElementsMatch(t, want, slices.Collect(maps.Keys(policy.Actions)), "the table and the policy's roles per action")
	for name, a := range incidentActions {
		require.Equal(t, name, a.name)
		require.NotEmpty(t, a.describe, name)
		require.NotNil(t, a.validate, name)
		require.NotNil(t, a.apply, name)
		require.Equal(t, a.describe, DescribeAction(name))
	}
	require.Empty(t, DescribeAction("dance"))
}

// TestReadmeActionListIsTheTable: the README lists every incident action
// with what it does, from the table (IRBOT_UPDATE_README=1 rewrites it).
func TestReadmeActionListIsTheTable(t *testing.T) {
	var sb strings.Builder
	sb.WriteString("| action | what it does |\n|---|---|\n")
	for _, name := range append(slices.Clone(ActionTypes), ActionCreateNotice) {
		fmt.Fprintf(&sb, "| `%s` | %s |\n", name, DescribeAction(name))
	}
	docsync.Check(t, filepath.Join("..", "README.md"), "incident-actions", sb.String(), "go test ./workflows -run TestReadmeActionList")
}

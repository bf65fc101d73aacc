package workflows_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/irbot/irbot/workflows"
)

// TestReplayRecordedHistories replays histories recorded from the real
// server (cmd/irbot's end-to-end test with IRBOT_WRITE_HISTORIES=1). A change
// to workflow code that would break running incidents fails here: put it
// behind workflow.GetVersion.
func TestReplayRecordedHistories(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "histories", "*.json"))
	require.NoError(t, err)
	require.NotEmpty(t, files, "recorded histories must be checked in")
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			r := worker.NewWorkflowReplayer()
			r.RegisterWorkflowWithOptions(workflows.IncidentWorkflow, workflow.RegisterOptions{Name: workflows.IncidentWorkflowName})
			r.RegisterWorkflowWithOptions(workflows.ClockWorkflow, workflow.RegisterOptions{Name: workflows.ClockWorkflowName})
			r.RegisterWorkflowWithOptions(workflows.NoticeWorkflow, workflow.RegisterOptions{Name: workflows.NoticeWorkflowName})
			r.RegisterWorkflowWithOptions(workflows.CampaignWorkflow, workflow.RegisterOptions{Name: workflows.CampaignWorkflowName})
			_, err := os.Stat(f)
			require.NoError(t, err)
			require.NoError(t, r.ReplayWorkflowHistoryFromJSONFile(nil, f), "replaying %s", f)
		})
	}
}

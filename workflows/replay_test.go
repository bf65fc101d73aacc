package workflows_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/worker"

	"github.com/irbot/irbot/internal/keyring"
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
			// With the production data converter: histories recorded before
			// payloads were encrypted must still decode through the codec.
			ring, err := keyring.Load(keyring.Source{DataDir: t.TempDir()})
			require.NoError(t, err)
			dc := keyring.DataConverter(ring)
			r, err := worker.NewWorkflowReplayerWithOptions(worker.WorkflowReplayerOptions{
				DataConverter:    dc,
				FailureConverter: temporal.NewDefaultFailureConverter(temporal.DefaultFailureConverterOptions{DataConverter: dc, EncodeCommonAttributes: true}),
			})
			require.NoError(t, err)
			workflows.Register(r)
			_, err = os.Stat(f)
			require.NoError(t, err)
			require.NoError(t, r.ReplayWorkflowHistoryFromJSONFile(nil, f), "replaying %s", f)
		})
	}
}

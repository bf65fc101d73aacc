package main

import (
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/client"

	"github.com/irbot/irbot/internal/schedule"
	"github.com/irbot/irbot/workflows"
)

// TestDigestScheduleRunsFromItsCron: serve creates the digest as a Temporal
// Schedule from IRBOT_DIGEST_CRON; triggering it runs the digest over the
// open incidents' clocks.
func TestDigestScheduleRunsFromItsCron(t *testing.T) {
	m := startMain(t, filepath.Join(t.TempDir(), "data"))
	t.Cleanup(func() { _ = m.Close() })
	c := apiClient{t: t, base: "http://" + m.Addr()}
	code, _ := c.do("POST", "/api/v1/incidents", responderToken, map[string]any{"title": "Exposed bucket", "regimes": []string{"eu-gdpr"}})
	require.Equal(t, http.StatusCreated, code)

	h := m.client.ScheduleClient().GetHandle(t.Context(), schedule.DigestScheduleID)
	desc, err := h.Describe(t.Context())
	require.NoError(t, err, "serve must create the digest schedule")
	require.NotEmpty(t, desc.Info.NextActionTimes, "the schedule has upcoming runs from its cron")

	require.NoError(t, h.Trigger(t.Context(), client.ScheduleTriggerOptions{}))
	var runID string
	require.Eventually(t, func() bool {
		d, err := h.Describe(t.Context())
		if err != nil || len(d.Info.RecentActions) == 0 {
			return false
		}
		runID = d.Info.RecentActions[0].StartWorkflowResult.WorkflowID
		return runID != ""
	}, 20*time.Second, 100*time.Millisecond)
	var res workflows.DigestResult
	require.NoError(t, m.client.GetWorkflow(t.Context(), runID, "").Get(t.Context(), &res))
	require.Equal(t, 1, res.Incidents)
	require.GreaterOrEqual(t, res.Open, 1, "the GDPR supervisory-authority clock is open")
	writeHistory(t, m, runID, "digest-run")
}

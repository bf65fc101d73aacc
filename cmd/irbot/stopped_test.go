package main

import (
	"net/http"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestActionOnAnIncidentWhoseWorkflowStoppedSaysSoNotClosed: an incident
// whose workflow was ended without completing (terminated here; failed in
// the cluster when a replica could not open its payloads) is not "closed":
// an action says its workflow's status instead of a 409 that sends people
// to open a new incident.
func TestActionOnAnIncidentWhoseWorkflowStoppedSaysSoNotClosed(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("starts the whole stack")
	}
	m := startMain(t, filepath.Join(t.TempDir(), "data"))
	c := apiClient{t: t, base: "http://" + m.Addr()}
	code, inc := c.do("POST", "/api/v1/incidents", adminToken, map[string]any{"title": "Stopped by hand", "regimes": []string{"eu-gdpr"}})
	require.Equal(t, http.StatusCreated, code, "%v", inc)
	id := inc["id"].(string)
	require.NoError(t, m.client.TerminateWorkflow(t.Context(), "incident/"+id, "", "test: ended by hand"))

	code, out := c.do("POST", "/api/v1/incidents/"+id+"/actions", adminToken, map[string]any{"type": "note", "text": "after the stop"})
	require.Equal(t, http.StatusInternalServerError, code, "%v", out)
	require.NotContains(t, out["error"], "is closed")
	require.Contains(t, out["error"], "internal error (ref ", "the reason, with the status, is in the log under that ref")
}

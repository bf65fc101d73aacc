package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
	commonpb "go.temporal.io/api/common/v1"
	"go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/proxy"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/irbot/irbot/internal/keyring"
)

// writeHistory saves a workflow's history as JSON for the replay test in
// workflows/, when IRBOT_WRITE_HISTORIES=1. Regenerate them after a change
// that is meant to change histories (behind workflow.GetVersion).
func writeHistory(t *testing.T, m *Main, workflowID, name string) {
	t.Helper()
	writeHistoryRun(t, m, workflowID, "", name)
}

// writeHistoryRun is writeHistory for one run of a workflow ("" is the
// current one), e.g. the first run of one that continued as new.
func writeHistoryRun(t *testing.T, m *Main, workflowID, runID, name string) {
	t.Helper()
	if os.Getenv("IRBOT_WRITE_HISTORIES") != "1" {
		return
	}
	iter := m.client.GetWorkflowHistory(t.Context(), workflowID, runID, false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	var h historypb.History
	for iter.HasNext() {
		e, err := iter.Next()
		require.NoError(t, err)
		h.Events = append(h.Events, e)
	}
	// Recorded in clear: the replay test has no key of this run's ring.
	require.NoError(t, proxy.VisitPayloads(t.Context(), &h, proxy.VisitPayloadsOptions{
		Visitor: func(_ *proxy.VisitPayloadsContext, p []*commonpb.Payload) ([]*commonpb.Payload, error) {
			return keyring.Codec{Ring: m.ring}.Decode(p)
		},
	}))
	b, err := protojson.MarshalOptions{Indent: "  "}.Marshal(&h)
	require.NoError(t, err)
	dir := filepath.Join("..", "..", "workflows", "testdata", "histories")
	require.NoError(t, os.MkdirAll(dir, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, name+".json"), b, 0o644))
}

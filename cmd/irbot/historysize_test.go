package main

import (
	"fmt"
	"maps"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/api/enums/v1"
	"google.golang.org/protobuf/proto"

	"github.com/irbot/irbot/workflows"
)

// settledHistory waits until the incident's workflow has nothing in flight
// (no pending activity, the same history twice in a row) and returns its
// history size as the server counts it and as the sum of its events' bytes.
func settledHistory(t *testing.T, m *Main, id string) (serverBytes, eventBytes int64, events int) {
	t.Helper()
	wid := workflows.IncidentWorkflowID(id)
	last := -1
	require.Eventually(t, func() bool {
		d, err := m.client.DescribeWorkflowExecution(t.Context(), wid, "")
		require.NoError(t, err)
		if len(d.GetPendingActivities()) > 0 {
			last = -1
			return false
		}
		n := int(d.GetWorkflowExecutionInfo().GetHistoryLength())
		settled := n == last
		last = n
		if settled {
			serverBytes = d.GetWorkflowExecutionInfo().GetHistorySizeBytes()
		}
		return settled
	}, 60*time.Second, 300*time.Millisecond, "the incident's workflow must settle")
	iter := m.client.GetWorkflowHistory(t.Context(), wid, "", false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for iter.HasNext() {
		ev, err := iter.Next()
		require.NoError(t, err)
		eventBytes += int64(proto.Size(ev))
		events++
	}
	return serverBytes, eventBytes, events
}

// TestHistoryGrowthPerNoteIsSmallWithALargeSummary: every payload an action
// puts in the workflow history (the Update's result, the inputs of the
// activities that record and publish it) is kept for the life of the run.
// With the whole state in each, a 900 KB summary made every one-line note add
// megabytes to temporal.db. On an incident with a 100 KB summary, ten notes
// must each add far less history than the summary's size.
func TestHistoryGrowthPerNoteIsSmallWithALargeSummary(t *testing.T) {
	m := startMain(t, filepath.Join(t.TempDir(), "data"))
	t.Cleanup(func() { _ = m.Close() })
	c := apiClient{t: t, base: "http://" + m.Addr()}

	// 100 KB of text people could write (not one repeated byte, which the
	// sealing could hide by compressing).
	var sb strings.Builder
	for i := 0; sb.Len() < workflows.MaxSummary-100; i++ {
		fmt.Fprintf(&sb, "Line %d: the export job copied table %d to the public bucket. ", i, i*7919%10007)
	}
	summary := strings.TrimSpace(sb.String())
	code, inc := c.do("POST", "/api/v1/incidents", responderToken, map[string]any{
		"title": "Large summary", "summary": summary, "regimes": []string{"eu-gdpr"},
	})
	require.Equal(t, http.StatusCreated, code, "%v", inc)
	id := inc["id"].(string)
	c.act(responderToken, id, map[string]any{"type": "note", "text": "warm-up note"})
	before, beforeEvents, nBefore := settledHistory(t, m, id)

	const notes = 10
	for i := range notes {
		c.act(responderToken, id, map[string]any{"type": "note", "text": fmt.Sprintf("one-line note %d", i)})
	}
	after, afterEvents, nAfter := settledHistory(t, m, id)
	perNote := (after - before) / notes
	perNoteEvents := (afterEvents - beforeEvents) / notes
	t.Logf("history per note with a %d-byte summary: %d bytes (server's history size), %d bytes (sum of %d events' sizes); history %d -> %d bytes, %d -> %d events",
		len(summary), perNote, perNoteEvents, nAfter-nBefore, before, after, nBefore, nAfter)
	// Measured: 9,289 bytes per note (15.5 events; 155 events for 10
	// notes) since the Update answers with its outcome (~45 bytes) and the
	// card is published by reference (~50 bytes), behind GetVersion
	// payload-refs; before, about 25 KB (17 events), the state without the
	// summary (~6 KB, more once sealed) travelling three times: the
	// Update's result, the record's snapshot and the card's input. What is
	// left is mostly the record's snapshot (~6.8 KB), the store's copy of
	// the state. Before that, the record and publish inputs each carried
	// the whole summary (over 200 KB a note).
	require.Less(t, perNote, int64(12<<10), "a one-line note must not carry the state more than once, nor the %d-byte summary, into the history", len(summary))
	require.Less(t, perNoteEvents, int64(12<<10))

	// The summary is still there for people, in an action's answer too
	// (this one too large to remember: it is read from the declaration).
	code, st := c.do("GET", "/api/v1/incidents/"+id, responderToken, nil)
	require.Equal(t, http.StatusOK, code)
	require.Equal(t, summary, st["summary"])
	ans := c.act(responderToken, id, map[string]any{"type": "note", "text": "after"})
	require.Equal(t, summary, ans["summary"])
	// The answer, built from the store's snapshot, is the state the API
	// shows: the same fields as a GET, the note counted.
	_, got := c.do("GET", "/api/v1/incidents/"+id, responderToken, nil)
	require.ElementsMatch(t, slices.Collect(maps.Keys(got)), slices.Collect(maps.Keys(ans)), "an action's answer has the fields of the incident")
	require.EqualValues(t, notes+2, ans["notes"], "the answer shows the note just taken")
	for _, k := range []string{"id", "title", "status", "phase", "tasks", "notes"} {
		require.Equal(t, got[k], ans[k], "field %s of the answer and of a GET", k)
	}

	// A summary of a usual size is remembered from the declaration.
	small := "Export job copied the customers table to a public bucket · 公開バケット"
	code, inc = c.do("POST", "/api/v1/incidents", responderToken, map[string]any{"title": "Small summary", "summary": small, "regimes": []string{"eu-gdpr"}})
	require.Equal(t, http.StatusCreated, code, "%v", inc)
	for range 2 {
		require.Equal(t, small, c.act(responderToken, inc["id"].(string), map[string]any{"type": "note", "text": "n"})["summary"])
	}
	// Updates answered with their outcome, cards published by reference
	// (GetVersion payload-refs), for the replay test.
	settledHistory(t, m, inc["id"].(string))
	writeHistory(t, m, workflows.IncidentWorkflowID(inc["id"].(string)), "incident-payload-refs-notes")
}

package incident

import (
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/irbot/irbot/internal/store"
	"github.com/irbot/irbot/workflows"
)

// metricIncident puts an incident in the real store: its index row, a
// snapshot with clocks of the given statuses, and events of the given
// kinds.
func metricIncident(t *testing.T, st store.Store, id, mode, status, severity string, clocks []string, kinds ...string) {
	t.Helper()
	ctx := t.Context()
	require.NoError(t, st.UpsertIncident(ctx, store.Incident{ID: id, Title: "t", Severity: severity, Mode: mode, Status: status, Phase: "contain"}))
	for i, k := range append([]string{"incident.declared"}, kinds...) {
		_, _, err := st.Append(ctx, store.Event{IncidentID: id, Key: fmt.Sprintf("k%d", i), Kind: k, Actor: "U1", Data: []byte(`{}`)})
		require.NoError(t, err)
	}
	state := `{"id":"` + id + `","clocks":[`
	for i, c := range clocks {
		if i > 0 {
			state += ","
		}
		state += `{"regime":"eu-gdpr","obligation":"o` + fmt.Sprint(i) + `","status":"` + c + `"}`
	}
	require.NoError(t, st.PutSnapshot(ctx, id, 1, time.Now(), []byte(state+`]}`), nil))
}

// The service counts the record for /metrics with drills apart: a drill's
// incidents, clocks, notices and refusals never land in the live figures;
// closed incidents' clocks are not counted, their events are.
func TestMetricCountsKeepDrillsApart(t *testing.T) {
	st, err := store.Open(t.Context(), "", filepath.Join(t.TempDir(), "data"))
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	s := &Service{Store: st, Record: st, Counter: st}

	empty, err := s.MetricCounts(t.Context())
	require.NoError(t, err)
	require.Empty(t, empty.Live.OpenIncidents)
	require.Zero(t, empty.Live.NoticesSent)

	metricIncident(t, st, "INC-2026-0001", workflows.ModeLive, workflows.StatusOpen, "high", []string{"running", "overdue"}, "notice.sent", "action.denied", "action.denied")
	metricIncident(t, st, "INC-2026-0002", workflows.ModeLive, workflows.StatusClosed, "low", []string{"met"}, "notice.sent")
	metricIncident(t, st, "INC-2026-0003", workflows.ModeLive, workflows.StatusOpen, "", nil)
	live, err := s.MetricCounts(t.Context())
	require.NoError(t, err)

	// A drill beside them, busy: it must not move a live figure.
	metricIncident(t, st, "DRILL-2026-0001", workflows.ModeDrill, workflows.StatusOpen, "high", []string{"overdue", "overdue", "met"}, "notice.sent", "notice.sent", "action.denied")
	got, err := s.MetricCounts(t.Context())
	require.NoError(t, err)
	require.Equal(t, live.Live, got.Live, "the drill moved no live figure")
	require.Equal(t, map[string]int64{"high": 1, "unset": 1}, got.Live.OpenIncidents, "closed incidents are not open")
	require.Equal(t, map[string]int64{"running": 1, "overdue": 1}, got.Live.Clocks, "a closed incident's clocks are not counted")
	require.EqualValues(t, 2, got.Live.NoticesSent)
	require.EqualValues(t, 2, got.Live.Refusals)
	require.Equal(t, map[string]int64{"high": 1}, got.Drill.OpenIncidents)
	require.Equal(t, map[string]int64{"overdue": 2, "met": 1}, got.Drill.Clocks)
	require.EqualValues(t, 2, got.Drill.NoticesSent)
	require.EqualValues(t, 1, got.Drill.Refusals)

	// Concurrent scrapes while incidents are added read consistent figures.
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			_, err := s.MetricCounts(t.Context())
			require.NoError(t, err)
		})
		wg.Go(func() {
			metricIncident(t, st, fmt.Sprintf("DRILL-2026-%04d", 10+i), workflows.ModeDrill, workflows.StatusOpen, "low", []string{"running"})
		})
	}
	wg.Wait()
	got, err = s.MetricCounts(t.Context())
	require.NoError(t, err)
	require.Equal(t, live.Live, got.Live, "still no drill in the live figures")
	require.EqualValues(t, 8, got.Drill.OpenIncidents["low"])

	_, err = (&Service{Store: st}).MetricCounts(t.Context())
	require.Error(t, err, "without the record's counter there are no figures")
}

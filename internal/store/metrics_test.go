package store

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/irbot/irbot/internal/pgtest"
)

// checkMetricCounts: open incidents by mode and severity; events of the
// kinds asked for by mode and kind, closed incidents' included; other
// kinds, and events of an incident missing from the index, not counted.
func checkMetricCounts(t *testing.T, s Store) {
	ctx := t.Context()
	got, err := s.MetricCounts(ctx, []string{"notice.sent", "action.denied"})
	require.NoError(t, err)
	require.Empty(t, got.Open)
	require.Empty(t, got.Events)
	for _, inc := range []Incident{
		{ID: "INC-1", Mode: "live", Status: "open", Severity: "high"},
		{ID: "INC-2", Mode: "live", Status: StatusClosed, Severity: "high"},
		{ID: "INC-3", Mode: "live", Status: "open", Severity: ""},
		{ID: "DRILL-1", Mode: "drill", Status: "open", Severity: "high"},
	} {
		inc.Title, inc.Phase = "t", "contain"
		require.NoError(t, s.UpsertIncident(ctx, inc))
	}
	add := func(id string, kinds ...string) {
		for i, k := range kinds {
			_, _, err := s.Append(ctx, Event{IncidentID: id, Key: fmt.Sprintf("%s-%d", k, i), Kind: k, Actor: "U1", Data: []byte(`{}`)})
			require.NoError(t, err)
		}
	}
	add("INC-1", "incident.declared", "notice.sent", "action.denied", "action.denied")
	add("INC-2", "notice.sent")
	add("DRILL-1", "notice.sent", "notice.sent", "action.denied")
	add("UNINDEXED-1", "notice.sent")
	got, err = s.MetricCounts(ctx, []string{"notice.sent", "action.denied"})
	require.NoError(t, err)
	require.Equal(t, map[string]map[string]int64{"live": {"high": 1, "": 1}, "drill": {"high": 1}}, got.Open)
	require.Equal(t, map[string]map[string]int64{"live": {"notice.sent": 2, "action.denied": 2}, "drill": {"notice.sent": 2, "action.denied": 1}}, got.Events)
	got, err = s.MetricCounts(ctx, []string{"action.denied"})
	require.NoError(t, err)
	require.Equal(t, map[string]map[string]int64{"live": {"action.denied": 2}, "drill": {"action.denied": 1}}, got.Events)
	got, err = s.MetricCounts(ctx, nil)
	require.NoError(t, err)
	require.Empty(t, got.Events, "no kinds, no event counts")
	got, err = s.MetricCounts(ctx, []string{"x'); DROP TABLE incidents; --", "通知"})
	require.NoError(t, err, "kinds are parameters, never SQL")
	require.Empty(t, got.Events)
	require.Len(t, got.Open, 2)
	_, err = s.MetricCounts(ctx, []string{"notice.sent", "a\x00b"})
	require.ErrorContains(t, err, "not valid UTF-8 text", "a NUL is refused alike on both backends")
}

func TestMetricCounts(t *testing.T) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) {
			u, dir := b.fresh(t)
			checkMetricCounts(t, open(t, u, dir))
		})
	}
	if pgtest.Bin() != "" && !testing.Short() {
		t.Run("private postgres", func(t *testing.T) {
			pg := pgtest.Start(t, "irbot")
			checkMetricCounts(t, open(t, pg.URL("irbot"), ""))
		})
	}
}

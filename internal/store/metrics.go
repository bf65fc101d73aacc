package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// MetricCounts are counts of the record for /metrics, by incident mode
// (live, drill) so drills are never mixed into live figures.
type MetricCounts struct {
	// Open counts incidents that are not closed, by mode then severity
	// ("" when none was set).
	Open map[string]map[string]int64
	// Events counts timeline events of the kinds asked for, by mode then
	// kind.
	Events map[string]map[string]int64
}

// MetricsStore counts what /metrics shows.
type MetricsStore interface {
	// MetricCounts counts open incidents by mode and severity, and the
	// timeline events of kinds by mode and kind (events of an incident
	// missing from the index are not counted).
	MetricCounts(ctx context.Context, kinds []string) (MetricCounts, error)
}

func (s *sqlStore) MetricCounts(ctx context.Context, kinds []string) (MetricCounts, error) {
	out := MetricCounts{Events: map[string]map[string]int64{}}
	var err error
	if out.Open, err = s.countBy(ctx, `SELECT mode, severity, COUNT(*) FROM incidents WHERE status <> ? GROUP BY mode, severity`, StatusClosed); err != nil {
		return out, err
	}
	if len(kinds) == 0 {
		return out, nil
	}
	args := make([]any, len(kinds))
	for i, k := range kinds {
		if err := checkText("event kind", k, true); err != nil {
			return out, err
		}
		args[i] = k
	}
	out.Events, err = s.countBy(ctx, `SELECT i.mode, e.kind, COUNT(*) FROM timeline_events e JOIN incidents i ON i.id = e.incident_id
		WHERE e.kind IN (?`+strings.Repeat(", ?", len(kinds)-1)+`) GROUP BY i.mode, e.kind`, args...)
	return out, err
}

// countBy runs a query whose rows are (a, b, count) and sums the counts by
// a then b.
func (s *sqlStore) countBy(ctx context.Context, query string, args ...any) (map[string]map[string]int64, error) {
	out := map[string]map[string]int64{}
	rows, err := s.db.QueryContext(ctx, s.q(query), args...)
	if err != nil {
		return out, fmt.Errorf("store: metric counts: %w", err)
	}
	for rows.Next() {
		var a, b string
		var n int64
		if err := rows.Scan(&a, &b, &n); err != nil {
			return out, fmt.Errorf("store: metric counts: %w", errors.Join(err, rows.Close()))
		}
		if out[a] == nil {
			out[a] = map[string]int64{}
		}
		out[a][b] += n
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return out, fmt.Errorf("store: metric counts: %w", err)
	}
	return out, nil
}

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
	out := MetricCounts{Open: map[string]map[string]int64{}, Events: map[string]map[string]int64{}}
	add := func(m map[string]map[string]int64, a, b string, n int64) {
		if m[a] == nil {
			m[a] = map[string]int64{}
		}
		m[a][b] += n
	}
	rows, err := s.db.QueryContext(ctx, s.q(`SELECT mode, severity, COUNT(*) FROM incidents WHERE status <> ? GROUP BY mode, severity`), StatusClosed)
	if err != nil {
		return out, fmt.Errorf("store: metric counts: %w", err)
	}
	for rows.Next() {
		var mode, sev string
		var n int64
		if err := rows.Scan(&mode, &sev, &n); err != nil {
			return out, fmt.Errorf("store: metric counts: %w", errors.Join(err, rows.Close()))
		}
		add(out.Open, mode, sev, n)
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return out, fmt.Errorf("store: metric counts: %w", err)
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
	rows, err = s.db.QueryContext(ctx, s.q(`SELECT i.mode, e.kind, COUNT(*) FROM timeline_events e JOIN incidents i ON i.id = e.incident_id
		WHERE e.kind IN (?`+strings.Repeat(", ?", len(kinds)-1)+`) GROUP BY i.mode, e.kind`), args...)
	if err != nil {
		return out, fmt.Errorf("store: metric counts: %w", err)
	}
	for rows.Next() {
		var mode, kind string
		var n int64
		if err := rows.Scan(&mode, &kind, &n); err != nil {
			return out, fmt.Errorf("store: metric counts: %w", errors.Join(err, rows.Close()))
		}
		add(out.Events, mode, kind, n)
	}
	if err := errors.Join(rows.Err(), rows.Close()); err != nil {
		return out, fmt.Errorf("store: metric counts: %w", err)
	}
	return out, nil
}

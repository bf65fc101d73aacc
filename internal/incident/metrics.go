package incident

import (
	"context"
	"encoding/json"
	"errors"

	"github.com/irbot/irbot/internal/apperr"
	"github.com/irbot/irbot/internal/metrics"
	"github.com/irbot/irbot/internal/store"
	"github.com/irbot/irbot/workflows"
)

// Timeline kinds /metrics counts.
const (
	kindNoticeSent   = "notice.sent"
	kindActionDenied = "action.denied"
)

// maxOpenForClocks bounds the open incidents whose clocks one scrape reads
// (one snapshot each); past it the clock figures cover the newest ones.
const maxOpenForClocks = 5000

// MetricCounts counts the record for /metrics, live and drill apart: open
// incidents by severity (the store's index), the clocks of open incidents
// by status (their latest snapshots), notices sent and refused actions
// (their timeline events). It is a system read with no person behind it;
// the figures carry no personal data.
func (s *Service) MetricCounts(ctx context.Context) (metrics.Counts, error) {
	if s.Counter == nil || s.Record == nil {
		return metrics.Counts{}, apperr.New(apperr.Unavailable, "the record's counts are not available")
	}
	mc, err := s.Counter.MetricCounts(ctx, []string{kindNoticeSent, kindActionDenied})
	if err != nil {
		return metrics.Counts{}, err
	}
	out := metrics.Counts{Live: newModeCounts(), Drill: newModeCounts()}
	mode := func(m string) *metrics.ModeCounts {
		if m == workflows.ModeDrill {
			return &out.Drill
		}
		return &out.Live
	}
	for m, bySev := range mc.Open {
		for sev, n := range bySev {
			if sev == "" {
				sev = "unset"
			}
			mode(m).OpenIncidents[sev] += n
		}
	}
	for m, byKind := range mc.Events {
		mode(m).NoticesSent += byKind[kindNoticeSent]
		mode(m).Refusals += byKind[kindActionDenied]
	}
	for off := 0; off < maxOpenForClocks; {
		page, err := s.Store.ListIncidentsPage(ctx, store.IncidentFilter{Status: workflows.StatusOpen, Limit: 500, Offset: off})
		if err != nil {
			return metrics.Counts{}, err
		}
		for _, inc := range page.Incidents {
			sn, err := s.Record.LatestSnapshot(ctx, inc.ID)
			if errors.Is(err, store.ErrNotFound) {
				continue // declared a moment ago: no snapshot yet
			}
			if err != nil {
				return metrics.Counts{}, err
			}
			var st struct {
				Clocks []struct {
					Status string `json:"status"`
				} `json:"clocks"`
			}
			if err := json.Unmarshal(sn.State, &st); err != nil {
				return metrics.Counts{}, err
			}
			for _, c := range st.Clocks {
				mode(inc.Mode).Clocks[c.Status]++
			}
		}
		off += len(page.Incidents)
		if len(page.Incidents) == 0 || off >= page.Total {
			break
		}
	}
	return out, nil
}

func newModeCounts() metrics.ModeCounts {
	return metrics.ModeCounts{OpenIncidents: map[string]int64{}, Clocks: map[string]int64{}}
}

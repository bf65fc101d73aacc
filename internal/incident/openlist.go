package incident

import (
	"context"
	"slices"

	"github.com/irbot/irbot/workflows"
)

// MaxOpenList bounds the incidents OpenList returns; Rest counts the others.
const MaxOpenList = 20

// OpenSummary is one open incident as /incident list shows it.
type OpenSummary struct {
	State workflows.IncidentState
	// Next is the open clock due soonest, nil when none has a due time.
	Next *workflows.ClockState
}

// OpenListResult is the open incidents, live before drills, each group the
// most urgent first, at most MaxOpenList; Rest counts the ones left out.
type OpenListResult struct {
	Incidents []OpenSummary
	Rest      int
}

// OpenList lists the open incidents for a person: live ones first, then
// drills; within each, the nearest open deadline first, then those without
// a deadline, newest first.
func (s *Service) OpenList(ctx context.Context, actor workflows.Actor) (OpenListResult, error) {
	if err := needAnyRole(actor); err != nil {
		return OpenListResult{}, err
	}
	states, err := s.OpenIncidents(ctx)
	if err != nil {
		return OpenListResult{}, err
	}
	return orderOpen(states), nil
}

// orderOpen sorts and caps the open incidents (see OpenList).
func orderOpen(states []workflows.IncidentState) OpenListResult {
	out := make([]OpenSummary, 0, len(states))
	for _, st := range states {
		out = append(out, OpenSummary{State: st, Next: NearestClock(st)})
	}
	slices.SortStableFunc(out, func(a, b OpenSummary) int {
		ad, bd := a.State.Mode == workflows.ModeDrill, b.State.Mode == workflows.ModeDrill
		if ad != bd {
			if ad {
				return 1
			}
			return -1
		}
		switch {
		case a.Next != nil && b.Next != nil:
			if c := a.Next.DueAt.Compare(*b.Next.DueAt); c != 0 {
				return c
			}
		case a.Next != nil:
			return -1
		case b.Next != nil:
			return 1
		}
		return b.State.DeclaredAt.Compare(a.State.DeclaredAt)
	})
	res := OpenListResult{Incidents: out}
	if len(out) > MaxOpenList {
		res.Incidents, res.Rest = out[:MaxOpenList], len(out)-MaxOpenList
	}
	return res
}

// NearestClock is the incident's open clock due soonest, or nil when no
// open clock has a due time yet (awareness not recorded).
func NearestClock(st workflows.IncidentState) *workflows.ClockState {
	var next *workflows.ClockState
	for i := range st.Clocks {
		c := st.Clocks[i]
		if !c.Open() || c.DueAt == nil {
			continue
		}
		if next == nil || c.DueAt.Before(*next.DueAt) {
			next = &c
		}
	}
	return next
}

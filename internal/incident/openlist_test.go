package incident

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/irbot/irbot/workflows"
)

// TestOpenListOrdersLiveFirstByNearestDeadline: live incidents come before
// drills; within each, the nearest open deadline first (settled clocks do
// not count), then those without one, newest first; at most MaxOpenList
// with the rest counted.
func TestOpenListOrdersLiveFirstByNearestDeadline(t *testing.T) {
	base := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	at := func(h int) *time.Time { v := base.Add(time.Duration(h) * time.Hour); return &v }
	inc := func(id, mode string, declared int, clocks ...workflows.ClockState) workflows.IncidentState {
		return workflows.IncidentState{ID: id, Mode: mode, DeclaredAt: *at(declared), Clocks: clocks}
	}
	states := []workflows.IncidentState{
		inc("DRILL-2026-0001", workflows.ModeDrill, 0, workflows.ClockState{DueAt: at(1), Status: "pending"}),
		inc("INC-2026-0001", workflows.ModeLive, 0),
		inc("INC-2026-0002", workflows.ModeLive, 1),
		inc("INC-2026-0003", workflows.ModeLive, 0,
			workflows.ClockState{Regime: "a", DueAt: at(2), Status: workflows.ClockMet},
			workflows.ClockState{Regime: "b", DueAt: at(72), Status: "pending"}),
		inc("INC-2026-0004", workflows.ModeLive, 0, workflows.ClockState{Regime: "c", DueAt: at(24), Status: "pending"}),
	}
	got := orderOpen(states)
	var ids []string
	for _, s := range got.Incidents {
		ids = append(ids, s.State.ID)
	}
	require.Equal(t, []string{"INC-2026-0004", "INC-2026-0003", "INC-2026-0002", "INC-2026-0001", "DRILL-2026-0001"}, ids)
	require.Equal(t, "b", got.Incidents[1].Next.Regime, "a settled clock is no deadline")
	require.Nil(t, got.Incidents[2].Next)
	require.Zero(t, got.Rest)

	many := make([]workflows.IncidentState, 0, 45)
	for i := range 45 {
		many = append(many, inc(fmt.Sprintf("INC-2026-%04d", i+1), workflows.ModeLive, i))
	}
	got = orderOpen(many)
	require.Len(t, got.Incidents, MaxOpenList)
	require.Equal(t, 25, got.Rest)
	require.Equal(t, "INC-2026-0045", got.Incidents[0].State.ID)
	require.Empty(t, orderOpen(nil).Incidents)
}

// TestOpenListNeedsARole: the list is for people irbot knows.
func TestOpenListNeedsARole(t *testing.T) {
	_, err := (&Service{}).OpenList(t.Context(), workflows.Actor{ID: "U0000000099"})
	require.ErrorContains(t, err, "no role in irbot")
}

package activities_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/irbot/irbot/activities"
	"github.com/irbot/irbot/workflows"
)

type drillIncidents struct{ acts []workflows.Action }

func (d *drillIncidents) Act(_ context.Context, _ workflows.Actor, _ string, a workflows.Action) (*workflows.IncidentState, error) {
	d.acts = append(d.acts, a)
	return &workflows.IncidentState{}, nil
}

type drillStates struct{ endedBy string }

func (d drillStates) Drill(_ context.Context, _ workflows.Actor, id string) (*workflows.DrillState, error) {
	return &workflows.DrillState{IncidentID: id, Status: workflows.DrillEnded, EndedBy: d.endedBy}, nil
}

type archiver struct{ archived []string }

func (a *archiver) ArchiveDrillChannel(_ context.Context, id string) error {
	a.archived = append(a.archived, id)
	return nil
}

var (
	_ activities.DrillIncidents = (*drillIncidents)(nil)
	_ activities.DrillStates    = drillStates{}
	_ activities.DrillChannels  = (*archiver)(nil)
)

// The end of play closes the drill's incident; its channel is archived only
// when a person ended play (/incident drill end, the API), not when play ran
// to the scenario's end and the team is about to hold its hot wash there.
func TestDrillEndArchivesOnlyWhenAPersonEndsPlay(t *testing.T) {
	for _, tc := range []struct {
		endedBy string
		archive bool
	}{{"U0MANAGER", true}, {workflows.DrillEndedByTime, false}} {
		inc, ch := &drillIncidents{}, &archiver{}
		d := &activities.Drill{Incidents: inc, Channels: ch, States: drillStates{endedBy: tc.endedBy}}
		require.NoError(t, d.DrillDeliver(t.Context(), workflows.DrillDelivery{IncidentID: "DRILL-2026-0001", Kind: "end", ID: "hot-wash"}))
		require.Equal(t, workflows.ActionClose, inc.acts[len(inc.acts)-1].Type, "the end closes the incident first")
		if tc.archive {
			require.Equal(t, []string{"DRILL-2026-0001"}, ch.archived, "ended by %s", tc.endedBy)
		} else {
			require.Empty(t, ch.archived, "ended by %s", tc.endedBy)
		}
	}
}

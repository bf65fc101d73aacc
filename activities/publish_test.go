package activities

import (
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/testsuite"

	"github.com/irbot/irbot/internal/store"
	"github.com/irbot/irbot/workflows"
)

// publishLog is a Publisher that keeps what it was asked to show.
type publishLog struct{ got []workflows.IncidentState }

var _ Publisher = (*publishLog)(nil)

func (p *publishLog) Publish(_ context.Context, in workflows.PublishInput) (workflows.SlackRefs, error) {
	p.got = append(p.got, in.State)
	if in.State.Slack != nil {
		return *in.State.Slack, nil
	}
	return workflows.SlackRefs{ChannelID: "C1"}, nil
}

// A card published by reference (payload-refs) is drawn from the store: the
// state of the latest snapshot, the summary from the declaration cut to
// what the card shows, and the card's place as the workflow gives it (a
// re-posted card is not in the snapshot yet). Runs started before still
// send the state, and it is shown as sent.
func TestPublishByReferenceDrawsTheCardFromTheStore(t *testing.T) {
	st, err := store.Open(t.Context(), "", filepath.Join(t.TempDir(), "data"))
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	pub := &publishLog{}
	a := &Activities{Store: st, Publisher: pub}
	var s testsuite.WorkflowTestSuite
	env := s.NewTestActivityEnvironment()
	env.RegisterActivity(a.Record)
	env.RegisterActivity(a.Publish)

	at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	summary := strings.Repeat("Export job copied the table to a public bucket · ", 200) // over the card's 3,000 characters
	index := workflows.IncidentIndex{ID: "INC-2026-0001", Title: "Bucket", Status: "open", DeclaredAt: at, UpdatedAt: at}
	decl, err := json.Marshal(map[string]any{"title": "Bucket", "summary": summary})
	require.NoError(t, err)
	state := workflows.IncidentState{ID: "INC-2026-0001", Title: "Bucket", Status: "open", Notes: 1, Events: 2,
		Slack: &workflows.SlackRefs{ChannelID: "C1", CardTS: "1.000"}}
	for i, r := range []workflows.Record{
		{Event: workflows.EventRecord{IncidentID: "INC-2026-0001", Key: "wf-000001", At: at, Kind: store.DeclaredKind, Actor: "U1", Data: decl}, Incident: index},
		{Event: workflows.EventRecord{IncidentID: "INC-2026-0001", Key: "wf-000002", At: at, Kind: "note.added", Actor: "U1", Data: []byte(`{"text":"n"}`)}, Incident: index, State: &state},
	} {
		v, err := env.ExecuteActivity(a.Record, r)
		require.NoError(t, err)
		var res workflows.RecordResult
		require.NoError(t, v.Get(&res))
		require.EqualValues(t, i+1, res.Seq, "the Record activity answers with where the entry landed")
		require.Len(t, res.Hash, 64)
	}

	_, err = env.ExecuteActivity(a.Publish, workflows.PublishRequest{Ref: &workflows.PublishRef{
		IncidentID: "INC-2026-0001", Events: 2, Slack: &workflows.SlackRefs{ChannelID: "C1", CardTS: "2.000"},
	}})
	require.NoError(t, err)
	require.Len(t, pub.got, 1)
	got := pub.got[0]
	require.Equal(t, 1, got.Notes, "the card shows the snapshot's state")
	require.Equal(t, workflows.CardSummary(summary), got.Summary, "the summary comes from the declaration, cut for the card")
	require.Len(t, []rune(got.Summary), workflows.PublishSummaryMax)
	require.Equal(t, "2.000", got.Slack.CardTS, "the card's place is the workflow's, newer than the snapshot's")

	old := state
	old.Summary = "as sent"
	_, err = env.ExecuteActivity(a.Publish, workflows.PublishRequest{State: &old})
	require.NoError(t, err)
	require.Len(t, pub.got, 2)
	require.Equal(t, "as sent", pub.got[1].Summary, "an input of the old shape is shown as it came")

	_, err = env.ExecuteActivity(a.Publish, workflows.PublishRequest{Ref: &workflows.PublishRef{IncidentID: "INC-2026-0002", Events: 1}})
	require.Error(t, err, "no snapshot yet: the activity fails (and is retried) rather than draw an empty card")
	require.Len(t, pub.got, 2)
}

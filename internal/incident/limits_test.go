package incident

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/temporal"

	"github.com/irbot/irbot/internal/apperr"
	"github.com/irbot/irbot/internal/store"
	"github.com/irbot/irbot/workflows"
)

// denialStore is a store that knows one incident and keeps what is appended.
// Its Append refuses what the real store refuses (NUL, invalid UTF-8), so a
// denial that carried the offending value would fail here as it would there.
type denialStore struct {
	Store
	events []store.Event
}

func (d *denialStore) GetIncident(_ context.Context, id string) (store.Incident, error) {
	if id == "INC-2026-0001" {
		return store.Incident{ID: id}, nil
	}
	return store.Incident{}, store.ErrNotFound
}

func (d *denialStore) Append(_ context.Context, e store.Event) (store.Event, bool, error) {
	var v map[string]any
	if err := json.Unmarshal(e.Data, &v); err != nil {
		return store.Event{}, false, err
	}
	for _, x := range v {
		if s, ok := x.(string); ok && workflows.CheckText("", s, 1<<20) != nil {
			return store.Event{}, false, fmt.Errorf("%w: not valid text", store.ErrInvalid)
		}
	}
	d.events = append(d.events, e)
	return e, true, nil
}

var responder = workflows.Actor{ID: "U-RESP", Roles: []string{"responder"}}

// A NUL in a title once answered 201 and left an incident nobody could list
// or act on: it must be a 400 naming the field, before any ID is reserved.
func TestDeclareRefusesTextThatCannotBeStored(t *testing.T) {
	s := &Service{Store: &denialStore{}}
	cases := map[string]DeclareRequest{
		"title contains a NUL":                      {Title: "a\x00b"},
		"title is not valid UTF-8":                  {Title: "a\xffb"},
		"title is limited to 200 characters":        {Title: strings.Repeat("t", 201)},
		"summary is limited to 100000":              {Title: "t", Summary: strings.Repeat("s", workflows.MaxSummary+1)},
		"summary contains a NUL":                    {Title: "t", Summary: "x\x00"},
		"commander contains the control":            {Title: "t", Commander: "U1\nU2"},
		"regimes[0] contains a NUL":                 {Title: "t", Regimes: []string{"eu-gdpr\x00"}},
		`the value of fact "nature" contains a NUL`: {Title: "t", Facts: map[string]json.RawMessage{"nature": json.RawMessage(`"a\u0000"`)}},
	}
	for want, req := range cases {
		_, err := s.Declare(t.Context(), responder, req)
		require.Equal(t, apperr.Invalid, apperr.CodeOf(err), "%s: want 400, got %v", want, err)
		require.Contains(t, apperr.MessageOf(err), want)
	}
}

// IDs with NUL or non-ASCII characters once answered 500 on six routes: they
// are not IDs, so they are 404 before Temporal or the store sees them.
func TestAnythingThatIsNotAnIDIsNotFound(t *testing.T) {
	s := &Service{Store: &denialStore{}}
	for _, id := range []string{"INC-2026-0001\x00", "INC-2026-ÄÖ", "", strings.Repeat("9", 65), "../etc", "-x", "a b", "日本"} {
		_, err := s.Get(t.Context(), responder, id)
		require.Equal(t, apperr.NotFound, apperr.CodeOf(err), "Get %q", id)
		_, err = s.Act(t.Context(), responder, id, workflows.Action{Type: workflows.ActionNote, Text: "x"})
		require.Equal(t, apperr.NotFound, apperr.CodeOf(err), "Act %q", id)
		_, err = s.Timeline(t.Context(), responder, id)
		require.Equal(t, apperr.NotFound, apperr.CodeOf(err), "Timeline %q", id)
		_, err = s.Notice(t.Context(), responder, "INC-2026-0001", id)
		require.Equal(t, apperr.NotFound, apperr.CodeOf(err), "Notice %q", id)
		// A notice ID went to the store unchecked here (a 500 on
		// PostgreSQL for a NUL), and a drill schedule ID to the workflow
		// engine (a 503 for invalid UTF-8); with no engine or campaign
		// store set, only the ID check can answer.
		_, err = s.CampaignProgress(t.Context(), responder, "INC-2026-0001", id)
		require.Equal(t, apperr.NotFound, apperr.CodeOf(err), "CampaignProgress %q", id)
	}
	for _, sid := range []string{"", "INC-2026-0001", workflows.DrillScheduleIDPrefix, workflows.DrillScheduleIDPrefix + "x\xff",
		workflows.DrillScheduleIDPrefix + "a\x00b", workflows.DrillScheduleIDPrefix + "../x", workflows.DrillScheduleIDPrefix + "日本",
		workflows.DrillScheduleIDPrefix + strings.Repeat("a", 60_000)} {
		err := s.DeleteDrillSchedule(t.Context(), workflows.Actor{ID: "U-MGR", Roles: []string{"manager"}}, sid)
		require.Equal(t, apperr.NotFound, apperr.CodeOf(err), "DeleteDrillSchedule %q", ClipValue(sid))
		require.Less(t, len(err.Error()), 200, "the refusal quotes at most the ID's start")
	}
	// A 60 KB path segment was answered with all of it quoted back.
	huge := strings.Repeat("A", 60_000)
	for name, call := range map[string]func() error{
		"Get":    func() error { _, err := s.Get(t.Context(), responder, huge); return err },
		"Notice": func() error { _, err := s.Notice(t.Context(), responder, "INC-2026-0001", huge); return err },
	} {
		err := call()
		require.Equal(t, apperr.NotFound, apperr.CodeOf(err), name)
		require.Less(t, len(err.Error()), 100, "%s: the refusal quotes at most the ID's start, got %d bytes", name, len(err.Error()))
	}
}

// A refused action from the API is on the timeline like one from Slack, and
// recording it never fails on the value that caused the refusal.
func TestRefusedActionIsRecordedOnceWithoutTheBadValue(t *testing.T) {
	st := &denialStore{}
	s := &Service{Store: st}
	_, err := s.Act(t.Context(), responder, "INC-2026-0001", workflows.Action{Type: workflows.ActionCompleteTask, Task: "a\x00b", Source: "api"})
	require.Equal(t, apperr.Invalid, apperr.CodeOf(err))
	require.Contains(t, apperr.MessageOf(err), "task contains a NUL")
	require.Len(t, st.events, 1, "one action.denied event")
	require.Equal(t, "action.denied", st.events[0].Kind)
	require.Contains(t, string(st.events[0].Data), "not shown")
	require.NotContains(t, string(st.events[0].Data), `\u0000`)
}

func TestUpdateErrorsMapToTheContract(t *testing.T) {
	s := &Service{Store: &denialStore{}}
	cases := []struct {
		err  error
		want string
	}{
		{temporal.NewApplicationError("gate g must be approved by someone with the role dpo", workflows.ErrTypeForbidden), apperr.Forbidden},
		{temporal.NewApplicationError("severity is already high", ""), apperr.Invalid},
		{serviceerror.NewDeadlineExceeded("context deadline exceeded"), apperr.Unavailable},
		{fmt.Errorf("wrapped: %w", context.DeadlineExceeded), apperr.Unavailable},
	}
	for _, c := range cases {
		require.Equal(t, c.want, apperr.CodeOf(s.updateError("INC-2026-0001", c.err)), "%v", c.err)
	}
}

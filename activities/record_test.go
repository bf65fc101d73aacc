package activities

import (
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/irbot/irbot/internal/store"
	"github.com/irbot/irbot/workflows"
)

// A register row the store refuses on every attempt (here: an unknown kind,
// a rationale that looks sealed in a store without keys) must fail the
// Record activity for good, as a refused event does: a retried activity
// would wedge the incident behind it forever.
func TestRecordFailsForGoodOnARegisterRowTheStoreRefuses(t *testing.T) {
	st, err := store.Open(t.Context(), "", filepath.Join(t.TempDir(), "data"))
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	a := &Activities{Store: st}
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	for name, reg := range map[string]workflows.RegisterEntry{
		"unknown kind":      {ID: "r1", IncidentID: "INC-2026-0001", Kind: "maybe"},
		"looks sealed":      {ID: "r2", IncidentID: "INC-2026-0001", Kind: store.RegisterNotNotified, Rationale: "irbot.sealed.v1:AAAA"},
		"NUL in the reason": {ID: "r3", IncidentID: "INC-2026-0001", Kind: store.RegisterNotice, LateReason: "a\x00b"},
	} {
		t.Run(name, func(t *testing.T) {
			var s testsuite.WorkflowTestSuite
			env := s.NewTestActivityEnvironment()
			env.RegisterActivity(a.Record)
			_, err := env.ExecuteActivity(a.Record, workflows.Record{
				Event:    workflows.EventRecord{IncidentID: "INC-2026-0001", Key: "reg/" + reg.ID, At: at, Kind: "notification.not_required", Actor: "U1", Data: []byte(`{}`)},
				Incident: workflows.IncidentIndex{ID: "INC-2026-0001", Title: "t", Status: "active", DeclaredAt: at, UpdatedAt: at},
				Register: &reg,
			})
			require.Error(t, err)
			var appErr *temporal.ApplicationError
			require.True(t, errors.As(err, &appErr), "%v", err)
			require.True(t, appErr.NonRetryable(), "a refused register row is not retried: %v", err)
			require.Equal(t, workflows.ErrTypeInvalidRecord, appErr.Type())
		})
	}
}

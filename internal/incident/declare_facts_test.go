package incident

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/irbot/irbot/internal/apperr"
	"github.com/irbot/irbot/playbooks"
	"github.com/irbot/irbot/workflows"
)

// Facts given at the declaration obey set_fact's rules, and awareness given
// as a fact is the awareness time. Before, facts.aware_at in 2099 was
// accepted, and facts.aware_at two days back left the clocks and the
// defaulted discovery time (HIPAA and US states count from it) at the
// declaration.
func TestDeclaredFactsAreTheTimesTheClocksStartFrom(t *testing.T) {
	now := time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)
	s := &Service{Rules: playbooks.MustRules(), Now: func() time.Time { return now },
		Playbooks: func(string) (*playbooks.Playbook, bool) { return playbooks.DefaultPlaybook(), true }}
	fact := func(v string) map[string]json.RawMessage {
		return map[string]json.RawMessage{"aware_at": json.RawMessage(`"` + v + `"`)}
	}
	earlier := now.Add(-48 * time.Hour)

	in, err := s.buildInput(responder, DeclareRequest{Title: "t", Regimes: []string{"us-hipaa"}, Facts: fact(earlier.Format(time.RFC3339))})
	require.NoError(t, err)
	require.True(t, in.AwareAt.Equal(earlier), "facts.aware_at is the awareness time: %v", in.AwareAt)
	require.False(t, in.AwareDefaulted)
	st := workflows.InitialState(in)
	require.Equal(t, earlier.Format(time.RFC3339Nano), st.Facts["discovered_at"], "the defaulted discovery follows it")
	require.Equal(t, []string{"discovered_at"}, st.Defaulted)

	in, err = s.buildInput(responder, DeclareRequest{Title: "t", AwareAt: &earlier, Facts: fact(earlier.Format(time.RFC3339))})
	require.NoError(t, err, "the same time twice is one statement")
	require.True(t, in.AwareAt.Equal(earlier))

	in, err = s.buildInput(responder, DeclareRequest{Title: "t"})
	require.NoError(t, err)
	require.True(t, in.AwareDefaulted, "no awareness stated: irbot's default")
	require.Equal(t, []string{"aware_at", "discovered_at"}, workflows.InitialState(in).Defaulted, "the declaration says which values irbot chose")

	for name, req := range map[string]DeclareRequest{
		"is in the future":        {Title: "t", Facts: fact("2099-01-01T00:00:00Z")},
		"discovered_at":           {Title: "t", Facts: map[string]json.RawMessage{"discovered_at": json.RawMessage(`"2099-01-01T00:00:00Z"`)}},
		"is given twice":          {Title: "t", AwareAt: &now, Facts: fact(earlier.Format(time.RFC3339))},
		"facts.aware_at ":         {Title: "t", AwareAt: &now, Facts: fact(earlier.Format(time.RFC3339))},
		`"establishment"`:         {Title: "t", Facts: map[string]json.RawMessage{"establishment": json.RawMessage(`"XX"`)}},
		"is not an RFC 3339 time": {Title: "t", Facts: fact("yesterday")},
		"give a moment tha":       {Title: "t", Facts: map[string]json.RawMessage{"suspected_at": json.RawMessage(`"2099-01-01T00:00:00Z"`)}},
	} {
		_, err := s.buildInput(responder, req)
		require.Equal(t, apperr.Invalid, apperr.CodeOf(err), "%s: %v", name, err)
		require.Contains(t, apperr.MessageOf(err), name)
	}
}

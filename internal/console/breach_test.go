package console

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/irbot/irbot/internal/incident"
	"github.com/irbot/irbot/internal/store"
	"github.com/irbot/irbot/playbooks"
	"github.com/irbot/irbot/workflows"
)

// TestBreachRegisterPageFiltersAndExports: the page lists the incident
// service's breach register rows for a period and regime, with CSV, and
// refuses what it does not understand.
func TestBreachRegisterPageFiltersAndExports(t *testing.T) {
	rules, err := playbooks.LoadRules()
	require.NoError(t, err)
	var st store.Store
	f := newFixture(t, func(c *Config) {
		st = c.Store.(store.Store)
		c.BreachRegister = &incident.Service{Store: st, Rules: rules}
	})
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	require.NoError(t, st.UpsertIncident(t.Context(), store.Incident{ID: "INC-2026-0077", Title: "Exposed bucket", Mode: workflows.ModeLive, Status: "open", DeclaredBy: "U1", DeclaredAt: at}))
	_, _, err = st.Append(t.Context(), store.Event{IncidentID: "INC-2026-0077", Key: "d", At: at, Kind: "incident.declared", Actor: "U1",
		Data: []byte(`{"title":"Exposed bucket","regimes":["eu-gdpr"],"facts":{"nature":"=1+2 bucket open"}}`)})
	require.NoError(t, err)

	c, _ := f.signIn(t, complianceToken)
	status, body, _ := get(t, c, f.srv.URL+"/breach-register?from=2026-03-01&to=2026-03-02&regime=eu-gdpr")
	require.Equal(t, http.StatusOK, status, body)
	require.Contains(t, body, "INC-2026-0077")
	status, body, _ = get(t, c, f.srv.URL+"/breach-register?from=2026-03-03")
	require.Equal(t, http.StatusOK, status)
	require.NotContains(t, body, "INC-2026-0077", "declared before the period")
	status, body, h := get(t, c, f.srv.URL+"/breach-register?format=csv")
	require.Equal(t, http.StatusOK, status)
	require.Equal(t, "text/csv; charset=utf-8", h.Get("Content-Type"))
	require.True(t, strings.HasPrefix(body, "incident_id,"), body)
	require.Contains(t, body, "\r\nINC-2026-0077,")
	require.Contains(t, body, ",'=1+2 bucket open,", "a formula cell is neutralised")
	for _, bad := range []string{"?regime=xx", "?period=1", "?format=pdf", "?from=2026-13-01"} {
		status, _, _ = get(t, c, f.srv.URL+"/breach-register"+bad)
		require.Equal(t, http.StatusBadRequest, status, bad)
	}
	r, _ := f.signIn(t, responderToken)
	status, _, _ = get(t, r, f.srv.URL+"/breach-register")
	require.Equal(t, http.StatusForbidden, status, "the service refuses a responder")
}

package httpapi

import (
	"encoding/csv"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/irbot/irbot/internal/incident"
	"github.com/irbot/irbot/internal/store"
	"github.com/irbot/irbot/playbooks"
)

// newRegisterServer serves the API over the real incident service on a real
// store (SQLite, or PostgreSQL when IRBOT_TEST_POSTGRES_URL is set) holding
// three register entries and three incidents.
func newRegisterServer(t *testing.T) func(path string) (int, string) {
	t.Helper()
	dataDir := t.TempDir()
	st, err := store.Open(t.Context(), os.Getenv("IRBOT_TEST_POSTGRES_URL"), dataDir)
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	rules, err := playbooks.LoadRules()
	require.NoError(t, err)
	ctx := t.Context()
	day := func(d int) *time.Time { t := time.Date(2026, 3, d, 9, 0, 0, 0, time.UTC); return &t }
	for _, e := range []store.RegisterEntry{
		{ID: "a", IncidentID: "INC-2026-0001", Kind: "notice", Regime: "eu-gdpr", Obligation: "supervisory-authority", Recipient: "=authority", Status: "sent", SentAt: day(2), RecordedAt: *day(2)},
		{ID: "b", IncidentID: "INC-2026-0002", Kind: "notice", Regime: "eu-gdpr", Obligation: "supervisory-authority", Recipient: "authority", Status: "sent", SentAt: day(10), RecordedAt: *day(10)},
		{ID: "c", IncidentID: "INC-2026-0002", Kind: "not_notified", Regime: "us-ca", Obligation: "individuals", Recipient: "people", Status: "not_notified", RecordedAt: *day(11)},
	} {
		require.NoError(t, st.PutRegister(ctx, e))
	}
	for i, inc := range []store.Incident{
		{ID: "INC-2026-0001", Title: "a", Severity: "high", Mode: "live", Status: "open", DeclaredAt: *day(1)},
		{ID: "INC-2026-0002", Title: "b", Severity: "low", Mode: "live", Status: "closed", DeclaredAt: *day(9)},
		{ID: "DRILL-2026-0001", Title: "c", Severity: "low", Mode: "drill", Status: "open", DeclaredAt: *day(12)},
	} {
		inc.WorkflowID = inc.ID
		inc.UpdatedAt = inc.DeclaredAt.Add(time.Duration(i) * time.Second)
		require.NoError(t, st.UpsertIncident(ctx, inc))
	}
	svc := &incident.Service{Store: st, Rules: rules}
	srv := newHygieneServer(t, svc)
	return func(path string) (int, string) {
		resp := do(t, srv, "GET", path, "", true)
		b, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return resp.StatusCode, string(b)
	}
}

func registerIDs(t *testing.T, body string) []string {
	t.Helper()
	var v struct{ Entries []store.RegisterEntry }
	require.NoError(t, json.Unmarshal([]byte(body), &v), body)
	ids := []string{}
	for _, e := range v.Entries {
		ids = append(ids, e.ID)
	}
	return ids
}

func TestRegisterFiltersReturnOnlyMatchingRows(t *testing.T) {
	get := newRegisterServer(t)
	for _, c := range []struct {
		query string
		want  []string
	}{
		{"", []string{"a", "b", "c"}},
		{"?incident=INC-2026-0002", []string{"b", "c"}},
		{"?regime=eu-gdpr", []string{"a", "b"}},
		{"?status=not_notified", []string{"c"}},
		{"?from=2026-03-10", []string{"b", "c"}},
		{"?to=2026-03-10", []string{"a", "b"}},      // a date "to" takes the whole day
		{"?to=2026-03-10T09:00:00Z", []string{"a"}}, // a time "to" is excluded
		{"?from=2026-03-01&to=2026-03-09&regime=eu-gdpr", []string{"a"}},
		{"?incident=INC-2026-0002&regime=eu-gdpr&status=sent", []string{"b"}},
		{"?incident=INC-2026-0009", []string{}},
	} {
		code, body := get("/api/v1/register" + c.query)
		require.Equal(t, http.StatusOK, code, c.query+": "+body)
		require.Equal(t, c.want, registerIDs(t, body), c.query)
	}

	// The CSV export honours the same filters.
	code, body := get("/api/v1/register?format=csv&incident=INC-2026-0001")
	require.Equal(t, http.StatusOK, code, body)
	rows, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	require.NoError(t, err)
	require.Len(t, rows, 2)
	require.Equal(t, "a", rows[1][0])
	require.Equal(t, "'=authority", rows[1][5], "a formula in a cell is neutralised")
	require.True(t, strings.HasSuffix(body, "\r\n"))
}

func TestListFiltersAnswerBadInputWith400NamingIt(t *testing.T) {
	get := newRegisterServer(t)
	for _, c := range []struct{ path, want string }{
		{"/api/v1/register?period=1", `unknown query parameter "period"`},
		{"/api/v1/register?regime=xx", `unknown regime "xx"`},
		{"/api/v1/register?status=lost", `unknown status "lost"`},
		{"/api/v1/register?incident=" + strings.Repeat("x", 5000), "is not an incident ID"},
		{"/api/v1/register?incident=%00", "is not an incident ID"},
		{"/api/v1/register?from=yesterday", `from "yesterday" is not a date`},
		{"/api/v1/register?to=2026-02-30", `to "2026-02-30" is not a date`},
		{"/api/v1/register?from=2026-03-05&to=2026-03-01", "the period is empty"},
		{"/api/v1/register?regime=eu-gdpr&regime=us-ca", `"regime" is given 2 times`},
		{"/api/v1/register?%E6%97%A5=1", `unknown query parameter "日"`},
		{"/api/v1/incidents?sort=asc", `unknown query parameter "sort"`},
		{"/api/v1/incidents?status=maybe", "status must be open or closed"},
		{"/api/v1/incidents?mode=test", "mode must be live or drill"},
		{"/api/v1/incidents?limit=ten", "limit must be a whole number"},
		{"/api/v1/incidents?limit=100000", "a page holds 1 to 500"},
	} {
		code, body := get(c.path)
		require.Equal(t, http.StatusBadRequest, code, c.path+": "+body)
		var e struct{ Error string }
		require.NoError(t, json.Unmarshal([]byte(body), &e), body)
		require.Contains(t, e.Error, c.want, c.path)
		require.Less(t, len(e.Error), 300, "the error does not echo a huge value: %s", c.path)
	}
}

func TestIncidentListFilters(t *testing.T) {
	get := newRegisterServer(t)
	ids := func(body string) []string {
		var v struct {
			Incidents []store.Incident
			Total     int
		}
		require.NoError(t, json.Unmarshal([]byte(body), &v), body)
		out := []string{}
		for _, i := range v.Incidents {
			out = append(out, i.ID)
		}
		return out
	}
	for _, c := range []struct {
		query string
		want  []string
	}{
		{"", []string{"DRILL-2026-0001", "INC-2026-0002", "INC-2026-0001"}},
		{"?mode=drill", []string{"DRILL-2026-0001"}},
		{"?status=closed", []string{"INC-2026-0002"}},
		{"?mode=live&status=open", []string{"INC-2026-0001"}},
		{"?from=2026-03-05&to=2026-03-09", []string{"INC-2026-0002"}},
		{"?mode=live&limit=1", []string{"INC-2026-0002"}},
	} {
		code, body := get("/api/v1/incidents" + c.query)
		require.Equal(t, http.StatusOK, code, c.query+": "+body)
		require.Equal(t, c.want, ids(body), c.query)
	}
	_, body := get("/api/v1/incidents?mode=live&limit=1")
	var page store.IncidentPage
	require.NoError(t, json.Unmarshal([]byte(body), &page))
	require.Equal(t, 2, page.Total, "a page says how many match in all")
}

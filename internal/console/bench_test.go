package console

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/irbot/irbot/internal/store"
)

// BenchmarkIncidentsPage serves the incidents page (signed in, first page
// and a filtered page) with 10,000 incidents in a SQLite store, beside the
// static CSS through the same handler stack as the baseline of this run.
//
//	go test ./internal/console -run '^$' -bench IncidentsPage
func BenchmarkIncidentsPage(b *testing.B) {
	f := newFixture(b, nil)
	ctx := b.Context()
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	sevs := []string{"critical", "high", "medium", "low"}
	for i := range 10000 {
		mode := "live"
		if i%4 == 0 {
			mode = "drill"
		}
		at := base.Add(time.Duration(i) * time.Minute)
		require.NoError(b, f.st.UpsertIncident(ctx, store.Incident{ID: fmt.Sprintf("INC-2026-%05d", i+1), Title: "Incident number " + fmt.Sprint(i), Severity: sevs[i%4], Mode: mode, Status: "open", Phase: "contain", DeclaredAt: at, UpdatedAt: at}))
	}
	c, _ := f.signIn(b, responderToken)
	cookies := c.Jar.Cookies(mustURL(f.srv.URL))
	h := f.srv.Config.Handler
	serve := func(b *testing.B, path string) {
		for b.Loop() {
			req := httptest.NewRequest("GET", path, nil)
			for _, ck := range cookies {
				req.AddCookie(ck)
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != http.StatusOK {
				b.Fatalf("%s: status %d", path, rec.Code)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/1000, "ms/page")
	}
	b.Run("static-css", func(b *testing.B) { serve(b, assetURL("console.css")) })
	b.Run("incidents-first-page", func(b *testing.B) { serve(b, "/incidents?mode=live") })
	b.Run("incidents-filtered-deep-page", func(b *testing.B) {
		serve(b, "/incidents?mode=live&severity=high&from=2026-01-02&to=2026-01-20&offset=500")
	})
}

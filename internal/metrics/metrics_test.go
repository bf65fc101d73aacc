package metrics

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/stretchr/testify/require"
)

const token = "metrics-token-0123456789"

type fakeSource struct {
	counts Counts
	err    error
	reads  atomic.Int64
}

func (f *fakeSource) MetricCounts(ctx context.Context) (Counts, error) {
	f.reads.Add(1)
	return f.counts, f.err
}

func scrape(t *testing.T, h http.Handler, bearer string) (int, string) {
	t.Helper()
	req := httptest.NewRequest("GET", "/metrics", nil)
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	b, _ := io.ReadAll(rec.Body)
	return rec.Code, string(b)
}

// Only the metrics token reads the exposition; without one configured,
// nobody does, and the answer says how to turn metrics on.
func TestMetricsWantTheirOwnToken(t *testing.T) {
	src := &fakeSource{}
	h := Handler(src, token, 0)
	for _, bad := range []string{"", "wrong-token-0123456789", token + "x", token[:len(token)-1], "\x00" + token, strings.Repeat("a", 1<<16)} {
		code, body := scrape(t, h, bad)
		require.Equal(t, http.StatusUnauthorized, code, "%.20q", bad)
		require.Contains(t, body, "IRBOT_METRICS_TOKEN")
		require.NotContains(t, body, token, "the token is never echoed")
	}
	require.Zero(t, src.reads.Load(), "a refused scrape reads nothing")
	code, body := scrape(t, Handler(src, "", 0), "")
	require.Equal(t, http.StatusUnauthorized, code)
	require.Contains(t, body, "metrics are off")
	code, _ = scrape(t, Handler(src, "", 0), "anything")
	require.Equal(t, http.StatusUnauthorized, code, "an empty setting matches no token, not even an empty one")
	code, _ = scrape(t, h, token)
	require.Equal(t, http.StatusOK, code)
}

// Live and drill figures are separate metric names: a sum over a live
// metric never includes a drill. Every known label value has a series
// (zero before anything happens); an unknown one is counted as "other".
func TestMetricsKeepDrillsOutOfTheLiveSeries(t *testing.T) {
	src := &fakeSource{counts: Counts{
		Live: ModeCounts{OpenIncidents: map[string]int64{"high": 2, "unset": 1}, Clocks: map[string]int64{"running": 3, "overdue": 1}, NoticesSent: 4, Refusals: 1},
		Drill: ModeCounts{OpenIncidents: map[string]int64{"critical": 7, "<script>": 1}, Clocks: map[string]int64{"overdue": 9, "bogus\x00": 2},
			NoticesSent: 11, Refusals: 5},
	}}
	code, body := scrape(t, Handler(src, token, 0), token)
	require.Equal(t, http.StatusOK, code)
	families, err := new(expfmt.TextParser).TextToMetricFamilies(strings.NewReader(body))
	require.NoError(t, err, "the exposition parses as Prometheus text")
	value := func(name string, label ...string) float64 {
		t.Helper()
		f, ok := families[name]
		require.True(t, ok, "metric %s is exposed", name)
		for _, m := range f.GetMetric() {
			if len(label) == 0 {
				if m.GetCounter() != nil {
					return m.GetCounter().GetValue()
				}
				return m.GetGauge().GetValue()
			}
			if m.GetLabel()[0].GetValue() == label[0] {
				return m.GetGauge().GetValue()
			}
		}
		t.Fatalf("%s has no series %v", name, label)
		return 0
	}
	require.Equal(t, 2.0, value("irbot_incidents_open", "high"))
	require.Equal(t, 1.0, value("irbot_incidents_open", "unset"))
	require.Equal(t, 0.0, value("irbot_incidents_open", "critical"), "a series exists before its first incident")
	require.Equal(t, 3.0, value("irbot_clocks", "running"))
	require.Equal(t, 1.0, value("irbot_clocks", "overdue"))
	require.Equal(t, 4.0, value("irbot_notices_sent_total"))
	require.Equal(t, 1.0, value("irbot_action_refusals_total"))
	require.Equal(t, 7.0, value("irbot_drill_incidents_open", "critical"))
	require.Equal(t, 1.0, value("irbot_drill_incidents_open", "other"), "an unknown severity adds no series of its own")
	require.Equal(t, 2.0, value("irbot_drill_clocks", "other"))
	require.Equal(t, 11.0, value("irbot_drill_notices_sent_total"))
	require.Equal(t, 5.0, value("irbot_drill_action_refusals_total"))
	require.Equal(t, 1.0, value("irbot_record_up"))
	require.NotContains(t, body, "<script>")
	for name, f := range families {
		if strings.HasPrefix(name, "irbot_") && !strings.HasPrefix(name, "irbot_drill_") {
			for _, m := range f.GetMetric() {
				for _, l := range m.GetLabel() {
					require.NotEqual(t, "mode", l.GetName(), "%s: no live metric carries drills under a label", name)
				}
			}
		}
	}
	require.Contains(t, families, "go_goroutines", "the runtime's own figures too")
}

// When the record cannot be read, the scrape still answers, says so, and
// shows no stale figure.
func TestMetricsSayWhenTheRecordIsDown(t *testing.T) {
	src := &fakeSource{err: errors.New("database is locked")}
	code, body := scrape(t, Handler(src, token, 0), token)
	require.Equal(t, http.StatusOK, code)
	require.Contains(t, body, "irbot_record_up 0")
	require.NotContains(t, body, "irbot_incidents_open")
	require.NotContains(t, body, "database is locked", "an internal error is not published")
}

// Scrapes within maxAge share one reading of the record, also when they
// arrive at once.
func TestMetricsReadTheRecordOncePerMaxAge(t *testing.T) {
	src := &fakeSource{}
	h := Handler(src, token, time.Hour)
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			code, _ := scrape(t, h, token)
			require.Equal(t, http.StatusOK, code)
		})
	}
	wg.Wait()
	require.EqualValues(t, 1, src.reads.Load())
	scrape(t, Handler(src, token, 0), token)
	scrape(t, Handler(src, token, 0), token)
	require.EqualValues(t, 3, src.reads.Load(), "maxAge 0 reads at every scrape")
}

// A Slack call that failed after its retries is counted by method and
// kind, never by channel or person.
func TestSlackFailuresAreCounted(t *testing.T) {
	before := func() string { _, b := scrape(t, Handler(&fakeSource{}, token, 0), token); return b }
	SlackFailed("chat.postMessage", true)
	SlackFailed("chat.postMessage", false)
	SlackFailed("chat.postMessage", false)
	body := before()
	require.Contains(t, body, `irbot_slack_failures_total{kind="permanent",method="chat.postMessage"} 1`)
	require.Contains(t, body, `irbot_slack_failures_total{kind="transient",method="chat.postMessage"} 2`)
}

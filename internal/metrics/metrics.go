// Package metrics is irbot's Prometheus exposition (GET /metrics on the API
// listener): live figures read from the record at each scrape (open
// incidents, clocks, notices sent, refused actions) with drills counted
// under their own metric names, never inside the live ones, and the Slack
// failures this process saw. No label carries personal data: severities,
// clock statuses, Slack method names and failure kinds only.
package metrics

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// ModeCounts are one incident mode's figures.
type ModeCounts struct {
	// OpenIncidents counts incidents not closed, by severity.
	OpenIncidents map[string]int64
	// Clocks counts the clocks of open incidents, by status.
	Clocks map[string]int64
	// NoticesSent counts notice.sent events; Refusals action.denied ones.
	NoticesSent, Refusals int64
}

// Counts are the record's figures, live and drill apart.
type Counts struct {
	Live, Drill ModeCounts
}

// Source counts the record (the incident service).
type Source interface {
	MetricCounts(ctx context.Context) (Counts, error)
}

// Label values the exposition knows; anything else is counted as "other",
// so a stray value in the store cannot add series.
var (
	Severities    = []string{"critical", "high", "medium", "low", "unset"}
	ClockStatuses = []string{"waiting", "running", "overdue", "met", "late", "not_notified"}
)

// SlackFailures counts Slack Web API calls that failed after their retries,
// by method and kind (permanent: retrying cannot fix it; transient: Slack
// or the network failed). It is this process's count, not the record's.
var SlackFailures = prometheus.NewCounterVec(prometheus.CounterOpts{
	Name: "irbot_slack_failures_total",
	Help: "Slack Web API calls that failed after retries, by method and kind (permanent or transient); counted by this process since it started.",
}, []string{"method", "kind"})

// SlackFailed counts one failed Slack call.
func SlackFailed(method string, permanent bool) {
	kind := "transient"
	if permanent {
		kind = "permanent"
	}
	SlackFailures.WithLabelValues(method, kind).Inc()
}

type family struct {
	open, clocks, notices, refusals *prometheus.Desc
}

func newFamily(prefix, what string) family {
	return family{
		open:     prometheus.NewDesc(prefix+"incidents_open", what+" incidents not closed, by severity.", []string{"severity"}, nil),
		clocks:   prometheus.NewDesc(prefix+"clocks", "Clocks of open "+what+" incidents, by status.", []string{"status"}, nil),
		notices:  prometheus.NewDesc(prefix+"notices_sent_total", "Notices sent for "+what+" incidents (notice.sent events in the record).", nil, nil),
		refusals: prometheus.NewDesc(prefix+"action_refusals_total", "Refused actions on "+what+" incidents (action.denied events in the record).", nil, nil),
	}
}

// collector reads the source at scrape time, at most once per maxAge.
type collector struct {
	src         Source
	maxAge      time.Duration
	timeout     time.Duration
	live, drill family
	up          *prometheus.Desc

	mu   sync.Mutex
	at   time.Time
	last Counts
	err  error
}

func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	for _, f := range []family{c.live, c.drill} {
		ch <- f.open
		ch <- f.clocks
		ch <- f.notices
		ch <- f.refusals
	}
	ch <- c.up
}

func (c *collector) counts() (Counts, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.at.IsZero() && time.Since(c.at) < c.maxAge {
		return c.last, c.err
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.timeout)
	defer cancel()
	c.last, c.err = c.src.MetricCounts(ctx)
	c.at = time.Now()
	return c.last, c.err
}

func (c *collector) Collect(ch chan<- prometheus.Metric) {
	counts, err := c.counts()
	if err != nil {
		// The record could not be read: say so, and show no stale figure.
		ch <- prometheus.MustNewConstMetric(c.up, prometheus.GaugeValue, 0)
		return
	}
	ch <- prometheus.MustNewConstMetric(c.up, prometheus.GaugeValue, 1)
	emit(ch, c.live, counts.Live)
	emit(ch, c.drill, counts.Drill)
}

func emit(ch chan<- prometheus.Metric, f family, m ModeCounts) {
	for _, v := range bounded(m.OpenIncidents, Severities) {
		ch <- prometheus.MustNewConstMetric(f.open, prometheus.GaugeValue, v.n, v.label)
	}
	for _, v := range bounded(m.Clocks, ClockStatuses) {
		ch <- prometheus.MustNewConstMetric(f.clocks, prometheus.GaugeValue, v.n, v.label)
	}
	ch <- prometheus.MustNewConstMetric(f.notices, prometheus.CounterValue, float64(m.NoticesSent))
	ch <- prometheus.MustNewConstMetric(f.refusals, prometheus.CounterValue, float64(m.Refusals))
}

type labelled struct {
	label string
	n     float64
}

// bounded is one value per known label (zero when absent, so a series
// exists before its first incident) plus "other" for anything unknown.
func bounded(m map[string]int64, known []string) []labelled {
	out := make([]labelled, 0, len(known)+1)
	for _, k := range known {
		out = append(out, labelled{k, float64(m[k])})
	}
	var other int64
	for k, n := range m {
		if !slices.Contains(known, k) {
			other += n
		}
	}
	if other > 0 {
		out = append(out, labelled{"other", float64(other)})
	}
	return out
}

// Handler serves the exposition, for a bearer token equal to token only
// (compared in constant time); an empty token refuses everyone, so metrics
// are off until one is set. The record is read at most once per maxAge.
func Handler(src Source, token string, maxAge time.Duration) http.Handler {
	reg := prometheus.NewRegistry()
	reg.MustRegister(&collector{src: src, maxAge: maxAge, timeout: 10 * time.Second,
		live:  newFamily("irbot_", "Live"),
		drill: newFamily("irbot_drill_", "Drill"),
		up:    prometheus.NewDesc("irbot_record_up", "1 when the record (the store) could be read for this scrape, else 0 and no record figures.", nil, nil),
	})
	reg.MustRegister(SlackFailures, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	h := promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
	want := sha256.Sum256([]byte(token))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		sum := sha256.Sum256([]byte(got))
		if token == "" || !ok || subtle.ConstantTimeCompare(sum[:], want[:]) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="irbot metrics"`)
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			msg := `{"error":"metrics need the token set in IRBOT_METRICS_TOKEN: send Authorization: Bearer TOKEN"}`
			if token == "" {
				msg = `{"error":"metrics are off: set IRBOT_METRICS_TOKEN on the server and send it as Authorization: Bearer TOKEN"}`
			}
			_, _ = w.Write([]byte(msg + "\n"))
			return
		}
		h.ServeHTTP(w, r)
	})
}

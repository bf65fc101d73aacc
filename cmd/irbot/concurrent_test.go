package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestConcurrentActionsOnOneIncidentAllSucceed has 32 people act on one
// incident at the same moment on the embedded server: every one of them gets
// the new state (no 503, no timeout: Temporal's default of 10 Updates in
// flight per workflow used to turn the rest into retries and some into
// 503s), every note is on the timeline exactly once, and the chain
// verifies. Notes in other scripts,
// identical texts from different people (two notes) and a repeated request
// ID (one note) are among them.
func TestConcurrentActionsOnOneIncidentAllSucceed(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("starts the whole stack")
	}
	m := startMain(t, filepath.Join(t.TempDir(), "data"))
	c := apiClient{t: t, base: "http://" + m.Addr()}
	code, inc := c.do("POST", "/api/v1/incidents", adminToken, map[string]any{"title": "Concurrent notes", "regimes": []string{"eu-gdpr"}})
	require.Equal(t, http.StatusCreated, code, "%v", inc)
	id := inc["id"].(string)

	const clients = 32
	texts := make([]string, clients)
	scripts := []string{"東京の顧客データ", "утечка данных", "تسريب البيانات", "données 🔒 exposées", strings.Repeat("x", 4000)}
	for i := range texts {
		texts[i] = fmt.Sprintf("concurrent note %02d %s", i, scripts[i%len(scripts)])
	}
	texts[31] = texts[30] // the same words from two people: two notes
	bodies := make([]map[string]any, 0, clients+3)
	for _, text := range texts {
		bodies = append(bodies, map[string]any{"type": "note", "text": text})
	}
	// One client's retries of the same request: one note, three answers.
	for i := 0; i < 3; i++ {
		bodies = append(bodies, map[string]any{"type": "note", "text": "retried note", "request_id": "req-concurrent-0001"})
	}

	type answer struct {
		code int
		body string
		took time.Duration
	}
	answers := make([]answer, len(bodies))
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i, b := range bodies {
		wg.Add(1)
		go func() {
			defer wg.Done()
			raw, _ := json.Marshal(b)
			req, err := http.NewRequest("POST", c.base+"/api/v1/incidents/"+id+"/actions", bytes.NewReader(raw))
			if err != nil {
				answers[i] = answer{body: err.Error()}
				return
			}
			req.Header.Set("Authorization", "Bearer "+adminToken)
			req.Header.Set("Content-Type", "application/json")
			<-start
			t0 := time.Now()
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				answers[i] = answer{body: err.Error()}
				return
			}
			out, _ := io.ReadAll(resp.Body)
			_ = resp.Body.Close()
			answers[i] = answer{code: resp.StatusCode, body: string(out[:min(len(out), 300)]), took: time.Since(t0)}
		}()
	}
	close(start)
	wg.Wait()
	var slowest time.Duration
	for i, a := range answers {
		require.Equal(t, http.StatusOK, a.code, "client %d of %d acting at once was refused: %s", i, len(bodies), a.body)
		slowest = max(slowest, a.took)
	}
	t.Logf("%d concurrent actions on one incident: slowest answer %s", len(bodies), slowest)

	_, tl := c.do("GET", "/api/v1/incidents/"+id+"/timeline", adminToken, nil)
	seen := map[string]int{}
	var order []int
	for _, e := range tl["events"].([]any) {
		ev := e.(map[string]any)
		if ev["kind"] != "note.added" {
			continue
		}
		text := ev["data"].(map[string]any)["text"].(string)
		seen[text]++
		order = append(order, int(ev["seq"].(float64)))
	}
	for i, text := range texts[:30] {
		require.Equal(t, 1, seen[text], "note %d must be on the timeline exactly once", i)
	}
	require.Equal(t, 2, seen[texts[30]], "two people writing the same words made two notes")
	require.Equal(t, 1, seen["retried note"], "a request repeated with its request_id is one note")
	require.Len(t, order, clients+1, "notes on the timeline")

	code, v := c.do("GET", "/api/v1/incidents/"+id+"/timeline/verify", adminToken, nil)
	require.Equal(t, http.StatusOK, code)
	require.Equal(t, true, v["ok"], "the chain must verify after concurrent writes: %v", v)

	// The incident still answers one more action at once afterwards.
	c.act(adminToken, id, map[string]any{"type": "note", "text": "after the burst"})
	writeHistory(t, m, "incident/"+id, "incident-concurrent-notes")
}

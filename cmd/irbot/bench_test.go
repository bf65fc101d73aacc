package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestBenchReportsEveryRow runs irbot bench end to end with tiny sizes and
// checks its JSON for completeness: every row present once, with what it
// measures, and a figure or the reason there is none. Absolute times are not
// checked: this machine is shared.
func TestBenchReportsEveryRow(t *testing.T) {
	t.Parallel() // waits on real timers or an outage; see TestMain
	if testing.Short() {
		t.Skip("starts the whole stack")
	}
	o := benchOpts{quick: true, slackLatency: 5 * time.Millisecond}
	o.acks, o.slackDeclares, o.apiDeclares, o.openIncidents = 20, 3, 4, 6
	o.notes, o.concurrent, o.loadActions, o.verifyEvents, o.reminders = 3, 4, 8, 200, 3
	var log bytes.Buffer
	rep, err := runBench(t.Context(), o, &log)
	require.NoError(t, err, log.String())

	out := filepath.Join(t.TempDir(), "bench.json")
	raw, err := json.Marshal(rep)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(out, raw, 0o600))
	var back BenchReport
	require.NoError(t, json.Unmarshal(raw, &back))

	require.Len(t, back.Rows, len(BenchRowNames))
	for i, r := range back.Rows {
		require.Equal(t, BenchRowNames[i], r.Name)
		require.NotEmpty(t, r.What, r.Name)
		require.NotContains(t, r.Note, "not produced", r.Name)
		if r.Measured {
			require.NotEmpty(t, r.Unit, r.Name)
		} else {
			require.NotEmpty(t, r.Note, "%s: a row without a figure must say why", r.Name)
		}
		if r.Budget != "" && r.Measured {
			require.NotNil(t, r.Pass, "%s has a budget, so it must say pass or fail", r.Name)
		}
	}
	var table bytes.Buffer
	printBench(&table, &back)
	for _, n := range BenchRowNames {
		require.Contains(t, table.String(), n)
	}
	require.True(t, strings.HasPrefix(table.String(), "irbot bench (quick"), table.String())
	t.Log("\n" + table.String())
}

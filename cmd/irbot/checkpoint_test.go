package main

import (
	"crypto/ed25519"
	"encoding/hex"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/irbot/irbot/internal/checkpoint"
)

// TestCheckpointOnDemandCatchesARewriteOfTheWholeDatabase: an auditor takes
// a checkpoint through the CLI (no waiting for the daily digest), keeps it,
// and later `irbot verify ID --checkpoint FILE --public-key HEX` passes on
// the intact record and fails once an insider has cut the incident's chain
// short and deleted the stored checkpoints (so the server's own verify says
// ok). The purged incident shows up in `irbot tombstones`.
func TestCheckpointOnDemandCatchesARewriteOfTheWholeDatabase(t *testing.T) {
	dataDir := filepath.Join(t.TempDir(), "data")
	m := startMainEnv(t, dataDir, nil)
	t.Cleanup(func() { _ = m.Close() })
	c := apiClient{t: t, base: "http://" + m.Addr()}
	e := declareBreach(t, c, "live", time.Now().Add(-2*time.Hour), nil)
	c.act(responderToken, e.id, map[string]any{"type": "note", "text": "Bucket closed at 10:05 — 東京 team informed"})
	_, open := c.do("GET", "/api/v1/incidents/"+e.id, dpoToken, nil)
	for _, raw := range open["clocks"].([]any) {
		if clk := raw.(map[string]any); clk["status"] == "running" || clk["status"] == "overdue" {
			c.act(dpoToken, e.id, map[string]any{"type": "record_notification", "regime": clk["regime"], "obligation": clk["obligation"], "reference": "REG-2026-7"})
		}
	}
	c.act(adminToken, e.id, map[string]any{"type": "close", "reason": "contained"})
	require.Eventually(t, func() bool {
		sn, err := m.store.LatestSnapshot(t.Context(), e.id)
		return err == nil && strings.Contains(string(sn.State), `"status":"closed"`) && contains(timelineKinds(c, e.id), "incident.closed")
	}, 20*time.Second, 100*time.Millisecond, "the closed incident is in the store")
	events, err := m.store.Events(t.Context(), e.id)
	require.NoError(t, err)
	key, err := checkpoint.LoadKey(func(string) string { return "" }, dataDir)
	require.NoError(t, err)
	pub := hex.EncodeToString(key.Public().(ed25519.PublicKey))

	dir := t.TempDir()
	cpJSON, cpText := filepath.Join(dir, "checkpoint.json"), filepath.Join(dir, "checkpoint.txt")
	t.Setenv("IRBOT_URL", "http://"+m.Addr())
	t.Setenv("IRBOT_TOKEN", responderToken)
	out, errOut, code := runCmd("checkpoint", "--out", cpJSON)
	require.Equal(t, 1, code, "a responder does not read the record: %s%s", out, errOut)
	require.Contains(t, errOut, "HTTP 403")
	require.NoFileExists(t, cpJSON)

	t.Setenv("IRBOT_TOKEN", dpoToken)
	start := time.Now()
	out, errOut, code = runCmd("checkpoint", "--out", cpJSON)
	took := time.Since(start)
	require.Equal(t, 0, code, "%s%s", out, errOut)
	require.Contains(t, out, "wrote "+cpJSON+": checkpoint ")
	require.Contains(t, out, "by Ed25519 key "+pub)
	t.Logf("irbot checkpoint signed and saved a checkpoint in %s", took)
	held, err := os.ReadFile(cpJSON)
	require.NoError(t, err)
	cp, err := checkpoint.ParseHeld(held)
	require.NoError(t, err)
	out, errOut, code = runCmd("checkpoint", "latest", "--format", "text", "--out", cpText)
	require.Equal(t, 0, code, "%s%s", out, errOut)
	text, err := os.ReadFile(cpText)
	require.NoError(t, err)
	require.Equal(t, checkpoint.Summary(cp), string(text), "latest is the checkpoint just taken, in the digest's text")
	out, _, code = runCmd("checkpoint", "0")
	require.Equal(t, 2, code, out)

	// The same through the API (answers checked against openapi.json).
	code, signed := c.do("POST", "/api/v1/checkpoints", managerToken, nil)
	require.Equal(t, http.StatusCreated, code, "%v", signed)
	require.Equal(t, cp.ID+1, int64(signed["id"].(float64)))
	code, asText := c.do("GET", "/api/v1/checkpoints/latest?format=text", managerToken, nil)
	require.Equal(t, http.StatusOK, code, "%v", asText)
	require.Contains(t, asText["raw"], "Chain checkpoint "+itoa(cp.ID+1)+", signed ")
	code, _ = c.do("POST", "/api/v1/checkpoints", responderToken, nil)
	require.Equal(t, http.StatusForbidden, code)

	for _, file := range []string{cpJSON, cpText} {
		out, errOut, code = runCmd("verify", e.id, "--checkpoint", file, "--public-key", pub)
		require.Equal(t, 0, code, "the intact chain is the one the checkpoint saw: %s%s", out, errOut)
		require.Contains(t, out, "the chain is the one checkpoint")
	}

	// The insider cuts the chain short (the close and the snapshot it
	// carries), moves the head, and deletes the stored checkpoints: every
	// check the server can make alone passes.
	last := events[len(events)-1]
	prev := events[len(events)-2]
	db := storeDB(t, dataDir)
	for _, stmt := range []string{
		`DELETE FROM timeline_events WHERE incident_id = ? AND seq >= ` + itoa(last.Seq),
		`DELETE FROM incident_snapshots WHERE incident_id = ? AND version >= ` + itoa(last.Seq),
		`UPDATE timeline_heads SET last_seq = ` + itoa(prev.Seq) + `, last_hash = '` + prev.Hash + `' WHERE incident_id = ?`,
		`DELETE FROM checkpoints WHERE ? <> ''`,
	} {
		_, err := db.ExecContext(t.Context(), stmt, e.id)
		require.NoError(t, err, stmt)
	}
	code, v := c.do("GET", "/api/v1/incidents/"+e.id+"/timeline/verify", dpoToken, nil)
	require.Equal(t, http.StatusOK, code)
	require.Equal(t, true, v["ok"], "the rewrite passes every check the server can make alone: %v", v)
	for _, file := range []string{cpJSON, cpText} {
		out, errOut, code = runCmd("verify", e.id, "--checkpoint", file, "--public-key", pub)
		require.Equal(t, 1, code, "the held checkpoint catches the rewrite: %s%s", out, errOut)
		require.Contains(t, out, "NOT OK")
		require.Contains(t, out, "events were deleted")
	}

	// Retention purges the closed incident: its tombstone keeps the final
	// chain head, listed for record readers.
	_, err = m.store.PurgeIncident(t.Context(), e.id, "retention: "+RetentionEnv+"=2555d")
	require.NoError(t, err)
	out, errOut, code = runCmd("tombstones", "--from", time.Now().UTC().AddDate(0, 0, -1).Format("2006-01-02"))
	require.Equal(t, 0, code, "%s%s", out, errOut)
	require.Contains(t, out, e.id)
	require.Contains(t, out, prev.Hash, "the tombstone keeps the chain head as it was at the purge")
	code, ts := c.do("GET", "/api/v1/tombstones", managerToken, nil)
	require.Equal(t, http.StatusOK, code, "%v", ts)
	require.Len(t, ts["tombstones"], 1)
	require.Equal(t, prev.Hash, ts["tombstones"].([]any)[0].(map[string]any)["final_hash"])
	out, errOut, code = runCmd("tombstones", "--to", "2020-01-01")
	require.Equal(t, 0, code, "%s%s", out, errOut)
	require.Contains(t, out, "no purged incidents")
	out, errOut, code = runCmd("tombstones", "--from", "yesterday")
	require.Equal(t, 1, code, "%s%s", out, errOut)
	require.Contains(t, errOut, "HTTP 400")
	t.Setenv("IRBOT_TOKEN", responderToken)
	out, errOut, code = runCmd("tombstones")
	require.Equal(t, 1, code, "%s%s", out, errOut)
	require.Contains(t, errOut, "HTTP 403")
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

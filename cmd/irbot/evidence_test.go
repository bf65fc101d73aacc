package main

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/irbot/irbot/internal/checkpoint"
	"github.com/irbot/irbot/internal/smtptest"
)

func getRaw(t *testing.T, c apiClient, path, token string) (int, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequest("GET", c.base+path, nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer func() { _ = resp.Body.Close() }()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, resp.Header, b
}

// TestEvidencePackOfABreachRunToCloseVerifiesOffline runs a GDPR breach from
// declaration through an approved, sent notice to close, exports its
// evidence pack through the API and the CLI, and checks it offline with
// irbot verify --evidence: intact it passes, with one byte changed it fails
// naming the file. The breach register has the incident's row, the row of a
// breach with nothing settled, and never the drill.
func TestEvidencePackOfABreachRunToCloseVerifiesOffline(t *testing.T) {
	smtp := smtptest.Start(t)
	dataDir := filepath.Join(t.TempDir(), "data")
	m := startMainEnv(t, dataDir, smtpEnv(smtp))
	t.Cleanup(func() { _ = m.Close() })
	c := apiClient{t: t, base: "http://" + m.Addr()}
	e := declareBreach(t, c, "live", time.Now().Add(-2*time.Hour), gdprFacts)
	n := e.draft(t, dpoToken, map[string]any{"regime": "eu-gdpr", "obligation": "supervisory-authority", "to": []string{"breach@dpa.example"}})
	e.approveAndSend(t, n["id"].(string))
	e.waitStatus(t, n["id"].(string), "sent", 30*time.Second)
	e.waitRegister(t, 1)
	c.act(dpoToken, e.id, map[string]any{"type": "record_notification", "regime": "eu-gdpr", "obligation": "internal-register", "reference": "internal register entry 12"})
	c.act(adminToken, e.id, map[string]any{"type": "close", "reason": "contained; Zürich office — 東京 team informed"})
	unsettled := declareBreach(t, c, "live", time.Now().Add(-time.Hour), nil)
	drill := declareBreach(t, c, "drill", time.Now().Add(-time.Hour), gdprFacts)

	// The pack through the API.
	code, h, pack := getRaw(t, c, "/api/v1/incidents/"+e.id+"/evidence", dpoToken)
	require.Equal(t, http.StatusOK, code, "%s", pack)
	require.Equal(t, "application/zip", h.Get("Content-Type"))
	code, _, _ = getRaw(t, c, "/api/v1/incidents/"+e.id+"/evidence", responderToken)
	require.Equal(t, http.StatusForbidden, code, "the pack carries the registers: a responder may not take it")
	code, _, _ = getRaw(t, c, "/api/v1/incidents/INC-1999-9999/evidence", dpoToken)
	require.Equal(t, http.StatusNotFound, code)

	zr, err := zip.NewReader(bytes.NewReader(pack), int64(len(pack)))
	require.NoError(t, err)
	files := map[string][]byte{}
	var pdfFile *zip.File
	for _, f := range zr.File {
		rc, err := f.Open()
		require.NoError(t, err)
		files[strings.TrimPrefix(f.Name, e.id+"/")], _ = io.ReadAll(rc)
		_ = rc.Close()
		if strings.HasSuffix(f.Name, "/report.pdf") {
			pdfFile = f
		}
	}
	var tl struct {
		Events []struct{ Kind, Hash string } `json:"events"`
	}
	require.NoError(t, json.Unmarshal(files["timeline.json"], &tl))
	head := tl.Events[len(tl.Events)-1].Hash
	var man struct {
		ChainHead string `json:"chain_head"`
	}
	require.NoError(t, json.Unmarshal(files["manifest.json"], &man))
	require.Equal(t, head, man.ChainHead)
	var notices int
	for name := range files {
		if strings.HasPrefix(name, "notices/") && strings.HasSuffix(name, ".json") {
			notices++
		}
	}
	require.Equal(t, 1, notices, "the sent notice's metadata is in the pack")
	var br struct {
		Entries []struct {
			Obligations []struct{ Obligation, Outcome, MetBy string } `json:"obligations"`
		} `json:"entries"`
	}
	require.NoError(t, json.Unmarshal(files["breach-register.json"], &br))
	require.Len(t, br.Entries, 1)

	if _, err := exec.LookPath("pdftotext"); err == nil {
		p := filepath.Join(t.TempDir(), "report.pdf")
		require.NoError(t, os.WriteFile(p, files["report.pdf"], 0o600))
		out, err := exec.Command("pdftotext", "-enc", "UTF-8", p, "-").CombinedOutput()
		require.NoError(t, err, "%s", out)
		for _, ev := range tl.Events {
			require.Contains(t, strings.ReplaceAll(string(out), "\n", " "), ev.Kind, "report.pdf must list every event's kind")
		}
		require.Contains(t, strings.ReplaceAll(string(out), "\n", ""), head, "report.pdf must show the chain head")
	} else {
		t.Log("pdftotext not installed: the PDF's text is not checked here (.ci/run installs poppler-utils)")
	}

	// A checkpoint as the digest carries it, kept away from the server (it
	// is signed before the pack is taken, so the pack holds every event it
	// saw).
	dir := t.TempDir()
	key, err := checkpoint.LoadKey(func(string) string { return "" }, dataDir)
	require.NoError(t, err)
	cp, err := m.store.SignCheckpoint(t.Context(), key, time.Now())
	require.NoError(t, err)
	cpPath := filepath.Join(dir, "checkpoint.txt")
	require.NoError(t, os.WriteFile(cpPath, []byte("From the daily digest:\n"+checkpoint.Summary(cp)), 0o600))
	pub := cp.PublicKey

	// The pack through the CLI, then checked offline: no server, no token.
	t.Setenv("IRBOT_URL", "http://"+m.Addr())
	t.Setenv("IRBOT_TOKEN", dpoToken)
	zipPath := filepath.Join(dir, "pack.zip")
	out, errOut, code := runCmd("evidence", e.id, "-o", zipPath)
	require.Equal(t, 0, code, "%s%s", out, errOut)
	require.Contains(t, out, "verified offline")
	t.Setenv("IRBOT_TOKEN", "")
	t.Setenv("IRBOT_URL", "http://127.0.0.1:1")
	out, errOut, code = runCmd("verify", "--evidence", zipPath)
	require.Equal(t, 0, code, "an intact pack verifies offline: %s%s", out, errOut)
	require.Contains(t, out, "ok: "+e.id)
	require.Contains(t, out, head)
	out, errOut, code = runCmd("verify", "--evidence", zipPath, "--checkpoint", cpPath, "--public-key", pub)
	require.Equal(t, 0, code, "the pack's chain is the one the held checkpoint saw: %s%s", out, errOut)
	require.Contains(t, out, fmt.Sprintf("the chain is the one checkpoint %d saw", cp.ID))
	other := strings.Repeat("ab", 32)
	out, errOut, code = runCmd("verify", "--evidence", zipPath, "--checkpoint", cpPath, "--public-key", other)
	require.Equal(t, 2, code, "a checkpoint signed by another key than the trusted one is refused: %s%s", out, errOut)
	require.Contains(t, errOut, "not by the trusted key")

	off, err := pdfFile.DataOffset()
	require.NoError(t, err)
	bad := bytes.Clone(pack)
	bad[off+int64(pdfFile.CompressedSize64)/2] ^= 0x20
	badPath := filepath.Join(dir, "bad.zip")
	require.NoError(t, os.WriteFile(badPath, bad, 0o600))
	out, _, code = runCmd("verify", "--evidence", badPath)
	require.Equal(t, 1, code, "a pack with one byte changed must fail: %s", out)
	require.Contains(t, out, "report.pdf", "the failure names the changed file")

	// Online: the chain recomputed here from what the server sends, against
	// the held checkpoint.
	t.Setenv("IRBOT_URL", "http://"+m.Addr())
	t.Setenv("IRBOT_TOKEN", dpoToken)
	out, errOut, code = runCmd("verify", e.id, "--checkpoint", cpPath)
	require.Equal(t, 0, code, "%s%s", out, errOut)
	require.Contains(t, out, "hash chain intact")
	require.Contains(t, out, fmt.Sprintf("the chain is the one checkpoint %d saw", cp.ID))
	require.Contains(t, out, "pass --public-key", "without a trusted key, the output says so")

	// The breach register.
	code, reg := c.do("GET", "/api/v1/breach-register", dpoToken, nil)
	require.Equal(t, http.StatusOK, code, "%v", reg)
	rows := map[string]map[string]any{}
	for _, r := range reg["entries"].([]any) {
		rows[r.(map[string]any)["incident_id"].(string)] = r.(map[string]any)
	}
	require.Contains(t, rows, e.id)
	require.Contains(t, rows, unsettled.id, "a breach with nothing settled has a row")
	require.NotContains(t, rows, drill.id, "drills never enter the breach register")
	require.Equal(t, "closed", rows[e.id]["status"])
	require.Equal(t, gdprFacts["nature"], rows[e.id]["nature"])
	outcomes := map[string]string{}
	for _, o := range rows[e.id]["obligations"].([]any) {
		outcomes[o.(map[string]any)["obligation"].(string)] = o.(map[string]any)["outcome"].(string)
	}
	require.Equal(t, "met", outcomes["supervisory-authority"], "%v", rows[e.id]["obligations"])
	code, _, csvBody := getRaw(t, c, "/api/v1/breach-register?format=csv&regime=eu-gdpr&from=2020-01-01", dpoToken)
	require.Equal(t, http.StatusOK, code, "%s", csvBody)
	require.Contains(t, string(csvBody), "\r\n"+e.id+",")
	for _, q := range []string{"?period=2026", "?regime=xx-nowhere", "?from=yesterday", "?hipaa_year=26", "?hipaa_year=2026&regime=eu-gdpr", "?format=pdf"} {
		code, body := c.do("GET", "/api/v1/breach-register"+q, dpoToken, nil)
		require.Equal(t, http.StatusBadRequest, code, "%s: %v", q, body)
	}
	code, _ = c.do("GET", "/api/v1/breach-register", responderToken, nil)
	require.Equal(t, http.StatusForbidden, code)
	code, hipaa := c.do("GET", "/api/v1/breach-register?hipaa_year="+time.Now().UTC().Format("2006"), dpoToken, nil)
	require.Equal(t, http.StatusOK, code, "%v", hipaa)
	require.Empty(t, hipaa["entries"], "no incident here is under us-hipaa")
}

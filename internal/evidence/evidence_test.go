package evidence_test

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/irbot/irbot/internal/evidence"
	"github.com/irbot/irbot/internal/incident"
	"github.com/irbot/irbot/internal/store"
	"github.com/irbot/irbot/templates"
	"github.com/irbot/irbot/workflows"
)

// source is the real incident service on a real SQLite store (a shared
// PostgreSQL database would mix its rows with other packages' tests; the
// store package covers both backends) for everything the store
// answers; the incident's and notices' live state, which Temporal answers,
// is given.
type source struct {
	*incident.Service
	state   workflows.IncidentState
	notices []workflows.NoticeState
}

func (s source) Get(context.Context, workflows.Actor, string) (*workflows.IncidentState, error) {
	st := s.state
	return &st, nil
}

func (s source) Notices(context.Context, workflows.Actor, string) ([]workflows.NoticeState, error) {
	return s.notices, nil
}

var _ evidence.Source = source{}

var (
	dpo     = workflows.Actor{ID: "U0DPO", Name: "Dana", Roles: []string{"dpo"}}
	t0      = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	subject = "Notification of a personal data breach — Zürich / 東京"
	text    = "Dear authority,\nWe report a breach affecting 120 people (Müller, 山田).\n=HYPERLINK(\"x\")\n"
	html    = "<p>Dear authority,</p>"
)

// seed writes a realistic live incident into a fresh store: declared with
// facts in other scripts, a clock met by a sent notice, a decision not to
// notify individuals, closed. It returns the source and the events.
func seed(t *testing.T) (source, []store.Event) {
	t.Helper()
	st, err := store.Open(t.Context(), "", filepath.Join(t.TempDir(), "data"))
	require.NoError(t, err)
	t.Cleanup(func() { st.Close() })
	ctx := t.Context()
	id, _, err := st.ReserveIncidentID(ctx, fmt.Sprintf("INC-%d", time.Now().UnixNano()%1e9), "")
	require.NoError(t, err)
	require.NoError(t, st.UpsertIncident(ctx, store.Incident{ID: id, Title: "Fuite de données — 東京", Severity: "high", Mode: workflows.ModeLive, Status: "closed", DeclaredBy: dpo.ID, DeclaredAt: t0}))
	hash := templates.ContentHash(subject, text, html)
	n := 0
	add := func(at time.Time, kind, actor string, data map[string]any) {
		n++
		b, err := json.Marshal(data)
		require.NoError(t, err)
		_, _, err = st.Append(ctx, store.Event{IncidentID: id, Key: fmt.Sprintf("k%d", n), At: at, Kind: kind, Actor: actor, Data: b})
		require.NoError(t, err)
	}
	add(t0, "incident.declared", dpo.ID, map[string]any{"title": "Fuite de données — 東京", "severity": "high", "mode": "live", "regimes": []string{"eu-gdpr"},
		"aware_at": "2026-03-02T08:00:00Z", "discovered_at": "2026-03-02T07:30:00Z", "stated_by": dpo,
		"facts": map[string]any{"nature": "ransomware — chiffrement", "personal_data": "yes"}, "nul": "a\x00b", "big": json.Number("12345678901234567890.10")})
	add(t0.Add(time.Minute), "clock.added", "system", map[string]any{"regime": "eu-gdpr", "obligation": "authority", "recipient": "authority", "due_at": "2026-03-05T08:00:00Z"})
	add(t0.Add(time.Minute), "clock.added", "system", map[string]any{"regime": "eu-gdpr", "obligation": "individuals", "recipient": "individuals", "due_at": ""})
	add(t0.Add(2*time.Minute), "fact.set", dpo.ID, map[string]any{"name": "subjects_count", "value": 120})
	add(t0.Add(3*time.Minute), "fact.set", dpo.ID, map[string]any{"name": "measures", "value": "=cmd|' /C calc'!A0 passwords reset"})
	add(t0.Add(4*time.Minute), "notice.approved", "U0LEGAL", map[string]any{"notice": "N1", "regime": "eu-gdpr", "obligation": "authority", "content_hash": hash, "drafted_by": dpo.ID})
	add(t0.Add(4*time.Minute), "gate.approved", "U0LEGAL", map[string]any{"gate": "notify-authority", "complete": true})
	add(t0.Add(5*time.Minute), "notice.sent", "irbot", map[string]any{"notice": "N1", "regime": "eu-gdpr", "obligation": "authority", "content_hash": hash, "message_id": "<n1@irbot.invalid>"})
	add(t0.Add(5*time.Minute), "notification.recorded", "irbot", map[string]any{"regime": "eu-gdpr", "obligation": "authority", "sent_at": "2026-03-02T09:05:00Z",
		"on_time": true, "met_by": "2 d 22 h 55 min", "message_id": "<n1@irbot.invalid>", "approved_by": "U0LEGAL", "content_hash": hash})
	add(t0.Add(6*time.Minute), "notification.not_required", "U0LEGAL", map[string]any{"regime": "eu-gdpr", "obligation": "individuals",
		"rationale": "data encrypted at rest; key not compromised", "decided_by": []string{dpo.ID, "U0LEGAL"}})
	add(t0.Add(7*time.Minute), "incident.closed", dpo.ID, map[string]any{"reason": "contained"})
	sent, due := t0.Add(5*time.Minute), t0.Add(71*time.Hour)
	on := true
	require.NoError(t, st.PutRegister(ctx, store.RegisterEntry{ID: id + "/eu-gdpr/authority/notice/N1", IncidentID: id, Kind: store.RegisterNotice, Regime: "eu-gdpr",
		Obligation: "authority", Recipient: "authority", To: []string{"breach@dpa.example"}, Status: "sent", DueAt: &due, SentAt: &sent, OnTime: &on,
		MessageID: "<n1@irbot.invalid>", ContentHash: hash, DecidedBy: "U0LEGAL", RecordedAt: sent}))
	events, err := st.Events(ctx, id)
	require.NoError(t, err)
	svc := &incident.Service{Store: st, Now: func() time.Time { return t0.Add(time.Hour) }}
	closed := t0.Add(7 * time.Minute)
	return source{
		Service: svc,
		state: workflows.IncidentState{ID: id, Title: "Fuite de données — 東京", Severity: "high", Mode: workflows.ModeLive, Status: "closed",
			DeclaredBy: dpo, DeclaredAt: t0, ClosedAt: &closed, Regimes: []string{"eu-gdpr"}, Facts: map[string]any{"subjects_count": 120}},
		notices: []workflows.NoticeState{{NoticeSummary: workflows.NoticeSummary{ID: "N1", Regime: "eu-gdpr", Obligation: "authority", Recipient: "authority",
			To: []string{"breach@dpa.example"}, Status: workflows.NoticeSent, DraftedBy: dpo.ID, ApprovedBy: "U0LEGAL", MessageID: "<n1@irbot.invalid>",
			SentAt: &sent, OnTime: &on, ContentHash: hash, Subject: subject}, IncidentID: id, Mode: "live", Text: text, HTML: html}},
	}, events
}

func build(t *testing.T, src source, messages evidence.MessageFunc) []byte {
	t.Helper()
	var b bytes.Buffer
	p := &evidence.Packer{Source: src, Messages: messages, Now: func() time.Time { return t0.Add(2 * time.Hour) }}
	require.NoError(t, p.WriteEvidence(t.Context(), dpo, &b, src.state.ID))
	return b.Bytes()
}

func unzip(t *testing.T, pack []byte) map[string][]byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(pack), int64(len(pack)))
	require.NoError(t, err)
	out := map[string][]byte{}
	for _, f := range zr.File {
		rc, err := f.Open()
		require.NoError(t, err)
		b, err := io.ReadAll(rc)
		require.NoError(t, err)
		_, name, _ := strings.Cut(f.Name, "/")
		out[name] = b
	}
	return out
}

// rezip writes files back as a pack (as someone editing it would).
func rezip(t *testing.T, root string, files map[string][]byte) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for name, data := range files {
		w, err := zw.Create(root + "/" + name)
		require.NoError(t, err)
		_, err = w.Write(data)
		require.NoError(t, err)
	}
	require.NoError(t, zw.Close())
	return b.Bytes()
}

func TestPackHoldsEverythingAndVerifies(t *testing.T) {
	src, events := seed(t)
	eml := []byte("Message-ID: <n1@irbot.invalid>\r\nSubject: test\r\n\r\nbody\r\n")
	pack := build(t, src, func(_ context.Context, _ workflows.Actor, _, notice string) ([]byte, error) {
		if notice == "N1" {
			return eml, nil
		}
		return nil, evidence.ErrMessageNotKept
	})
	files := unzip(t, pack)
	for _, name := range []string{"manifest.json", "incident.json", "timeline.json", "timeline.csv", "timeline.md", "notices/N1.json", "notices/N1.eml",
		"register.json", "register.csv", "breach-register.json", "verify.json", "report.pdf", "VERIFY.md", "verify_chain.py"} {
		require.Contains(t, files, name, "the pack must hold %s", name)
	}
	head := events[len(events)-1].Hash
	t.Logf("pack of %d events: %d bytes, %d files, report.pdf %d bytes", len(events), len(pack), len(files), len(files["report.pdf"]))
	var m evidence.Manifest
	require.NoError(t, json.Unmarshal(files["manifest.json"], &m))
	require.Equal(t, head, m.ChainHead)
	require.Len(t, m.Files, len(files)-1, "the manifest lists every file but itself")
	require.Equal(t, eml, files["notices/N1.eml"])
	require.Contains(t, string(files["VERIFY.md"]), head)
	require.Contains(t, string(files["timeline.csv"]), "\r\n", "CSV is RFC 4180 with CRLF")

	var br struct{ Entries []incident.BreachEntry }
	require.NoError(t, json.Unmarshal(files["breach-register.json"], &br))
	require.Len(t, br.Entries, 1)
	require.Equal(t, incident.OutcomeMet, br.Entries[0].Obligations[0].Outcome)
	require.Equal(t, "2 d 22 h 55 min", br.Entries[0].Obligations[0].MetBy)
	require.Len(t, br.Entries[0].NotNotified, 1)
	require.Equal(t, []string{dpo.ID, "U0LEGAL"}, br.Entries[0].NotNotified[0].DecidedBy)

	res := evidence.Verify(pack)
	require.True(t, res.OK, "a pack fresh from the server must verify: %v", res.Problems)
	require.Equal(t, len(events), res.Events)
	require.Equal(t, 1, res.EMLs)

	t.Run("the PDF's text has every event kind and the chain head", func(t *testing.T) {
		if _, err := exec.LookPath("pdftotext"); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatal("pdftotext (poppler-utils) is not installed; .ci/run installs it")
			}
			t.Skip("pdftotext (poppler-utils) is not installed; .ci/run installs it")
		}
		p := filepath.Join(t.TempDir(), "report.pdf")
		require.NoError(t, os.WriteFile(p, files["report.pdf"], 0o600))
		out, err := exec.Command("pdftotext", "-enc", "UTF-8", p, "-").CombinedOutput()
		require.NoError(t, err, "%s", out)
		txt := strings.ReplaceAll(string(out), "\n", " ")
		for _, e := range events {
			require.Contains(t, txt, e.Kind, "report.pdf lacks event %d's kind", e.Seq)
		}
		require.Contains(t, strings.ReplaceAll(string(out), "\n", ""), head, "report.pdf lacks the chain head")
		for _, want := range []string{"Fuite de données", "[U+6771][U+4EAC]", "met with 2 d 22 h 55 min to spare", "data encrypted at rest"} {
			require.Contains(t, txt, want)
		}
	})

	t.Run("the reference script recomputes the chain", func(t *testing.T) {
		py, err := exec.LookPath("/usr/bin/python3") // not a version manager's shim: slow under load
		if err != nil {
			py, err = exec.LookPath("python3")
		}
		if err != nil {
			t.Skip("python3 is not installed")
		}
		dir := t.TempDir()
		zp, script := filepath.Join(dir, "pack.zip"), filepath.Join(dir, "verify_chain.py")
		require.NoError(t, os.WriteFile(zp, pack, 0o600))
		require.NoError(t, os.WriteFile(script, files["verify_chain.py"], 0o600))
		out, err := exec.Command(py, script, zp).CombinedOutput()
		require.NoError(t, err, "%s", out)
		require.Equal(t, fmt.Sprintf("ok: %d events, chain head %s\n", len(events), head), string(out))

		// An edited event fails the script, naming it.
		tl := strings.Replace(string(files["timeline.json"]), "contained", "containe_", 1)
		tp := filepath.Join(dir, "timeline.json")
		require.NoError(t, os.WriteFile(tp, []byte(tl), 0o600))
		out, err = exec.Command(py, script, tp).CombinedOutput()
		require.Error(t, err)
		require.Contains(t, string(out), fmt.Sprintf("event %d (incident.closed)", len(events)))
	})
}

func TestVerifyNamesTheChangedFile(t *testing.T) {
	src, _ := seed(t)
	pack := build(t, src, nil)
	files := unzip(t, pack)
	root := src.state.ID
	problems := func(p []byte) string {
		res := evidence.Verify(p)
		require.False(t, res.OK, "a changed pack must fail")
		var s []string
		for _, p := range res.Problems {
			s = append(s, p.String())
		}
		return strings.Join(s, "\n")
	}
	t.Run("one byte flipped in the zip", func(t *testing.T) {
		// Flip a byte inside report.pdf's compressed data.
		zr, err := zip.NewReader(bytes.NewReader(pack), int64(len(pack)))
		require.NoError(t, err)
		for _, f := range zr.File {
			if strings.HasSuffix(f.Name, "/report.pdf") {
				off, err := f.DataOffset()
				require.NoError(t, err)
				bad := bytes.Clone(pack)
				bad[off+int64(f.CompressedSize64)/2] ^= 0x01
				require.Contains(t, problems(bad), "report.pdf")
			}
		}
	})
	for _, tc := range []struct {
		name, file, from, to, want string
	}{
		{"an edited register row, rezipped", "register.json", `"on_time": true`, `"on_time": false`, "register.json: SHA-256"},
		{"an edited notice, rezipped", "notices/N1.json", "120 people", "12 people", "notices/N1.json: SHA-256"},
		{"an edited event, rezipped", "timeline.json", `contained`, `containe_`, "timeline.json: SHA-256"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			changed := map[string][]byte{}
			for k, v := range files {
				changed[k] = v
			}
			require.Contains(t, string(files[tc.file]), tc.from)
			changed[tc.file] = []byte(strings.Replace(string(files[tc.file]), tc.from, tc.to, 1))
			require.Contains(t, problems(rezip(t, root, changed)), tc.want)
		})
	}
	t.Run("an edited event with the manifest rewritten to match", func(t *testing.T) {
		changed := map[string][]byte{}
		for k, v := range files {
			changed[k] = v
		}
		changed["timeline.json"] = []byte(strings.Replace(string(files["timeline.json"]), "contained", "containe_", 1))
		changed["notices/N1.json"] = []byte(strings.Replace(string(files["notices/N1.json"]), "120 people", "12 people", 1))
		var m evidence.Manifest
		require.NoError(t, json.Unmarshal(files["manifest.json"], &m))
		for i, f := range m.Files {
			m.Files[i].SHA256 = sha(changed[f.Path])
		}
		changed["manifest.json"], _ = json.Marshal(m)
		got := problems(rezip(t, root, changed))
		require.Contains(t, got, "timeline.json: event 11 (incident.closed) was changed")
		require.Contains(t, got, "notices/N1.json: content_hash")
	})
	t.Run("a file added or removed", func(t *testing.T) {
		changed := map[string][]byte{"extra.txt": []byte("x")}
		for k, v := range files {
			if k != "verify.json" {
				changed[k] = v
			}
		}
		got := problems(rezip(t, root, changed))
		require.Contains(t, got, "extra.txt: in the pack but not in the manifest")
		require.Contains(t, got, "verify.json: listed in the manifest but missing")
	})
	t.Run("not a zip at all", func(t *testing.T) {
		for _, p := range [][]byte{nil, []byte("PK\x03\x04"), bytes.Repeat([]byte{0}, 4096)} {
			require.Contains(t, problems(p), "(pack)")
		}
	})
}

func TestPackNeedsARegisterReader(t *testing.T) {
	src, _ := seed(t)
	var b bytes.Buffer
	err := (&evidence.Packer{Source: src}).WriteEvidence(t.Context(), workflows.Actor{ID: "U0R", Roles: []string{"responder"}}, &b, src.state.ID)
	require.ErrorContains(t, err, "registers are for")
	require.Zero(t, b.Len(), "nothing is written for a refused pack")
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func TestAPackIsCheckedAgainstACheckpointHeldElsewhere(t *testing.T) {
	src, events := seed(t)
	key := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))
	c, err := src.Store.(store.CheckpointStore).SignCheckpoint(t.Context(), key, t0.Add(time.Hour))
	require.NoError(t, err)
	pack := build(t, src, nil)
	res := evidence.VerifyAgainst(pack, c)
	require.True(t, res.OK, "%v", res.Problems)

	// The whole database rewritten and the pack rebuilt from it: the pack
	// recomputes cleanly on its own, but the checkpoint saw another chain.
	var body store.CheckpointBody
	require.NoError(t, json.Unmarshal(c.Body, &body))
	for i, h := range body.Heads {
		if h.IncidentID == src.state.ID {
			require.Equal(t, events[len(events)-1].Hash, h.Hash)
			body.Heads[i].Hash = strings.Repeat("0", 64)
		}
	}
	raw, err := json.Marshal(body)
	require.NoError(t, err)
	forged := store.Checkpoint{ID: c.ID, At: c.At, Body: raw, PublicKey: c.PublicKey, Signature: hex.EncodeToString(ed25519.Sign(key, raw))}
	require.True(t, evidence.Verify(pack).OK)
	res = evidence.VerifyAgainst(pack, forged)
	require.False(t, res.OK)
	require.Len(t, res.Problems, 1)
	require.Equal(t, "timeline.json", res.Problems[0].File)
	require.Contains(t, res.Problems[0].Detail, fmt.Sprintf("event %d is not the event checkpoint %d", len(events), c.ID))
}

package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/stretchr/testify/require"
	"go.temporal.io/api/enums/v1"
	"google.golang.org/protobuf/encoding/protojson"

	commonpb "go.temporal.io/api/common/v1"

	"github.com/irbot/irbot/internal/keyring"
	"github.com/irbot/irbot/internal/smtptest"
	"github.com/irbot/irbot/workflows"
)

// The personal data of the grep test: a name, an email and a phone, in
// Latin (with letters JSON and HTML escape) and in Cyrillic and Greek.
var grepPersonal = []string{
	"Zoë Łukasiewicz-O'Brien", "zoe.lukasiewicz@example.invalid", "+44 20 7946 0958",
	"Иван Сидорович Петров", "ivan.petrov@example.invalid", "+7 495 123-45-67",
	"Αθηνά Παπαδοπούλου",
}

// encodedForms are the ways a value can sit in a file: as UTF-8, as a JSON
// string (Go's escaping), with every non-ASCII character \u-escaped, and as
// UTF-16LE (SQLite text in a UTF-16 database).
func encodedForms(v string) map[string][]byte {
	forms := map[string][]byte{"utf-8": []byte(v)}
	j, _ := json.Marshal(v)
	forms["json"] = bytes.Trim(j, `"`)
	var ascii strings.Builder
	for _, r := range v {
		switch {
		case r < 0x80:
			ascii.WriteRune(r)
		case r > 0xffff:
			r1, r2 := utf16.EncodeRune(r)
			fmt.Fprintf(&ascii, `\u%04x\u%04x`, r1, r2)
		default:
			fmt.Fprintf(&ascii, `\u%04x`, r)
		}
	}
	forms["json-ascii"] = []byte(ascii.String())
	var u16 bytes.Buffer
	for _, c := range utf16.Encode([]rune(v)) {
		u16.WriteByte(byte(c))
		u16.WriteByte(byte(c >> 8))
	}
	forms["utf-16le"] = u16.Bytes()
	return forms
}

// scanDataDir reads every file under dir as raw bytes and returns, per
// value, the files and forms in which it appears.
func scanDataDir(t *testing.T, dir string, values []string) (found []string, files int, size int64) {
	t.Helper()
	require.NoError(t, filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		files++
		size += int64(len(b))
		lower := bytes.ToLower(b)
		for _, v := range values {
			for form, enc := range encodedForms(v) {
				if bytes.Contains(b, enc) || bytes.Contains(lower, bytes.ToLower(enc)) {
					found = append(found, fmt.Sprintf("%q as %s in %s", v, form, filepath.Base(path)))
				}
			}
		}
		return nil
	}))
	return found, files, size
}

// TestGrepOfTheDataDirFindsNoPersonalData runs an incident with personal
// data in its facts and a notice drafted, approved and sent; stops irbot;
// and reads every file of the data directory (temporal.db, irbot.db, their
// -wal and -shm files) as raw bytes: none of the values may appear, in
// UTF-8, JSON-escaped or UTF-16 form. The same scan must find the values
// in a copy of the data directory made by a store without encryption (the
// control), and the API must still show them decrypted. Then `irbot keys
// rotate` re-wraps the data key and a restarted irbot reads the old
// payloads and data.
func TestGrepOfTheDataDirFindsNoPersonalData(t *testing.T) {
	smtp := smtptest.Start(t)
	dataDir := filepath.Join(t.TempDir(), "data")
	m := startMainEnv(t, dataDir, smtpEnv(smtp))
	stopped := false
	t.Cleanup(func() {
		if !stopped {
			_ = m.Close()
		}
	})
	c := apiClient{t: t, base: "http://" + m.Addr()}

	facts := map[string]any{}
	for k, v := range gdprFacts {
		facts[k] = v
	}
	facts["dpo_contact"] = strings.Join(grepPersonal[:3], ", ")
	facts["nature"] = "The account of " + strings.Join(grepPersonal[3:], ", ") + " was exposed."
	e := declareBreach(t, c, "live", time.Now().Add(-2*time.Hour), facts)

	n := e.draft(t, dpoToken, map[string]any{"regime": "eu-gdpr", "obligation": "supervisory-authority", "to": []string{"breach@dpa.example"}})
	id := n["id"].(string)
	e.approveAndSend(t, id)
	msgs := smtp.WaitForMessages(t, 1, 30*time.Second)
	e.waitStatus(t, id, "sent", 30*time.Second)
	e.waitRegister(t, 1)
	for _, v := range grepPersonal {
		require.Contains(t, msgs[0].Text, v, "control: the notice that left carries the personal data")
	}

	// Readers see the data decrypted, and the chain verifies.
	code, tl := c.do("GET", "/api/v1/incidents/"+e.id+"/timeline", dpoToken, nil)
	require.Equal(t, http.StatusOK, code)
	tlJSON, _ := json.Marshal(tl)
	require.Contains(t, string(tlJSON), "Иван Сидорович Петров", "the API decrypts transparently")
	code, ver := c.do("GET", "/api/v1/incidents/"+e.id+"/timeline/verify", dpoToken, nil)
	require.Equal(t, http.StatusOK, code)
	require.Equal(t, true, ver["ok"], "%v", ver)

	// The workflow's input in Temporal's own history is sealed, and the
	// codec endpoint opens it for an admin only.
	iter := m.client.GetWorkflowHistory(t.Context(), workflows.IncidentWorkflowID(e.id), "", false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	require.True(t, iter.HasNext())
	first, err := iter.Next()
	require.NoError(t, err)
	input := first.GetWorkflowExecutionStartedEventAttributes().GetInput()
	require.NotEmpty(t, input.GetPayloads())
	require.Equal(t, keyring.EncodingEncrypted, string(input.GetPayloads()[0].GetMetadata()["encoding"]))
	body, err := protojson.Marshal(input)
	require.NoError(t, err)
	post := func(token string) (int, []byte) {
		req, err := http.NewRequest("POST", c.base+"/api/v1/codec/decode", bytes.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/json")
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b
	}
	status, _ := post("")
	require.Equal(t, http.StatusUnauthorized, status)
	status, _ = post(responderToken)
	require.Equal(t, http.StatusForbidden, status, "only compliance and admin read raw payloads")
	status, out := post(adminToken)
	require.Equal(t, http.StatusOK, status, "%s", out)
	var decoded commonpb.Payloads
	require.NoError(t, protojson.Unmarshal(out, &decoded))
	require.Equal(t, "json/plain", string(decoded.GetPayloads()[0].GetMetadata()["encoding"]))
	require.Contains(t, string(decoded.GetPayloads()[0].GetData()), "Customer database exposed")

	// While irbot runs, the SQLite -wal and -shm files are there too.
	found, files, size := scanDataDir(t, dataDir, grepPersonal)
	t.Logf("running: scanned %d files, %d bytes", files, size)
	require.Empty(t, found, "personal data found at rest while running")

	require.NoError(t, m.Close())
	stopped = true

	found, files, size = scanDataDir(t, dataDir, grepPersonal)
	t.Logf("stopped: scanned %d files, %d bytes, for %d values in 4 forms each", files, size, len(grepPersonal))
	require.GreaterOrEqual(t, files, 3, "temporal.db, irbot.db and the key file at least")
	require.Empty(t, found, "personal data found at rest")
	// Control: the scan finds what is stored in clear (the incident's title).
	ctl, _, _ := scanDataDir(t, dataDir, []string{"Customer database exposed"})
	require.NotEmpty(t, ctl, "control: the scan must see text stored in clear")

	// Rotate the keys offline, then a restarted irbot reads the old data
	// and replays the old payloads.
	t.Setenv("IRBOT_DATA_DIR", dataDir)
	var stdout, stderr bytes.Buffer
	require.Equal(t, 0, run([]string{"keys", "rotate"}, &stdout, &stderr), stderr.String())
	require.Contains(t, stdout.String(), "added key k2")
	require.Contains(t, stdout.String(), "re-wrapped 1 incident data key(s)")
	require.Equal(t, 2, run([]string{"keys", "erase", e.id, "--reason", "test"}, &stdout, &stderr), "an open incident is not erased")
	require.Contains(t, stderr.String(), "only a closed incident")

	m2 := startMainEnv(t, dataDir, smtpEnv(smtp))
	t.Cleanup(func() { _ = m2.Close() })
	c2 := apiClient{t: t, base: "http://" + m2.Addr()}
	code, st := c2.do("GET", "/api/v1/incidents/"+e.id, dpoToken, nil)
	require.Equal(t, http.StatusOK, code, "%v", st)
	stJSON, _ := json.Marshal(st)
	require.Contains(t, string(stJSON), "Zoë Łukasiewicz-O'Brien", "the state, from payloads sealed with the old key, still reads")
	code, tl = c2.do("GET", "/api/v1/incidents/"+e.id+"/timeline", dpoToken, nil)
	require.Equal(t, http.StatusOK, code)
	tlJSON, _ = json.Marshal(tl)
	require.Contains(t, string(tlJSON), "Иван Сидорович Петров")
	c2.act(dpoToken, e.id, map[string]any{"type": "note", "text": "after rotation"})
}

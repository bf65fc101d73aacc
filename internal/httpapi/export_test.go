package httpapi

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/irbot/irbot/internal/csvexport"
	"github.com/irbot/irbot/internal/store"
)

func TestTimelineExportsKeepEveryField(t *testing.T) {
	at := time.Date(2026, 3, 2, 9, 0, 0, 123000000, time.UTC)
	events := []store.Event{
		{Seq: 1, At: at, Kind: "incident.declared", Actor: "U1", Data: json.RawMessage(`{"title":"a | b"}`), Hash: strings.Repeat("a", 64), PrevHash: store.ZeroHash},
		{Seq: 2, At: at.Add(time.Minute), Kind: "note.added", Actor: "U2", Data: json.RawMessage(`{"text":"line1\nline2, with comma"}`), Hash: strings.Repeat("b", 64), PrevHash: strings.Repeat("a", 64)},
	}
	var b bytes.Buffer
	require.NoError(t, WriteTimelineCSV(&b, events))
	rows, err := csv.NewReader(&b).ReadAll()
	require.NoError(t, err)
	require.Equal(t, []string{"incident_id", "seq", "key", "at", "kind", "actor", "data", "hash", "prev_hash", "sealed"}, rows[0])
	require.Equal(t, `{"text":"line1\nline2, with comma"}`, rows[2][6], "data survives CSV quoting")
	require.Equal(t, "2026-03-02T09:00:00.123Z", rows[1][3])
	require.Equal(t, store.ZeroHash, rows[1][8])

	b.Reset()
	require.NoError(t, WriteTimelineMarkdown(&b, "INC-2026-0001", events))
	md := b.String()
	require.Contains(t, md, "# Timeline of INC-2026-0001")
	require.Contains(t, md, `a \| b`, "pipes are escaped so the table holds")
	require.Equal(t, 4+len(events), strings.Count(md, "\n"), "one line per event: newlines in data are folded")
}

func TestRegisterCSV(t *testing.T) {
	due := time.Date(2026, 3, 5, 9, 0, 0, 0, time.UTC)
	onTime := false
	var b bytes.Buffer
	require.NoError(t, WriteRegisterCSV(&b, []store.RegisterEntry{{
		ID: "INC-1/eu-gdpr/sa", IncidentID: "INC-1", Kind: "notice", Regime: "eu-gdpr", Obligation: "supervisory-authority",
		Status: "sent", DueAt: &due, SentAt: &due, OnTime: &onTime, LateReason: "scope known on day 3", RecordedAt: due,
	}}))
	rows, err := csv.NewReader(&b).ReadAll()
	require.NoError(t, err)
	require.Len(t, rows, 2)
	require.Equal(t, "false", rows[1][10])
	require.Equal(t, "scope known on day 3", rows[1][11])
}

// A value a spreadsheet would run as a formula comes out as text, records end
// in CRLF, and the hash chain still recomputes from the restored cells.
func TestTimelineCSVNeutralisesFormulasAndKeepsTheChain(t *testing.T) {
	at := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	e1 := store.Event{IncidentID: "INC-2026-0001", Seq: 1, Key: "-declare", At: at, Kind: "incident.declared", Actor: "=HYPERLINK(\"http://x\",\"y\")", Data: json.RawMessage(`{}`), PrevHash: store.ZeroHash}
	e1.Hash = e1.ComputeHash()
	e2 := store.Event{IncidentID: "INC-2026-0001", Seq: 2, Key: "@note", At: at.Add(time.Second), Kind: "note.added", Actor: "'+U2", Data: json.RawMessage(`{"text":"=1+1"}`), PrevHash: e1.Hash}
	e2.Hash = e2.ComputeHash()
	var b bytes.Buffer
	require.NoError(t, WriteTimelineCSV(&b, []store.Event{e1, e2}))
	out := b.String()
	require.Equal(t, 3, strings.Count(out, "\r\n"), "every record ends in CRLF")
	require.Equal(t, strings.Count(out, "\n"), strings.Count(out, "\r\n"), "no bare LF")
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	require.NoError(t, err)
	require.Equal(t, `'=HYPERLINK("http://x","y")`, rows[1][5])
	require.Equal(t, "'-declare", rows[1][2])
	require.Equal(t, "'@note", rows[2][2])
	require.Equal(t, "''+U2", rows[2][5])
	for _, row := range rows[1:] {
		for _, cell := range row {
			if cell == "" {
				continue
			}
			require.NotContains(t, "=+-@\t\r", cell[:1], "cell %q would run as a formula", cell)
		}
	}
	prev := store.ZeroHash
	for _, row := range rows[1:] {
		c := func(i int) string { return csvexport.Restore(row[i]) }
		seq, err := strconv.ParseInt(c(1), 10, 64)
		require.NoError(t, err)
		at, err := time.Parse(time.RFC3339Nano, c(3))
		require.NoError(t, err)
		e := store.Event{IncidentID: c(0), Seq: seq, Key: c(2), At: at, Kind: c(4), Actor: c(5), Data: json.RawMessage(c(6)), PrevHash: c(8)}
		require.Equal(t, prev, e.PrevHash)
		require.Equal(t, c(7), e.ComputeHash(), "the chain recomputes from the CSV")
		prev = c(7)
	}
}

func TestRegisterCSVNeutralisesFormulasAndKeepsTo(t *testing.T) {
	at := time.Date(2026, 3, 5, 9, 0, 0, 0, time.UTC)
	var b bytes.Buffer
	require.NoError(t, WriteRegisterCSV(&b, []store.RegisterEntry{{
		ID: "INC-1/eu-gdpr/sa", IncidentID: "INC-1", Kind: "notice", Regime: "eu-gdpr", Obligation: "supervisory-authority",
		Recipient: "@cmd|' /C calc'!A0", To: []string{"dpa@example.test", "=evil@example.test"}, Status: "sent",
		Rationale: "+SUM(1,2)", RecordedAt: at,
	}}))
	out := b.String()
	require.True(t, strings.HasSuffix(out, "\r\n"))
	require.Equal(t, 2, strings.Count(out, "\r\n"))
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	require.NoError(t, err)
	require.Equal(t, "to", rows[0][6])
	require.Equal(t, "dpa@example.test; =evil@example.test", rows[1][6])
	require.Equal(t, "'@cmd|' /C calc'!A0", rows[1][5])
	require.Equal(t, "'+SUM(1,2)", rows[1][16])
}

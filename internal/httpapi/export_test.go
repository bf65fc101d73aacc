package httpapi

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

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
	require.Equal(t, []string{"seq", "at", "kind", "actor", "data", "hash", "prev_hash"}, rows[0])
	require.Equal(t, `{"text":"line1\nline2, with comma"}`, rows[2][4], "data survives CSV quoting")
	require.Equal(t, "2026-03-02T09:00:00.123Z", rows[1][1])
	require.Equal(t, store.ZeroHash, rows[1][6])

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
	require.Equal(t, "false", rows[1][9])
	require.Equal(t, "scope known on day 3", rows[1][10])
}

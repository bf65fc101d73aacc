package campaign

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/irbot/irbot/internal/jurisdiction"
)

// FuzzParse feeds the recipient-list reader arbitrary files. Seeds are in
// testdata/fuzz/FuzzParse. Properties: no panic; a file is either refused
// whole with a reason, or split into good rows and bad rows that together
// name distinct file lines; every good row is a checked recipient (lower-case
// bare address, ISO 3166 jurisdiction, one-line name); every bad row says
// why; writing the good rows back as CSV and reading them again gives the
// same recipients.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"email,name,jurisdiction,language\nann@example.com,Ann,DE,de\n",
		"email\nann@example.com\nANN@example.com\n",
		"email,name,jurisdiction,language\nbob@example.com,\"Bob, Jr.\",us-ca,en-US\nx,y,XX,!!\n",
		"email,name,jurisdiction\n\"a\"b@example.com,\x00,EU-DE\n",
		"",
		"\xff\xfe",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		good, bad, err := Parse(bytes.NewReader(data))
		if err != nil {
			if err.Error() == "" || good != nil || bad != nil {
				t.Fatalf("a refused file gives a reason and no rows: %v %v %v", err, good, bad)
			}
			return
		}
		rows := map[int]bool{}
		for _, b := range bad {
			if strings.TrimSpace(b.Reason) == "" || b.Row < 2 {
				t.Fatalf("a bad row names its line and the reason: %+v", b)
			}
			rows[b.Row] = true
		}
		for _, g := range good {
			if rows[g.Row] || g.Row < 2 {
				t.Fatalf("row %d is listed twice or is the header", g.Row)
			}
			rows[g.Row] = true
			if g.Email == "" || g.Email != strings.ToLower(g.Email) || !strings.Contains(g.Email, "@") || !utf8.ValidString(g.Email) {
				t.Fatalf("row %d: a good row has a lower-case bare address, got %q", g.Row, g.Email)
			}
			if g.Jurisdiction != "" && jurisdiction.Check(g.Jurisdiction) != nil {
				t.Fatalf("row %d: jurisdiction %q passed but is not ISO 3166", g.Row, g.Jurisdiction)
			}
			if strings.ContainsAny(g.Name, "\r\n") {
				t.Fatalf("row %d: a name spans lines", g.Row)
			}
		}
		if len(good) == 0 {
			return
		}
		var buf bytes.Buffer
		w := csv.NewWriter(&buf)
		_ = w.Write(columns)
		for _, g := range good {
			_ = w.Write([]string{g.Email, g.Name, g.Jurisdiction, g.Language})
		}
		w.Flush()
		again, bad2, err := Parse(&buf)
		if err != nil || len(bad2) != 0 || len(again) != len(good) {
			t.Fatalf("good rows written back do not read back: err=%v bad=%v", err, bad2)
		}
		for i := range good {
			a, b := good[i], again[i]
			a.Row, b.Row = 0, 0
			if a != b {
				t.Fatalf("round trip changed a recipient: %+v became %+v", a, b)
			}
		}
	})
}

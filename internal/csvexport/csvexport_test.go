package csvexport

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"
)

func TestWriterNeutralisesFormulaCellsAndUsesCRLF(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriter(&buf)
	cells := []string{"=HYPERLINK(\"x\")", "+1", "-2", "@SUM(A1)", "\tx", "\rx", "plain", "", "a,b", "line\nbreak", "quote\"d", "日本語", "nul\x00", "'quoted", "it's"}
	if err := w.Write("h1", "h2"); err != nil {
		t.Fatal(err)
	}
	if err := w.Write(cells...); err != nil {
		t.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if cells[0] != "=HYPERLINK(\"x\")" {
		t.Fatalf("the caller's slice was changed: %q", cells[0])
	}
	out := buf.String()
	if !strings.HasPrefix(out, "h1,h2\r\n") || !strings.HasSuffix(out, "\r\n") {
		t.Fatalf("records must end in CRLF: %q", out)
	}
	if strings.Count(out, "\n") != strings.Count(out, "\r\n") {
		t.Fatalf("a bare LF in the output: %q", out)
	}
	r := csv.NewReader(strings.NewReader(out))
	r.FieldsPerRecord = -1
	recs, err := r.ReadAll()
	if err != nil {
		t.Fatalf("output is not valid CSV: %v\n%q", err, out)
	}
	if len(recs) != 2 {
		t.Fatalf("want 2 records, got %d", len(recs))
	}
	// encoding/csv with UseCRLF drops a bare CR inside a quoted cell and
	// writes LF as CRLF, which a reader turns back into LF.
	want := []string{"'=HYPERLINK(\"x\")", "'+1", "'-2", "'@SUM(A1)", "'\tx", "'x", "plain", "", "a,b", "line\nbreak", "quote\"d", "日本語", "nul\x00", "''quoted", "it's"}
	for i, got := range recs[1] {
		if got != want[i] {
			t.Errorf("cell %d: got %q, want %q", i, got, want[i])
		}
		if i != 5 && Restore(got) != cells[i] { // cell 5 loses its CR, above
			t.Errorf("cell %d: Restore gives %q, want %q", i, Restore(got), cells[i])
		}
	}
}

package pdfreport

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// PDFText extracts a PDF's text with pdftotext (poppler-utils); the test
// skips when it is not installed (.ci/run installs it).
func pdfText(t *testing.T, pdf []byte) string {
	t.Helper()
	if _, err := exec.LookPath("pdftotext"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("pdftotext (poppler-utils) is not installed; .ci/run installs it")
		}
		t.Skip("pdftotext (poppler-utils) is not installed")
	}
	dir := t.TempDir()
	in := filepath.Join(dir, "r.pdf")
	require.NoError(t, os.WriteFile(in, pdf, 0o600))
	out, err := exec.Command("pdftotext", "-enc", "UTF-8", in, "-").CombinedOutput()
	require.NoError(t, err, "pdftotext: %s", out)
	return string(out)
}

func TestReportTextSurvivesInOtherScripts(t *testing.T) {
	long := strings.Repeat("0123456789abcdef", 20)
	r := Report{
		Title:     "Incident INC-2026-0001: fuite de données à Zürich",
		Subtitle:  "Ελληνικά · Кириллица",
		Generated: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC),
		Sections: []Section{{
			Heading: "Timeline",
			Intro:   "intro with a NUL \x00 and a tab\tend",
			Items: []Item{
				{Label: "#1 incident.declared", Text: "déclaré par José Müller — 東京 office", Mono: long},
				{Label: "bad utf8", Text: "a\xffb"},
			},
		}},
	}
	var a, b bytes.Buffer
	require.NoError(t, Write(&a, r))
	require.NoError(t, Write(&b, r))
	require.Greater(t, b.Len(), 1000)
	text := pdfText(t, a.Bytes())
	for _, want := range []string{"fuite de données à Zürich", "Ελληνικά", "Кириллица", "José Müller", "[U+6771][U+4EAC]", "[U+0000]", "incident.declared", "a[U+FFFD]b"} {
		require.Contains(t, text, want, "the PDF lost %q", want)
	}
	require.Contains(t, strings.ReplaceAll(text, "\n", ""), long, "a long hash must survive, wrapped")
}

func TestPrintable(t *testing.T) {
	require.Equal(t, "é[U+4E2D][U+0007]\n", Printable("é中\a\n"))
}

// Package pdfreport renders irbot's readable reports (an incident's evidence
// report, a drill's after-action report) as PDF with github.com/go-pdf/fpdf,
// in-process: no external service, no system fonts.
//
// Text is UTF-8 throughout. The embedded font (the Go font family, from
// golang.org/x/image) covers Latin with accents, Greek and Cyrillic; a
// character it has no glyph for (CJK, most emoji) is written as [U+XXXX] so
// the reader sees plainly that something was there and which character it
// was. The exact text is always in the pack's JSON and CSV files.
package pdfreport

import (
	"bytes"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/go-pdf/fpdf"
	"golang.org/x/image/font/gofont/gobold"
	"golang.org/x/image/font/gofont/gomono"
	"golang.org/x/image/font/gofont/goregular"
	"golang.org/x/image/font/sfnt"
)

// Report is a document: a title and sections in order.
type Report struct {
	Title    string
	Subtitle string
	// Generated is shown on every page and is the PDF's creation date.
	// (fpdf's font subsetting is not byte-stable, so two renderings of one
	// report may differ in bytes; the pack's manifest pins the one shipped.)
	Generated time.Time
	Sections  []Section
}

// Section is a heading followed by items.
type Section struct {
	Heading string
	// Intro is a paragraph under the heading.
	Intro string
	Items []Item
}

// Item is one labelled entry: Label in bold on its own line (when set),
// Text wrapped under it, Mono (hashes, JSON) in a fixed-width face.
type Item struct {
	Label string
	Text  string
	Mono  string
}

var regular, bold, mono *sfnt.Font

func init() {
	var err error
	for _, f := range []struct {
		dst  **sfnt.Font
		data []byte
	}{{&regular, goregular.TTF}, {&bold, gobold.TTF}, {&mono, gomono.TTF}} {
		if *f.dst, err = sfnt.Parse(f.data); err != nil {
			panic("pdfreport: embedded font: " + err.Error())
		}
	}
}

// Printable returns s as the PDF shows it: every character the font has no
// glyph for, and every control character but newline and tab, as [U+XXXX];
// invalid UTF-8 bytes as [U+FFFD].
func Printable(s string) string { return printable(regular, s) }

func printable(f *sfnt.Font, s string) string {
	var b strings.Builder
	var buf sfnt.Buffer
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		i += n
		switch {
		case r == utf8.RuneError && n <= 1:
			b.WriteString("[U+FFFD]")
		case r == '\n':
			b.WriteRune(r)
		case r == '\t':
			b.WriteString("    ")
		case r < 0x20 || (r >= 0x7f && r < 0xa0):
			fmt.Fprintf(&b, "[U+%04X]", r)
		default:
			if gi, err := f.GlyphIndex(&buf, r); err != nil || gi == 0 {
				fmt.Fprintf(&b, "[U+%04X]", r)
				continue
			}
			b.WriteRune(r)
		}
	}
	return b.String()
}

// Write renders r as PDF to w.
func Write(w io.Writer, r Report) error {
	pdf := fpdf.New("P", "mm", "A4", "")
	pdf.AddUTF8FontFromBytes("go", "", goregular.TTF)
	pdf.AddUTF8FontFromBytes("go", "B", gobold.TTF)
	pdf.AddUTF8FontFromBytes("gomono", "", gomono.TTF)
	gen := r.Generated.UTC()
	if gen.IsZero() {
		gen = time.Unix(0, 0).UTC()
	}
	pdf.SetCreationDate(gen)
	pdf.SetModificationDate(gen)
	pdf.SetTitle(printable(regular, r.Title), true)
	pdf.SetCreator("irbot", true)
	pdf.SetMargins(15, 15, 15)
	pdf.SetAutoPageBreak(true, 15)
	footer := printable(regular, r.Title) + " · generated " + gen.Format("2006-01-02 15:04 UTC")
	pdf.SetFooterFunc(func() {
		pdf.SetY(-12)
		pdf.SetFont("go", "", 7)
		pdf.CellFormat(0, 5, fmt.Sprintf("%s · page %d", footer, pdf.PageNo()), "", 0, "C", false, 0, "")
	})
	pdf.AddPage()
	pdf.SetFont("go", "B", 16)
	pdf.MultiCell(0, 8, printable(bold, r.Title), "", "L", false)
	if r.Subtitle != "" {
		pdf.SetFont("go", "", 10)
		pdf.MultiCell(0, 5, printable(regular, r.Subtitle), "", "L", false)
	}
	for _, s := range r.Sections {
		pdf.Ln(4)
		pdf.SetFont("go", "B", 12)
		pdf.MultiCell(0, 6, printable(bold, s.Heading), "B", "L", false)
		pdf.Ln(1)
		if s.Intro != "" {
			pdf.SetFont("go", "", 9)
			pdf.MultiCell(0, 4.5, printable(regular, s.Intro), "", "L", false)
			pdf.Ln(1)
		}
		for _, it := range s.Items {
			if it.Label != "" {
				pdf.SetFont("go", "B", 9)
				pdf.MultiCell(0, 4.5, printable(bold, it.Label), "", "L", false)
			}
			if it.Text != "" {
				pdf.SetFont("go", "", 9)
				pdf.MultiCell(0, 4.5, printable(regular, it.Text), "", "L", false)
			}
			if it.Mono != "" {
				pdf.SetFont("gomono", "", 7.5)
				pdf.MultiCell(0, 3.8, breakLong(printable(mono, it.Mono), 100), "", "L", false)
			}
			pdf.Ln(1)
		}
	}
	var buf bytes.Buffer
	if err := pdf.Output(&buf); err != nil {
		return fmt.Errorf("pdf: %w", err)
	}
	_, err := buf.WriteTo(w)
	return err
}

// breakLong inserts line breaks into runs longer than n characters without
// a space (a JSON blob, a hash list), which MultiCell cannot wrap itself.
func breakLong(s string, n int) string {
	var b strings.Builder
	run := 0
	for _, r := range s {
		if r == ' ' || r == '\n' {
			run = 0
		} else if run++; run > n {
			b.WriteRune('\n')
			run = 1
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Package csvexport is the one CSV writer every export uses (API, CLI,
// console): RFC 4180 with CRLF line ends, and every cell that a spreadsheet
// would run as a formula neutralised with a leading single quote.
package csvexport

import (
	"encoding/csv"
	"io"
	"strings"
)

// Writer writes RFC 4180 records with CRLF line ends and neutralised cells.
type Writer struct {
	cw *csv.Writer
}

// NewWriter returns a Writer on w.
func NewWriter(w io.Writer) *Writer {
	cw := csv.NewWriter(w)
	cw.UseCRLF = true
	return &Writer{cw: cw}
}

// Write writes one record, neutralising each cell. The caller's slice is not
// changed.
func (w *Writer) Write(fields ...string) error {
	row := make([]string, len(fields))
	for i, f := range fields {
		row[i] = Neutralise(f)
	}
	return w.cw.Write(row)
}

// Flush writes what is buffered and returns the first error seen.
func (w *Writer) Flush() error {
	w.cw.Flush()
	return w.cw.Error()
}

// Neutralise prefixes a single quote to a cell that begins with =, +, -, @,
// tab or carriage return, so a spreadsheet shows it as text instead of
// running it as a formula (OWASP CSV injection). A cell that already begins
// with a quote gets one more, so Restore gives back every value exactly (a
// timeline's hash chain is recomputed from the restored cells).
func Neutralise(cell string) string {
	if cell != "" && strings.ContainsRune("=+-@\t\r'", rune(cell[0])) {
		return "'" + cell
	}
	return cell
}

// Restore undoes Neutralise: it drops one leading single quote.
func Restore(cell string) string {
	return strings.TrimPrefix(cell, "'")
}

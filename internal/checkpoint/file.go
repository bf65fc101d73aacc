package checkpoint

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/irbot/irbot/internal/store"
)

// Formats a held checkpoint is downloaded in: the JSON irbot answers with
// (the body byte for byte as signed) or the digest's text.
const (
	FormatJSON = "json"
	FormatText = "text"
)

// File is a checkpoint as a file to save: exactly the bytes
// `irbot verify --checkpoint FILE` reads (ParseHeld), with the type and
// name to serve it under.
type File struct {
	Name        string
	ContentType string
	Bytes       []byte
}

// Encode renders c in format (FormatJSON or FormatText). The JSON is
// compact and not HTML-escaped, so the body stays the bytes that were
// signed.
func Encode(c store.Checkpoint, format string) (File, error) {
	switch format {
	case FormatText:
		return File{Name: fmt.Sprintf("checkpoint-%d.txt", c.ID), ContentType: "text/plain; charset=utf-8", Bytes: []byte(Summary(c))}, nil
	case FormatJSON:
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(c); err != nil {
			return File{}, fmt.Errorf("checkpoint %d: %w", c.ID, err)
		}
		return File{Name: fmt.Sprintf("checkpoint-%d.json", c.ID), ContentType: "application/json", Bytes: buf.Bytes()}, nil
	}
	return File{}, fmt.Errorf("checkpoint format %q: use %s or %s", format, FormatJSON, FormatText)
}

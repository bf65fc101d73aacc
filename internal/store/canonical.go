package store

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// HashVersion names the canonical encoding the hash chain uses. It is the
// first element of every event's canonical bytes, so a future encoding can
// coexist with this one without ambiguity.
const HashVersion = "irbot.timeline.v1"

// ZeroHash is the PrevHash of the first event of every chain.
const ZeroHash = "0000000000000000000000000000000000000000000000000000000000000000"

// TimeLayout is how event times appear in canonical bytes (and in the SQLite
// columns): RFC 3339, UTC, always six fractional digits.
const TimeLayout = "2006-01-02T15:04:05.000000Z"

// normTime is the one place that turns a time into what the store keeps:
// UTC, truncated to microseconds.
func normTime(t time.Time) time.Time {
	return t.UTC().Truncate(time.Microsecond)
}

func formatTime(t time.Time) string {
	return normTime(t).Format(TimeLayout)
}

// CanonicalBytes returns the versioned canonical encoding of e that its hash
// covers (see the package documentation). It fails when e.Data is not a JSON
// object or contains invalid UTF-8, or when a text field is not valid UTF-8.
func (e Event) CanonicalBytes() ([]byte, error) {
	for _, f := range [...]struct{ name, val string }{
		{"incident_id", e.IncidentID}, {"key", e.Key}, {"kind", e.Kind}, {"actor", e.Actor}, {"prev_hash", e.PrevHash},
	} {
		if !utf8.ValidString(f.val) {
			return nil, fmt.Errorf("store: event %s is not valid UTF-8", f.name)
		}
	}
	raw := e.Data
	if len(e.Sealed) > 0 {
		raw = e.Sealed // the hash covers the stored, sealed form
	}
	data, err := canonicalObject(raw)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	b.WriteByte('[')
	writeString(&b, HashVersion)
	b.WriteByte(',')
	writeString(&b, e.IncidentID)
	b.WriteByte(',')
	b.WriteString(strconv.FormatInt(e.Seq, 10))
	b.WriteByte(',')
	writeString(&b, e.Key)
	b.WriteByte(',')
	writeString(&b, formatTime(e.At))
	b.WriteByte(',')
	writeString(&b, e.Kind)
	b.WriteByte(',')
	writeString(&b, e.Actor)
	b.WriteByte(',')
	b.Write(data)
	b.WriteByte(',')
	writeString(&b, e.PrevHash)
	b.WriteByte(']')
	return b.Bytes(), nil
}

// ComputeHash returns hex(SHA-256(CanonicalBytes)). It returns "" when the
// event cannot be encoded, which never equals a stored hash, so a re-check
// with ComputeHash fails closed.
func (e Event) ComputeHash() string {
	b, err := e.CanonicalBytes()
	if err != nil {
		return ""
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// CanonicalJSON re-encodes a JSON document canonically: object keys sorted
// by their UTF-8 bytes, no insignificant whitespace, strings escaped
// minimally, numbers kept exactly as written. Duplicate object keys, invalid
// UTF-8 and trailing data are errors.
func CanonicalJSON(raw []byte) ([]byte, error) {
	if !utf8.Valid(raw) {
		return nil, errors.New("store: JSON is not valid UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var b bytes.Buffer
	if err := canonValue(dec, &b); err != nil {
		return nil, fmt.Errorf("store: invalid JSON: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("store: invalid JSON: data after the top-level value")
	}
	return b.Bytes(), nil
}

// canonicalObject is CanonicalJSON restricted to objects; empty and null
// data become "{}".
func canonicalObject(raw json.RawMessage) ([]byte, error) {
	t := bytes.TrimSpace(raw)
	if len(t) == 0 || string(t) == "null" {
		return []byte("{}"), nil
	}
	if t[0] != '{' {
		return nil, errors.New("store: event data must be a JSON object")
	}
	return CanonicalJSON(t)
}

func canonValue(dec *json.Decoder, b *bytes.Buffer) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	switch v := tok.(type) {
	case json.Delim:
		switch v {
		case '{':
			return canonObject(dec, b)
		case '[':
			b.WriteByte('[')
			for i := 0; dec.More(); i++ {
				if i > 0 {
					b.WriteByte(',')
				}
				if err := canonValue(dec, b); err != nil {
					return err
				}
			}
			if _, err := dec.Token(); err != nil { // ']'
				return err
			}
			b.WriteByte(']')
			return nil
		}
		return fmt.Errorf("unexpected %v", v)
	case string:
		writeString(b, v)
	case json.Number:
		b.WriteString(v.String())
	case bool:
		b.WriteString(strconv.FormatBool(v))
	case nil:
		b.WriteString("null")
	default:
		return fmt.Errorf("unexpected token %T", tok)
	}
	return nil
}

func canonObject(dec *json.Decoder, b *bytes.Buffer) error {
	type member struct {
		key string
		val []byte
	}
	var members []member
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		k, ok := tok.(string)
		if !ok {
			return fmt.Errorf("object key is %T, not a string", tok)
		}
		if seen[k] {
			return fmt.Errorf("duplicate object key %q", k)
		}
		seen[k] = true
		var vb bytes.Buffer
		if err := canonValue(dec, &vb); err != nil {
			return err
		}
		members = append(members, member{k, vb.Bytes()})
	}
	if _, err := dec.Token(); err != nil { // '}'
		return err
	}
	// Go strings compare by bytes, which for UTF-8 is code point order.
	slices.SortFunc(members, func(a, b member) int { return strings.Compare(a.key, b.key) })
	b.WriteByte('{')
	for i, m := range members {
		if i > 0 {
			b.WriteByte(',')
		}
		writeString(b, m.key)
		b.WriteByte(':')
		b.Write(m.val)
	}
	b.WriteByte('}')
	return nil
}

// writeString writes s as a JSON string: '"' and '\' escaped, control
// characters below U+0020 as \b \t \n \f \r or \u00xx (lower-case hex),
// everything else as literal UTF-8 (no HTML escaping).
func writeString(b *bytes.Buffer, s string) {
	b.Write(appendString(b.AvailableBuffer(), s))
}

// appendString is writeString appending to a byte slice.
func appendString(b []byte, s string) []byte {
	const hexdigits = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"':
			b = append(b, `\"`...)
		case c == '\\':
			b = append(b, `\\`...)
		case c == '\b':
			b = append(b, `\b`...)
		case c == '\t':
			b = append(b, `\t`...)
		case c == '\n':
			b = append(b, `\n`...)
		case c == '\f':
			b = append(b, `\f`...)
		case c == '\r':
			b = append(b, `\r`...)
		case c < 0x20:
			b = append(b, `\u00`...)
			b = append(b, hexdigits[c>>4], hexdigits[c&0xf])
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}

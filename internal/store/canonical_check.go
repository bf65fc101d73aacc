package store

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"unicode/utf8"
)

// isCanonicalObject reports whether raw is a JSON object already in the
// canonical form CanonicalJSON produces, in one pass and without
// allocating for ordinary data. It is Verify's fast path: when it says
// true, canonicalObject(raw) is raw itself; when it says false (including
// for anything merely unusual, like deep nesting), the caller falls back to
// canonicalObject, which stays the one definition of the encoding.
// FuzzCanonicalCheckAgrees keeps the two in step.
func isCanonicalObject(raw []byte) bool {
	if len(raw) == 0 || raw[0] != '{' {
		return false
	}
	c := canonChecker{b: raw}
	return c.value(0) && c.i == len(raw)
}

// maxCheckDepth bounds the fast path's recursion; deeper data takes the
// slow path.
const maxCheckDepth = 64

type canonChecker struct {
	b []byte
	i int
}

func (c *canonChecker) value(depth int) bool {
	if c.i >= len(c.b) || depth > maxCheckDepth {
		return false
	}
	switch ch := c.b[c.i]; {
	case ch == '{':
		return c.object(depth)
	case ch == '[':
		c.i++
		if c.i < len(c.b) && c.b[c.i] == ']' {
			c.i++
			return true
		}
		for {
			if !c.value(depth + 1) {
				return false
			}
			if done, ok := c.next(']'); done || !ok {
				return ok
			}
		}
	case ch == '"':
		_, _, ok := c.str()
		return ok
	case ch == 't':
		return c.lit("true")
	case ch == 'f':
		return c.lit("false")
	case ch == 'n':
		return c.lit("null")
	case ch == '-' || (ch >= '0' && ch <= '9'):
		return c.number()
	}
	return false
}

func (c *canonChecker) lit(s string) bool {
	if !bytes.HasPrefix(c.b[c.i:], []byte(s)) {
		return false
	}
	c.i += len(s)
	return true
}

// object checks members whose keys are strictly increasing by their
// decoded bytes (so there are no duplicates either).
func (c *canonChecker) object(depth int) bool {
	c.i++ // '{'
	if c.i < len(c.b) && c.b[c.i] == '}' {
		c.i++
		return true
	}
	var prev []byte
	first := true
	for {
		if c.i >= len(c.b) || c.b[c.i] != '"' {
			return false
		}
		key, escaped, ok := c.str()
		if !ok {
			return false
		}
		if escaped {
			// Keys with escapes compare by what they decode to.
			u, err := strconv.Unquote(string(key))
			if err != nil {
				return false
			}
			key = []byte(u)
		} else {
			key = key[1 : len(key)-1]
		}
		if !first && bytes.Compare(prev, key) >= 0 {
			return false
		}
		prev, first = key, false
		if c.i >= len(c.b) || c.b[c.i] != ':' {
			return false
		}
		c.i++
		if !c.value(depth + 1) {
			return false
		}
		if done, ok := c.next('}'); done || !ok {
			return ok
		}
	}
}

// next steps over what follows a member of an array or object: a comma
// (more to come) or its closing byte (done). ok is false for anything else.
func (c *canonChecker) next(closing byte) (done, ok bool) {
	if c.i >= len(c.b) {
		return false, false
	}
	switch c.b[c.i] {
	case ',':
		c.i++
		return false, true
	case closing:
		c.i++
		return true, true
	}
	return false, false
}

// str checks a string written as writeString writes it: valid UTF-8,
// only '"', '\\' and control characters escaped, those as \b \t \n \f \r or
// \u00xx in lower-case hex. It returns the string's bytes with quotes and
// whether it holds an escape.
func (c *canonChecker) str() (lit []byte, escaped, ok bool) {
	start := c.i
	c.i++ // '"'
	for c.i < len(c.b) {
		ch := c.b[c.i]
		switch {
		case ch == '"':
			c.i++
			return c.b[start:c.i], escaped, true
		case ch < 0x20:
			return nil, false, false
		case ch == '\\':
			escaped = true
			if c.i+1 >= len(c.b) {
				return nil, false, false
			}
			switch c.b[c.i+1] {
			case '"', '\\', 'b', 't', 'n', 'f', 'r':
				c.i += 2
			case 'u':
				// Only control characters other than the five named ones.
				if c.i+5 >= len(c.b) || c.b[c.i+2] != '0' || c.b[c.i+3] != '0' {
					return nil, false, false
				}
				hi, lo := c.b[c.i+4], c.b[c.i+5]
				if hi != '0' && hi != '1' {
					return nil, false, false
				}
				v, ok := lowerHex(lo)
				if !ok {
					return nil, false, false
				}
				if hi == '1' {
					v += 16
				}
				switch v {
				case '\b', '\t', '\n', '\f', '\r':
					return nil, false, false
				}
				c.i += 6
			default:
				return nil, false, false
			}
		case ch < utf8.RuneSelf:
			c.i++
		default:
			r, size := utf8.DecodeRune(c.b[c.i:])
			if r == utf8.RuneError && size <= 1 {
				return nil, false, false
			}
			c.i += size
		}
	}
	return nil, false, false
}

func lowerHex(b byte) (byte, bool) {
	switch {
	case b >= '0' && b <= '9':
		return b - '0', true
	case b >= 'a' && b <= 'f':
		return b - 'a' + 10, true
	}
	return 0, false
}

// number checks a JSON number; the canonical form keeps numbers exactly as
// written, so any valid number is canonical.
func (c *canonChecker) number() bool {
	b, i := c.b, c.i
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	default:
		return false
	}
	if i < len(b) && b[i] == '.' {
		i++
		d := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		if i == d {
			return false
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		d := i
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		if i == d {
			return false
		}
	}
	c.i = i
	return true
}

// chainHasher computes event hashes for a walk over many events, reusing
// one buffer.
type chainHasher struct {
	buf []byte
}

// matches says whether ComputeHash(e) == want for an event whose stored
// data is already canonical: the same bytes hashed, without decoding the
// data again. Like ComputeHash it fails closed on invalid UTF-8.
func (h *chainHasher) matches(e Event, data []byte, want string) bool {
	for _, s := range [...]string{e.IncidentID, e.Key, e.Kind, e.Actor, e.PrevHash} {
		if !utf8.ValidString(s) {
			return false
		}
	}
	b := h.buf[:0]
	b = append(b, '[')
	b = appendString(b, HashVersion)
	b = append(b, ',')
	b = appendString(b, e.IncidentID)
	b = append(b, ',')
	b = strconv.AppendInt(b, e.Seq, 10)
	b = append(b, ',')
	b = appendString(b, e.Key)
	b = append(b, ',', '"')
	b = normTime(e.At).AppendFormat(b, TimeLayout)
	b = append(b, '"', ',')
	b = appendString(b, e.Kind)
	b = append(b, ',')
	b = appendString(b, e.Actor)
	b = append(b, ',')
	b = append(b, data...)
	b = append(b, ',')
	b = appendString(b, e.PrevHash)
	b = append(b, ']')
	h.buf = b
	sum := sha256.Sum256(b)
	var hx [sha256.Size * 2]byte
	hex.Encode(hx[:], sum[:])
	return string(hx[:]) == want
}

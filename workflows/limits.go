package workflows

import (
	"encoding/json"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/irbot/irbot/internal/deadline"
	"github.com/irbot/irbot/templates"
)

// Limits on what a person may send. They are checked by the incident service
// (so the person gets a 400 before anything reaches Temporal or the store)
// and again by the Update validators, which have the last word. Text that is
// too large for the timeline, not UTF-8, or carries characters that no
// surface can show (NUL, other control characters) is refused here rather
// than discovered later by a background write that can never succeed.
const (
	MaxTitle     = 200                // characters
	MaxSummary   = 100000             // characters: the declare's free text
	MaxNote      = 10000              // characters
	MaxReason    = 4000               // characters: close, late notice, decision not to notify, delay
	MaxName      = 128                // characters: IDs and names (task, gate, role, user, regime, ...)
	MaxReference = 500                // characters: a regulator's case number or URL
	MaxRequestID = 200                // characters
	MaxFactValue = 16384              // bytes of JSON for one fact's value
	MaxFactText  = 10000              // characters in one string inside a fact's value
	MaxRecipient = 254                // characters: an email address (RFC 5321 path limit)
	MaxTo        = maxNoticeAddresses // recipients of one notice
	MaxRegimes   = 50                 // regimes of one incident
	MaxFacts     = 50                 // facts given at declaration
)

// CheckLine checks one line of text: valid UTF-8, no control characters
// (NUL, newlines, escapes), at most max characters.
func CheckLine(field, s string, max int) error {
	return checkText(field, s, max, false)
}

// CheckText checks free text that may span lines: valid UTF-8, no control
// characters other than newline and tab, at most max characters.
func CheckText(field, s string, max int) error {
	return checkText(field, s, max, true)
}

func checkText(field, s string, max int, multiline bool) error {
	if !utf8.ValidString(s) {
		return rejection("%s is not valid UTF-8 text", field)
	}
	if n := utf8.RuneCountInString(s); n > max {
		return rejection("%s is limited to %d characters (got %d)", field, max, n)
	}
	for i, r := range s {
		if r == 0 {
			return rejection("%s contains a NUL character (at byte %d)", field, i)
		}
		if multiline && (r == '\n' || r == '\t' || r == '\r') {
			continue
		}
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' || isBidiControl(r) {
			return rejection("%s contains the control character %U (at byte %d), which cannot be shown", field, r, i)
		}
	}
	return nil
}

// isBidiControl reports the invisible direction overrides that make text read
// differently from what it is (the "Trojan Source" characters).
func isBidiControl(r rune) bool {
	return (r >= '\u202A' && r <= '\u202E') || (r >= '\u2066' && r <= '\u2069')
}

// CheckFactValue bounds a fact's raw JSON value and every string inside it.
// NormalizeFact says whether the value means something; this says whether it
// can be stored and shown at all.
func CheckFactValue(name string, raw json.RawMessage) error {
	if err := CheckLine("fact name", name, MaxName); err != nil {
		return err
	}
	if len(raw) > MaxFactValue {
		return rejection("the value of fact %q is limited to %d bytes of JSON (got %d)", name, MaxFactValue, len(raw))
	}
	if len(raw) == 0 {
		return nil
	}
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		return rejection("the value of fact %q is not valid JSON", name)
	}
	return walkStrings(v, func(s string) error {
		return CheckText(fmt.Sprintf("the value of fact %q", name), s, MaxFactText)
	})
}

func walkStrings(v any, f func(string) error) error {
	switch x := v.(type) {
	case string:
		return f(x)
	case []any:
		for _, e := range x {
			if err := walkStrings(e, f); err != nil {
				return err
			}
		}
	case map[string]any:
		for _, k := range deadline.SortedKeys(x) {
			if err := f(k); err != nil {
				return err
			}
			if err := walkStrings(x[k], f); err != nil {
				return err
			}
		}
	}
	return nil
}

// CheckAction bounds every field of an action. It says nothing about whether
// the action is allowed or meaningful: the validators do that.
func CheckAction(a Action) error {
	lines := []struct {
		field, v string
		max      int
	}{
		{"type", a.Type, MaxName}, {"task", a.Task, MaxName}, {"role", a.Role, MaxName}, {"user", a.User, MaxName},
		{"severity", a.Severity, MaxName}, {"name", a.Name, MaxName}, {"gate", a.Gate, MaxName},
		{"regime", a.Regime, MaxName}, {"obligation", a.Obligation, MaxName}, {"follows", a.Follows, MaxName},
		{"source", a.Source, MaxName}, {"reference", a.Reference, MaxReference}, {"request_id", a.RequestID, MaxRequestID},
		{"language", a.Language, MaxName},
	}
	for _, l := range lines {
		if err := CheckLine(l.field, l.v, l.max); err != nil {
			return err
		}
	}
	if err := CheckText("text", a.Text, MaxNote); err != nil {
		return err
	}
	if err := CheckText("reason", a.Reason, MaxReason); err != nil {
		return err
	}
	if err := CheckRecipients(a.To); err != nil {
		return err
	}
	if a.Language != "" {
		if _, err := templates.ParseLanguage(a.Language); err != nil {
			return rejection("%s", err.Error())
		}
	}
	if len(a.Value) > 0 {
		return CheckFactValue(a.Name, a.Value)
	}
	return nil
}

// CheckRecipients bounds a notice's address list.
func CheckRecipients(to []string) error {
	if len(to) > MaxTo {
		return rejection("to is limited to %d recipients (got %d); use a campaign for more", MaxTo, len(to))
	}
	for i, addr := range to {
		if err := CheckLine(fmt.Sprintf("to[%d]", i), addr, MaxRecipient); err != nil {
			return err
		}
		if strings.TrimSpace(addr) == "" {
			return rejection("to[%d] is empty", i)
		}
	}
	return nil
}

// CheckNoticeAction bounds a notice action's fields.
func CheckNoticeAction(a NoticeAction) error {
	for _, l := range []struct{ field, v string }{{"type", a.Type}, {"campaign", a.Campaign}, {"source", a.Source}} {
		if err := CheckLine(l.field, l.v, MaxName); err != nil {
			return err
		}
	}
	return CheckText("reason", a.Reason, MaxReason)
}

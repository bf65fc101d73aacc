package slackbot

import (
	"errors"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// FuzzParseCommand feeds /incident arbitrary text, as Slack would deliver it.
// Seeds are in testdata/fuzz/FuzzParseCommand. Properties: no panic; a
// refusal is a *ParseError with a message a person can read; an accepted
// command has a name; an ID it takes is an incident ID in upper case; the
// parse does not depend on surrounding spaces.
func FuzzParseCommand(f *testing.F) {
	for _, s := range []string{
		"", "help", "declare Phishing wave", "status INC-2026-0001", "note saw it \x00 again",
		"role responder <@U123|ann>", "notified eu-gdpr/supervisory-authority SA-1 reason: weekend",
		"not-notify us-ca/individuals Data encrypted at rest", "aware 2h ago", "severity critical",
		"close reason: false alarm", "drill ransomware 10", "status inc-2026-0001 extra", "ノート テスト",
	} {
		f.Add(s)
	}
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, text string) {
		c, err := ParseCommand(text, now)
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) || strings.TrimSpace(pe.Msg) == "" {
				t.Fatalf("%q: a refusal must be a ParseError with a message, got %#v", text, err)
			}
			if utf8.ValidString(text) && !utf8.ValidString(pe.Msg) {
				t.Fatalf("%q: the message is not valid UTF-8: %q", text, pe.Msg)
			}
		} else if c.Name == "" {
			t.Fatalf("%q: an accepted command has a name", text)
		}
		if c.Incident != "" && (c.Incident != strings.ToUpper(c.Incident) || !idRE.MatchString(c.Incident)) {
			t.Fatalf("%q: incident %q is not an upper-case incident ID", text, c.Incident)
		}
		c2, err2 := ParseCommand(" \t"+text+"\n ", now)
		if (err == nil) != (err2 == nil) || c2.Name != c.Name || c2.Incident != c.Incident {
			t.Fatalf("%q: surrounding spaces changed the parse: %+v/%v vs %+v/%v", text, c, err, c2, err2)
		}
	})
}

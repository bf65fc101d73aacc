package slack

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	goslack "github.com/slack-go/slack"
)

// Truncate shortens s to at most max characters (runes), ending with an
// ellipsis when it cut something.
func Truncate(s string, max int) string {
	if max <= 0 {
		return ""
	}
	if utf8.RuneCountInString(s) <= max {
		return s
	}
	r := []rune(s)
	if max == 1 {
		return "…"
	}
	return string(r[:max-1]) + "…"
}

// Escape makes text safe inside mrkdwn: Slack treats &, < and > as control
// characters (mentions, links).
func Escape(s string) string {
	s = strings.ReplaceAll(s, "&", "&amp;")
	s = strings.ReplaceAll(s, "<", "&lt;")
	return strings.ReplaceAll(s, ">", "&gt;")
}

func mrkdwn(s string) *goslack.TextBlockObject {
	return goslack.NewTextBlockObject(goslack.MarkdownType, Truncate(s, MaxSectionText), false, false)
}

func plain(s string, max int) *goslack.TextBlockObject {
	return goslack.NewTextBlockObject(goslack.PlainTextType, Truncate(s, max), true, false)
}

func button(actionID, value, label string, style goslack.Style) *goslack.ButtonBlockElement {
	b := goslack.NewButtonBlockElement(actionID, Truncate(value, MaxButtonValue), plain(label, MaxButtonText))
	if style != "" {
		b.Style = style
	}
	return b
}

// Mention renders a user reference: a Slack user ID becomes a mention, any
// other identity (an email, an API token name) is shown as text.
func Mention(id string) string {
	if id == "" {
		return "nobody"
	}
	if LooksLikeSlackUser(id) {
		return "<@" + id + ">"
	}
	return Escape(id)
}

// LooksLikeSlackUser reports whether id has the shape of a Slack user ID
// (U or W followed by upper-case letters and digits).
func LooksLikeSlackUser(id string) bool {
	if len(id) < 3 || len(id) > 24 || (id[0] != 'U' && id[0] != 'W') {
		return false
	}
	for _, c := range id[1:] {
		if (c < 'A' || c > 'Z') && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}

// UTC formats a due time the same way everywhere: absolute, in UTC.
func UTC(t time.Time) string { return t.UTC().Format("2006-01-02 15:04 UTC") }

// budget keeps a message under the block limit, leaving room for the blocks
// that must always be there (actions, footer).
type budget struct {
	blocks  []goslack.Block
	limit   int
	dropped int
}

func (b *budget) add(bl goslack.Block) bool {
	if len(b.blocks) >= b.limit {
		b.dropped++
		return false
	}
	b.blocks = append(b.blocks, bl)
	return true
}

func (b *budget) room() int { return b.limit - len(b.blocks) }

// lines joins lines into section texts of at most MaxSectionText characters,
// summarising what did not fit.
func joinLines(lines []string, max int) string {
	var sb strings.Builder
	for i, l := range lines {
		if sb.Len()+len(l)+1 > max-40 {
			fmt.Fprintf(&sb, "…and %d more", len(lines)-i)
			break
		}
		if i > 0 {
			sb.WriteByte('\n')
		}
		sb.WriteString(l)
	}
	return sb.String()
}

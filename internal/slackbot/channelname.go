package slackbot

import (
	"strconv"
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"

	"github.com/irbot/irbot/workflows"
)

// maxChannelName is Slack's limit on channel names.
const maxChannelName = 80

// maxSlug keeps the title part short enough to read in the sidebar.
const maxSlug = 40

// ChannelName is the incident channel's name: inc-YYYYMMDD-short-title
// (drill-inc-... for drills), lowercase, only the characters Slack allows,
// at most 80 characters. n > 1 appends -n for a name already taken.
func ChannelName(st workflows.IncidentState, n int) string {
	prefix := "inc-" + st.DeclaredAt.UTC().Format("20060102") + "-"
	if st.Mode == workflows.ModeDrill {
		prefix = "drill-" + prefix
	}
	slug := Slug(st.Title, maxSlug)
	if slug == "" {
		slug = Slug(st.ID, maxSlug)
	}
	suffix := ""
	if n > 1 {
		suffix = "-" + strconv.Itoa(n)
	}
	if room := maxChannelName - len(prefix) - len(suffix); len(slug) > room {
		slug = strings.TrimRight(slug[:room], "-_")
	}
	return prefix + slug + suffix
}

// Slug lowercases s, drops accents, and joins words with hyphens, keeping
// only a-z, 0-9, hyphen and underscore; it cuts at a word boundary within max.
func Slug(s string, max int) string {
	var sb strings.Builder
	dash := false
	for _, r := range norm.NFKD.String(strings.ToLower(s)) {
		switch {
		case unicode.Is(unicode.Mn, r):
			continue // a combining accent: é becomes e
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '_':
			if dash && sb.Len() > 0 {
				sb.WriteByte('-')
			}
			dash = false
			sb.WriteRune(r)
		default:
			dash = true
		}
	}
	out := sb.String()
	if len(out) <= max {
		return out
	}
	cut := out[:max]
	if i := strings.LastIndexByte(cut, '-'); i > max/2 {
		cut = cut[:i]
	}
	return strings.TrimRight(cut, "-_")
}

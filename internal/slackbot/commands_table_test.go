package slackbot

import (
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/irbot/irbot/internal/docsync"
	tpl "github.com/irbot/irbot/templates/slack"
)

// commandsMarkdown is the README's command list: one line per entry of the
// table, in help's order.
func commandsMarkdown() string {
	var b strings.Builder
	for _, sc := range slashCommands {
		b.WriteString("- `" + sc.Usage + "`: " + sc.Help + "\n")
	}
	return b.String()
}

// The parser, /incident help and the README's command list are the one
// table slashCommands: every command in it is parsed, shown in help and
// listed in the README, and nothing else is
// (IRBOT_UPDATE_README=1 go test ./internal/slackbot -run TestSlashCommandsAreOneTable
// rewrites the README's list).
func TestSlashCommandsAreOneTable(t *testing.T) {
	require.GreaterOrEqual(t, len(slashCommands), 19, "the table lost commands")
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	words := map[string]string{}
	help := tpl.HelpText(helpCommands())
	for _, sc := range slashCommands {
		require.NotNil(t, sc.parse, "/incident %s has no parser", sc.Name)
		require.True(t, sc.ack != nil || sc.run != nil, "/incident %s does nothing: it has neither ack nor run", sc.Name)
		require.True(t, sc.incident == noIncident || sc.run != nil, "/incident %s looks up an incident but has no run", sc.Name)
		require.True(t, strings.HasPrefix(sc.Usage, "/incident "+sc.Name), "/incident %s: its usage %q starts with another word", sc.Name, sc.Usage)
		require.NotEmpty(t, strings.TrimSpace(sc.Help), "/incident %s has no help line", sc.Name)
		require.Contains(t, help, "`"+sc.Usage+"`: "+sc.Help, "/incident help shows every command")
		for _, w := range append([]string{sc.Name}, sc.aliases...) {
			require.Equal(t, strings.ToLower(w), w, "/incident %s: the parser lower-cases the word, so %q could never match", sc.Name, w)
			require.Empty(t, words[w], "%q calls both /incident %s and /incident %s", w, words[w], sc.Name)
			words[w] = sc.Name
			got, _, err := parseSlash(w+" x y", now)
			if err != nil {
				require.NotContains(t, err.Error(), "unknown subcommand", "/incident %s: the parser calls it unknown", w)
			}
			require.Same(t, sc, got, "%q parses as /incident %s", w, sc.Name)
		}
	}
	// The reverse: help shows no line that is not a command in the table.
	lines := regexp.MustCompile("(?m)^`(/incident [^`]*)`: ").FindAllStringSubmatch(help, -1)
	require.Len(t, lines, len(slashCommands), "help shows exactly the table's commands")
	require.LessOrEqual(t, len(help), tpl.MaxSectionText, "the help text is cut in Slack's section block: the last commands would not show")
	docsync.Check(t, filepath.Join("..", "..", "README.md"), "slash-commands", commandsMarkdown(), "go test ./internal/slackbot -run TestSlashCommandsAreOneTable")
}

// Every word outside the table is refused as an unknown subcommand, also
// in other scripts, with NUL, or huge: the table is the only way in.
func TestWordsOutsideTheTableAreUnknown(t *testing.T) {
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	for _, w := range []string{"dance", "déclarer", "宣言", "note\x00", "\x00", strings.Repeat("x", 100000), "helpme", "-help", "drills"} {
		sc, _, err := parseSlash(w+" INC-2026-0001", now)
		require.Nil(t, sc, "%.40q", w)
		require.Error(t, err, "%.40q", w)
		var pe *ParseError
		require.ErrorAs(t, err, &pe)
		require.Contains(t, pe.Msg, "unknown subcommand", "%.40q", w)
	}
}

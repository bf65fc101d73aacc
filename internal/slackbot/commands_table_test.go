package slackbot

import (
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	tpl "github.com/irbot/irbot/templates/slack"
)

// The parser, /incident help and the README's command list name the same
// subcommands: tpl.SlashCommands is the table, and this test fails when a
// command is added to one and not the others.
func TestSlashCommandsAreOneTable(t *testing.T) {
	src, err := os.ReadFile("command.go")
	if err != nil {
		t.Fatal(err)
	}
	body := string(src)
	body = body[strings.Index(body, "func ParseCommand("):]
	body = body[:strings.Index(body, "\n}\n")]
	// Every word of ParseCommand's switch is a subcommand or one of these
	// aliases.
	aliases := map[string]bool{"-h": true, "--help": true, "new": true, "ls": true, "sev": true, "not_notify": true, "notnotify": true}
	parsed := map[string]bool{}
	for _, line := range regexp.MustCompile(`(?m)^\tcase (.*):$`).FindAllStringSubmatch(body, -1) {
		for _, w := range regexp.MustCompile(`"([^"]+)"`).FindAllStringSubmatch(line[1], -1) {
			if !aliases[w[1]] {
				parsed[w[1]] = true
			}
		}
	}
	if len(parsed) < 10 {
		t.Fatalf("found only %d subcommands in ParseCommand: has its shape changed?", len(parsed))
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	help := tpl.HelpText()
	listed := map[string]bool{}
	now := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	for _, c := range tpl.SlashCommands {
		listed[c.Name] = true
		if !parsed[c.Name] {
			t.Errorf("/incident %s is in tpl.SlashCommands but ParseCommand has no case for it", c.Name)
		}
		if !strings.Contains(help, "`"+c.Usage+"`") {
			t.Errorf("/incident help does not show %q", c.Usage)
		}
		if !regexp.MustCompile("`(/incident )?" + regexp.QuoteMeta(c.Name) + "[ `]").Match(readme) {
			t.Errorf("README.md does not list /incident %s", c.Name)
		}
		if _, err := ParseCommand(c.Name+" x y", now); err != nil && strings.Contains(err.Error(), "unknown subcommand") {
			t.Errorf("/incident %s: the parser calls it unknown: %v", c.Name, err)
		}
	}
	for name := range parsed {
		if !listed[name] {
			t.Errorf("ParseCommand understands /incident %s but tpl.SlashCommands (help, README) does not list it", name)
		}
	}
}

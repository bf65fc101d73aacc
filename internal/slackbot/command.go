package slackbot

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/irbot/irbot/playbooks"
)

// Command is one parsed /incident invocation.
type Command struct {
	Name     string // declare, list, status, clocks, notices, facts, notify, update, task_done, severity, role, note, aware, notified, not_notify, close, drill_start, drill_list, drill_control, drill_schedule, drill_schedule_list, drill_schedule_delete, help
	Title    string // declare
	Incident string // status, clocks, notices: an explicit incident ID
	// Regime and Obligation name a clock (notified, not_notify).
	Regime     string
	Obligation string
	Reference  string // notified: the recipient's reference
	Task       string
	Severity   string
	Role       string
	User       string // role: a Slack user ID, or "me"; drill_schedule: the time zone
	Text       string // note text, close reason, reason for a late notification, rationale not to notify
	AwareAt    time.Time
	Scenario   string
	Speed      float64
	// Participants are the people a drill start invites (Slack user IDs).
	Participants []string
}

// ParseError is a malformed /incident; its message is shown privately with help.
type ParseError struct {
	Msg string
	// Short says the message alone helps (a "did you mean"): no full help.
	Short bool
}

func (e *ParseError) Error() string { return e.Msg }

func parseErr(format string, args ...any) error {
	return &ParseError{Msg: fmt.Sprintf(format, args...)}
}

var (
	mentionRE = regexp.MustCompile(`^<@([UW][A-Z0-9]+)(\|[^>]*)?>$`)
	userIDRE  = regexp.MustCompile(`^@?([UW][A-Z0-9]{2,})$`)
	idRE      = regexp.MustCompile(`^(?i)(INC|DRILL)-\d{4}-\d+$`)
	agoRE     = regexp.MustCompile(`^(\d+)\s*(m|min|mins|minutes?|h|hours?|d|days?)\s+ago$`)
	reasonRE  = regexp.MustCompile(`(?i)(^|\s)reason:`)
	clockRE   = regexp.MustCompile(`^([a-z0-9][a-z0-9_.-]*)/([a-z0-9][a-z0-9_.-]*)$`)
)

// ParseCommand parses the text after /incident. now resolves relative times.
func ParseCommand(text string, now time.Time) (Command, error) {
	_, c, err := parseSlash(text, now)
	return c, err
}

// slashArgs is what follows /incident, split for a command's parser.
type slashArgs struct {
	word string    // the subcommand as typed
	rest string    // everything after it, trimmed
	args []string  // rest split on white space
	now  time.Time // resolves relative times
}

// parseSlash finds the command the first word names in the table
// (slashCommands) and parses the rest with its parser.
func parseSlash(text string, now time.Time) (*slashCommand, Command, error) {
	text = strings.TrimSpace(text)
	fields := strings.Fields(text)
	if len(fields) == 0 {
		sc := slashCommandNamed("help")
		return sc, Command{Name: "help"}, nil
	}
	sub := strings.ToLower(fields[0])
	if sc := slashCommandNamed(sub); sc != nil {
		c, err := sc.parse(slashArgs{word: fields[0], rest: strings.TrimSpace(text[len(fields[0]):]), args: fields[1:], now: now})
		return sc, c, err
	}
	var names []string
	for _, sc := range slashCommands {
		names = append(names, sc.Name)
	}
	if near := playbooks.Closest(sub, names); near != "" {
		return nil, Command{}, &ParseError{Msg: fmt.Sprintf("unknown subcommand %q: did you mean `/incident %s`? (`/incident help` lists every command)", fields[0], near), Short: true}
	}
	return nil, Command{}, parseErr("unknown subcommand %q", fields[0])
}

// parseClock reads REGIME/OBLIGATION (as /incident clocks shows them).
func parseClock(arg, usage string) (regime, obligation string, err error) {
	m := clockRE.FindStringSubmatch(strings.ToLower(arg))
	if m == nil {
		return "", "", parseErr("%q is not a clock: write REGIME/OBLIGATION; %s", arg, usage)
	}
	return m[1], m[2], nil
}

// ParseTime reads a time a person typed: now, "2h ago", "2026-03-01 09:30"
// (UTC), "2026-03-01T09:30" (UTC) or RFC 3339 with an offset.
func ParseTime(s string, now time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	ls := strings.ToLower(s)
	if ls == "now" {
		return now.UTC(), nil
	}
	if m := agoRE.FindStringSubmatch(ls); m != nil {
		n, _ := strconv.Atoi(m[1])
		unit := time.Minute
		switch m[2][0] {
		case 'h':
			unit = time.Hour
		case 'd':
			unit = 24 * time.Hour
		}
		return now.Add(-time.Duration(n) * unit).UTC(), nil
	}
	ls = strings.TrimSuffix(strings.TrimSuffix(s, " UTC"), " utc")
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04", "2006-01-02T15:04", "2006-01-02 15:04:05", "2006-01-02T15:04:05"} {
		if t, err := time.Parse(layout, ls); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, parseErr("%q is not a time I can read: use `now`, `2h ago`, `2026-03-01 09:30` (UTC) or RFC 3339 like `2026-03-01T09:30:00+01:00`", s)
}

// jsonString encodes s as a JSON string value for set_fact.
func jsonString(s string) json.RawMessage {
	b, _ := json.Marshal(s)
	return b
}

package slackbot

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/irbot/irbot/playbooks"
	tpl "github.com/irbot/irbot/templates/slack"
	"github.com/irbot/irbot/workflows"
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

// Usage of the clock commands, shown when one is malformed.
const (
	notifiedUsage  = "use `/incident notified REGIME/OBLIGATION [REFERENCE] [reason: WHY LATE]`, e.g. `/incident notified eu-gdpr/supervisory-authority SA-2026-123`; `/incident clocks` lists the clocks"
	notNotifyUsage = "use `/incident not-notify REGIME/OBLIGATION REASON`, e.g. `/incident not-notify us-ca/individuals Data encrypted at rest; keys not exposed`; `/incident clocks` lists the clocks"
)

// minRationale is the shortest rationale the workflow accepts for a decision
// not to notify ("at least a sentence").
const minRationale = 10

var roleNames = []string{"responder", "commander", "dpo", "legal", "manager", "compliance", "admin"}

// ParseCommand parses the text after /incident. now resolves relative times.
func ParseCommand(text string, now time.Time) (Command, error) {
	text = strings.TrimSpace(text)
	fields := strings.Fields(text)
	if len(fields) == 0 {
		return Command{Name: "help"}, nil
	}
	sub := strings.ToLower(fields[0])
	rest := strings.TrimSpace(text[len(fields[0]):])
	args := fields[1:]
	switch sub {
	case "help", "-h", "--help":
		return Command{Name: "help"}, nil
	case "declare", "new":
		return Command{Name: "declare", Title: rest}, nil
	case "status", "clocks", "notices":
		c := Command{Name: sub}
		if len(args) > 1 {
			return c, parseErr("`/incident %s` takes at most an incident ID, e.g. `/incident %s INC-2026-0001`", sub, sub)
		}
		if len(args) == 1 {
			if !idRE.MatchString(args[0]) {
				return c, parseErr("%q is not an incident ID (like INC-2026-0001)", args[0])
			}
			c.Incident = strings.ToUpper(args[0])
		}
		return c, nil
	case "repost":
		return Command{Name: "repost"}, nil
	case "update":
		if len(args) > 0 {
			return Command{}, parseErr("`/incident update` takes nothing after it: it opens the status update form")
		}
		return Command{Name: "update"}, nil
	case "facts":
		if len(args) > 0 {
			return Command{}, parseErr("`/incident facts` takes nothing after it: it opens the facts form")
		}
		return Command{Name: "facts"}, nil
	case "notify":
		return parseNotify(args)
	case "list", "ls":
		if len(args) > 0 {
			return Command{}, parseErr("`/incident list` takes nothing after it")
		}
		return Command{Name: "list"}, nil
	case "task":
		if len(args) != 2 || strings.ToLower(args[0]) != "done" {
			return Command{}, parseErr("use `/incident task done ID`, e.g. `/incident task done isolate`")
		}
		return Command{Name: "task_done", Task: args[1]}, nil
	case "severity", "sev":
		if len(args) != 1 || !slices.Contains(workflows.Severities, strings.ToLower(args[0])) {
			return Command{}, parseErr("use `/incident severity S` with S one of %s", strings.Join(workflows.Severities, ", "))
		}
		return Command{Name: "severity", Severity: strings.ToLower(args[0])}, nil
	case "role":
		if len(args) != 2 {
			return Command{}, parseErr("use `/incident role ROLE @user` (or `me`), ROLE one of %s", strings.Join(roleNames, ", "))
		}
		role := strings.ToLower(args[0])
		if !slices.Contains(roleNames, role) {
			return Command{}, parseErr("unknown role %q; roles are %s", args[0], strings.Join(roleNames, ", "))
		}
		user := args[1]
		switch {
		case strings.EqualFold(user, "me"):
			user = "me"
		case mentionRE.MatchString(user):
			user = mentionRE.FindStringSubmatch(user)[1]
		case userIDRE.MatchString(user):
			user = userIDRE.FindStringSubmatch(user)[1]
		default:
			return Command{}, parseErr("%q is not a Slack user: mention them (@name) or write `me`", user)
		}
		return Command{Name: "role", Role: role, User: user}, nil
	case "note":
		if rest == "" {
			return Command{}, parseErr("use `/incident note TEXT`")
		}
		return Command{Name: "note", Text: rest}, nil
	case "aware":
		if rest == "" {
			return Command{}, parseErr("use `/incident aware TIME`: `now`, `2h ago`, `2026-03-01 09:30` (UTC) or RFC 3339")
		}
		t, err := ParseTime(rest, now)
		if err != nil {
			return Command{}, err
		}
		if t.After(now.Add(5 * time.Minute)) {
			return Command{}, parseErr("%s is in the future; awareness is a moment that has happened", t.UTC().Format(time.RFC3339))
		}
		return Command{Name: "aware", AwareAt: t}, nil
	case "notified":
		if len(args) == 0 {
			return Command{}, parseErr("%s", notifiedUsage)
		}
		regime, obligation, err := parseClock(args[0], notifiedUsage)
		if err != nil {
			return Command{}, err
		}
		after := strings.TrimSpace(rest[len(args[0]):])
		ref, reason, hasReason := after, "", false
		if loc := reasonRE.FindStringIndex(after); loc != nil {
			ref, reason, hasReason = strings.TrimSpace(after[:loc[0]]), strings.TrimSpace(after[loc[1]:]), true
		}
		if hasReason && reason == "" {
			return Command{}, parseErr("`reason:` needs the reason for the delay after it; %s", notifiedUsage)
		}
		if len(ref) > 200 {
			return Command{}, parseErr("the reference is %d characters; keep it under 200 (the recipient's case number)", len(ref))
		}
		return Command{Name: "notified", Regime: regime, Obligation: obligation, Reference: ref, Text: reason}, nil
	case "not-notify", "not_notify", "notnotify":
		if len(args) == 0 {
			return Command{}, parseErr("%s", notNotifyUsage)
		}
		regime, obligation, err := parseClock(args[0], notNotifyUsage)
		if err != nil {
			return Command{}, err
		}
		reason := strings.TrimSpace(rest[len(args[0]):])
		if loc := reasonRE.FindStringIndex(reason); loc != nil && loc[0] == 0 {
			reason = strings.TrimSpace(reason[loc[1]:])
		}
		if len(reason) < minRationale {
			return Command{}, parseErr("a decision not to notify must be documented: give the rationale, at least a sentence; %s", notNotifyUsage)
		}
		return Command{Name: "not_notify", Regime: regime, Obligation: obligation, Text: reason}, nil
	case "close":
		return Command{Name: "close", Text: rest}, nil
	case "drill":
		return parseDrill(args)
	}
	if near := playbooks.Closest(sub, subcommands); near != "" {
		return Command{}, &ParseError{Msg: fmt.Sprintf("unknown subcommand %q: did you mean `/incident %s`? (`/incident help` lists every command)", fields[0], near), Short: true}
	}
	return Command{}, parseErr("unknown subcommand %q", fields[0])
}

// subcommands are the words /incident understands, for "did you mean".
var subcommands = func() []string {
	var names []string
	for _, c := range tpl.SlashCommands {
		names = append(names, c.Name)
	}
	return names
}()

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

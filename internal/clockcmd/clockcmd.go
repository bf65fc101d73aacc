// Package clockcmd is `irbot clocks`, the offline deadline calculator of
// CONTRACT.md: facts on the command line, obligations with due times out,
// as JSON or as a table with the time left.
//
//	irbot clocks --regime eu-gdpr,us-sec-8k --at awareness=2026-10-24T10:00:00+02:00 --format json
//	irbot clocks --list
//
// Bad input (unknown regime or trigger, malformed time or count, no
// --regime) exits 2 with one line on stderr naming the bad value and what is
// accepted.
package clockcmd

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/irbot/irbot/internal/deadline"
	"github.com/irbot/irbot/internal/jurisdiction"
	"github.com/irbot/irbot/playbooks"
)

// Options are what Run takes from its surroundings; tests replace them.
type Options struct {
	Now   func() time.Time   // for "time left" in the table; default time.Now
	Rules *playbooks.RuleSet // default playbooks.MustRules()
}

// Run is `irbot clocks` with the real clock and the embedded rules. It
// returns the exit code: 0, or 2 for bad input.
func Run(args []string, stdout, stderr io.Writer) int {
	return RunWith(args, stdout, stderr, Options{})
}

// listFlag collects a repeatable flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

const usage = `usage: irbot clocks --regime ID[,ID...] [--at TRIGGER=RFC3339 ...] [--affected JURISDICTION=N ...]
                    [--flag NAME ...] [--submitted REGIME/OBLIGATION=RFC3339 ...]
                    [--delay REGIME[/OBLIGATION]=FROM[..UNTIL] ...] [--establishment CC]
                    [--closed CALENDAR=YYYY-MM-DD ...] [--format table|json]
       irbot clocks --list [--regime ID,...] [--format table|json]

Computes regulatory notification deadlines offline. Triggers: %s.
JURISDICTION is an ISO 3166 code (US-CA, BR, DE) or EU. Regimes: %s.
`

// RunWith is Run with explicit options.
func RunWith(args []string, stdout, stderr io.Writer, opts Options) int {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	rs := opts.Rules
	if rs == nil {
		rs = playbooks.MustRules()
	}
	fail := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "irbot clocks: "+format+"\n", a...)
		return 2
	}

	fs := flag.NewFlagSet("irbot clocks", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var regimes, ats, affected, flags, submitted, delays, closed listFlag
	fs.Var(&regimes, "regime", "regime id(s), comma-separated; repeatable")
	fs.Var(&ats, "at", "TRIGGER=RFC3339; repeatable")
	fs.Var(&affected, "affected", "JURISDICTION=N; repeatable")
	fs.Var(&flags, "flag", "sector or situation flag; repeatable")
	fs.Var(&submitted, "submitted", "REGIME/OBLIGATION=RFC3339: actual submission of a stage; repeatable")
	fs.Var(&delays, "delay", "REGIME[/OBLIGATION]=FROM[..UNTIL]: law-enforcement delay; repeatable")
	fs.Var(&closed, "closed", "CALENDAR=YYYY-MM-DD: extra closed day (e.g. us-federal=2026-12-24); repeatable")
	establishment := fs.String("establishment", "", "ISO code of the EU/EEA Member State of establishment (DORA bank holidays)")
	format := fs.String("format", "table", "table or json")
	list := fs.Bool("list", false, "list every regime and rule with its source")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintf(stdout, usage, strings.Join(playbooks.RuleTriggers, ", "), strings.Join(rs.IDs(), ", "))
			return 0
		}
		return fail("%v (see irbot clocks --help)", err)
	}
	if fs.NArg() > 0 {
		return fail("unexpected argument %q: every value goes with a flag, like --regime eu-gdpr (see irbot clocks --help)", fs.Arg(0))
	}
	if *format != "table" && *format != "json" {
		return fail("unknown --format %q: accepted are table, json", *format)
	}

	var ids []string
	for _, r := range regimes {
		for _, id := range strings.Split(r, ",") {
			id = strings.TrimSpace(id)
			if id == "" {
				continue
			}
			if !rs.Has(id) {
				return fail("unknown regime %q: accepted are %s", id, strings.Join(rs.IDs(), ", "))
			}
			ids = append(ids, id)
		}
	}

	if *list {
		return listRules(rs, ids, *format, stdout, stderr)
	}
	if len(ids) == 0 {
		return fail("missing --regime: name one or more of %s", strings.Join(rs.IDs(), ", "))
	}

	f := deadline.Facts{Triggers: map[string]time.Time{}, Affected: map[string]int{}, Flags: map[string]bool{}, Submitted: map[string]time.Time{}}
	for _, a := range ats {
		trigger, t, err := ParseAt(a)
		if err != nil {
			return fail("%v", err)
		}
		if trigger == "prior_submission" {
			// A prior submission belongs to one obligation (the stage it
			// precedes); as a bare trigger it would change nothing.
			return fail("--at %q: a prior submission is per obligation: give it as --submitted REGIME/OBLIGATION=RFC3339, like eu-nis2/incident-notification=2026-03-12T15:30:00Z", a)
		}
		f.Triggers[trigger] = t
	}
	for _, a := range affected {
		j, n, err := ParseAffected(a)
		if err != nil {
			return fail("%v", err)
		}
		f.Affected[j] += n
	}
	for _, fl := range flags {
		for _, name := range strings.Split(fl, ",") {
			name = strings.TrimSpace(name)
			if !flagPattern.MatchString(name) {
				return fail("--flag %q: a flag is a snake_case name like business_associate or financial_entity", name)
			}
			f.Flags[name] = true
		}
	}
	for _, s := range submitted {
		key, t, err := ParseSubmitted(rs, s)
		if err != nil {
			return fail("%v", err)
		}
		f.Submitted[key] = t
	}
	for _, s := range delays {
		d, err := ParseDelay(rs, s)
		if err != nil {
			return fail("%v", err)
		}
		f.Delays = append(f.Delays, d)
	}
	if *establishment != "" {
		code := strings.ToUpper(*establishment)
		if !slices.Contains(deadline.MemberStates(), code) {
			return fail("unknown --establishment %q: accepted are %s", *establishment, strings.Join(deadline.MemberStates(), ", "))
		}
		f.Establishment = code
	}
	for _, c := range closed {
		cal, day, ok := strings.Cut(c, "=")
		if !ok || !slices.Contains(playbooks.RuleCalendars, cal) {
			return fail("--closed %q: expected CALENDAR=YYYY-MM-DD with CALENDAR one of %s", c, strings.Join(playbooks.RuleCalendars, ", "))
		}
		if _, err := time.Parse(time.DateOnly, day); err != nil {
			return fail("--closed %q: %q is not a date like 2026-12-24", c, day)
		}
		if f.Closed == nil {
			f.Closed = map[string][]string{}
		}
		f.Closed[cal] = append(f.Closed[cal], day)
	}

	obs, err := deadline.Evaluate(rs, ids, f)
	if err != nil {
		return fail("%v", err)
	}
	if *format == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(obs); err != nil {
			fmt.Fprintf(stderr, "irbot clocks: writing output: %v\n", err)
			return 1
		}
		return 0
	}
	if err := writeTable(stdout, obs, opts.Now()); err != nil {
		fmt.Fprintf(stderr, "irbot clocks: writing output: %v\n", err)
		return 1
	}
	return 0
}

// maxAffected is more people than there are.
const maxAffected = 10_000_000_000

var (
	flagPattern = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
)

// parseTime reads an RFC 3339 time with an explicit offset.
func parseTime(flagName, arg, value string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339, value)
	if err != nil {
		return time.Time{}, fmt.Errorf("%s %q: time %q is not RFC 3339 with an offset, like 2026-10-24T10:00:00+02:00 or 2026-10-24T08:00:00Z", flagName, arg, value)
	}
	return t, nil
}

// ParseAt parses an --at value, TRIGGER=RFC3339.
func ParseAt(s string) (trigger string, at time.Time, err error) {
	trigger, value, ok := strings.Cut(s, "=")
	if !ok {
		return "", time.Time{}, fmt.Errorf("--at %q: expected TRIGGER=RFC3339, like awareness=2026-10-24T10:00:00+02:00", s)
	}
	trigger = strings.TrimSpace(trigger)
	if !slices.Contains(playbooks.RuleTriggers, trigger) {
		return "", time.Time{}, fmt.Errorf("--at %q: unknown trigger %q: accepted are %s", s, trigger, strings.Join(playbooks.RuleTriggers, ", "))
	}
	at, err = parseTime("--at", s, strings.TrimSpace(value))
	if err != nil {
		return "", time.Time{}, err
	}
	return trigger, at, nil
}

// ParseAffected parses an --affected value, JURISDICTION=N, where
// JURISDICTION is an ISO 3166 code (US-CA, BR, DE) or EU and N a count of
// people, 0 or more.
func ParseAffected(s string) (code string, n int, err error) {
	j, value, ok := strings.Cut(s, "=")
	if !ok {
		return "", 0, fmt.Errorf("--affected %q: expected JURISDICTION=N, like US-CA=600", s)
	}
	j, err = jurisdiction.Parse(j)
	if err != nil {
		return "", 0, fmt.Errorf("--affected %q: jurisdiction %w", s, err)
	}
	value = strings.TrimSpace(value)
	n, convErr := strconv.Atoi(value)
	if convErr != nil || n < 0 || strings.HasPrefix(value, "+") || int64(n) > maxAffected {
		return "", 0, fmt.Errorf("--affected %q: count %q is not a whole number of people from 0 to 10000000000", s, value)
	}
	return j, n, nil
}

// ParseSubmitted parses a --submitted value, REGIME/OBLIGATION=RFC3339, and
// checks the obligation exists.
func ParseSubmitted(rs *playbooks.RuleSet, s string) (string, time.Time, error) {
	key, value, ok := strings.Cut(s, "=")
	regime, obligation, ok2 := strings.Cut(key, "/")
	if !ok || !ok2 {
		return "", time.Time{}, fmt.Errorf("--submitted %q: expected REGIME/OBLIGATION=RFC3339, like eu-nis2/incident-notification=2026-03-12T15:30:00Z", s)
	}
	reg, ok := rs.Regime(regime)
	if !ok {
		return "", time.Time{}, fmt.Errorf("--submitted %q: unknown regime %q: accepted are %s", s, regime, strings.Join(rs.IDs(), ", "))
	}
	if _, ok := reg.Rule(obligation); !ok {
		return "", time.Time{}, fmt.Errorf("--submitted %q: %s has no obligation %q: accepted are %s", s, reg.ID, obligation, strings.Join(ruleIDs(reg), ", "))
	}
	t, err := parseTime("--submitted", s, value)
	if err != nil {
		return "", time.Time{}, err
	}
	return reg.ID + "/" + obligation, t, nil
}

// ParseDelay parses a --delay value, REGIME[/OBLIGATION]=FROM[..UNTIL].
func ParseDelay(rs *playbooks.RuleSet, s string) (deadline.Delay, error) {
	key, value, ok := strings.Cut(s, "=")
	if !ok {
		return deadline.Delay{}, fmt.Errorf("--delay %q: expected REGIME[/OBLIGATION]=FROM[..UNTIL], like us-hipaa/individuals=2026-02-10T00:00:00Z..2026-03-12T00:00:00Z", s)
	}
	regime, obligation, _ := strings.Cut(key, "/")
	reg, ok := rs.Regime(regime)
	if !ok {
		return deadline.Delay{}, fmt.Errorf("--delay %q: unknown regime %q: accepted are %s", s, regime, strings.Join(rs.IDs(), ", "))
	}
	if _, ok := reg.Rule(obligation); obligation != "" && !ok {
		return deadline.Delay{}, fmt.Errorf("--delay %q: %s has no obligation %q: accepted are %s", s, reg.ID, obligation, strings.Join(ruleIDs(reg), ", "))
	}
	fromS, untilS, bounded := strings.Cut(value, "..")
	from, err := parseTime("--delay", s, fromS)
	if err != nil {
		return deadline.Delay{}, err
	}
	d := deadline.Delay{Regime: reg.ID, Obligation: obligation, From: from, Reason: "delay given on the command line"}
	if bounded {
		until, err := parseTime("--delay", s, untilS)
		if err != nil {
			return deadline.Delay{}, err
		}
		if !until.After(from) {
			return deadline.Delay{}, fmt.Errorf("--delay %q: the end %s is not after the start %s", s, untilS, fromS)
		}
		d.Until = &until
	}
	return d, nil
}

func ruleIDs(reg *playbooks.Regime) []string {
	var ids []string
	for _, r := range reg.Obligations {
		if !slices.Contains(ids, r.ID) {
			ids = append(ids, r.ID)
		}
	}
	return ids
}

// timeLeft says how long until due, for people.
func timeLeft(o deadline.Obligation, now time.Time) string {
	switch {
	case o.Paused:
		return "paused"
	case o.WaitingFor != "":
		return "waiting for " + o.WaitingFor
	case o.DueAt == nil:
		return "no limit"
	}
	return deadline.Left(*o.DueAt, now)
}

func writeTable(w io.Writer, obs []deadline.Obligation, now time.Time) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "REGIME\tOBLIGATION\tRECIPIENT\tDUE\tLEFT\tBASIS\tSOURCE")
	for _, o := range obs {
		due := "-"
		if o.DueAt != nil {
			due = o.DueAt.Format(time.RFC3339)
			if o.InternalTarget {
				due += " (internal target)"
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", o.Regime, o.Obligation, o.Recipient, due, timeLeft(o, now), o.Basis, o.Source)
	}
	if len(obs) == 0 {
		fmt.Fprintln(tw, "(no obligation applies to these facts)")
	}
	return tw.Flush()
}

func listRules(rs *playbooks.RuleSet, ids []string, format string, stdout, stderr io.Writer) int {
	if len(ids) > 0 {
		sub, err := rs.Subset(ids)
		if err != nil {
			fmt.Fprintf(stderr, "irbot clocks: %v\n", err)
			return 2
		}
		rs = sub
	}
	if format == "json" {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rs); err != nil {
			fmt.Fprintf(stderr, "irbot clocks: writing output: %v\n", err)
			return 1
		}
		return 0
	}
	tw := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "REGIME\tOBLIGATION\tRECIPIENT\tTRIGGER\tCLOCK\tCOUNTING\tSEMANTICS\tCONFIDENCE\tSOURCE")
	for _, reg := range rs.Regimes {
		status := ""
		if reg.Status == "not_in_force" {
			status = " [not in force]"
		}
		fmt.Fprintf(tw, "%s\t*\t\t\t\t\t\t%s\t%s: %s%s\n", reg.ID, reg.Confidence, reg.Name, reg.Source, status)
		for _, r := range reg.Obligations {
			trigger := r.Trigger
			if r.After != "" {
				trigger = "after " + r.After
			}
			counting := r.Counting
			if r.Calendar != "" {
				counting += " (" + r.Calendar + ")"
			}
			if counting == "" {
				counting = "-"
			}
			if r.EffectiveFrom != "" || r.EffectiveUntil != "" {
				counting += fmt.Sprintf(" [%s..%s]", r.EffectiveFrom, r.EffectiveUntil)
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", reg.ID, r.ID, r.Recipient, trigger, r.Clock, counting, r.Semantics, r.Confidence, r.Source)
		}
	}
	if err := tw.Flush(); err != nil {
		fmt.Fprintf(stderr, "irbot clocks: writing output: %v\n", err)
		return 1
	}
	return 0
}

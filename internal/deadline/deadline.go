// Package deadline turns the facts of an incident into notification
// obligations with due times, from the rules in package playbooks.
//
// It is pure: no I/O, no clock, no shared state, so it gives the same
// answer inside a Temporal workflow, in `irbot clocks`, in the console and
// in tests.
//
// # How clocks are counted
//
//   - Hours (PT72H): elapsed time from the trigger, through nights,
//     weekends, holidays and daylight-saving changes. 72 h across the EU
//     autumn change is exactly 72 elapsed hours. Due times are shown in UTC
//     unless the rule names a zone.
//   - Calendar days (P30D): the same wall-clock time N calendar days later
//     in the rule's zone (the conservative reading of "within N days of"),
//     or the end of that day (23:59:59) where the rule says due_time
//     end_of_day ("no later than 3 calendar days after the day of the
//     assessment").
//   - Months (P1M): the same day of the month N months later, clamped to the
//     last day of a shorter month (31 Jan + P1M = 28/29 Feb), same time of
//     day, in the rule's zone.
//   - Business days (P4D on a calendar): the day of the trigger is day 0
//     whatever it is; each following day that is neither a weekend day nor
//     a holiday of the named calendar counts one; the deadline is on the Nth
//     such day, at the rule's due_time (default end of day) in its zone. So
//     a determination on a Saturday starts counting on Monday, which is day
//     1 (Form 8-K General Instruction B.1). SEC 8-K: 17:30 America/New_York
//     on the 4th business day (Reg S-T Rule 13(a)(2)). Brazil: 23:59:59
//     Brasília time on the 3rd business day after the day of knowledge.
//   - A bound (bounded_by) makes the deadline the earlier of two limits; a
//     bound already past when the rule's own clock started is ignored.
//   - Roll-over moves a deadline that falls on a non-working day to the next
//     working day at the rule's time (DORA: 12:00).
//   - Delays (law enforcement, national security) stop the clock during
//     [From, Until): the due time moves by the part of the pause that falls
//     between the start of the clock and the due time; while a pause has no
//     end the due time is null and Paused is set.
package deadline

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // rule zones resolve inside minimal images and workers too

	"github.com/irbot/irbot/playbooks"
)

// Facts are what is known about an incident.
type Facts struct {
	Triggers  map[string]time.Time `json:"triggers,omitempty"`  // trigger name -> when
	Affected  map[string]int       `json:"affected,omitempty"`  // ISO 3166 code ("US-CA", "BR", "DE") or "EU" -> affected individuals
	Flags     map[string]bool      `json:"flags,omitempty"`     // sector/situation flags, e.g. "financial_entity", "business_associate"
	Submitted map[string]time.Time `json:"submitted,omitempty"` // "regime/obligation" -> actual submission time (feeds chained stages)
	Delays    []Delay              `json:"delays,omitempty"`    // law-enforcement delays: pause a clock
	// Establishment is the ISO code of the EU/EEA Member State whose bank
	// holidays apply (DORA's weekend relief), e.g. "DE".
	Establishment string `json:"establishment,omitempty"`
	// Closed adds days a calendar's authority was closed without a statute
	// saying so, per calendar name: {"us-federal": ["2024-12-24"]}.
	Closed map[string][]string `json:"closed,omitempty"`
}

// Delay pauses the clocks of one obligation, or of every obligation of a
// regime when Obligation is empty, during [From, Until). A nil Until is a
// pause with no end yet.
type Delay struct {
	Regime     string     `json:"regime"`
	Obligation string     `json:"obligation,omitempty"`
	From       time.Time  `json:"from"`
	Until      *time.Time `json:"until,omitempty"`
	Reason     string     `json:"reason,omitempty"`
}

// Obligation is one notice owed, with when it is due and why.
type Obligation struct {
	Regime          string     `json:"regime"`
	Obligation      string     `json:"obligation"`
	Name            string     `json:"name,omitempty"`
	Recipient       string     `json:"recipient"`
	Trigger         string     `json:"trigger"`
	DueAt           *time.Time `json:"due_at"`                // null when waiting, paused without end, or without limit or internal target
	Basis           string     `json:"basis"`                 // how it was counted: "PT72H", "P4 business days (US federal holidays)"
	Source          string     `json:"source"`                // the provision, from the rule file
	WaitingFor      string     `json:"waiting_for,omitempty"` // trigger name, or "regime/obligation" of the prior stage
	Semantics       string     `json:"semantics,omitempty"`
	RequiredContent []string   `json:"required_content,omitempty"`
	// StartedAt is when the clock started (trigger, year end or prior
	// submission).
	StartedAt *time.Time `json:"started_at,omitempty"`
	// InternalTarget is set when DueAt is irbot's own target for a duty the
	// law gives no number ("without undue delay").
	InternalTarget bool   `json:"internal_target,omitempty"`
	Paused         bool   `json:"paused,omitempty"`    // an open-ended delay holds the clock
	Threshold      string `json:"threshold,omitempty"` // why a threshold holds: "US-CA: 600 more than 500"
	LateAllowed    bool   `json:"late_allowed,omitempty"`
	Confidence     string `json:"confidence,omitempty"`
	TimeZone       string `json:"time_zone,omitempty"`
}

// Key is "regime/obligation", the key of Facts.Submitted.
func (o Obligation) Key() string { return o.Regime + "/" + o.Obligation }

// Evaluate computes the obligations of the named regimes from the facts, in
// the order the regimes are given and then in rule-file order. An
// obligation whose threshold or flags do not hold, or that is not in force
// when its clock starts, is left out. An unknown regime, an unknown trigger
// in the facts, or a negative count is an error.
func Evaluate(rs *playbooks.RuleSet, regimes []string, f Facts) ([]Obligation, error) {
	if rs == nil {
		return nil, fmt.Errorf("no rule set")
	}
	for _, name := range SortedKeys(f.Triggers) {
		if !slices.Contains(playbooks.RuleTriggers, name) {
			return nil, fmt.Errorf("unknown trigger %q (known: %s)", name, strings.Join(playbooks.RuleTriggers, ", "))
		}
	}
	for _, j := range SortedKeys(f.Affected) {
		if n := f.Affected[j]; n < 0 {
			return nil, fmt.Errorf("affected count for %s is negative: %d", j, n)
		}
	}
	out := []Obligation{}
	done := map[string]bool{}
	for _, id := range regimes {
		reg, ok := rs.Regime(id)
		if !ok {
			return nil, fmt.Errorf("unknown regime %q (known: %s)", id, strings.Join(rs.IDs(), ", "))
		}
		if done[reg.ID] {
			continue
		}
		done[reg.ID] = true
		if reg.Status == "not_in_force" {
			continue
		}
		seen := map[string]bool{}
		for _, r := range reg.Obligations {
			if seen[r.ID] {
				continue
			}
			seen[r.ID] = true
			o, keep, err := evaluateRule(reg, r.ID, f)
			if err != nil {
				return nil, fmt.Errorf("%s/%s: %w", reg.ID, r.ID, err)
			}
			if keep {
				out = append(out, o)
			}
		}
	}
	return out, nil
}

// startOf returns when a rule's clock starts, or what it waits for.
func startOf(reg *playbooks.Regime, trigger, after string, f Facts) (time.Time, string) {
	if trigger == "prior_submission" {
		key := reg.ID + "/" + after
		if t, ok := f.Submitted[key]; ok {
			return t, ""
		}
		return time.Time{}, key
	}
	if t, ok := f.Triggers[trigger]; ok {
		return t, ""
	}
	return time.Time{}, trigger
}

// inWindow says whether t falls in [from, until), dates judged in UTC.
func inWindow(t time.Time, from, until string) bool {
	day := t.UTC().Format(time.DateOnly)
	return (from == "" || day >= from) && (until == "" || day < until)
}

// pickVersion chooses among the versions of one obligation the one in force
// when its clock starts; with no start known, the newest (open-ended) one.
func pickVersion(reg *playbooks.Regime, id string, f Facts) (playbooks.Rule, time.Time, string, bool) {
	var versions []playbooks.Rule
	for _, r := range reg.Obligations {
		if r.ID == id {
			versions = append(versions, r)
		}
	}
	var newest playbooks.Rule
	var newestWait string
	for _, r := range versions {
		start, wait := startOf(reg, r.Trigger, r.After, f)
		if wait == "" {
			if inWindow(start, r.EffectiveFrom, r.EffectiveUntil) {
				return r, start, "", true
			}
			continue
		}
		if newest.ID == "" || r.EffectiveUntil == "" {
			newest, newestWait = r, wait
		}
	}
	if newest.ID == "" {
		return playbooks.Rule{}, time.Time{}, "", false // started, but no version in force then
	}
	return newest, time.Time{}, newestWait, true
}

func hasAll(flags map[string]bool, names []string) bool {
	for _, n := range names {
		if !flags[n] {
			return false
		}
	}
	return true
}

func hasAny(flags map[string]bool, names []string) bool {
	for _, n := range names {
		if flags[n] {
			return true
		}
	}
	return false
}

func evaluateRule(reg *playbooks.Regime, id string, f Facts) (Obligation, bool, error) {
	r, start, wait, ok := pickVersion(reg, id, f)
	if !ok {
		return Obligation{}, false, nil
	}
	if wait == "" && !inWindow(start, reg.EffectiveFrom, reg.EffectiveUntil) {
		return Obligation{}, false, nil
	}
	if !hasAll(f.Flags, r.WhenFlags) || hasAny(f.Flags, r.UnlessFlags) {
		return Obligation{}, false, nil
	}
	met, why := thresholdsMet(r.Thresholds, f)
	if !met {
		return Obligation{}, false, nil
	}
	o := Obligation{
		Regime: reg.ID, Obligation: r.ID, Name: r.Name, Recipient: r.Recipient,
		Trigger: r.Trigger, Source: r.Source, Semantics: r.Semantics,
		RequiredContent: slices.Clone(r.RequiredContent), Threshold: why,
		LateAllowed: r.LateAllowed, Confidence: r.Confidence, TimeZone: r.TimeZone,
	}
	loc := time.UTC
	if r.TimeZone != "" {
		l, err := time.LoadLocation(r.TimeZone)
		if err != nil {
			return o, false, err
		}
		loc = l
	}
	clock, variantNote := r.Clock, ""
	for _, v := range r.Variants {
		if hasAll(f.Flags, v.WhenFlags) && !hasAny(f.Flags, v.UnlessFlags) {
			clock = v.Clock
			variantNote = " (" + strings.Join(v.WhenFlags, ", ") + ")"
			break
		}
	}
	if wait != "" {
		o.WaitingFor = wait
		o.Basis = describeClock(r, clock, f) + variantNote
		return o, true, nil
	}
	if r.Starts == "year_end" {
		y := start.In(loc).Year()
		start = time.Date(y, time.December, 31, 0, 0, 0, 0, loc)
	}
	st := start
	o.StartedAt = &st

	var due time.Time
	var basis string
	if clock == "none" {
		if r.InternalTarget == "" {
			o.Basis = "no time limit in law (" + r.Semantics + ")"
			return o, true, nil
		}
		d, err := playbooks.ParseRuleDuration(r.InternalTarget)
		if err != nil {
			return o, false, err
		}
		due = start.In(loc).AddDate(0, 0, d.CalendarDays()).Add(d.Elapsed)
		basis = fmt.Sprintf("no time limit in law (%s); internal target %s", r.Semantics, r.InternalTarget)
		o.InternalTarget = true
	} else {
		var err error
		due, err = count(start, clock, r.Counting, r.Calendar, r.DueTime, loc, f)
		if err != nil {
			return o, false, err
		}
		basis = describeClock(r, clock, f) + variantNote
		if r.Starts == "year_end" {
			basis += fmt.Sprintf(" after 31 Dec %d", start.Year())
		}
		if r.Trigger == "prior_submission" {
			basis += " after submission of " + reg.ID + "/" + r.After
		}
	}

	if b := r.BoundedBy; b != nil {
		bStart, bWait := startOf(reg, b.Trigger, b.After, f)
		bLabel := b.Trigger
		if b.Trigger == "prior_submission" {
			bLabel = "submission of " + reg.ID + "/" + b.After
		}
		if bWait != "" {
			basis += fmt.Sprintf("; bound %s after %s not applied: %s unknown", b.Clock, bLabel, bLabel)
		} else {
			bDue, err := count(bStart, b.Clock, b.Counting, "", "", loc, f)
			if err != nil {
				return o, false, err
			}
			switch {
			case !bDue.After(start):
				basis += fmt.Sprintf("; bound %s after %s had passed when the clock started, so not applied", b.Clock, bLabel)
			case bDue.Before(due):
				due = bDue
				basis = fmt.Sprintf("earlier of %s and %s after %s: the latter", basis, b.Clock, bLabel)
			default:
				basis = fmt.Sprintf("earlier of %s and %s after %s: the former", basis, b.Clock, bLabel)
			}
		}
	}

	if ro := r.RollOver; ro != nil && !hasAny(f.Flags, ro.UnlessFlags) {
		wc, err := newCalendar(ro.Calendar, f)
		if err != nil {
			return o, false, err
		}
		rloc := loc
		if r.TimeZone == "" && wc.loc != nil {
			rloc = wc.loc
		}
		moved := rollOver(due.In(rloc), wc, ro.Until)
		if !moved.Equal(due) {
			basis += fmt.Sprintf("; fell on a non-working day (%s), moved to %s next working day", wc.label, untilLabel(ro.Until))
			due = moved
		}
	}

	due, paused, note := applyDelays(reg.ID, r.ID, start, due, f.Delays)
	basis += note
	o.Basis = basis
	if paused {
		o.Paused = true
		return o, true, nil
	}
	if r.TimeZone != "" {
		due = due.In(loc)
	} else {
		due = due.UTC()
	}
	o.DueAt = &due
	return o, true, nil
}

func untilLabel(u string) string {
	if u == "end_of_day" {
		return "end of the"
	}
	return u + " on the"
}

// describeClock renders a rule's clock for Basis.
func describeClock(r playbooks.Rule, clock string, f Facts) string {
	if clock == "none" {
		if r.InternalTarget != "" {
			return fmt.Sprintf("no time limit in law (%s); internal target %s", r.Semantics, r.InternalTarget)
		}
		return "no time limit in law (" + r.Semantics + ")"
	}
	d, _ := playbooks.ParseRuleDuration(clock)
	var s string
	var extra []string
	switch r.Counting {
	case "business days":
		label := r.Calendar
		if wc, err := newCalendar(r.Calendar, f); err == nil {
			label = wc.label
		}
		s = fmt.Sprintf("P%d business days (%s)", d.CalendarDays(), label)
	case "calendar days":
		s = clock
		extra = append(extra, "calendar days")
	case "months":
		s = clock
		extra = append(extra, "calendar months")
	default:
		s = clock
	}
	due := r.DueTime
	if due == "" && r.Counting == "business days" {
		due = "end_of_day"
	}
	switch due {
	case "":
	case "end_of_day":
		extra = append(extra, "due end of day")
	default:
		extra = append(extra, "due "+due)
	}
	if r.TimeZone != "" && r.Counting != "calendar hours" {
		extra = append(extra, r.TimeZone)
	}
	if len(extra) > 0 && r.Counting == "business days" {
		return s + ", " + strings.Join(extra, " ")
	}
	if len(extra) > 0 {
		return s + " (" + strings.Join(extra, ", ") + ")"
	}
	return s
}

// count adds a clock to a start.
func count(start time.Time, clock, counting, calendar, dueTime string, loc *time.Location, f Facts) (time.Time, error) {
	d, err := playbooks.ParseRuleDuration(clock)
	if err != nil {
		return time.Time{}, err
	}
	s := start.In(loc)
	switch counting {
	case "calendar hours":
		return start.Add(d.Elapsed), nil
	case "calendar days":
		return atDueTime(s.AddDate(0, 0, d.CalendarDays()), dueTime), nil
	case "months":
		return atDueTime(addMonths(s, d.TotalMonths()), dueTime), nil
	case "business days":
		wc, err := newCalendar(calendar, f)
		if err != nil {
			return time.Time{}, err
		}
		day := time.Date(s.Year(), s.Month(), s.Day(), 12, 0, 0, 0, loc) // noon: never a DST gap
		for n := d.CalendarDays(); n > 0; {
			day = day.AddDate(0, 0, 1)
			if wc.isWorkday(day) {
				n--
			}
		}
		if dueTime == "" {
			dueTime = "end_of_day"
		}
		return atDueTime(day, dueTime), nil
	}
	return time.Time{}, fmt.Errorf("unknown counting %q", counting)
}

// addMonths adds n calendar months, clamping to the last day of a shorter
// month (time.AddDate would overflow 31 Jan + 1 month into March).
func addMonths(t time.Time, n int) time.Time {
	y, m, d := t.Date()
	first := time.Date(y, m+time.Month(n), 1, t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), t.Location())
	last := first.AddDate(0, 1, -1).Day()
	return time.Date(first.Year(), first.Month(), min(d, last), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), t.Location())
}

// atDueTime sets the time of day on t's date in t's zone: "" keeps it,
// "end_of_day" is 23:59:59, "HH:MM" that time.
func atDueTime(t time.Time, dueTime string) time.Time {
	y, m, d := t.Date()
	switch dueTime {
	case "":
		return t
	case "end_of_day":
		return time.Date(y, m, d, 23, 59, 59, 0, t.Location())
	}
	hh, _ := strconv.Atoi(dueTime[:2])
	mm, _ := strconv.Atoi(dueTime[3:])
	return time.Date(y, m, d, hh, mm, 0, 0, t.Location())
}

// rollOver moves t to the next working day at until when t's day is not a
// working day.
func rollOver(t time.Time, wc *workCalendar, until string) time.Time {
	day := time.Date(t.Year(), t.Month(), t.Day(), 12, 0, 0, 0, t.Location())
	if wc.isWorkday(day) {
		return t
	}
	for !wc.isWorkday(day) {
		day = day.AddDate(0, 0, 1)
	}
	return atDueTime(day, until)
}

// applyDelays stops the clock during each delay that concerns the
// obligation and begins before the (moving) due time.
func applyDelays(regime, obligation string, start, due time.Time, delays []Delay) (time.Time, bool, string) {
	var mine []Delay
	for _, d := range delays {
		if d.Regime == regime && (d.Obligation == "" || d.Obligation == obligation) {
			mine = append(mine, d)
		}
	}
	sort.SliceStable(mine, func(i, j int) bool { return mine[i].From.Before(mine[j].From) })
	var note strings.Builder
	for _, d := range mine {
		if !d.From.Before(due) {
			continue
		}
		from := d.From
		if from.Before(start) {
			from = start
		}
		reason := ""
		if d.Reason != "" {
			reason = ": " + d.Reason
		}
		if d.Until == nil {
			fmt.Fprintf(&note, "; paused since %s with no end yet%s", d.From.UTC().Format(time.RFC3339), reason)
			return due, true, note.String()
		}
		span := d.Until.Sub(from)
		if span <= 0 {
			continue
		}
		due = due.Add(span)
		fmt.Fprintf(&note, "; paused %s from %s%s", span, from.UTC().Format(time.RFC3339), reason)
	}
	return due, false, note.String()
}

// eea are the member codes summed for a threshold "in: EU".
var eea = []string{"AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE", "IS", "IT", "LI", "LT", "LU", "LV", "MT", "NL", "NO", "PL", "PT", "RO", "SE", "SI", "SK"}

// countIn counts affected people for a threshold's jurisdiction: "US-*" is
// the largest single subdivision; anything else is the larger of its own
// entry and the sum of its subdivisions (or, for EU, of its members).
func countIn(aff map[string]int, in string) (int, string) {
	if prefix, ok := strings.CutSuffix(in, "*"); ok {
		best, where := 0, in
		for _, k := range SortedKeys(aff) {
			if strings.HasPrefix(k, prefix) && aff[k] > best {
				best, where = aff[k], k
			}
		}
		return best, where
	}
	sum := 0
	for _, k := range SortedKeys(aff) {
		if strings.HasPrefix(k, in+"-") || (in == "EU" && slices.Contains(eea, k)) {
			sum += aff[k]
		}
	}
	return max(aff[in], sum), in
}

func thresholdsMet(ts []playbooks.Threshold, f Facts) (bool, string) {
	var why []string
	for _, t := range ts {
		if hasAny(f.Flags, t.OrFlags) {
			for _, fl := range t.OrFlags {
				if f.Flags[fl] {
					why = append(why, "flag "+fl)
					break
				}
			}
			continue
		}
		n, where := countIn(f.Affected, t.In)
		var ok bool
		switch t.Comparison {
		case "more_than":
			ok = n > t.Count
		case "at_least":
			ok = n >= t.Count
		case "fewer_than":
			ok = n < t.Count
		case "at_most":
			ok = n <= t.Count
		}
		if !ok {
			return false, ""
		}
		why = append(why, fmt.Sprintf("%s: %d %s %d (%s)", where, n, strings.ReplaceAll(t.Comparison, "_", " "), t.Count, t.Text))
	}
	return true, strings.Join(why, "; ")
}

// SortedKeys returns a map's keys in order, so that nothing the engine
// computes depends on Go's random map order (it runs inside workflows).
func SortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m { // sorted below; .ci/workflowcheck.yaml declares this deterministic
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

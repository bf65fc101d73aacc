package playbooks

// Regime rules: which regulator, which people, must be told what, and by
// when. The rule files in rules/*.yaml are irbot's own, written from
// ../shared/reference after checking it; every regime and every obligation
// carries its source. The deadline engine (internal/deadline) turns these
// rules plus the facts of an incident into due times.
//
// A RuleSet is pinned, JSON-serialised, into each incident's workflow input,
// so the JSON names below are part of the workflow history format: add
// fields, never rename or retype them.

import (
	"bytes"
	"embed"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	_ "time/tzdata" // rule time zones must resolve in a minimal image too

	"gopkg.in/yaml.v3"

	"github.com/irbot/irbot/internal/jurisdiction"
)

// RuleSet is every known regime with its obligations.
type RuleSet struct {
	Regimes []Regime `json:"regimes"`
}

// Regime is one law or regulation (or a contractual scheme such as the card
// brands' rules) with the notification obligations it creates.
type Regime struct {
	ID           string   `yaml:"id" json:"id"` // e.g. "eu-gdpr"; see CONTRACT.md
	Name         string   `yaml:"name" json:"name"`
	Jurisdiction string   `yaml:"jurisdiction" json:"jurisdiction"` // ISO 3166 code or "EU"
	Source       string   `yaml:"source" json:"source"`             // citation of the law and where it was read
	Confidence   string   `yaml:"confidence" json:"confidence"`     // high | medium | low
	Note         string   `yaml:"note" json:"note,omitempty"`
	Aliases      []string `yaml:"aliases" json:"aliases,omitempty"` // other ids that name this regime (e.g. the reference's ids)
	// Status is "in_force" (default) or "not_in_force": the engine yields no
	// obligation for a regime not in force.
	Status         string `yaml:"status" json:"status,omitempty"`
	EffectiveFrom  string `yaml:"effective_from" json:"effective_from,omitempty"`   // YYYY-MM-DD, inclusive
	EffectiveUntil string `yaml:"effective_until" json:"effective_until,omitempty"` // YYYY-MM-DD, exclusive
	Obligations    []Rule `yaml:"obligations" json:"obligations"`
}

// Rule is one obligation of a regime: one recipient, one stage.
//
// Several versions of one obligation may share an ID when their effective
// windows do not overlap; the engine picks the version in force at the
// moment the clock starts.
type Rule struct {
	ID              string `yaml:"id" json:"id"`
	Name            string `yaml:"name" json:"name"`
	Recipient       string `yaml:"recipient" json:"recipient"` // authority | individuals | media | public | internal | other
	RecipientDetail string `yaml:"recipient_detail" json:"recipient_detail,omitempty"`
	// Trigger is the event that starts the clock (see RuleTriggers).
	// "prior_submission" means the actual submission of the stage named
	// in After.
	Trigger string `yaml:"trigger" json:"trigger"`
	After   string `yaml:"after" json:"after,omitempty"` // obligation id in the same regime this stage follows
	// Starts moves the clock's start: "" (the trigger itself) or
	// "year_end" (the end of the calendar year the trigger fell in, in
	// TimeZone; HIPAA's annual log of small breaches).
	Starts string `yaml:"starts" json:"starts,omitempty"`
	// Clock is an ISO-8601 duration (PT72H, P30D, P1M, P4D) or "none" when
	// the law sets no number.
	Clock    string `yaml:"clock" json:"clock"`
	Counting string `yaml:"counting" json:"counting,omitempty"` // calendar hours | calendar days | months | business days
	Calendar string `yaml:"calendar" json:"calendar,omitempty"` // holiday calendar for business days (see RuleCalendars)
	// TimeZone is the IANA zone the law counts days in; "" means UTC.
	TimeZone string `yaml:"time_zone" json:"time_zone,omitempty"`
	// DueTime is the time of day on the last day: "" keeps the time of day
	// of the start (the conservative reading of "within N days of"),
	// "end_of_day" is 23:59:59, "HH:MM" a fixed time (SEC: 17:30).
	DueTime   string `yaml:"due_time" json:"due_time,omitempty"`
	Semantics string `yaml:"semantics" json:"semantics"` // hard | target | asap | guideline | on_request
	// InternalTarget is irbot's own target (ISO-8601 duration) for an
	// obligation the law leaves without a number ("without undue delay").
	InternalTarget  string      `yaml:"internal_target" json:"internal_target,omitempty"`
	Thresholds      []Threshold `yaml:"thresholds" json:"thresholds,omitempty"`     // all must hold
	WhenFlags       []string    `yaml:"when_flags" json:"when_flags,omitempty"`     // applies only when every flag is set
	UnlessFlags     []string    `yaml:"unless_flags" json:"unless_flags,omitempty"` // does not apply when any flag is set
	Variants        []Variant   `yaml:"variants" json:"variants,omitempty"`         // first match replaces Clock
	BoundedBy       *Bound      `yaml:"bounded_by" json:"bounded_by,omitempty"`
	RollOver        *RollOver   `yaml:"roll_over" json:"roll_over,omitempty"`
	EffectiveFrom   string      `yaml:"effective_from" json:"effective_from,omitempty"`   // YYYY-MM-DD, inclusive, judged at the clock's start
	EffectiveUntil  string      `yaml:"effective_until" json:"effective_until,omitempty"` // YYYY-MM-DD, exclusive
	RequiredContent []string    `yaml:"required_content" json:"required_content,omitempty"`
	LateAllowed     bool        `yaml:"late_allowed" json:"late_allowed,omitempty"` // a late notice is lawful with reasons
	Source          string      `yaml:"source" json:"source"`
	Confidence      string      `yaml:"confidence" json:"confidence"`
	Note            string      `yaml:"note" json:"note,omitempty"`
}

// Threshold is a condition on the number of affected individuals.
type Threshold struct {
	// In is where people are counted: an ISO 3166 code ("US-CA", "BR") or
	// "EU" counts that jurisdiction (the larger of its own entry and the sum
	// of its subdivisions' entries); "US-*" means any single subdivision
	// ("more than 500 residents of a State").
	In         string `yaml:"in" json:"in"`
	Comparison string `yaml:"comparison" json:"comparison"` // more_than | at_least | fewer_than | at_most
	Count      int    `yaml:"count" json:"count"`
	// OrFlags make the threshold hold regardless of the count when any of
	// them is set (Japan: sensitive data at any volume).
	OrFlags []string `yaml:"or_flags" json:"or_flags,omitempty"`
	Text    string   `yaml:"text" json:"text"` // the law's own words
}

// Variant replaces a rule's clock in a situation named by flags (a small
// processing agent's doubled deadline, a trust service provider's 24 h).
type Variant struct {
	WhenFlags   []string `yaml:"when_flags" json:"when_flags"`
	UnlessFlags []string `yaml:"unless_flags" json:"unless_flags,omitempty"`
	Clock       string   `yaml:"clock" json:"clock"`
	Source      string   `yaml:"source" json:"source"`
	Note        string   `yaml:"note" json:"note,omitempty"`
}

// Bound is a second limit on a rule: the deadline is the earlier of the
// rule's own and this one. A bound that had already passed when the rule's
// own clock started does not apply (DORA RTS 2025/301 Art. 5(2): a late
// classification is due 4 h after it, never in the past).
type Bound struct {
	Trigger  string `yaml:"trigger" json:"trigger"`
	After    string `yaml:"after" json:"after,omitempty"` // with Trigger prior_submission
	Clock    string `yaml:"clock" json:"clock"`
	Counting string `yaml:"counting" json:"counting"`
	Source   string `yaml:"source" json:"source"`
}

// RollOver moves a deadline that falls on a weekend or holiday of Calendar
// to the next working day (DORA Art. 5(4); Japan's PPC guidelines).
type RollOver struct {
	Calendar    string   `yaml:"calendar" json:"calendar"`
	Until       string   `yaml:"until" json:"until"` // "end_of_day" or "HH:MM" on the next working day
	UnlessFlags []string `yaml:"unless_flags" json:"unless_flags,omitempty"`
	Source      string   `yaml:"source" json:"source"`
}

// Values the rule files may use.
var (
	RuleRecipients = []string{"authority", "individuals", "media", "public", "internal", "other"}
	RuleSemantics  = []string{"hard", "target", "asap", "guideline", "on_request"}
	RuleCountings  = []string{"calendar hours", "calendar days", "months", "business days"}
	// RuleTriggers are the events a clock can start from. The first nine
	// are CONTRACT.md's; the rest serve particular regimes.
	RuleTriggers = []string{
		"awareness", "discovery", "determination", "materiality_determination",
		"classification", "notifiable_assessment", "suspicion", "payment_made",
		"prior_submission",
		"belief",            // Australia: reasonable grounds to believe (s 26WK)
		"authority_request", // NIS2 intermediate report
		"incident_handled",  // NIS2 final report after a progress report
	}
	// RuleCalendars name the holiday calendars internal/deadline implements.
	// "member-state" is the calendar of Facts.Establishment (DORA).
	RuleCalendars   = []string{"weekdays", "us-federal", "br-national", "jp-national", "member-state"}
	RuleComparisons = []string{"more_than", "at_least", "fewer_than", "at_most"}
	ruleConfidences = []string{"high", "medium", "low"}
)

// RuleDuration is a parsed ISO-8601 duration. Calendar parts (years, months,
// days) stay apart from the elapsed part, because they count differently.
type RuleDuration struct {
	Years, Months, Weeks, Days int
	Elapsed                    time.Duration // the T part: hours, minutes, seconds
}

var ruleDurationPattern = regexp.MustCompile(`^P(?:(\d{1,4})Y)?(?:(\d{1,4})M)?(?:(\d{1,4})W)?(?:(\d{1,5})D)?(?:T(?:(\d{1,6})H)?(?:(\d{1,6})M)?(?:(\d{1,7})S)?)?$`)

// ParseRuleDuration parses an ISO-8601 duration such as PT72H, P30D or P1M.
func ParseRuleDuration(s string) (RuleDuration, error) {
	m := ruleDurationPattern.FindStringSubmatch(s)
	if m == nil || s == "P" || strings.HasSuffix(s, "T") {
		return RuleDuration{}, fmt.Errorf("%q is not an ISO-8601 duration (like PT72H, P30D, P1M)", s)
	}
	n := func(i int) int {
		if m[i] == "" {
			return 0
		}
		v, _ := strconv.Atoi(m[i]) // the pattern bounds the digits
		return v
	}
	d := RuleDuration{Years: n(1), Months: n(2), Weeks: n(3), Days: n(4),
		Elapsed: time.Duration(n(5))*time.Hour + time.Duration(n(6))*time.Minute + time.Duration(n(7))*time.Second}
	return d, nil
}

// CalendarDays is Weeks*7 + Days.
func (d RuleDuration) CalendarDays() int { return d.Weeks*7 + d.Days }

// TotalMonths is Years*12 + Months.
func (d RuleDuration) TotalMonths() int { return d.Years*12 + d.Months }

// IsZero says whether the duration is empty.
func (d RuleDuration) IsZero() bool {
	return d.TotalMonths() == 0 && d.CalendarDays() == 0 && d.Elapsed == 0
}

// Regime returns the regime with this id or alias.
func (rs *RuleSet) Regime(id string) (*Regime, bool) {
	if rs == nil {
		return nil, false
	}
	for i := range rs.Regimes {
		if rs.Regimes[i].ID == id || slices.Contains(rs.Regimes[i].Aliases, id) {
			return &rs.Regimes[i], true
		}
	}
	return nil, false
}

// Has says whether the rule set knows the regime id (or alias). It is the
// playbook validator's RegimeKnown.
func (rs *RuleSet) Has(id string) bool {
	_, ok := rs.Regime(id)
	return ok
}

// IDs returns the regime ids, sorted.
func (rs *RuleSet) IDs() []string {
	if rs == nil {
		return nil
	}
	ids := make([]string, 0, len(rs.Regimes))
	for _, r := range rs.Regimes {
		ids = append(ids, r.ID)
	}
	slices.Sort(ids)
	return ids
}

// Subset returns a copy holding only the named regimes, in the order given,
// each once; it is what an incident pins into its workflow input. An
// unknown id is an error naming it.
func (rs *RuleSet) Subset(ids []string) (*RuleSet, error) {
	out := &RuleSet{Regimes: []Regime{}}
	seen := map[string]bool{}
	var unknown []string
	for _, id := range ids {
		r, ok := rs.Regime(id)
		if !ok {
			unknown = append(unknown, id)
			continue
		}
		if seen[r.ID] {
			continue
		}
		seen[r.ID] = true
		out.Regimes = append(out.Regimes, r.clone())
	}
	if len(unknown) > 0 {
		return nil, fmt.Errorf("unknown regime %s (known: %s)", strings.Join(quoteAll(unknown), ", "), strings.Join(rs.IDs(), ", "))
	}
	return out, nil
}

// Rule returns the obligation with this id; when several versions share the
// id, the last one (the newest) is returned.
func (r *Regime) Rule(id string) (*Rule, bool) {
	var found *Rule
	for i := range r.Obligations {
		if r.Obligations[i].ID == id {
			found = &r.Obligations[i]
		}
	}
	return found, found != nil
}

func (r Regime) clone() Regime {
	c := r
	c.Aliases = slices.Clone(r.Aliases)
	c.Obligations = make([]Rule, len(r.Obligations))
	for i, o := range r.Obligations {
		o.Thresholds = slices.Clone(o.Thresholds)
		for j := range o.Thresholds {
			o.Thresholds[j].OrFlags = slices.Clone(o.Thresholds[j].OrFlags)
		}
		o.WhenFlags = slices.Clone(o.WhenFlags)
		o.UnlessFlags = slices.Clone(o.UnlessFlags)
		o.Variants = slices.Clone(o.Variants)
		o.RequiredContent = slices.Clone(o.RequiredContent)
		if o.BoundedBy != nil {
			b := *o.BoundedBy
			o.BoundedBy = &b
		}
		if o.RollOver != nil {
			ro := *o.RollOver
			ro.UnlessFlags = slices.Clone(ro.UnlessFlags)
			o.RollOver = &ro
		}
		c.Obligations[i] = o
	}
	return c
}

func quoteAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = strconv.Quote(s)
	}
	return out
}

//go:embed rules/*.yaml
var embeddedRuleFiles embed.FS

// LoadRules parses and validates the embedded rule files.
func LoadRules() (*RuleSet, error) {
	names, err := fs.Glob(embeddedRuleFiles, "rules/*.yaml")
	if err != nil {
		return nil, err
	}
	slices.Sort(names)
	all := &RuleSet{Regimes: []Regime{}}
	where := map[string]string{}
	for _, name := range names {
		data, err := embeddedRuleFiles.ReadFile(name)
		if err != nil {
			return nil, err
		}
		rs, err := ParseRules(name, data)
		if err != nil {
			return nil, err
		}
		for _, r := range rs.Regimes {
			for _, id := range append([]string{r.ID}, r.Aliases...) {
				if prev, dup := where[id]; dup {
					return nil, fmt.Errorf("%s: regime %q: id or alias %q is already used in %s", name, r.ID, id, prev)
				}
				where[id] = name
			}
			all.Regimes = append(all.Regimes, r)
		}
	}
	slices.SortStableFunc(all.Regimes, func(a, b Regime) int { return strings.Compare(a.ID, b.ID) })
	return all, nil
}

var cachedRules = sync.OnceValues(LoadRules)

// MustRules returns the embedded rule set, loaded once. It panics only if
// the embedded files are broken, which a test guards against. Callers must
// not modify the result; use Subset for a copy.
func MustRules() *RuleSet {
	rs, err := cachedRules()
	if err != nil {
		panic("playbooks: embedded rule files are broken: " + err.Error())
	}
	return rs
}

// RuleFileError lists every problem found in one rule file, one per line,
// each naming the file, the regime and the rule.
type RuleFileError struct {
	File     string
	Problems []string
}

func (e *RuleFileError) Error() string {
	return strings.Join(e.Problems, "\n")
}

// ParseRules parses and validates one rule file. name is used in error
// messages (a path, or the embedded file's name).
func ParseRules(name string, data []byte) (*RuleSet, error) {
	var doc struct {
		Regimes []Regime `yaml:"regimes"`
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, &RuleFileError{File: name, Problems: []string{name + ": the file is empty; expected a top-level regimes: list"}}
		}
		var te *yaml.TypeError
		if errors.As(err, &te) {
			problems := make([]string, 0, len(te.Errors))
			for _, e := range te.Errors {
				problems = append(problems, name+": "+yamlTypeProblem.ReplaceAllString(e, "unexpected $1 value $2 where a different kind of value belongs"))
			}
			return nil, &RuleFileError{File: name, Problems: problems}
		}
		return nil, &RuleFileError{File: name, Problems: []string{name + ": " + strings.ReplaceAll(strings.TrimPrefix(err.Error(), "yaml: "), "\n", " ")}}
	}
	v := ruleValidator{file: name}
	if len(doc.Regimes) == 0 {
		v.add("", "", "no regimes: expected a top-level regimes: list with at least one regime")
	}
	seen := map[string]bool{}
	for i := range doc.Regimes {
		r := &doc.Regimes[i]
		if r.Status == "" {
			r.Status = "in_force"
		}
		for j := range r.Obligations {
			if r.Obligations[j].Clock == "" {
				r.Obligations[j].Clock = "none"
			}
		}
		v.regime(r, i)
		if r.ID != "" {
			if seen[r.ID] {
				v.add(r.ID, "", "regime id is used twice in this file")
			}
			seen[r.ID] = true
		}
	}
	if len(v.problems) > 0 {
		return nil, &RuleFileError{File: name, Problems: v.problems}
	}
	return &RuleSet{Regimes: doc.Regimes}, nil
}

type ruleValidator struct {
	file     string
	problems []string
}

func (v *ruleValidator) add(regime, rule, format string, args ...any) {
	var b strings.Builder
	b.WriteString(v.file)
	if regime != "" {
		fmt.Fprintf(&b, ": regime %q", regime)
	}
	if rule != "" {
		fmt.Fprintf(&b, ": obligation %q", rule)
	}
	b.WriteString(": ")
	fmt.Fprintf(&b, format, args...)
	v.problems = append(v.problems, b.String())
}

// yamlTypeProblem rewrites yaml.v3's "cannot unmarshal !!str `x` into
// []playbooks.Rule", which names Go types, for a person editing YAML.
var yamlTypeProblem = regexp.MustCompile("cannot unmarshal (!!\\w+) (.*) into .*$")

var ruleIDPattern = regexp.MustCompile(`^[a-z0-9]+(-[a-z0-9]+)*$`)
var ruleFlagPattern = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
var ruleClockTimePattern = regexp.MustCompile(`^([01]\d|2[0-3]):[0-5]\d$`)

func oneOf(list []string) string { return strings.Join(list, ", ") }

func (v *ruleValidator) regime(r *Regime, i int) {
	id := r.ID
	if id == "" {
		id = fmt.Sprintf("#%d", i+1)
		v.add(id, "", "id is missing")
	} else if !ruleIDPattern.MatchString(r.ID) {
		v.add(id, "", "id must be lower-case words joined by dashes, like eu-gdpr")
	}
	for _, a := range r.Aliases {
		if !ruleIDPattern.MatchString(a) {
			v.add(id, "", "alias %q must be lower-case words joined by dashes", a)
		}
	}
	if strings.TrimSpace(r.Name) == "" {
		v.add(id, "", "name is missing")
	}
	if strings.TrimSpace(r.Jurisdiction) == "" {
		v.add(id, "", "jurisdiction is missing")
	} else if r.Jurisdiction != "global" {
		if err := jurisdiction.Check(r.Jurisdiction); err != nil {
			v.add(id, "", "jurisdiction %v (or global)", err)
		}
	}
	if strings.TrimSpace(r.Source) == "" {
		v.add(id, "", "source is missing: every regime cites the law it comes from")
	}
	if !slices.Contains(ruleConfidences, r.Confidence) {
		v.add(id, "", "confidence %q is not one of %s", r.Confidence, oneOf(ruleConfidences))
	}
	if r.Status != "in_force" && r.Status != "not_in_force" {
		v.add(id, "", "status %q is not one of in_force, not_in_force", r.Status)
	}
	v.window(id, "", r.EffectiveFrom, r.EffectiveUntil)
	if len(r.Obligations) == 0 {
		v.add(id, "", "no obligations")
	}
	byID := map[string][]*Rule{}
	for j := range r.Obligations {
		o := &r.Obligations[j]
		if o.ID != "" {
			byID[o.ID] = append(byID[o.ID], o)
		}
	}
	for j := range r.Obligations {
		v.rule(id, &r.Obligations[j], j, byID)
	}
	for oid, versions := range byID {
		for a := 0; a < len(versions); a++ {
			for b := a + 1; b < len(versions); b++ {
				if windowsOverlap(versions[a], versions[b]) {
					v.add(id, oid, "obligation id is used twice with overlapping effective dates; give each version effective_from/effective_until that do not overlap")
				}
			}
		}
	}
	// A chain of stages must end at a trigger, never loop.
	for oid := range byID {
		cur, hops := oid, 0
		for cur != "" && hops <= len(r.Obligations) {
			vs := byID[cur]
			if len(vs) == 0 {
				break
			}
			cur = vs[0].After
			hops++
		}
		if hops > len(r.Obligations) {
			v.add(id, oid, "after: stages form a loop")
		}
	}
}

func windowsOverlap(a, b *Rule) bool {
	// Dates are YYYY-MM-DD, so they compare as strings; "" is open-ended.
	aEnd, bEnd := a.EffectiveUntil, b.EffectiveUntil
	return (aEnd == "" || b.EffectiveFrom < aEnd) && (bEnd == "" || a.EffectiveFrom < bEnd)
}

func (v *ruleValidator) window(regime, rule, from, until string) {
	var f, u time.Time
	var err error
	if from != "" {
		if f, err = time.Parse(time.DateOnly, from); err != nil {
			v.add(regime, rule, "effective_from %q is not a date like 2026-01-01", from)
		}
	}
	if until != "" {
		if u, err = time.Parse(time.DateOnly, until); err != nil {
			v.add(regime, rule, "effective_until %q is not a date like 2026-01-01", until)
		}
	}
	if !f.IsZero() && !u.IsZero() && !u.After(f) {
		v.add(regime, rule, "effective_until %s is not after effective_from %s", until, from)
	}
}

func (v *ruleValidator) flags(regime, rule, what string, flags []string) {
	for _, f := range flags {
		if !ruleFlagPattern.MatchString(f) {
			v.add(regime, rule, "%s: flag %q must be a snake_case name like financial_entity", what, f)
		}
	}
}

// checkClock validates a clock against its counting and returns the parsed
// duration (zero for "none").
func (v *ruleValidator) checkClock(regime, rule, what, clock, counting string) {
	if clock == "none" {
		if counting != "" && what == "clock" {
			// harmless, but says something the rule does not mean
			v.add(regime, rule, "counting %q is set but the clock is none", counting)
		}
		return
	}
	d, err := ParseRuleDuration(clock)
	if err != nil {
		v.add(regime, rule, "%s: %v, or none", what, err)
		return
	}
	if d.IsZero() && what != "bounded_by clock" {
		v.add(regime, rule, "%s %s is zero", what, clock)
		return
	}
	if counting == "" {
		v.add(regime, rule, "%s %s needs counting: one of %s", what, clock, oneOf(RuleCountings))
		return
	}
	cal, days, months := d.Elapsed != 0, d.CalendarDays() != 0, d.TotalMonths() != 0
	ok := false
	switch counting {
	case "calendar hours":
		ok = cal && !days && !months
	case "calendar days", "business days":
		ok = days && !cal && !months
	case "months":
		ok = months && !cal && !days
	default:
		v.add(regime, rule, "counting %q is not one of %s", counting, oneOf(RuleCountings))
		return
	}
	if !ok && !(d.IsZero() && what == "bounded_by clock") {
		v.add(regime, rule, "%s %s does not fit counting %q (hours: PT72H; days: P30D; months: P1M)", what, clock, counting)
	}
}

func (v *ruleValidator) checkZone(regime, rule, zone string) {
	if zone == "" {
		return
	}
	if _, err := time.LoadLocation(zone); err != nil || zone == "Local" {
		v.add(regime, rule, "time_zone %q is not an IANA time zone like Europe/Berlin", zone)
	}
}

func (v *ruleValidator) rule(regime string, o *Rule, j int, byID map[string][]*Rule) {
	id := o.ID
	if id == "" {
		id = fmt.Sprintf("#%d", j+1)
		v.add(regime, id, "id is missing")
	} else if !ruleIDPattern.MatchString(o.ID) {
		v.add(regime, id, "id must be lower-case words joined by dashes, like supervisory-authority")
	}
	if strings.TrimSpace(o.Name) == "" {
		v.add(regime, id, "name is missing")
	}
	if strings.TrimSpace(o.Source) == "" {
		v.add(regime, id, "source is missing: every obligation cites the provision it comes from")
	}
	if !slices.Contains(ruleConfidences, o.Confidence) {
		v.add(regime, id, "confidence %q is not one of %s", o.Confidence, oneOf(ruleConfidences))
	}
	if o.Confidence == "low" && strings.TrimSpace(o.Note) == "" {
		v.add(regime, id, "confidence low needs a note saying what is uncertain")
	}
	if !slices.Contains(RuleRecipients, o.Recipient) {
		v.add(regime, id, "recipient %q is not one of %s", o.Recipient, oneOf(RuleRecipients))
	}
	if !slices.Contains(RuleTriggers, o.Trigger) {
		v.add(regime, id, "trigger %q is not one of %s", o.Trigger, oneOf(RuleTriggers))
	}
	v.checkAfter(regime, id, "", o.Trigger, o.After, byID)
	if o.Starts != "" && o.Starts != "year_end" {
		v.add(regime, id, "starts %q is not one of year_end (or empty)", o.Starts)
	}
	if !slices.Contains(RuleSemantics, o.Semantics) {
		v.add(regime, id, "semantics %q is not one of %s", o.Semantics, oneOf(RuleSemantics))
	}
	v.checkClock(regime, id, "clock", o.Clock, o.Counting)
	if o.Clock == "none" && (o.Semantics == "hard" || o.Semantics == "target") {
		v.add(regime, id, "semantics %s needs a clock; use asap, guideline or on_request for a rule with no number", o.Semantics)
	}
	if o.InternalTarget != "" {
		if d, err := ParseRuleDuration(o.InternalTarget); err != nil {
			v.add(regime, id, "internal_target: %v", err)
		} else if d.TotalMonths() != 0 {
			v.add(regime, id, "internal_target %s must be in hours or days", o.InternalTarget)
		}
		if o.Clock != "none" {
			v.add(regime, id, "internal_target is only for a rule whose clock is none")
		}
	}
	if o.Counting == "business days" {
		if !slices.Contains(RuleCalendars, o.Calendar) {
			v.add(regime, id, "business days need a calendar: one of %s (got %q)", oneOf(RuleCalendars), o.Calendar)
		}
	} else if o.Calendar != "" {
		v.add(regime, id, "calendar %q is only used with counting business days", o.Calendar)
	}
	v.checkZone(regime, id, o.TimeZone)
	if o.DueTime != "" && o.DueTime != "end_of_day" && !ruleClockTimePattern.MatchString(o.DueTime) {
		v.add(regime, id, "due_time %q is not end_of_day or a time like 17:30", o.DueTime)
	}
	if o.DueTime != "" && o.Counting == "calendar hours" {
		v.add(regime, id, "due_time is for day, month and business-day clocks, not hours")
	}
	for k, t := range o.Thresholds {
		what := fmt.Sprintf("threshold %d", k+1)
		if country, ok := strings.CutSuffix(t.In, "-*"); ok {
			if err := jurisdiction.Check(country); err != nil || country == "EU" {
				v.add(regime, id, "%s: in %q: COUNTRY-* needs an ISO 3166-1 country, like US-* for any single state", what, t.In)
			}
		} else if err := jurisdiction.Check(t.In); err != nil {
			v.add(regime, id, "%s: in %v (or US-* for any single state)", what, err)
		}
		if !slices.Contains(RuleComparisons, t.Comparison) {
			v.add(regime, id, "%s: comparison %q is not one of %s", what, t.Comparison, oneOf(RuleComparisons))
		}
		if t.Count <= 0 {
			v.add(regime, id, "%s: count must be a positive number", what)
		}
		if strings.TrimSpace(t.Text) == "" {
			v.add(regime, id, "%s: text is missing: quote the law's words (\"more than 500\" or \"500 or more\")", what)
		}
		v.flags(regime, id, what, t.OrFlags)
	}
	v.flags(regime, id, "when_flags", o.WhenFlags)
	v.flags(regime, id, "unless_flags", o.UnlessFlags)
	for k, va := range o.Variants {
		what := fmt.Sprintf("variant %d", k+1)
		if len(va.WhenFlags) == 0 {
			v.add(regime, id, "%s: when_flags is missing", what)
		}
		v.flags(regime, id, what, va.WhenFlags)
		v.flags(regime, id, what, va.UnlessFlags)
		if va.Clock == "none" || va.Clock == "" {
			v.add(regime, id, "%s: clock is missing", what)
		} else {
			v.checkClock(regime, id, what+" clock", va.Clock, o.Counting)
		}
		if strings.TrimSpace(va.Source) == "" {
			v.add(regime, id, "%s: source is missing", what)
		}
	}
	if b := o.BoundedBy; b != nil {
		if !slices.Contains(RuleTriggers, b.Trigger) {
			v.add(regime, id, "bounded_by: trigger %q is not one of %s", b.Trigger, oneOf(RuleTriggers))
		}
		v.checkAfter(regime, id, "bounded_by: ", b.Trigger, b.After, byID)
		if b.Clock == "" || b.Clock == "none" {
			v.add(regime, id, "bounded_by: clock is missing")
		} else {
			v.checkClock(regime, id, "bounded_by clock", b.Clock, b.Counting)
			if b.Counting == "business days" {
				v.add(regime, id, "bounded_by: business days are not supported in a bound")
			}
		}
		if strings.TrimSpace(b.Source) == "" {
			v.add(regime, id, "bounded_by: source is missing")
		}
		if o.Clock == "none" {
			v.add(regime, id, "bounded_by needs the rule's own clock")
		}
	}
	if ro := o.RollOver; ro != nil {
		if !slices.Contains(RuleCalendars, ro.Calendar) {
			v.add(regime, id, "roll_over: calendar %q is not one of %s", ro.Calendar, oneOf(RuleCalendars))
		}
		if ro.Until != "end_of_day" && !ruleClockTimePattern.MatchString(ro.Until) {
			v.add(regime, id, "roll_over: until %q is not end_of_day or a time like 12:00", ro.Until)
		}
		v.flags(regime, id, "roll_over unless_flags", ro.UnlessFlags)
		if strings.TrimSpace(ro.Source) == "" {
			v.add(regime, id, "roll_over: source is missing")
		}
		if o.TimeZone == "" && ro.Calendar != "member-state" {
			v.add(regime, id, "roll_over needs time_zone: working days are local days")
		}
	}
	v.window(regime, id, o.EffectiveFrom, o.EffectiveUntil)
	for _, c := range o.RequiredContent {
		if !ruleFlagPattern.MatchString(c) {
			v.add(regime, id, "required_content %q must be a snake_case field name like dpo_contact", c)
		}
	}
}

func (v *ruleValidator) checkAfter(regime, id, prefix, trigger, after string, byID map[string][]*Rule) {
	switch {
	case trigger == "prior_submission" && after == "":
		v.add(regime, id, "%strigger prior_submission needs after: the obligation id of the previous stage", prefix)
	case trigger != "prior_submission" && after != "":
		v.add(regime, id, "%safter %q needs trigger prior_submission", prefix, after)
	case after != "" && len(byID[after]) == 0:
		v.add(regime, id, "%safter %q is not an obligation of this regime", prefix, after)
	case after != "" && after == id:
		v.add(regime, id, "%safter names the obligation itself", prefix)
	}
}

// RuleFileNames lists the embedded rule files, for tools that show them.
func RuleFileNames() []string {
	names, _ := fs.Glob(embeddedRuleFiles, "rules/*.yaml")
	for i := range names {
		names[i] = path.Base(names[i])
	}
	slices.Sort(names)
	return names
}

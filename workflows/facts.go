package workflows

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/irbot/irbot/internal/deadline"
	"github.com/irbot/irbot/internal/jurisdiction"
	"github.com/irbot/irbot/playbooks"
)

// TriggerFacts maps the facts that start regulatory clocks to the deadline
// engine's trigger names. Facts are what people record ("we became aware at");
// triggers are what the law counts from.
var TriggerFacts = map[string]string{
	"aware_at":                  "awareness",
	"discovered_at":             "discovery",
	"determined_at":             "determination",
	"materiality_determined_at": "materiality_determination",
	"classified_at":             "classification",
	"assessed_notifiable_at":    "notifiable_assessment",
	"suspected_at":              "suspicion",
	"believed_at":               "belief",
	"payment_made_at":           "payment_made",
}

// triggerFactNames is TriggerFacts' keys in a fixed order (workflow code must
// not range over maps).
var triggerFactNames = func() []string {
	names := make([]string, 0, len(TriggerFacts))
	for n := range TriggerFacts {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}()

// textFacts are free-text facts notices draw on: the common ones, plus every
// content field a regime's notice requires (rule files' required_content)
// that has no typed fact of its own.
var textFacts = func() []string {
	names := []string{"nature", "dpo_contact", "consequences", "measures", "summary", "root_cause"}
	typed := []string{"data_categories", "subjects_count", "records_count", "affected", "personal_data", "flags", "establishment", "severity"}
	for _, r := range playbooks.MustRules().Regimes {
		for _, o := range r.Obligations {
			for _, f := range o.RequiredContent {
				if _, trigger := TriggerFacts[f]; !trigger && !slices.Contains(typed, f) && !slices.Contains(names, f) {
					names = append(names, f)
				}
			}
		}
	}
	sort.Strings(names)
	return names
}()

// establishmentRE is a Member State code, e.g. "DE".
var establishmentRE = regexp.MustCompile(`^[A-Z]{2}$`)

// FactNames lists every fact name set_fact accepts.
func FactNames() []string {
	names := append([]string{}, triggerFactNames...)
	names = append(names, textFacts...)
	names = append(names, "data_categories", "subjects_count", "records_count", "affected", "personal_data", "flags", "establishment")
	sort.Strings(names)
	return names
}

// NormalizeFact checks a fact's value and returns it in canonical form, or an
// error a person can act on. It is used by the Update validator, so it must be
// deterministic and must not look at the wall clock.
func NormalizeFact(name string, raw json.RawMessage) (any, error) {
	v, err := normalizeFact(name, raw, jurisdiction.Parse)
	if err == nil && name == "establishment" && !slices.Contains(deadline.EUEEAStates, v.(string)) {
		// Checked on entry only, like jurisdictions: the workflow applies
		// an accepted value by shape (appliedFact), so a history replays
		// whatever list the binary carries. "XX" decided which authority
		// leads and which holidays count, and was accepted. A state with
		// no holiday calendar (FI, PT, ...) is accepted: its clocks count
		// weekends only and say so.
		return nil, fmt.Errorf("fact \"establishment\" %q is not an EU/EEA state: accepted are %s", v, strings.Join(deadline.EUEEAStates, ", "))
	}
	return v, err
}

// appliedFact is NormalizeFact for a value the validator has accepted: the
// workflow applies it with jurisdictions read by shape only, so replaying a
// history gives the same state whichever ISO 3166 table the binary carries.
func appliedFact(name string, raw json.RawMessage) any {
	v, _ := normalizeFact(name, raw, readJurisdiction)
	return v
}

// readJurisdiction reads back a jurisdiction code checked on entry.
func readJurisdiction(s string) (string, error) {
	code := strings.ToUpper(strings.TrimSpace(s))
	if !jurisdiction.WellFormed(code) {
		return "", fmt.Errorf("%q is not a jurisdiction code", s)
	}
	return code, nil
}

func normalizeFact(name string, raw json.RawMessage, jurisdiction func(string) (string, error)) (any, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, fmt.Errorf("fact %q needs a value", name)
	}
	if _, ok := TriggerFacts[name]; ok {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, fmt.Errorf("fact %q must be a time as an RFC 3339 string, e.g. \"2026-03-01T09:30:00Z\"", name)
		}
		t, err := time.Parse(time.RFC3339, strings.TrimSpace(s))
		if err != nil {
			return nil, fmt.Errorf("fact %q: %q is not an RFC 3339 time with a zone, e.g. \"2026-03-01T09:30:00Z\"", name, s)
		}
		return t.UTC().Format(time.RFC3339Nano), nil
	}
	switch {
	case slices.Contains(textFacts, name):
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, fmt.Errorf("fact %q must be text", name)
		}
		s = strings.TrimSpace(s)
		if s == "" {
			return nil, fmt.Errorf("fact %q must not be empty", name)
		}
		if len(s) > 10000 {
			return nil, fmt.Errorf("fact %q is longer than 10000 characters", name)
		}
		return s, nil
	case name == "subjects_count" || name == "records_count":
		var n json.Number
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		if err := dec.Decode(&n); err != nil {
			return nil, fmt.Errorf("fact %q must be a whole number (an estimate is fine)", name)
		}
		v, err := n.Int64()
		if err != nil || v < 0 {
			return nil, fmt.Errorf("fact %q must be a whole number of 0 or more, got %s", name, n)
		}
		return v, nil
	case name == "data_categories" || name == "flags":
		var list []string
		if err := json.Unmarshal(raw, &list); err != nil {
			var one string
			if err2 := json.Unmarshal(raw, &one); err2 != nil {
				return nil, fmt.Errorf("fact %q must be a list of strings", name)
			}
			list = strings.Split(one, ",")
		}
		out := []string{}
		for _, v := range list {
			if v = strings.TrimSpace(v); v != "" && !slices.Contains(out, v) {
				out = append(out, v)
			}
		}
		if len(out) == 0 {
			return nil, fmt.Errorf("fact %q must list at least one value", name)
		}
		return out, nil
	case name == "establishment":
		var s string
		if err := json.Unmarshal(raw, &s); err != nil || !establishmentRE.MatchString(strings.ToUpper(strings.TrimSpace(s))) {
			return nil, fmt.Errorf("fact \"establishment\" must be the ISO code of the EU/EEA Member State of main establishment, e.g. \"DE\"")
		}
		return strings.ToUpper(strings.TrimSpace(s)), nil
	case name == "personal_data":
		var s string
		if err := json.Unmarshal(raw, &s); err != nil || !slices.Contains([]string{"yes", "no", "unknown"}, s) {
			return nil, fmt.Errorf("fact \"personal_data\" must be \"yes\", \"no\" or \"unknown\"")
		}
		return s, nil
	case name == "affected":
		counts, err := parseAffected(raw, jurisdiction)
		if err != nil {
			return nil, err
		}
		out := map[string]any{}
		for _, k := range deadline.SortedKeys(counts) {
			out[k] = counts[k]
		}
		return out, nil
	}
	return nil, fmt.Errorf("unknown fact %q; known facts: %s", name, strings.Join(FactNames(), ", "))
}

func parseAffected(raw json.RawMessage, jurisdiction func(string) (string, error)) (map[string]int64, error) {
	var m map[string]json.Number
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("fact \"affected\" must be an object of jurisdiction to count, e.g. {\"US-CA\": 600, \"DE\": 40}")
	}
	out := map[string]int64{}
	for _, k := range deadline.SortedKeys(m) {
		n := m[k]
		code, err := jurisdiction(k)
		if err != nil {
			return nil, fmt.Errorf("fact \"affected\": %w", err)
		}
		v, err := n.Int64()
		if err != nil || v < 0 {
			return nil, fmt.Errorf("fact \"affected\": the count for %s must be a whole number of 0 or more, got %s", code, n)
		}
		out[code] = v
	}
	return out, nil
}

// deadlineFacts turns an incident's facts into the deadline engine's input.
func deadlineFacts(facts map[string]any, clocks []ClockState, delays []deadline.Delay) deadline.Facts {
	f := deadline.Facts{
		Triggers:  map[string]time.Time{},
		Affected:  map[string]int{},
		Flags:     map[string]bool{},
		Submitted: map[string]time.Time{},
		Delays:    delays,
	}
	for _, name := range triggerFactNames {
		if s, ok := facts[name].(string); ok {
			if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
				f.Triggers[TriggerFacts[name]] = t
			}
		}
	}
	if raw, ok := facts["affected"]; ok {
		b, _ := json.Marshal(raw)
		if counts, err := parseAffected(b, readJurisdiction); err == nil {
			for _, k := range deadline.SortedKeys(counts) {
				f.Affected[k] = int(counts[k])
			}
		}
	}
	if list, ok := facts["flags"].([]any); ok {
		for _, v := range list {
			if s, ok := v.(string); ok {
				f.Flags[s] = true
			}
		}
	} else if list, ok := facts["flags"].([]string); ok {
		for _, s := range list {
			f.Flags[s] = true
		}
	}
	if est, ok := facts["establishment"].(string); ok {
		f.Establishment = est
	}
	for _, c := range clocks {
		if c.SentAt != nil {
			f.Submitted[c.Key()] = *c.SentAt
		}
	}
	return f
}

// CheckFact is NormalizeFact for validators that only need the verdict, such
// as the scenario loader's check of the facts an inject sets.
func CheckFact(name string, raw json.RawMessage) error {
	_, err := NormalizeFact(name, raw)
	return err
}

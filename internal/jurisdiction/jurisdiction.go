// Package jurisdiction is the one check of a jurisdiction code, used by
// affected counts (set_fact affected), campaign recipient lists, the clock
// calculator (irbot clocks) and the regime rule files: "EU", an ISO 3166-1
// alpha-2 country ("DE") or an ISO 3166-2 subdivision ("US-CA"), as listed in
// the ISO 3166 table irbot carries (iso3166.tsv, generated from Debian's
// iso-codes data by internal/isogen; refresh with `go generate`).
package jurisdiction

import (
	_ "embed"
	"fmt"
	"regexp"
	"strings"
)

//go:generate go run ./internal/isogen -out iso3166.tsv

// iso3166 is the ISO 3166 table generated from Debian's iso-codes data; its
// first lines name the iso-codes version. See internal/isogen.
//
//go:embed iso3166.tsv
var iso3166 string

// jurisdictionShape is how a jurisdiction code is written: an upper-case
// ISO 3166-1 alpha-2 country, optionally followed by an ISO 3166-2
// subdivision part, or EU.
var jurisdictionShape = regexp.MustCompile(`^(EU|[A-Z]{2}(-[A-Z0-9]{1,3})?)$`)

type isoCountry struct {
	code, alpha3 string
	names        []string
}

type isoTable struct {
	countries    map[string]isoCountry // by alpha-2
	subdivisions map[string]string     // code -> name
	example      map[string]string     // country -> its first subdivision, for messages
	byName       map[string]string     // lower-case name or alpha-3 -> code
}

// table is read when the package loads, not on first use: the first use can
// be a workflow's Update validator, where slow work trips the deadlock
// detector.
var table = loadTable()

func loadTable() *isoTable {
	t := &isoTable{
		countries:    map[string]isoCountry{},
		subdivisions: map[string]string{},
		example:      map[string]string{},
		byName:       map[string]string{},
	}
	for _, line := range strings.Split(iso3166, "\n") {
		f := strings.Split(line, "\t")
		switch {
		case len(f) == 4 && f[0] == "c":
			c := isoCountry{code: f[1], alpha3: f[2], names: strings.Split(f[3], "|")}
			t.countries[c.code] = c
			t.byName[strings.ToLower(c.alpha3)] = c.code
			for _, n := range c.names {
				t.byName[strings.ToLower(n)] = c.code
			}
		case len(f) == 3 && f[0] == "s":
			t.subdivisions[f[1]] = f[2]
			country, _, _ := strings.Cut(f[1], "-")
			if _, ok := t.example[country]; !ok {
				t.example[country] = f[1]
			}
			if _, taken := t.byName[strings.ToLower(f[2])]; !taken {
				t.byName[strings.ToLower(f[2])] = f[1]
			}
		}
	}
	return t
}

// Check is the one check of a jurisdiction code: code must be "EU", an ISO 3166-1 alpha-2 country ("DE") or an ISO 3166-2
// subdivision ("US-CA"), written in upper case, as listed in the ISO 3166
// data irbot carries. The error says what is wrong with the value and, where
// it can, which code was probably meant; it does not repeat code when code
// is long.
func Check(code string) error { return checkJurisdiction(code, code) }

// Parse reads a jurisdiction as a person types it ("de",
// " US-CA ") and returns its code, upper case, checked by Check.
// The error quotes s as given.
func Parse(s string) (string, error) {
	code := strings.ToUpper(strings.TrimSpace(s))
	if err := checkJurisdiction(code, s); err != nil {
		return "", err
	}
	return code, nil
}

func checkJurisdiction(code, shown string) error {
	t := table
	if len([]rune(shown)) > 40 {
		shown = string([]rune(shown)[:40]) + "…"
	}
	if !jurisdictionShape.MatchString(code) {
		if up := strings.ToUpper(strings.TrimSpace(code)); up != code && jurisdictionShape.MatchString(up) && checkJurisdiction(up, up) == nil {
			return fmt.Errorf("%q: jurisdiction codes are written in upper case: use %s", shown, up)
		}
		if hint, ok := t.byName[strings.ToLower(strings.TrimSpace(code))]; ok {
			return fmt.Errorf("%q is a name, not a jurisdiction code: use the ISO 3166 code %s", shown, hint)
		}
		if strings.HasPrefix(code, "EU-") {
			return fmt.Errorf("%q: EU has no subdivisions; use the member state's ISO 3166-1 code (e.g. DE) or EU", shown)
		}
		return fmt.Errorf("%q is not a jurisdiction code: use an ISO 3166-1 country code (DE), an ISO 3166-2 subdivision code (US-CA) or EU", shown)
	}
	if code == "EU" {
		return nil
	}
	country, sub, isSub := strings.Cut(code, "-")
	c, ok := t.countries[country]
	if !ok {
		if country == "EU" {
			return fmt.Errorf("%q: EU has no subdivisions; use the member state's ISO 3166-1 code (e.g. DE) or EU", shown)
		}
		return fmt.Errorf("%q: %s is not an assigned ISO 3166-1 country code", shown, country)
	}
	if !isSub {
		return nil
	}
	if _, ok := t.subdivisions[code]; !ok {
		if ex, has := t.example[country]; has {
			return fmt.Errorf("%q: %s is not an ISO 3166-2 subdivision of %s (%s); subdivision codes look like %s", shown, sub, c.names[0], country, ex)
		}
		return fmt.Errorf("%q: %s (%s) has no ISO 3166-2 subdivisions; use %s", shown, c.names[0], country, country)
	}
	return nil
}

// WellFormed reports whether code has the shape of a jurisdiction
// code, without looking it up. It is for reading back values that were
// checked with Check when they were entered (a workflow replaying
// its history must not change its mind when the ISO table is refreshed).
func WellFormed(code string) bool { return jurisdictionShape.MatchString(code) }

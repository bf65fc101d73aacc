package deadline

import (
	"fmt"
	"strings"
	"time"

	"github.com/rickar/cal/v2"
	"github.com/rickar/cal/v2/at"
	"github.com/rickar/cal/v2/be"
	"github.com/rickar/cal/v2/bg"
	"github.com/rickar/cal/v2/br"
	"github.com/rickar/cal/v2/cz"
	"github.com/rickar/cal/v2/de"
	"github.com/rickar/cal/v2/dk"
	"github.com/rickar/cal/v2/es"
	"github.com/rickar/cal/v2/fr"
	"github.com/rickar/cal/v2/gr"
	"github.com/rickar/cal/v2/hr"
	"github.com/rickar/cal/v2/ie"
	"github.com/rickar/cal/v2/it"
	"github.com/rickar/cal/v2/jp"
	"github.com/rickar/cal/v2/lt"
	"github.com/rickar/cal/v2/lv"
	"github.com/rickar/cal/v2/nl"
	"github.com/rickar/cal/v2/no"
	"github.com/rickar/cal/v2/pl"
	"github.com/rickar/cal/v2/ro"
	"github.com/rickar/cal/v2/se"
	"github.com/rickar/cal/v2/si"
	"github.com/rickar/cal/v2/sk"
	"github.com/rickar/cal/v2/us"
)

// workCalendar is one named business-day calendar, built fresh for each
// evaluation: rickar/cal calendars are not safe for concurrent use once
// caching is on, and a fresh one keeps Evaluate free of shared state.
type workCalendar struct {
	bc    *cal.BusinessCalendar
	label string         // for Basis: "US federal holidays"
	loc   *time.Location // zone of the calendar when the rule names none (member-state)
}

// brNational are Brazil's national holidays in law: Lei 662/1949 (as
// amended by Lei 10.607/2002), Lei 6.802/1980 (12 Oct) and Lei 14.759/2023
// (20 Nov, from 2024). Carnaval, Corpus Christi and Good Friday are left
// out: federally they are optional days (ponto facultativo) or municipal
// religious holidays (Lei 9.093/1995), and counting them as working days
// can only make a deadline earlier, never late.
var brConscienciaNegra = &cal.Holiday{
	Name:      "Dia Nacional de Zumbi e da Consciência Negra",
	Type:      cal.ObservancePublic,
	Month:     time.November,
	Day:       20,
	StartYear: 2024,
	Func:      cal.CalcDayOfMonth,
}

var brNational = []*cal.Holiday{
	br.AnoNovo, br.Tiradentes, br.Trabalhador, br.Independencia,
	br.NossaSenhoraAparecida, br.Finados, br.Republica, brConscienciaNegra, br.Natal,
}

// jpYearEnd is the 29 Dec-3 Jan closure of Japanese public offices (Act on
// Holidays of Administrative Organs, Art. 1(1)(iii)); 1 Jan is already a
// national holiday.
var jpYearEnd = []*cal.Holiday{
	{Name: "年末 29", Month: time.December, Day: 29, Func: cal.CalcDayOfMonth},
	{Name: "年末 30", Month: time.December, Day: 30, Func: cal.CalcDayOfMonth},
	{Name: "年末 31", Month: time.December, Day: 31, Func: cal.CalcDayOfMonth},
	{Name: "年始 2", Month: time.January, Day: 2, Func: cal.CalcDayOfMonth},
	{Name: "年始 3", Month: time.January, Day: 3, Func: cal.CalcDayOfMonth},
}

type memberState struct {
	holidays []*cal.Holiday
	zone     string
}

// memberStates are the EU/EEA states whose national holidays the holiday
// library has, for DORA's weekend and bank-holiday relief.
var memberStates = map[string]memberState{
	"AT": {at.Holidays, "Europe/Vienna"}, "BE": {be.Holidays, "Europe/Brussels"},
	"BG": {bg.Holidays, "Europe/Sofia"}, "CZ": {cz.Holidays, "Europe/Prague"},
	"DE": {de.Holidays, "Europe/Berlin"}, "DK": {dk.Holidays, "Europe/Copenhagen"},
	"ES": {es.Holidays, "Europe/Madrid"}, "FR": {fr.Holidays, "Europe/Paris"},
	"GR": {gr.Holidays, "Europe/Athens"}, "HR": {hr.Holidays, "Europe/Zagreb"},
	"IE": {ie.Holidays, "Europe/Dublin"}, "IT": {it.Holidays, "Europe/Rome"},
	"LT": {lt.Holidays, "Europe/Vilnius"}, "LV": {lv.Holidays, "Europe/Riga"},
	"NL": {nl.Holidays, "Europe/Amsterdam"}, "NO": {no.Holidays, "Europe/Oslo"},
	"PL": {pl.Holidays, "Europe/Warsaw"}, "RO": {ro.Holidays, "Europe/Bucharest"},
	"SE": {se.Holidays, "Europe/Stockholm"}, "SI": {si.Holidays, "Europe/Ljubljana"},
	"SK": {sk.Holidays, "Europe/Bratislava"},
}

// EUEEAStates are the ISO 3166 codes of the 27 EU Member States and the
// three other EEA states: where a main establishment can be. Those without
// a calendar in memberStates count weekends only, and say so.
var EUEEAStates = []string{"AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE", "IS",
	"IT", "LI", "LT", "LU", "LV", "MT", "NL", "NO", "PL", "PT", "RO", "SE", "SI", "SK"}

// MemberStates lists the establishment codes with a bank-holiday calendar.
func MemberStates() []string {
	return SortedKeys(memberStates)
}

// newCalendar builds the calendar named in a rule. Closed adds days the
// calendar's authority was closed although no statute says so (the SEC on
// Christmas Eve by executive order).
func newCalendar(name string, f Facts) (*workCalendar, error) {
	bc := cal.NewBusinessCalendar()
	wc := &workCalendar{bc: bc}
	switch name {
	case "weekdays":
		wc.label = "weekends skipped, no holidays"
	case "us-federal":
		bc.AddHoliday(us.Holidays...)
		wc.label = "US federal holidays"
	case "br-national":
		bc.AddHoliday(brNational...)
		wc.label = "Brazilian national holidays"
	case "jp-national":
		bc.AddHoliday(jp.Holidays...)
		bc.AddHoliday(jpYearEnd...)
		wc.label = "Japanese national holidays and 29 Dec-3 Jan"
	case "member-state":
		code := strings.ToUpper(f.Establishment)
		ms, ok := memberStates[code]
		if !ok {
			wc.label = "weekends only: Member State bank holidays unknown, set the establishment"
			wc.loc = time.UTC
			if code != "" {
				wc.label = fmt.Sprintf("weekends only: no bank-holiday calendar for %s", code)
			}
			break
		}
		bc.AddHoliday(ms.holidays...)
		loc, err := time.LoadLocation(ms.zone)
		if err != nil {
			return nil, err
		}
		wc.loc = loc
		wc.label = code + " bank holidays"
	default:
		return nil, fmt.Errorf("unknown holiday calendar %q", name)
	}
	for _, day := range f.Closed[name] {
		day = strings.TrimSpace(day)
		d, err := time.Parse(time.DateOnly, day)
		if err != nil {
			return nil, fmt.Errorf("closed day %q for calendar %s is not a date like 2026-12-24", day, name)
		}
		bc.AddHoliday(&cal.Holiday{
			Name: "closed " + day, Month: d.Month(), Day: d.Day(),
			StartYear: d.Year(), EndYear: d.Year(), Func: cal.CalcDayOfMonth,
		})
	}
	return wc, nil
}

// isWorkday judges the calendar day t falls on, in t's own location.
func (wc *workCalendar) isWorkday(t time.Time) bool {
	return wc.bc.IsWorkday(t)
}

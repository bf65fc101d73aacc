package incident

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/irbot/irbot/internal/apperr"
	"github.com/irbot/irbot/internal/csvexport"
	"github.com/irbot/irbot/internal/policy"
	"github.com/irbot/irbot/internal/store"
	"github.com/irbot/irbot/workflows"
)

// BreachEntry is one row of the breach register (GDPR Art. 33(5): "the facts
// relating to the personal data breach, its effects and the remedial action
// taken"), derived from the incident's hash-chained timeline alone, so it
// answers the same after Temporal's history is gone and every value in it
// can be traced to an event. A live incident has a row from its declaration
// on, settled or not; a drill never has one.
type BreachEntry struct {
	IncidentID   string     `json:"incident_id"`
	Title        string     `json:"title"`
	Severity     string     `json:"severity"`
	Status       string     `json:"status"` // open | closed
	Regimes      []string   `json:"regimes"`
	DeclaredAt   time.Time  `json:"declared_at"`
	DeclaredBy   string     `json:"declared_by"`
	AwareAt      string     `json:"aware_at,omitempty"`
	DiscoveredAt string     `json:"discovered_at,omitempty"`
	ClosedAt     *time.Time `json:"closed_at,omitempty"`
	// The facts as last set (JSON values as recorded), "" / null when not yet known.
	Nature         string          `json:"nature"`
	DataCategories json.RawMessage `json:"data_categories"`
	SubjectsCount  json.RawMessage `json:"subjects_count"`
	RecordsCount   json.RawMessage `json:"records_count"`
	Affected       json.RawMessage `json:"affected"`
	PersonalData   string          `json:"personal_data"`
	Consequences   string          `json:"consequences"`
	Measures       string          `json:"measures"`
	// Obligations are every deadline the incident carried, with its outcome.
	Obligations []BreachObligation `json:"obligations"`
	// NotNotified are the decisions not to notify, with rationale and deciders.
	NotNotified []BreachObligation `json:"decisions_not_to_notify"`
	// Events and ChainHead say which state of the timeline the row was
	// derived from.
	Events    int    `json:"events"`
	ChainHead string `json:"chain_head"`
}

// BreachObligation is one deadline and what became of it.
type BreachObligation struct {
	Regime     string `json:"regime"`
	Obligation string `json:"obligation"`
	Recipient  string `json:"recipient,omitempty"`
	DueAt      string `json:"due_at,omitempty"`
	// Outcome is pending, met, late, not_notified or withdrawn.
	Outcome    string   `json:"outcome"`
	SentAt     string   `json:"sent_at,omitempty"`
	MetBy      string   `json:"met_by,omitempty"`
	LateBy     string   `json:"late_by,omitempty"`
	LateReason string   `json:"late_reason,omitempty"`
	Reference  string   `json:"reference,omitempty"`
	MessageID  string   `json:"message_id,omitempty"`
	DecidedBy  []string `json:"decided_by,omitempty"`
	Rationale  string   `json:"rationale,omitempty"`
	// Seq is the timeline event that settled it (0 while pending).
	Seq int64 `json:"seq,omitempty"`
}

// Breach obligation outcomes.
const (
	OutcomePending     = "pending"
	OutcomeMet         = "met"
	OutcomeLate        = "late"
	OutcomeNotNotified = "not_notified"
	OutcomeWithdrawn   = "withdrawn"
)

// HIPAASmallBreach is the head count below which a HIPAA breach goes to the
// annual log (45 CFR 164.408(c)) instead of a notice to HHS within 60 days.
const HIPAASmallBreach = 500

// BreachFilter selects breach register rows. Empty fields do not filter.
type BreachFilter struct {
	// From inclusive, To exclusive, on the declaration time.
	From, To *time.Time
	Regime   string
	// HIPAAYear, when set, is the HIPAA annual log for that calendar year:
	// incidents under us-hipaa discovered in the year with fewer than 500
	// people affected (or a count not yet known, so none is missed).
	HIPAAYear int
}

// MayReadRegisters says whether actor may read the notification and breach
// registers (and so an evidence pack, which carries them).
func (s *Service) MayReadRegisters(actor workflows.Actor) error {
	if !hasRole(actor, policy.RegisterReaders...) {
		return apperr.New(apperr.Forbidden, "the registers are for %s", strings.Join(policy.RegisterReaders, ", "))
	}
	return nil
}

// BreachRegister returns one row per live incident the filter selects,
// oldest declaration first.
func (s *Service) BreachRegister(ctx context.Context, actor workflows.Actor, f BreachFilter) ([]BreachEntry, error) {
	if err := s.MayReadRegisters(actor); err != nil {
		return nil, err
	}
	if f.Regime != "" && (s.Rules == nil || !s.Rules.Has(f.Regime)) {
		return nil, apperr.New(apperr.Invalid, "unknown regime %q", ClipValue(f.Regime))
	}
	if f.From != nil && f.To != nil && !f.From.Before(*f.To) {
		return nil, apperr.New(apperr.Invalid, "the period is empty: from %s is not before to %s", f.From.Format(time.RFC3339), f.To.Format(time.RFC3339))
	}
	if f.HIPAAYear != 0 {
		if f.HIPAAYear < 1996 || f.HIPAAYear > 9999 {
			return nil, apperr.New(apperr.Invalid, "hipaa_year %d is not a calendar year", f.HIPAAYear)
		}
		if f.From != nil || f.To != nil || (f.Regime != "" && f.Regime != "us-hipaa") {
			return nil, apperr.New(apperr.Invalid, "hipaa_year is the whole calendar year under us-hipaa: give it without from, to or another regime")
		}
		f.Regime = "us-hipaa"
	}
	sf := store.IncidentFilter{Mode: workflows.ModeLive, Regime: f.Regime, From: f.From, To: f.To, Limit: 500}
	if f.HIPAAYear != 0 {
		// Discovery can precede the declaration by a little; the year's
		// incidents are those declared from its start on, filtered below.
		from := time.Date(f.HIPAAYear, 1, 1, 0, 0, 0, 0, time.UTC).AddDate(0, 0, -31)
		sf.From = &from
	}
	out := []BreachEntry{}
	for {
		page, err := s.Store.ListIncidentsPage(ctx, sf)
		if err != nil {
			return nil, err
		}
		for _, inc := range page.Incidents {
			if inc.Mode != workflows.ModeLive {
				continue
			}
			events, err := s.Store.Events(ctx, inc.ID)
			if err != nil {
				return nil, fmt.Errorf("timeline of %s: %w", inc.ID, err)
			}
			e := BuildBreachEntry(inc, events)
			if f.HIPAAYear != 0 && !e.inHIPAALog(f.HIPAAYear) {
				continue
			}
			out = append(out, e)
		}
		sf.Offset += len(page.Incidents)
		if len(page.Incidents) == 0 || sf.Offset >= page.Total {
			break
		}
	}
	// The store lists newest first; a register reads oldest first.
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out, nil
}

// BreachRow is the breach register row of one incident (a drill: NotFound).
func (s *Service) BreachRow(ctx context.Context, actor workflows.Actor, id string) (BreachEntry, error) {
	if err := s.MayReadRegisters(actor); err != nil {
		return BreachEntry{}, err
	}
	if err := checkID(id); err != nil {
		return BreachEntry{}, err
	}
	inc, err := s.Store.GetIncident(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return BreachEntry{}, apperr.New(apperr.NotFound, "no incident %s", id)
	}
	if err != nil {
		return BreachEntry{}, err
	}
	if inc.Mode != workflows.ModeLive {
		return BreachEntry{}, apperr.New(apperr.NotFound, "%s is a drill: drills never enter the breach register", id)
	}
	events, err := s.Store.Events(ctx, id)
	if err != nil {
		return BreachEntry{}, err
	}
	return BuildBreachEntry(inc, events), nil
}

// inHIPAALog says whether e belongs in the HIPAA annual log of year: under
// us-hipaa, discovered (else aware, else declared) in the year, and fewer
// than 500 people affected or the count not known yet.
func (e BreachEntry) inHIPAALog(year int) bool {
	when := e.DeclaredAt
	for _, v := range []string{e.DiscoveredAt, e.AwareAt} {
		if t, err := time.Parse(time.RFC3339, v); err == nil {
			when = t
			break
		}
	}
	if when.UTC().Year() != year {
		return false
	}
	n, known := e.People()
	return !known || n < HIPAASmallBreach
}

// People is how many people the breach affects as far as known: the
// subjects count, else the sum of the per-jurisdiction counts.
func (e BreachEntry) People() (int64, bool) {
	if n, err := strconv.ParseInt(strings.Trim(string(e.SubjectsCount), `"`), 10, 64); err == nil {
		return n, true
	}
	var per map[string]json.Number
	if json.Unmarshal(e.Affected, &per) == nil && len(per) > 0 {
		var sum int64
		for _, v := range per {
			n, err := v.Int64()
			if err != nil {
				return 0, false
			}
			sum += n
		}
		return sum, true
	}
	return 0, false
}

// BuildBreachEntry derives inc's breach register row from its timeline.
func BuildBreachEntry(inc store.Incident, events []store.Event) BreachEntry {
	e := BreachEntry{
		IncidentID: inc.ID, Title: inc.Title, Severity: inc.Severity, Status: inc.Status, DeclaredAt: inc.DeclaredAt.UTC(),
		DeclaredBy: inc.DeclaredBy, Regimes: []string{}, Obligations: []BreachObligation{}, NotNotified: []BreachObligation{},
		Events: len(events), DataCategories: json.RawMessage("null"), SubjectsCount: json.RawMessage("null"),
		RecordsCount: json.RawMessage("null"), Affected: json.RawMessage("null"),
	}
	if n := len(events); n > 0 {
		e.ChainHead = events[n-1].Hash
	}
	facts := map[string]json.RawMessage{}
	byKey := map[string]int{} // regime/obligation -> index in e.Obligations
	ob := func(d map[string]json.RawMessage) *BreachObligation {
		k := str(d["regime"]) + "/" + str(d["obligation"])
		i, ok := byKey[k]
		if !ok {
			i = len(e.Obligations)
			byKey[k] = i
			e.Obligations = append(e.Obligations, BreachObligation{Regime: str(d["regime"]), Obligation: str(d["obligation"]), Outcome: OutcomePending})
		}
		return &e.Obligations[i]
	}
	for _, ev := range events {
		var d map[string]json.RawMessage
		_ = json.Unmarshal(ev.Data, &d)
		switch ev.Kind {
		case "incident.declared":
			e.DeclaredAt, e.DeclaredBy = ev.At.UTC(), ev.Actor
			if t := str(d["title"]); t != "" {
				e.Title = t
			}
			if s := str(d["severity"]); s != "" && e.Severity == "" {
				e.Severity = s
			}
			_ = json.Unmarshal(d["regimes"], &e.Regimes)
			var declared map[string]json.RawMessage
			if json.Unmarshal(d["facts"], &declared) == nil {
				for k, v := range declared {
					facts[k] = v
				}
			}
			for _, k := range []string{"aware_at", "discovered_at"} {
				if v, ok := d[k]; ok && string(v) != "null" {
					facts[k] = v
				}
			}
		case "fact.set":
			facts[str(d["name"])] = d["value"]
			var def map[string]json.RawMessage
			if json.Unmarshal(d["defaulted"], &def) == nil {
				for k, v := range def {
					facts[k] = v
				}
			}
		case "severity.changed":
			e.Severity = str(d["to"])
		case "incident.closed":
			at := ev.At.UTC()
			e.Status, e.ClosedAt = workflows.StatusClosed, &at
		case "clock.added":
			o := ob(d)
			o.Recipient, o.DueAt = str(d["recipient"]), str(d["due_at"])
		case "clock.changed":
			if o := ob(d); o.Outcome == OutcomePending {
				o.DueAt = str(d["to"])
			}
		case "clock.withdrawn":
			if o := ob(d); o.Outcome == OutcomePending {
				o.Outcome, o.Seq = OutcomeWithdrawn, ev.Seq
			}
		case "notification.recorded":
			o := ob(d)
			if o.Outcome != OutcomePending && o.Outcome != OutcomeWithdrawn {
				break // a follow-up to a settled clock: the first settlement stands
			}
			o.Outcome, o.Seq = OutcomeMet, ev.Seq
			if string(d["on_time"]) == "false" {
				o.Outcome = OutcomeLate
			}
			o.SentAt, o.MetBy, o.LateBy, o.LateReason = str(d["sent_at"]), str(d["met_by"]), str(d["late_by"]), str(d["late_reason"])
			o.Reference, o.MessageID = str(d["reference"]), str(d["message_id"])
			o.DecidedBy = []string{ev.Actor}
			if a := str(d["approved_by"]); a != "" {
				o.DecidedBy = []string{a}
			}
		case "notification.reference_added":
			if r := str(d["reference"]); r != "" {
				ob(d).Reference = r
			}
		case "notification.not_required":
			o := ob(d)
			o.Outcome, o.Seq, o.Rationale = OutcomeNotNotified, ev.Seq, str(d["rationale"])
			o.DecidedBy = nil
			_ = json.Unmarshal(d["decided_by"], &o.DecidedBy)
			if len(o.DecidedBy) == 0 {
				o.DecidedBy = []string{ev.Actor}
			}
			e.NotNotified = append(e.NotNotified, *o)
		}
	}
	e.AwareAt, e.DiscoveredAt = str(facts["aware_at"]), str(facts["discovered_at"])
	e.Nature, e.PersonalData = str(facts["nature"]), str(facts["personal_data"])
	e.Consequences, e.Measures = str(facts["consequences"]), str(facts["measures"])
	for name, dst := range map[string]*json.RawMessage{"data_categories": &e.DataCategories, "subjects_count": &e.SubjectsCount, "records_count": &e.RecordsCount, "affected": &e.Affected} {
		if v, ok := facts[name]; ok && len(v) > 0 {
			*dst = v
		}
	}
	return e
}

// str reads a JSON string value; any other JSON value comes back as its
// text, and a missing or null one as "".
func str(v json.RawMessage) string {
	if len(v) == 0 || string(v) == "null" {
		return ""
	}
	var s string
	if json.Unmarshal(v, &s) == nil {
		return s
	}
	return string(v)
}

// WriteBreachRegisterCSV writes entries as CSV (internal/csvexport: RFC
// 4180, CRLF, formula cells neutralised), one row per incident; obligations
// and decisions not to notify as one cell each, "; " between items.
func WriteBreachRegisterCSV(w io.Writer, entries []BreachEntry) error {
	cw := csvexport.NewWriter(w)
	_ = cw.Write("incident_id", "title", "severity", "status", "regimes", "declared_at", "declared_by", "aware_at", "discovered_at", "closed_at",
		"nature", "data_categories", "subjects_count", "records_count", "affected", "personal_data", "consequences", "measures",
		"obligations", "decisions_not_to_notify", "events", "chain_head")
	for _, e := range entries {
		closed := ""
		if e.ClosedAt != nil {
			closed = e.ClosedAt.Format(time.RFC3339)
		}
		_ = cw.Write(e.IncidentID, e.Title, e.Severity, e.Status, strings.Join(e.Regimes, "; "), e.DeclaredAt.Format(time.RFC3339), e.DeclaredBy,
			e.AwareAt, e.DiscoveredAt, closed, e.Nature, rawCell(e.DataCategories), rawCell(e.SubjectsCount), rawCell(e.RecordsCount), rawCell(e.Affected),
			e.PersonalData, e.Consequences, e.Measures, obligationsCell(e.Obligations), obligationsCell(e.NotNotified), strconv.Itoa(e.Events), e.ChainHead)
	}
	return cw.Flush()
}

func rawCell(v json.RawMessage) string {
	if s := str(v); s != "" {
		return s
	}
	return ""
}

// obligationsCell is "regime/obligation: outcome (details)" per obligation.
func obligationsCell(obs []BreachObligation) string {
	parts := make([]string, 0, len(obs))
	for _, o := range obs {
		var d []string
		for _, kv := range [][2]string{{"due", o.DueAt}, {"sent", o.SentAt}, {"met by", o.MetBy}, {"late by", o.LateBy}, {"late because", o.LateReason},
			{"reference", o.Reference}, {"decided by", strings.Join(o.DecidedBy, ", ")}, {"rationale", o.Rationale}} {
			if kv[1] != "" {
				d = append(d, kv[0]+" "+kv[1])
			}
		}
		parts = append(parts, fmt.Sprintf("%s/%s: %s (%s)", o.Regime, o.Obligation, o.Outcome, strings.Join(d, ", ")))
	}
	return strings.Join(parts, "; ")
}

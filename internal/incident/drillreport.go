package incident

import (
	"bytes"
	"encoding/json"
	"fmt"
	"html/template"
	"slices"
	"strings"
	"time"

	"github.com/irbot/irbot/internal/deadline"
	"github.com/irbot/irbot/internal/store"
	"github.com/irbot/irbot/playbooks"
	"github.com/irbot/irbot/workflows"
)

// DrillReport is the HSEEP-shaped after-action report of a drill: overview,
// objectives rated P/S/M/U, expected actions against their targets in
// scenario time, clocks met or missed with margins, injects, answers,
// participation, strengths, areas for improvement and the Improvement Plan.
type DrillReport struct {
	Drill        string                 `json:"drill"`
	Incident     string                 `json:"incident"`
	Scenario     string                 `json:"scenario"`
	Title        string                 `json:"title"`
	Speed        float64                `json:"speed"`
	Status       string                 `json:"status"`
	Final        bool                   `json:"final"`
	StartedAt    time.Time              `json:"started_at"`
	EndedAt      *time.Time             `json:"ended_at,omitempty"`
	PlayedFor    string                 `json:"played_for"` // scenario time played
	Objectives   []ReportObjective      `json:"objectives"`
	Expected     []ReportExpected       `json:"expected"`
	Clocks       []ReportClock          `json:"clocks"`
	Injects      []workflows.DrillEvent `json:"injects"`
	Answers      []ReportAnswer         `json:"answers"`
	Participants []ReportParticipant    `json:"participants"`
	// Feedback is the participants' feedback forms, one per person.
	Feedback     []workflows.DrillFeedbackRecord `json:"feedback"`
	Score        ReportScore                     `json:"score"`
	Strengths    []string                        `json:"strengths"`
	AreasForImp  []string                        `json:"areas_for_improvement"`
	Improvements []workflows.Improvement         `json:"improvements"`
	GeneratedAt  time.Time                       `json:"generated_at"`
}

// ReportObjective is one objective and its rating: P performed without
// challenges, S with some, M with major challenges, U unable to be performed.
type ReportObjective struct {
	ID     string `json:"id"`
	Title  string `json:"title"`
	Rating string `json:"rating"`
	Met    int    `json:"met"`
	Total  int    `json:"total"`
}

// ReportExpected is one expected action: done or not, when, against its
// target, all in scenario time.
type ReportExpected struct {
	ID        string `json:"id"`
	Title     string `json:"title"`
	Objective string `json:"objective"`
	Target    string `json:"target"`
	DoneAt    string `json:"done_at,omitempty"`
	DoneBy    string `json:"done_by,omitempty"`
	Met       bool   `json:"met"`
}

// ReportClock is one regulatory clock in scenario time.
type ReportClock struct {
	Regime     string `json:"regime"`
	Obligation string `json:"obligation"`
	DueAt      string `json:"due_at"`
	SettledAt  string `json:"settled_at,omitempty"`
	Status     string `json:"status"`
	Met        bool   `json:"met"`
	// Margin is how much earlier than due it was settled; negative when it
	// was late or missed (measured to the end of play).
	Margin string `json:"margin"`
}

// ReportAnswer is one answer with the evaluator's expected answer.
type ReportAnswer struct {
	Question string `json:"question"`
	By       string `json:"by"`
	Answer   string `json:"answer"`
	At       string `json:"at"`
	Expected string `json:"expected,omitempty"`
	Matches  *bool  `json:"matches,omitempty"`
}

// ReportParticipant is what one person did in the drill.
type ReportParticipant struct {
	ID      string `json:"id"`
	Actions int    `json:"actions"`
	Answers int    `json:"answers"`
}

// ReportScore counts expected actions met.
type ReportScore struct {
	Met     int `json:"met"`
	Total   int `json:"total"`
	Percent int `json:"percent"`
}

func signedSpan(d time.Duration) string {
	if d < 0 {
		return "-" + playbooks.Span(-d).String()[2:]
	}
	return "+" + playbooks.Span(d).String()[2:]
}

// BuildDrillReport scores a drill from its state, its incident's state and
// its timeline. now bounds an unfinished drill.
func BuildDrillReport(d *workflows.DrillState, inc *workflows.IncidentState, events []store.Event, now time.Time) *DrillReport {
	sc := &d.Package
	end := now
	if d.EndedAt != nil {
		end = *d.EndedAt
	}
	r := &DrillReport{
		Drill: d.IncidentID, Incident: d.IncidentID, Scenario: d.Scenario, Title: d.Title, Speed: d.Speed,
		Status: d.Status, Final: d.Final, StartedAt: d.StartedAt, EndedAt: d.EndedAt,
		PlayedFor: d.ScenarioTime(end).String(), Improvements: d.Improvements, GeneratedAt: now.UTC(),
		Objectives: []ReportObjective{}, Expected: []ReportExpected{}, Clocks: []ReportClock{}, Answers: []ReportAnswer{},
		Participants: []ReportParticipant{}, Feedback: []workflows.DrillFeedbackRecord{}, Strengths: []string{}, AreasForImp: []string{},
	}
	if r.Improvements == nil {
		r.Improvements = []workflows.Improvement{}
	}
	for _, ev := range d.Events {
		if ev.Kind == "inject" {
			r.Injects = append(r.Injects, ev)
		}
	}
	// When each expected action was first done, from the incident state and
	// the timeline.
	factAt := map[string]time.Time{}
	participants := map[string]*ReportParticipant{}
	person := func(id string) *ReportParticipant {
		p := participants[id]
		if p == nil {
			p = &ReportParticipant{ID: id}
			participants[id] = p
		}
		return p
	}
	for _, e := range events {
		if e.Actor == "" || e.Actor == "system" || e.Actor == "irbot" || e.Actor == "irbot-drill" {
			continue
		}
		if e.Kind != "incident.declared" && e.Kind != "action.denied" {
			person(e.Actor).Actions++
		}
		if e.Kind == "fact.set" {
			var data struct {
				Name string `json:"name"`
			}
			_ = json.Unmarshal(e.Data, &data)
			if _, seen := factAt[data.Name]; !seen {
				factAt[data.Name] = e.At
			}
		}
	}
	for _, a := range d.Answers {
		person(a.By).Answers++
	}
	for _, x := range sc.Expected {
		var at *time.Time
		by := ""
		switch x.Kind {
		case playbooks.ExpectTask:
			for _, t := range inc.Tasks {
				if t.ID == x.Target && t.Done {
					at, by = t.DoneAt, t.DoneBy
				}
			}
		case playbooks.ExpectGate:
			for _, g := range inc.Gates {
				if g.ID == x.Target && g.Approved && len(g.Approvals) > 0 {
					last := g.Approvals[len(g.Approvals)-1]
					at, by = &last.At, last.By
				}
			}
		case playbooks.ExpectNotify:
			for _, c := range inc.Clocks {
				if c.Key() == x.Target && !c.Open() && c.SentAt != nil {
					at = c.SentAt
				}
			}
		case playbooks.ExpectFact:
			if t, ok := factAt[x.Target]; ok {
				at = &t
			}
		}
		e := ReportExpected{ID: x.ID, Title: x.Title, Objective: x.Objective, Target: x.By.String(), DoneBy: by}
		if at != nil {
			done := d.ScenarioTime(*at)
			e.DoneAt = done.String()
			e.Met = done <= x.By
		}
		r.Expected = append(r.Expected, e)
		r.Score.Total++
		if e.Met {
			r.Score.Met++
			r.Strengths = append(r.Strengths, fmt.Sprintf("%s: done at %s, target %s.", x.Title, e.DoneAt, e.Target))
		} else if e.DoneAt != "" {
			r.AreasForImp = append(r.AreasForImp, fmt.Sprintf("%s: done at %s, after its target %s.", x.Title, e.DoneAt, e.Target))
		} else {
			r.AreasForImp = append(r.AreasForImp, fmt.Sprintf("%s: not done (target %s).", x.Title, e.Target))
		}
	}
	if r.Score.Total > 0 {
		r.Score.Percent = r.Score.Met * 100 / r.Score.Total
	}
	for _, o := range sc.Objectives {
		ro := ReportObjective{ID: o.ID, Title: o.Title}
		for _, e := range r.Expected {
			if e.Objective == o.ID {
				ro.Total++
				if e.Met {
					ro.Met++
				}
			}
		}
		switch {
		case ro.Total == 0:
			ro.Rating = "S" // evaluator's call; nothing to measure
		case ro.Met == ro.Total:
			ro.Rating = "P"
		case ro.Met*2 >= ro.Total:
			ro.Rating = "S"
		case ro.Met > 0:
			ro.Rating = "M"
		default:
			ro.Rating = "U"
		}
		r.Objectives = append(r.Objectives, ro)
	}
	// Clocks: their due times are in incident (scenario) time, counted from
	// the drill's start; settlements are real times mapped to scenario time.
	played := d.ScenarioTime(end)
	for _, c := range inc.Clocks {
		if c.DueAt == nil {
			continue
		}
		due := playbooks.Span(c.DueAt.Sub(d.StartedAt).Truncate(time.Second))
		rc := ReportClock{Regime: c.Regime, Obligation: c.Obligation, DueAt: due.String(), Status: c.Status}
		var spare time.Duration
		if !c.Open() && c.SentAt != nil {
			settled := d.ScenarioTime(*c.SentAt)
			rc.SettledAt = settled.String()
			rc.Met = settled <= due
			rc.Margin = signedSpan(due.D() - settled.D())
			spare = due.D() - settled.D()
			rc.Status = workflows.ClockMet
			if !rc.Met {
				rc.Status = workflows.ClockLate
			}
		} else if !c.Open() {
			rc.Met = true // a documented decision not to notify
		} else if played >= due {
			rc.Status = "missed"
			rc.Margin = signedSpan(due.D() - played.D())
		} else {
			rc.Status = "open"
			rc.Margin = signedSpan(due.D() - played.D())
		}
		r.Clocks = append(r.Clocks, rc)
		switch rc.Status {
		case "missed":
			r.AreasForImp = append(r.AreasForImp, fmt.Sprintf("Clock %s/%s was missed: due %s, still open at the end of play (%s).", c.Regime, c.Obligation, rc.DueAt, rc.Margin))
		case workflows.ClockLate:
			r.AreasForImp = append(r.AreasForImp, fmt.Sprintf("Clock %s/%s was late: due %s, settled %s (%s).", c.Regime, c.Obligation, rc.DueAt, rc.SettledAt, rc.Margin))
		case workflows.ClockMet:
			r.Strengths = append(r.Strengths, fmt.Sprintf("Clock %s/%s %s.", c.Regime, c.Obligation, deadline.Settled(deadline.Span(spare), "")))
		}
	}
	for _, a := range d.Answers {
		ra := ReportAnswer{Question: a.Question, By: a.By, Answer: a.Answer, At: a.ScenarioAt.String()}
		if q, ok := sc.Question(a.Question); ok && q.Expected != "" {
			ra.Expected = q.Expected
			m := strings.EqualFold(strings.TrimSpace(a.Answer), q.Expected)
			ra.Matches = &m
		}
		r.Answers = append(r.Answers, ra)
	}
	r.Feedback = append(r.Feedback, d.Feedback...)
	slices.SortFunc(r.Feedback, func(a, b workflows.DrillFeedbackRecord) int { return strings.Compare(a.By, b.By) })
	for _, p := range participants {
		r.Participants = append(r.Participants, *p)
	}
	slices.SortFunc(r.Participants, func(a, b ReportParticipant) int { return strings.Compare(a.ID, b.ID) })
	return r
}

// Markdown renders the report for people and evidence packs.
func (r *DrillReport) Markdown() string {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	p("# [DRILL] After-Action Report: %s\n\n", r.Title)
	p("## Exercise overview\n\n")
	p("- Drill: %s (scenario %s)\n- Started: %s, speed %gx, played %s of scenario time\n- Status: %s", r.Drill, r.Scenario, r.StartedAt.UTC().Format(time.RFC3339), r.Speed, r.PlayedFor, r.Status)
	if !r.Final {
		p(" (draft: the improvement plan may still change)")
	}
	p("\n- Score: %d of %d expected actions on time (%d %%)\n\n", r.Score.Met, r.Score.Total, r.Score.Percent)
	p("## Objectives\n\n| objective | rating | met |\n|---|---|---|\n")
	for _, o := range r.Objectives {
		p("| %s | %s | %d/%d |\n", mdCell(o.Title), o.Rating, o.Met, o.Total)
	}
	p("\n## Expected actions (scenario time)\n\n| action | target | done | on time |\n|---|---|---|---|\n")
	for _, e := range r.Expected {
		done := e.DoneAt
		if done == "" {
			done = "not done"
		}
		p("| %s | %s | %s | %s |\n", mdCell(e.Title), e.Target, done, yesNo(e.Met))
	}
	p("\n## Regulatory clocks\n\n| clock | due | settled | status | margin |\n|---|---|---|---|---|\n")
	for _, c := range r.Clocks {
		p("| %s/%s | %s | %s | %s | %s |\n", c.Regime, c.Obligation, c.DueAt, c.SettledAt, c.Status, c.Margin)
	}
	p("\n## Injects\n\n")
	for _, ev := range r.Injects {
		when := "not delivered"
		if ev.Skipped {
			when = "skipped"
		} else if ev.DeliveredScenarioAt != nil {
			when = "delivered " + ev.DeliveredScenarioAt.String()
		}
		p("- %s (%s): %s\n", mdCell(ev.Title), ev.ScenarioAt, when)
	}
	p("\n## Discussion answers\n\n")
	for _, a := range r.Answers {
		p("- %s, %s at %s: %s", a.Question, a.By, a.At, mdCell(a.Answer))
		if a.Matches != nil {
			p(" (expected: %s)", mdCell(a.Expected))
		}
		p("\n")
	}
	p("\n## Participation\n\n")
	for _, pt := range r.Participants {
		p("- %s: %d actions, %d answers\n", pt.ID, pt.Actions, pt.Answers)
	}
	p("\n## Participant feedback\n\n")
	if len(r.Feedback) > 0 {
		p("| participant | rating | went well | to improve |\n|---|---|---|---|\n")
	}
	for _, f := range r.Feedback {
		p("| %s | %d/5 | %s | %s |\n", mdCell(f.By), f.Rating, mdCell(f.WentWell), mdCell(f.Improve))
	}
	p("\n## Strengths\n\n")
	for _, s := range r.Strengths {
		p("- %s\n", mdCell(s))
	}
	p("\n## Areas for improvement\n\n")
	for _, s := range r.AreasForImp {
		p("- %s\n", mdCell(s))
	}
	p("\n## Improvement Plan\n\n| issue | corrective action | owner | due |\n|---|---|---|---|\n")
	for _, it := range r.Improvements {
		p("| %s | %s | %s | %s |\n", mdCell(it.Issue), mdCell(it.Action), mdCell(it.Owner), it.Due)
	}
	return b.String()
}

func mdCell(s string) string {
	return strings.NewReplacer("|", "\\|", "\n", " ", "\r", " ", "\x00", "").Replace(s)
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

var drillReportHTML = template.Must(template.New("report").Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>[DRILL] After-Action Report: {{.Title}}</title></head><body>
<main>
<h1>[DRILL] After-Action Report: {{.Title}}</h1>
<h2>Exercise overview</h2>
<p>Drill {{.Drill}} (scenario {{.Scenario}}), speed {{.Speed}}x, played {{.PlayedFor}}; status {{.Status}}{{if not .Final}} (draft){{end}}. Score: {{.Score.Met}} of {{.Score.Total}} ({{.Score.Percent}} %).</p>
<h2>Objectives</h2><table><tr><th scope="col">objective</th><th scope="col">rating</th><th scope="col">met</th></tr>
{{range .Objectives}}<tr><td>{{.Title}}</td><td>{{.Rating}}</td><td>{{.Met}}/{{.Total}}</td></tr>{{end}}</table>
<h2>Expected actions</h2><table><tr><th scope="col">action</th><th scope="col">target</th><th scope="col">done</th><th scope="col">on time</th></tr>
{{range .Expected}}<tr><td>{{.Title}}</td><td>{{.Target}}</td><td>{{if .DoneAt}}{{.DoneAt}}{{else}}not done{{end}}</td><td>{{if .Met}}yes{{else}}no{{end}}</td></tr>{{end}}</table>
<h2>Regulatory clocks</h2><table><tr><th scope="col">clock</th><th scope="col">due</th><th scope="col">settled</th><th scope="col">status</th><th scope="col">margin</th></tr>
{{range .Clocks}}<tr><td>{{.Regime}}/{{.Obligation}}</td><td>{{.DueAt}}</td><td>{{.SettledAt}}</td><td>{{.Status}}</td><td>{{.Margin}}</td></tr>{{end}}</table>
<h2>Injects</h2><ul>{{range .Injects}}<li>{{.Title}} ({{.ScenarioAt}}){{if .Skipped}}: skipped{{else if .DeliveredScenarioAt}}: delivered {{.DeliveredScenarioAt}}{{end}}</li>{{end}}</ul>
<h2>Discussion answers</h2><ul>{{range .Answers}}<li>{{.Question}}, {{.By}} at {{.At}}: {{.Answer}}{{if .Expected}} (expected: {{.Expected}}){{end}}</li>{{end}}</ul>
<h2>Participation</h2><ul>{{range .Participants}}<li>{{.ID}}: {{.Actions}} actions, {{.Answers}} answers</li>{{end}}</ul>
<h2>Participant feedback</h2><table><tr><th scope="col">participant</th><th scope="col">rating</th><th scope="col">went well</th><th scope="col">to improve</th></tr>
{{range .Feedback}}<tr><td>{{.By}}</td><td>{{.Rating}}/5</td><td>{{.WentWell}}</td><td>{{.Improve}}</td></tr>{{end}}</table>
<h2>Strengths</h2><ul>{{range .Strengths}}<li>{{.}}</li>{{end}}</ul>
<h2>Areas for improvement</h2><ul>{{range .AreasForImp}}<li>{{.}}</li>{{end}}</ul>
<h2>Improvement Plan</h2><table><tr><th scope="col">issue</th><th scope="col">corrective action</th><th scope="col">owner</th><th scope="col">due</th></tr>
{{range .Improvements}}<tr><td>{{.Issue}}</td><td>{{.Action}}</td><td>{{.Owner}}</td><td>{{.Due}}</td></tr>{{end}}</table>
</main>
</body></html>
`))

// HTML renders the report as a standalone page (escaped by html/template).
func (r *DrillReport) HTML() ([]byte, error) {
	var b bytes.Buffer
	err := drillReportHTML.Execute(&b, r)
	return b.Bytes(), err
}

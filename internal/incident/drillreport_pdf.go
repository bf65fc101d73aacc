package incident

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/irbot/irbot/internal/pdfreport"
)

// PDF renders the drill report with the same PDF code as the evidence
// pack's report (internal/pdfreport).
func (r *DrillReport) PDF() ([]byte, error) {
	doc := pdfreport.Report{
		Title:     fmt.Sprintf("Drill report %s: %s", r.Drill, r.Title),
		Subtitle:  fmt.Sprintf("scenario %s · speed %gx · status %s · played %s · score %d/%d (%d%%)", r.Scenario, r.Speed, r.Status, r.PlayedFor, r.Score.Met, r.Score.Total, r.Score.Percent),
		Generated: r.GeneratedAt,
	}
	obj := pdfreport.Section{Heading: "Objectives (P/S/M/U)"}
	for _, o := range r.Objectives {
		obj.Items = append(obj.Items, pdfreport.Item{Label: fmt.Sprintf("%s  %s", o.Rating, o.Title), Text: fmt.Sprintf("%s: %d of %d expected actions met", o.ID, o.Met, o.Total)})
	}
	exp := pdfreport.Section{Heading: "Expected actions (scenario time)"}
	for _, e := range r.Expected {
		exp.Items = append(exp.Items, pdfreport.Item{Label: fmt.Sprintf("%s  %s", yesNo(e.Met), e.Title), Text: fmt.Sprintf("target %s · done %s %s", e.Target, orDash(e.DoneAt), e.DoneBy)})
	}
	clocks := pdfreport.Section{Heading: "Clocks met or missed, with margins"}
	for _, c := range r.Clocks {
		clocks.Items = append(clocks.Items, pdfreport.Item{Label: fmt.Sprintf("%s/%s: %s", c.Regime, c.Obligation, c.Status), Text: fmt.Sprintf("due %s · settled %s · met %s · margin %s", c.DueAt, orDash(c.SettledAt), yesNo(c.Met), c.Margin)})
	}
	injects := pdfreport.Section{Heading: "Injects"}
	for _, i := range r.Injects {
		when := "not delivered"
		if i.DeliveredAt != nil {
			when = "delivered " + i.DeliveredAt.UTC().Format("2006-01-02 15:04:05 UTC")
		}
		injects.Items = append(injects.Items, pdfreport.Item{Label: fmt.Sprintf("%s %s: %s", i.Kind, i.ID, i.Title), Text: fmt.Sprintf("scenario time %s · %s", i.ScenarioAt, when)})
	}
	answers := pdfreport.Section{Heading: "Answers"}
	for _, a := range r.Answers {
		answers.Items = append(answers.Items, pdfreport.Item{Label: a.Question, Text: fmt.Sprintf("%s (%s at %s); expected: %s", a.Answer, a.By, a.At, orDash(a.Expected))})
	}
	plan := pdfreport.Section{Heading: "Strengths, areas for improvement and the Improvement Plan",
		Intro: "Strengths: " + orDash(strings.Join(r.Strengths, "; ")) + "\nAreas for improvement: " + orDash(strings.Join(r.AreasForImp, "; "))}
	for _, i := range r.Improvements {
		plan.Items = append(plan.Items, pdfreport.Item{Label: i.Issue, Text: fmt.Sprintf("action: %s · owner: %s · due: %s", i.Action, i.Owner, i.Due)})
	}
	doc.Sections = []pdfreport.Section{obj, exp, clocks, injects, answers, plan}
	var b bytes.Buffer
	if err := pdfreport.Write(&b, doc); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

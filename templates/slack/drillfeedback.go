package slack

import (
	"fmt"
	"strconv"
	"strings"

	goslack "github.com/slack-go/slack"
)

// Drill hot wash and participant feedback IDs.
const (
	ActionDrillFeedbackOpen = "irbot.drill_feedback_open"
	CallbackDrillFeedback   = "irbot.drill_feedback"
	BlockFeedbackWell       = "drill_fb_well"
	BlockFeedbackImprove    = "drill_fb_improve"
	BlockFeedbackRating     = "drill_fb_rating"
)

// DrillHotWash is the hot-wash prompt posted in the drill's channel when
// play ends, with the button that opens the participant feedback form.
func DrillHotWash(incidentID, at string) (blocks []goslack.Block, fallback string) {
	fallback = fmt.Sprintf("[DRILL] Play has ended at %s. Hot wash: what went well, what would you change, what surprised you? Each participant: give your feedback with the form.", at)
	blocks = append(blocks,
		goslack.NewSectionBlock(mrkdwn(Escape(fallback)), nil, nil),
		goslack.NewActionBlock("drill_hot_wash",
			button(ActionDrillFeedbackOpen, incidentID, "Give feedback…", goslack.StylePrimary),
			button(ActionDrillPlanOpen, incidentID, "Improvement Plan…", "")),
	)
	return blocks, fallback
}

// DrillFeedbackModal is the participant feedback form: what went well, what
// to improve, a rating from 1 to 5.
func DrillFeedbackModal(incidentID string) goslack.ModalViewRequest {
	text := func() *goslack.PlainTextInputBlockElement {
		in := goslack.NewPlainTextInputBlockElement(nil, InputAction)
		in.Multiline = true
		in.MaxLength = 3000
		return in
	}
	var opts []*goslack.OptionBlockObject
	for i, l := range []string{"1: poor", "2: fair", "3: good", "4: very good", "5: excellent"} {
		opts = append(opts, goslack.NewOptionBlockObject(strconv.Itoa(i+1), plain(l, MaxOptionText), nil))
	}
	rating := goslack.NewOptionsSelectBlockElement(goslack.OptTypeStatic, plain("Rating", MaxOptionText), InputAction, opts...)
	well := goslack.NewInputBlock(BlockFeedbackWell, plain("What went well", 2000), nil, text())
	well.Optional = true
	improve := goslack.NewInputBlock(BlockFeedbackImprove, plain("What to improve", 2000), nil, text())
	improve.Optional = true
	return goslack.ModalViewRequest{
		Type:       goslack.VTModal,
		CallbackID: CallbackDrillFeedback,
		Title:      plain("Drill feedback", MaxModalTitle),
		Submit:     plain("Send", MaxModalTitle),
		Close:      plain("Cancel", MaxModalTitle),
		Blocks: goslack.Blocks{BlockSet: []goslack.Block{
			well, improve,
			goslack.NewInputBlock(BlockFeedbackRating, plain("Overall, the exercise was", 2000), nil, rating),
		}},
		PrivateMetadata: incidentID,
	}
}

// ParseDrillFeedback reads the feedback form; rating is 0 when none was chosen.
func ParseDrillFeedback(state *goslack.ViewState) (wentWell, improve string, rating int) {
	if state == nil {
		return "", "", 0
	}
	get := func(block string) goslack.BlockAction { return state.Values[block][InputAction] }
	rating, _ = strconv.Atoi(get(BlockFeedbackRating).SelectedOption.Value)
	return strings.TrimSpace(get(BlockFeedbackWell).Value), strings.TrimSpace(get(BlockFeedbackImprove).Value), rating
}

// Improvement Plan form IDs.
const (
	ActionDrillPlanOpen = "irbot.drill_plan_open"
	CallbackDrillPlan   = "irbot.drill_plan"
	BlockDrillPlan      = "drill_plan"
)

// PlanRow is one Improvement Plan row as the plan form carries it.
type PlanRow struct{ Issue, Action, Owner, Due string }

// DrillPlanModal is the facilitator's Improvement Plan form: one row a line,
// "issue | corrective action | owner | YYYY-MM-DD", prefilled with the plan
// so far.
func DrillPlanModal(incidentID string, rows []PlanRow) goslack.ModalViewRequest {
	in := goslack.NewPlainTextInputBlockElement(plain("Phone tree out of date | Review it quarterly | Comms lead | 2026-06-30", 150), InputAction)
	in.Multiline = true
	in.MaxLength = 3000
	var lines []string
	for _, r := range rows {
		lines = append(lines, strings.Join([]string{r.Issue, r.Action, r.Owner, r.Due}, " | "))
	}
	in.InitialValue = Truncate(strings.Join(lines, "\n"), 3000)
	block := goslack.NewInputBlock(BlockDrillPlan, plain("Improvement Plan", 2000),
		plain("One item a line: issue | corrective action | owner | due date (YYYY-MM-DD). The report shows it until it is made final.", 2000), in)
	block.Optional = true
	return goslack.ModalViewRequest{
		Type:            goslack.VTModal,
		CallbackID:      CallbackDrillPlan,
		Title:           plain("Improvement Plan", MaxModalTitle),
		Submit:          plain("Save", MaxModalTitle),
		Close:           plain("Cancel", MaxModalTitle),
		Blocks:          goslack.Blocks{BlockSet: []goslack.Block{block}},
		PrivateMetadata: incidentID,
	}
}

// ParseDrillPlan reads the plan form: each non-empty line is a row of four
// fields separated by |; problem names the first line that is not.
func ParseDrillPlan(state *goslack.ViewState) (rows []PlanRow, problem string) {
	rows = []PlanRow{}
	if state == nil {
		return rows, ""
	}
	for i, line := range strings.Split(state.Values[BlockDrillPlan][InputAction].Value, "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		f := strings.Split(line, "|")
		if len(f) != 4 {
			return nil, fmt.Sprintf("Line %d has %d fields; write issue | corrective action | owner | YYYY-MM-DD.", i+1, len(f))
		}
		for j := range f {
			f[j] = strings.TrimSpace(f[j])
		}
		rows = append(rows, PlanRow{Issue: f[0], Action: f[1], Owner: f[2], Due: f[3]})
	}
	return rows, ""
}

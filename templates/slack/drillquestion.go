package slack

import (
	"fmt"
	"strconv"
	"strings"

	goslack "github.com/slack-go/slack"
)

// Drill question IDs: a choice button answers at once; "Answer…" opens the
// free-text form.
const (
	ActionDrillAnswer     = "irbot.drill_answer"
	ActionDrillAnswerOpen = "irbot.drill_answer_open"
	CallbackDrillAnswer   = "irbot.drill_answer"
	BlockDrillAnswer      = "drill_answer"
)

// DrillQuestion is a discussion question as posted in the drill's channel:
// one button per choice, or one button that opens a form for a free answer.
// Button values are INCIDENT|QUESTION|CHOICE-INDEX.
func DrillQuestion(incidentID, questionID, at, text string, choices []string) (blocks []goslack.Block, fallback string) {
	fallback = fmt.Sprintf("[DRILL] Discussion question at %s: %s", at, text)
	blocks = append(blocks, goslack.NewSectionBlock(mrkdwn(Escape(fallback)), nil, nil))
	var els []goslack.BlockElement
	for i, c := range choices {
		if len(els) == 25 {
			break
		}
		els = append(els, button(ElementID(ActionDrillAnswer, i), incidentID+"|"+questionID+"|"+strconv.Itoa(i), c, ""))
	}
	if len(choices) == 0 {
		els = append(els, button(ActionDrillAnswerOpen, incidentID+"|"+questionID, "Answer…", goslack.StylePrimary))
	}
	blocks = append(blocks, goslack.NewActionBlock(Truncate("drill_q_"+questionID, 200), els...))
	return blocks, fallback
}

// SplitDrillAnswer reads a question button's value.
func SplitDrillAnswer(v string) (incidentID, questionID string, choice int) {
	incidentID, rest := SplitValue(v)
	questionID, idx := SplitValue(rest)
	choice = -1
	if n, err := strconv.Atoi(idx); err == nil {
		choice = n
	}
	return incidentID, questionID, choice
}

// DrillAnswerModal is the free-text answer form of one question.
func DrillAnswerModal(incidentID, questionID, text string) goslack.ModalViewRequest {
	in := goslack.NewPlainTextInputBlockElement(plain("Your answer", 150), InputAction)
	in.Multiline = true
	in.MaxLength = 3000
	return goslack.ModalViewRequest{
		Type:       goslack.VTModal,
		CallbackID: CallbackDrillAnswer,
		Title:      plain("Drill question", MaxModalTitle),
		Submit:     plain("Answer", MaxModalTitle),
		Close:      plain("Cancel", MaxModalTitle),
		Blocks: goslack.Blocks{BlockSet: []goslack.Block{
			goslack.NewSectionBlock(mrkdwn(Escape(text)), nil, nil),
			goslack.NewInputBlock(BlockDrillAnswer, plain("Answer", 2000), nil, in),
		}},
		PrivateMetadata: incidentID + "|" + questionID,
	}
}

// ParseDrillAnswer reads the free-text answer form.
func ParseDrillAnswer(state *goslack.ViewState) string {
	if state == nil {
		return ""
	}
	return strings.TrimSpace(state.Values[BlockDrillAnswer][InputAction].Value)
}

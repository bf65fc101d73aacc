package slack

import (
	"strconv"
	"strings"

	goslack "github.com/slack-go/slack"
)

// Drill modal IDs (the submission carries them back).
const (
	CallbackDrillStart = "irbot.drill_start"
	BlockScenario      = "drill_scenario"
	BlockSpeed         = "drill_speed"
	BlockParticipants  = "drill_participants"
)

// DrillChoice is one scenario the drill modal offers.
type DrillChoice struct {
	ID, Title string
}

// DrillStartModal is the form /incident drill start opens when it gets no
// scenario: the scenario, the speed and the participants to invite.
func DrillStartModal(scenarios []DrillChoice, metadata string) goslack.ModalViewRequest {
	var opts []*goslack.OptionBlockObject
	for _, s := range scenarios {
		if len(opts) == MaxSelectOptions {
			break
		}
		opts = append(opts, goslack.NewOptionBlockObject(s.ID, plain(s.Title, MaxOptionText), nil))
	}
	sc := goslack.NewOptionsSelectBlockElement(goslack.OptTypeStatic, plain("Scenario", MaxOptionText), InputAction, opts...)
	speed := goslack.NewPlainTextInputBlockElement(plain("60", 150), InputAction)
	speed.MaxLength = 10
	people := goslack.NewOptionsMultiSelectBlockElement(goslack.MultiOptTypeUser, plain("Participants", MaxOptionText), InputAction)
	speedIn := goslack.NewInputBlock(BlockSpeed, plain("Speed", 2000),
		plain("How much faster than real time: 60 plays a 72 h clock in 72 minutes. Empty for the scenario's own.", 2000), speed)
	speedIn.Optional = true
	peopleIn := goslack.NewInputBlock(BlockParticipants, plain("Participants", 2000),
		plain("Invited to the private [DRILL] channel.", 2000), people)
	peopleIn.Optional = true
	return goslack.ModalViewRequest{
		Type:       goslack.VTModal,
		CallbackID: CallbackDrillStart,
		Title:      plain("Start a drill", MaxModalTitle),
		Submit:     plain("Start", MaxModalTitle),
		Close:      plain("Cancel", MaxModalTitle),
		Blocks: goslack.Blocks{BlockSet: []goslack.Block{
			goslack.NewInputBlock(BlockScenario, plain("Scenario", 2000), nil, sc),
			speedIn, peopleIn,
		}},
		PrivateMetadata: metadata,
	}
}

// DrillForm is what a person entered in the drill modal. SpeedText is kept
// as typed so a bad speed can be named under its field.
type DrillForm struct {
	Scenario     string
	SpeedText    string
	Speed        float64
	Participants []string
}

// ParseDrillStart reads the drill modal; ok is false when the speed is not
// a number.
func ParseDrillStart(state *goslack.ViewState) (f DrillForm, ok bool) {
	if state == nil {
		return f, true
	}
	get := func(block string) goslack.BlockAction { return state.Values[block][InputAction] }
	f.Scenario = get(BlockScenario).SelectedOption.Value
	f.SpeedText = strings.TrimSpace(get(BlockSpeed).Value)
	f.Participants = get(BlockParticipants).SelectedUsers
	if f.SpeedText == "" {
		return f, true
	}
	s, err := strconv.ParseFloat(f.SpeedText, 64)
	if err != nil {
		return f, false
	}
	f.Speed = s
	return f, true
}

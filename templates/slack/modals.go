package slack

import (
	"strings"
	"time"

	goslack "github.com/slack-go/slack"

	"github.com/irbot/irbot/workflows"
)

// DeclareModal is the form /incident declare opens when it gets no title.
// Regimes are offered as a multi-select (the first 100); metadata comes back
// unchanged with the submission.
func DeclareModal(now time.Time, regimes []string, metadata string) goslack.ModalViewRequest {
	input := func(id, label string, el goslack.BlockElement, optional bool, hint string) *goslack.InputBlock {
		var h *goslack.TextBlockObject
		if hint != "" {
			h = plain(hint, 2000)
		}
		in := goslack.NewInputBlock(id, plain(label, 2000), h, el)
		in.Optional = optional
		return in
	}
	title := goslack.NewPlainTextInputBlockElement(plain("Customer database exposed", 150), InputAction)
	title.MaxLength = 200
	summary := goslack.NewPlainTextInputBlockElement(plain("What we know so far", 150), InputAction)
	summary.Multiline = true
	summary.MaxLength = 3000

	var sevOpts []*goslack.OptionBlockObject
	for _, s := range workflows.Severities {
		sevOpts = append(sevOpts, goslack.NewOptionBlockObject(s, plain(severityIcon[s]+" "+s, MaxOptionText), nil))
	}
	sev := goslack.NewOptionsSelectBlockElement(goslack.OptTypeStatic, plain("Severity", MaxOptionText), InputAction, sevOpts...)
	sev.InitialOption = sevOpts[1] // high

	aware := goslack.NewDateTimePickerBlockElement(InputAction)
	aware.InitialDateTime = now.Unix()

	pdOpts := []*goslack.OptionBlockObject{
		goslack.NewOptionBlockObject("yes", plain("Yes", MaxOptionText), nil),
		goslack.NewOptionBlockObject("no", plain("No", MaxOptionText), nil),
		goslack.NewOptionBlockObject("unknown", plain("Not known yet", MaxOptionText), nil),
	}
	pd := goslack.NewRadioButtonsBlockElement(InputAction, pdOpts...)
	pd.InitialOption = pdOpts[2]

	commander := goslack.NewOptionsSelectBlockElement(goslack.OptTypeUser, plain("Incident commander", MaxOptionText), InputAction)

	modeOpts := []*goslack.OptionBlockObject{
		goslack.NewOptionBlockObject(workflows.ModeLive, plain("Live incident", MaxOptionText), nil),
		goslack.NewOptionBlockObject(workflows.ModeDrill, plain("Drill (nothing leaves the channel)", MaxOptionText), nil),
	}
	mode := goslack.NewRadioButtonsBlockElement(InputAction, modeOpts...)
	mode.InitialOption = modeOpts[0]

	public := goslack.NewCheckboxGroupsBlockElement(InputAction,
		goslack.NewOptionBlockObject("public", plain("Public channel", MaxOptionText),
			plain("Private is the default: a suspected breach is need-to-know", MaxOptionText)))

	blocks := []goslack.Block{
		input(BlockTitle, "Title", title, false, ""),
		input(BlockSummary, "What happened", summary, true, ""),
		input(BlockSeverity, "Severity", sev, false, ""),
		input(BlockAwareAt, "When did we become aware?", aware, false, "It starts the regulatory clocks; now unless you know better."),
		input(BlockPersonalData, "Personal data involved?", pd, false, ""),
	}
	if len(regimes) > 0 {
		var opts []*goslack.OptionBlockObject
		for _, r := range regimes {
			if len(opts) == MaxSelectOptions {
				break
			}
			opts = append(opts, goslack.NewOptionBlockObject(r, plain(r, MaxOptionText), nil))
		}
		sel := goslack.NewOptionsMultiSelectBlockElement(goslack.MultiOptTypeStatic, plain("Jurisdictions or regimes", MaxOptionText), InputAction, opts...)
		blocks = append(blocks, input(BlockRegimes, "Jurisdictions or regimes", sel, true, "Leave empty for the playbook's defaults."))
	} else {
		el := goslack.NewPlainTextInputBlockElement(plain("eu-gdpr, us-ca", 150), InputAction)
		blocks = append(blocks, input(BlockRegimes, "Jurisdictions or regimes", el, true, "Comma-separated regime IDs; empty for the playbook's defaults."))
	}
	blocks = append(blocks,
		input(BlockCommander, "Incident commander", commander, true, ""),
		input(BlockMode, "Mode", mode, false, ""),
		input(BlockPublic, "Channel", public, true, ""),
	)
	return goslack.ModalViewRequest{
		Type:            goslack.VTModal,
		CallbackID:      CallbackDeclare,
		Title:           plain("Declare an incident", MaxModalTitle),
		Submit:          plain("Declare", MaxModalTitle),
		Close:           plain("Cancel", MaxModalTitle),
		Blocks:          goslack.Blocks{BlockSet: blocks},
		PrivateMetadata: metadata,
	}
}

// DeclareForm is what a person entered in the declare modal.
type DeclareForm struct {
	Title        string
	Summary      string
	Severity     string
	AwareAt      *time.Time
	PersonalData string
	Regimes      []string
	Commander    string
	Mode         string
	Public       bool
}

// ParseDeclare reads a submitted declare modal.
func ParseDeclare(state *goslack.ViewState) DeclareForm {
	var f DeclareForm
	if state == nil {
		return f
	}
	get := func(block string) goslack.BlockAction { return state.Values[block][InputAction] }
	f.Title = strings.TrimSpace(get(BlockTitle).Value)
	f.Summary = strings.TrimSpace(get(BlockSummary).Value)
	f.Severity = get(BlockSeverity).SelectedOption.Value
	if ts := get(BlockAwareAt).SelectedDateTime; ts > 0 {
		t := time.Unix(ts, 0).UTC()
		f.AwareAt = &t
	}
	f.PersonalData = get(BlockPersonalData).SelectedOption.Value
	reg := get(BlockRegimes)
	for _, o := range reg.SelectedOptions {
		f.Regimes = append(f.Regimes, o.Value)
	}
	for _, r := range strings.Split(reg.Value, ",") {
		if r = strings.TrimSpace(r); r != "" {
			f.Regimes = append(f.Regimes, r)
		}
	}
	f.Commander = get(BlockCommander).SelectedUser
	f.Mode = get(BlockMode).SelectedOption.Value
	for _, o := range get(BlockPublic).SelectedOptions {
		if o.Value == "public" {
			f.Public = true
		}
	}
	return f
}

// NoteModal asks for a note on an incident; the incident ID travels in the
// private metadata.
func NoteModal(incidentID string) goslack.ModalViewRequest {
	el := goslack.NewPlainTextInputBlockElement(plain("What happened, what we decided, and why", 150), InputAction)
	el.Multiline = true
	el.MaxLength = 3000
	return goslack.ModalViewRequest{
		Type:            goslack.VTModal,
		CallbackID:      CallbackNote,
		Title:           plain("Note on "+incidentID, MaxModalTitle),
		Submit:          plain("Add note", MaxModalTitle),
		Close:           plain("Cancel", MaxModalTitle),
		Blocks:          goslack.Blocks{BlockSet: []goslack.Block{goslack.NewInputBlock(BlockNoteText, plain("Note", 2000), nil, el)}},
		PrivateMetadata: incidentID,
	}
}

// CloseModal confirms closing an incident and asks for the reason, which the
// workflow requires when the playbook is not finished.
func CloseModal(incidentID string) goslack.ModalViewRequest {
	el := goslack.NewPlainTextInputBlockElement(plain("Contained; follow-ups tracked in the problem ticket", 150), InputAction)
	el.Multiline = true
	el.MaxLength = 2000
	in := goslack.NewInputBlock(BlockCloseReason, plain("Reason (required when the playbook is not finished)", 2000), nil, el)
	in.Optional = true
	return goslack.ModalViewRequest{
		Type:            goslack.VTModal,
		CallbackID:      CallbackClose,
		Title:           plain("Close "+incidentID, MaxModalTitle),
		Submit:          plain("Close incident", MaxModalTitle),
		Close:           plain("Cancel", MaxModalTitle),
		Blocks:          goslack.Blocks{BlockSet: []goslack.Block{in}},
		PrivateMetadata: incidentID,
	}
}

// InputValue returns the text of a single-input modal (note, close reason).
func InputValue(state *goslack.ViewState, block string) string {
	if state == nil {
		return ""
	}
	return strings.TrimSpace(state.Values[block][InputAction].Value)
}

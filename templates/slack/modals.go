package slack

import (
	"fmt"
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
		input(BlockTitle, "Title", title, false, "Shown in the announcement channel, on the card and in every list, and stored unencrypted: name the incident, never a person. People affected go in facts, which are encrypted."),
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

func textInput(block, label, placeholder string, multiline, optional bool, maxLen int, hint string) *goslack.InputBlock {
	el := goslack.NewPlainTextInputBlockElement(plain(placeholder, 150), InputAction)
	el.Multiline = multiline
	el.MaxLength = maxLen
	var h *goslack.TextBlockObject
	if hint != "" {
		h = plain(hint, 2000)
	}
	in := goslack.NewInputBlock(block, plain(label, 2000), h, el)
	in.Optional = optional
	return in
}

// NotifiedModal records that a clock's notification was sent: the
// recipient's reference, when it was sent (now unless changed), and the
// reason when it was sent after the due time.
func NotifiedModal(incidentID, regime, obligation string, now time.Time) goslack.ModalViewRequest {
	sent := goslack.NewDateTimePickerBlockElement(InputAction)
	sent.InitialDateTime = now.Unix()
	blocks := []goslack.Block{
		goslack.NewSectionBlock(mrkdwn(fmt.Sprintf("Record the notification for *%s/%s* of %s. The clock stops; the timeline and the register keep it.", regime, obligation, incidentID)), nil, nil),
		textInput(BlockReference, "Reference", "SA-2026-123", false, true, 200, "The recipient's reference or case number, if you have one."),
		goslack.NewInputBlock(BlockSentAt, plain("Sent at", 2000), plain("When it was sent; now unless you know better.", 2000), sent),
		textInput(BlockLateReason, "Reason for the delay", "Forensics confirmed the scope only on day 3", true, true, 2000, "Required when it was sent after the due time."),
	}
	return goslack.ModalViewRequest{
		Type:            goslack.VTModal,
		CallbackID:      CallbackNotified,
		Title:           plain("Notified", MaxModalTitle),
		Submit:          plain("Record", MaxModalTitle),
		Close:           plain("Cancel", MaxModalTitle),
		Blocks:          goslack.Blocks{BlockSet: blocks},
		PrivateMetadata: Value(incidentID, regime+"/"+obligation),
	}
}

// NotNotifyModal records a documented decision not to notify on a clock.
func NotNotifyModal(incidentID, regime, obligation string) goslack.ModalViewRequest {
	blocks := []goslack.Block{
		goslack.NewSectionBlock(mrkdwn(fmt.Sprintf("Decide not to notify for *%s/%s* of %s. The rationale goes on the timeline and into the register.", regime, obligation, incidentID)), nil, nil),
		textInput(BlockRationale, "Rationale", "Data encrypted at rest; keys were not exposed", true, false, 3000, "At least a sentence: why notifying is not required."),
	}
	return goslack.ModalViewRequest{
		Type:            goslack.VTModal,
		CallbackID:      CallbackNotNotify,
		Title:           plain("Not notifying", MaxModalTitle),
		Submit:          plain("Record decision", MaxModalTitle),
		Close:           plain("Cancel", MaxModalTitle),
		Blocks:          goslack.Blocks{BlockSet: blocks},
		PrivateMetadata: Value(incidentID, regime+"/"+obligation),
	}
}

// NoticeRejectModal asks why a notice is rejected, so its drafter knows what
// to change.
func NoticeRejectModal(incidentID, noticeID string) goslack.ModalViewRequest {
	return goslack.ModalViewRequest{
		Type:       goslack.VTModal,
		CallbackID: CallbackNoticeReject,
		Title:      plain("Reject notice "+noticeID, MaxModalTitle),
		Submit:     plain("Reject", MaxModalTitle),
		Close:      plain("Cancel", MaxModalTitle),
		Blocks: goslack.Blocks{BlockSet: []goslack.Block{
			textInput(BlockNoticeReason, "Reason", "Art. 33(3)(c): consequences are not described", true, false, 2000, "The drafter sees it; it goes on the timeline."),
		}},
		PrivateMetadata: Value(incidentID, noticeID),
	}
}

// NoticeSendModal asks the reason for sending a notice after its due time;
// it goes into the notice record.
func NoticeSendModal(incidentID, noticeID string) goslack.ModalViewRequest {
	return goslack.ModalViewRequest{
		Type:       goslack.VTModal,
		CallbackID: CallbackNoticeSend,
		Title:      plain("Send late notice", MaxModalTitle),
		Submit:     plain("Send", MaxModalTitle),
		Close:      plain("Cancel", MaxModalTitle),
		Blocks: goslack.Blocks{BlockSet: []goslack.Block{
			goslack.NewSectionBlock(mrkdwn(fmt.Sprintf("Notice *%s* of %s is past its due time.", Escape(noticeID), incidentID)), nil, nil),
			textInput(BlockNoticeReason, "Reason for the delay", "Forensics confirmed the scope only on day 3", true, false, 2000, "It goes into the notice record."),
		}},
		PrivateMetadata: Value(incidentID, noticeID),
	}
}

// SentAtValue returns the time picked in the Notified modal (nil if none).
func SentAtValue(state *goslack.ViewState) *time.Time {
	if state == nil {
		return nil
	}
	if ts := state.Values[BlockSentAt][InputAction].SelectedDateTime; ts > 0 {
		t := time.Unix(ts, 0).UTC()
		return &t
	}
	return nil
}

package slack

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	goslack "github.com/slack-go/slack"

	"github.com/irbot/irbot/internal/deadline"
	"github.com/irbot/irbot/templates"
	"github.com/irbot/irbot/workflows"
)

// Facts from Slack: the facts modal (/incident facts) and the notify modal
// (/incident notify, Draft notice… in a clock's menu) ask for the facts
// notices draw on, each prefilled with its current value and who set it.

// Modal callback IDs of the facts and notify modals. The facts modal's
// private metadata is the incident ID; the notify modal's is
// Value(incident, "regime/obligation").
const (
	CallbackFacts  = "irbot.facts"
	CallbackNotify = "irbot.notify"
)

// BlockRecipients is the notify modal's addresses input.
const BlockRecipients = "recipients"

// BlockNoticeLanguage is the notify modal's language picker.
const BlockNoticeLanguage = "notice_language"

// ActionNotify is the Draft notice… button of /incident notify's clock
// picker; its value is Value(incident, "regime/obligation").
const ActionNotify = "irbot.notify"

// ClockOptionNotify is the clock menu's Draft notice… option.
const ClockOptionNotify = "notify"

// Kinds of fact inputs.
const (
	factText     = "text"     // one line
	factLong     = "long"     // several lines
	factCount    = "count"    // a whole number
	factList     = "list"     // comma-separated values
	factAffected = "affected" // JURISDICTION=N, ...
	factChoice   = "choice"   // yes, no, unknown
	factTime     = "time"     // a date and time
)

// FactField is one fact a modal asks for.
type FactField struct {
	Name string
	Kind string
}

// NoticeFacts are the facts notices draw on, in the order the facts modal
// asks for them.
var NoticeFacts = []FactField{
	{"nature", factLong}, {"data_categories", factList}, {"subjects_count", factCount}, {"records_count", factCount},
	{"affected", factAffected}, {"consequences", factLong}, {"measures", factLong}, {"dpo_contact", factText},
	{"personal_data", factChoice}, {"aware_at", factTime}, {"discovered_at", factTime},
}

// maxFactInputs bounds the notify modal's fact inputs (two blocks each,
// within the modal's 100 blocks).
const maxFactInputs = 40

// FactFieldOf is the input for a fact name: its kind from NoticeFacts, else
// a time for a trigger fact, else text.
func FactFieldOf(name string) FactField {
	for _, f := range NoticeFacts {
		if f.Name == name {
			return f
		}
	}
	if _, ok := workflows.TriggerFacts[name]; ok {
		return FactField{name, factTime}
	}
	return FactField{name, factLong}
}

// FactBlockID is the block ID of a fact's input.
func FactBlockID(name string) string { return "fact." + name }

// FactSetter says who last set a fact and when.
type FactSetter struct {
	By string
	At time.Time
}

// factInputs renders one input per field, prefilled from facts, with a
// context line saying who set it (or that it is missing, when required).
func factInputs(fields []FactField, facts map[string]any, setBy map[string]FactSetter, required []string) []goslack.Block {
	var out []goslack.Block
	for _, f := range fields {
		current, known := templates.FieldText(facts, f.Name)
		label := templates.FieldLabel(f.Name)
		missing := !known && slices.Contains(required, f.Name)
		if missing {
			label = "⚠ " + label + " (missing)"
		}
		var el goslack.BlockElement
		switch f.Kind {
		case factChoice:
			opts := []*goslack.OptionBlockObject{
				goslack.NewOptionBlockObject("yes", plain("Yes", MaxOptionText), nil),
				goslack.NewOptionBlockObject("no", plain("No", MaxOptionText), nil),
				goslack.NewOptionBlockObject("unknown", plain("Not known yet", MaxOptionText), nil),
			}
			sel := goslack.NewOptionsSelectBlockElement(goslack.OptTypeStatic, plain("Choose", MaxOptionText), InputAction, opts...)
			for _, o := range opts {
				if s, _ := facts[f.Name].(string); s == o.Value {
					sel.InitialOption = o
				}
			}
			el = sel
		case factTime:
			dt := goslack.NewDateTimePickerBlockElement(InputAction)
			if s, ok := facts[f.Name].(string); ok {
				if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
					dt.InitialDateTime = t.Unix()
				}
			}
			el = dt
		default:
			in := goslack.NewPlainTextInputBlockElement(plain(factPlaceholder(f), 150), InputAction)
			in.Multiline = f.Kind == factLong
			in.MaxLength = 3000
			if f.Kind == factAffected {
				current = affectedText(facts[f.Name])
			}
			if known {
				in.InitialValue = Truncate(current, 3000)
			}
			el = in
		}
		in := goslack.NewInputBlock(FactBlockID(f.Name), plain(label, 2000), nil, el)
		in.Optional = true
		out = append(out, in)
		who := "Not set yet."
		if missing {
			who = "⚠ *Missing*: a notice needs it."
		}
		if s, ok := setBy[f.Name]; ok && known {
			who = "Set by " + Mention(s.By) + " · " + UTC(s.At)
		} else if known {
			who = "Set at declaration."
		}
		out = append(out, goslack.NewContextBlock("", mrkdwn(who)))
	}
	return out
}

func factPlaceholder(f FactField) string {
	switch f.Kind {
	case factCount:
		return "12000 (an estimate is fine)"
	case factList:
		return "names, email addresses, hashed passwords"
	case factAffected:
		return "US-CA=600, DE=40"
	}
	return templates.FieldLabel(f.Name)
}

// affectedText writes the affected fact the way the modal reads it back.
func affectedText(v any) string {
	m, ok := v.(map[string]any)
	if !ok {
		return ""
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s=%v", k, m[k]))
	}
	return strings.Join(parts, ", ")
}

// FactsModal lists every fact notices draw on, with its current value and
// who set it; submitting sets the changed ones.
func FactsModal(st workflows.IncidentState, setBy map[string]FactSetter) goslack.ModalViewRequest {
	blocks := []goslack.Block{
		goslack.NewSectionBlock(mrkdwn("The facts notices of "+st.ID+" draw on. Change what you know; only changed facts are set, each on the timeline."), nil, nil),
	}
	blocks = append(blocks, factInputs(NoticeFacts, st.Facts, setBy, nil)...)
	return goslack.ModalViewRequest{
		Type:            goslack.VTModal,
		CallbackID:      CallbackFacts,
		Title:           plain("Facts of "+st.ID, MaxModalTitle),
		Submit:          plain("Save facts", MaxModalTitle),
		Close:           plain("Cancel", MaxModalTitle),
		Blocks:          goslack.Blocks{BlockSet: blocks},
		PrivateMetadata: st.ID,
	}
}

// NotifyModal drafts a notice for one clock: the recipients' addresses, its
// language (only those its template exists in; language preselected) and
// every field the notice requires, prefilled from the facts, the missing
// ones marked.
func NotifyModal(st workflows.IncidentState, c workflows.ClockState, required []string, setBy map[string]FactSetter, now time.Time, language string) goslack.ModalViewRequest {
	name := c.Regime + "/" + c.Obligation
	if c.Name != "" {
		name = Escape(c.Name) + " (" + name + ")"
	}
	intro := fmt.Sprintf("Draft the notice for *%s* to the %s.", name, Escape(c.Recipient))
	if c.DueAt != nil {
		intro += fmt.Sprintf(" It is %s (%s).", deadline.Left(*c.DueAt, now), UTC(*c.DueAt))
	}
	missing := templates.MissingFields(required, st.Facts)
	if len(missing) > 0 {
		labels := make([]string, len(missing))
		for i, m := range missing {
			labels[i] = templates.FieldLabel(m)
		}
		intro += "\n:warning: Still missing: *" + Escape(strings.Join(labels, "*, *")) + "*."
	}
	intro += "\nA second person (DPO or legal) approves it before it is sent."
	addrHint := "Comma-separated email addresses."
	to := textInput(BlockRecipients, "Send to", "breach@authority.example", false, c.Recipient == "individuals", 2000, addrHint)
	blocks := []goslack.Block{goslack.NewSectionBlock(mrkdwn(intro), nil, nil), to, languagePicker(c, language)}
	var fields []FactField
	for _, r := range required {
		if len(fields) == maxFactInputs {
			break
		}
		if !slices.ContainsFunc(fields, func(f FactField) bool { return f.Name == r }) {
			fields = append(fields, FactFieldOf(r))
		}
	}
	if len(fields) > 0 {
		blocks = append(blocks, goslack.NewSectionBlock(mrkdwn("*Required content*: changed fields are set as facts before the draft is made."), nil, nil))
		blocks = append(blocks, factInputs(fields, st.Facts, setBy, required)...)
	}
	return goslack.ModalViewRequest{
		Type:            goslack.VTModal,
		CallbackID:      CallbackNotify,
		Title:           plain("Draft notice", MaxModalTitle),
		Submit:          plain("Draft", MaxModalTitle),
		Close:           plain("Cancel", MaxModalTitle),
		Blocks:          goslack.Blocks{BlockSet: blocks},
		PrivateMetadata: Value(st.ID, c.Regime+"/"+c.Obligation),
	}
}

// languagePicker offers the languages the clock's notice template exists
// in, language (or English) chosen.
func languagePicker(c workflows.ClockState, language string) *goslack.InputBlock {
	langs := templates.NoticeLanguages(c.Regime, c.Obligation, c.Recipient)
	if len(langs) == 0 {
		langs = []string{templates.DefaultLanguage}
	}
	opts := make([]*goslack.OptionBlockObject, 0, len(langs))
	for _, l := range langs {
		opts = append(opts, goslack.NewOptionBlockObject(l, plain(templates.LanguageName(l), MaxOptionText), nil))
	}
	sel := goslack.NewOptionsSelectBlockElement(goslack.OptTypeStatic, plain("Language", MaxOptionText), InputAction, opts...)
	sel.InitialOption = opts[0]
	for _, o := range opts {
		if o.Value == language {
			sel.InitialOption = o
		}
	}
	in := goslack.NewInputBlock(BlockNoticeLanguage, plain("Language of the notice", 2000),
		plain("The languages this notice's template is written in.", 2000), sel)
	in.Optional = true
	return in
}

// NoticeLanguageChoice is the language chosen in a notify modal ("" when
// the modal had no picker).
func NoticeLanguageChoice(state *goslack.ViewState) string {
	if state == nil {
		return ""
	}
	return strings.TrimSpace(state.Values[BlockNoticeLanguage][InputAction].SelectedOption.Value)
}

// FactValues reads the fact inputs of a submitted modal as set_fact values
// (JSON), leaving out empty ones. It only parses: the workflow's NormalizeFact
// judges the values. bad names the inputs that cannot be read at all.
func FactValues(state *goslack.ViewState) (values map[string]json.RawMessage, bad map[string]string) {
	values, bad = map[string]json.RawMessage{}, map[string]string{}
	if state == nil {
		return values, bad
	}
	for block, acts := range state.Values {
		name, ok := strings.CutPrefix(block, "fact.")
		if !ok {
			continue
		}
		a := acts[InputAction]
		f := FactFieldOf(name)
		var v any
		switch f.Kind {
		case factChoice:
			if a.SelectedOption.Value != "" {
				v = a.SelectedOption.Value
			}
		case factTime:
			if a.SelectedDateTime > 0 {
				v = time.Unix(a.SelectedDateTime, 0).UTC().Format(time.RFC3339)
			}
		case factCount:
			if s := strings.ReplaceAll(strings.TrimSpace(a.Value), ",", ""); s != "" {
				v = json.RawMessage(s)
				if !json.Valid([]byte(s)) {
					v = s
				}
			}
		case factAffected:
			if s := strings.TrimSpace(a.Value); s != "" {
				m, err := parseAffected(s)
				if err != nil {
					bad[block] = err.Error()
					continue
				}
				v = m
			}
		default:
			if s := strings.TrimSpace(a.Value); s != "" {
				v = s
			}
		}
		if v == nil {
			continue
		}
		raw, err := json.Marshal(v)
		if err != nil {
			bad[block] = "cannot be read"
			continue
		}
		values[name] = raw
	}
	return values, bad
}

// parseAffected reads "US-CA=600, DE=40" (or "US-CA: 600").
func parseAffected(s string) (map[string]json.RawMessage, error) {
	out := map[string]json.RawMessage{}
	for part := range strings.SplitSeq(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		k, n, ok := strings.Cut(part, "=")
		if !ok {
			k, n, ok = strings.Cut(part, ":")
		}
		k, n = strings.TrimSpace(k), strings.TrimSpace(n)
		if !ok || k == "" || n == "" || !json.Valid([]byte(n)) {
			return nil, fmt.Errorf("write each jurisdiction as CODE=COUNT, e.g. US-CA=600, DE=40 (%q is not)", Truncate(part, 40))
		}
		out[k] = json.RawMessage(n)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("write each jurisdiction as CODE=COUNT, e.g. US-CA=600, DE=40")
	}
	return out, nil
}

// Recipients reads the notify modal's addresses: comma, semicolon or space
// separated, duplicates dropped.
func Recipients(state *goslack.ViewState) []string {
	var out []string
	for _, a := range strings.FieldsFunc(InputValue(state, BlockRecipients), func(r rune) bool { return r == ',' || r == ';' || r == ' ' || r == '\n' }) {
		if !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	return out
}

// NotifyPicker answers /incident notify without a clock: every open clock
// with a Draft notice… button (the first 45; the rest by command).
func NotifyPicker(st workflows.IncidentState, now time.Time) ([]goslack.Block, string) {
	open := openClocks(st)
	fallback := fmt.Sprintf("%d open clocks in %s: pick one to draft its notice, or run /incident notify REGIME/OBLIGATION.", len(open), st.ID)
	if len(open) == 0 {
		return []goslack.Block{goslack.NewSectionBlock(mrkdwn("No clock of "+st.ID+" is waiting for a notice."), nil, nil)}, "No open clocks."
	}
	blocks := []goslack.Block{goslack.NewSectionBlock(mrkdwn(fmt.Sprintf("*%d open clocks* of %s: pick one to draft its notice.", len(open), st.ID)), nil, nil)}
	const max = 45
	var rest []string
	for i, c := range open {
		if i >= max {
			rest = append(rest, "`/incident notify "+c.Regime+"/"+c.Obligation+"`")
			continue
		}
		sec := goslack.NewSectionBlock(mrkdwn(clockLine(c, now)), nil,
			goslack.NewAccessory(button(ActionNotify, Value(st.ID, c.Regime+"/"+c.Obligation), "Draft notice…", "")))
		blocks = append(blocks, sec)
	}
	if len(rest) > 0 {
		blocks = append(blocks, goslack.NewContextBlock("", mrkdwn(Truncate(fmt.Sprintf("%d more: %s", len(rest), strings.Join(rest, " ")), MaxSectionText))))
	}
	return blocks, fallback
}

var missingRE = templates.MissingMark

// NoticePreview is the drafter's private preview of a draft: the text with
// what is missing highlighted, and the buttons its status allows.
func NoticePreview(n workflows.NoticeState, now time.Time) ([]goslack.Block, string) {
	head := fmt.Sprintf("*Draft %s* for %s/%s to %s", Escape(n.ID), Escape(n.Regime), Escape(n.Obligation), Escape(strings.Join(n.To, ", ")))
	if len(n.To) == 0 {
		head = fmt.Sprintf("*Draft %s* for %s/%s", Escape(n.ID), Escape(n.Regime), Escape(n.Obligation))
	}
	if n.Language != "" {
		head += " in " + Escape(templates.LanguageName(n.Language))
	}
	if len(n.Missing) > 0 {
		labels := make([]string, len(n.Missing))
		for i, m := range n.Missing {
			labels[i] = templates.FieldLabel(m)
		}
		head += "\n:warning: *Missing*: " + Escape(strings.Join(labels, ", ")) + ". Set them with `/incident facts`; the draft updates."
	} else {
		head += "\nComplete. A second person (DPO or legal) approves it; then Send."
	}
	blocks := []goslack.Block{goslack.NewSectionBlock(mrkdwn(Truncate(head, MaxSectionText)), nil, nil)}
	text := Escape(n.Text)
	// What is missing stands out: the template writes "[to be completed: …]".
	text = missingRE.ReplaceAllString(text, ":warning: *$0*")
	const chunk = 2900
	r := []rune(text)
	for len(r) > 0 && len(blocks) < MaxBlocks-2 {
		n := min(chunk, len(r))
		blocks = append(blocks, goslack.NewSectionBlock(mrkdwn(string(r[:n])), nil, nil))
		r = r[n:]
	}
	if btns := noticeButtons(n.IncidentID, n.NoticeSummary, now); len(btns) > 0 {
		blocks = append(blocks, goslack.NewActionBlock("", btns...))
	}
	return blocks, fmt.Sprintf("Draft %s for %s/%s", n.ID, n.Regime, n.Obligation)
}

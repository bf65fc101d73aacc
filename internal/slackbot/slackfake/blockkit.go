package slackfake

import (
	"encoding/json"
	"fmt"
	"slices"
	"unicode/utf8"
)

// The Block Kit checker: the fake refuses, with invalid_blocks as Slack
// does, any message or view that breaks a rule of Slack's Block Kit
// reference (docs.slack.dev/reference/block-kit). Written from the
// documented limits, not from any library's validation; it checks what irbot
// sends (blocks, elements and composition objects it uses) and refuses
// element and block types it does not know, so a new kind of element gets a
// rule here before it reaches real Slack.

// Surface is where blocks are shown; limits differ.
type Surface string

const (
	SurfaceMessage Surface = "message"
	SurfaceModal   Surface = "modal"
	SurfaceHome    Surface = "home"
)

// Limits from the Block Kit reference.
const (
	maxMessageBlocks = 50
	maxViewBlocks    = 100
	maxSectionText   = 3000
	maxSectionFields = 10
	maxFieldText     = 2000
	maxHeaderText    = 150
	maxButtonText    = 75
	maxButtonValue   = 2000
	maxURL           = 3000
	maxID            = 255 // action_id, block_id, callback_id
	maxActions       = 25
	maxContext       = 10
	maxOptionText    = 75
	maxOptionValue   = 150
	maxSelectOptions = 100
	maxOverflowOpts  = 5
	maxGroupOptions  = 10 // checkboxes, radio buttons
	maxPlaceholder   = 150
	maxInputLabel    = 2000
	maxInputHint     = 2000
	maxInputLength   = 3000
	maxViewTitle     = 24
	maxViewButton    = 24
	maxMetadata      = 3000
	maxConfirmTitle  = 100
	maxConfirmText   = 300
	maxConfirmButton = 30
)

type checker struct {
	errs []string
}

func (c *checker) fail(path, format string, args ...any) {
	c.errs = append(c.errs, path+": "+fmt.Sprintf(format, args...))
}

func runes(s string) int { return utf8.RuneCountInString(s) }

func str(m map[string]any, k string) (string, bool) {
	v, ok := m[k]
	if !ok {
		return "", false
	}
	s, isStr := v.(string)
	return s, isStr
}

// CheckBlocks checks a blocks array (raw JSON) for surface and returns what
// Slack would refuse in it (nil when it is valid).
func CheckBlocks(raw []byte, surface Surface) []string {
	var blocks []any
	if err := json.Unmarshal(raw, &blocks); err != nil {
		return []string{"blocks: not a JSON array: " + err.Error()}
	}
	c := &checker{}
	c.blocks(blocks, surface)
	return c.errs
}

// CheckView checks a view (modal or home tab) and its blocks.
func CheckView(raw []byte) []string {
	var v map[string]any
	if err := json.Unmarshal(raw, &v); err != nil {
		return []string{"view: not a JSON object: " + err.Error()}
	}
	c := &checker{}
	typ, _ := str(v, "type")
	surface := SurfaceModal
	switch typ {
	case "modal":
		c.text(v, "title", "view.title", true, true, maxViewTitle)
		c.text(v, "submit", "view.submit", false, true, maxViewButton)
		c.text(v, "close", "view.close", false, true, maxViewButton)
	case "home":
		surface = SurfaceHome
	default:
		c.fail("view.type", "must be modal or home, got %q", typ)
	}
	if s, _ := str(v, "callback_id"); runes(s) > maxID {
		c.fail("view.callback_id", "longer than %d", maxID)
	}
	if s, _ := str(v, "private_metadata"); runes(s) > maxMetadata {
		c.fail("view.private_metadata", "longer than %d", maxMetadata)
	}
	blocks, _ := v["blocks"].([]any)
	if _, ok := v["blocks"]; !ok {
		c.fail("view.blocks", "required")
	}
	c.blocks(blocks, surface)
	if typ == "modal" {
		hasInput := false
		for _, b := range blocks {
			if m, ok := b.(map[string]any); ok && m["type"] == "input" {
				hasInput = true
			}
		}
		if hasInput && v["submit"] == nil {
			c.fail("view.submit", "required when the modal has input blocks")
		}
	}
	return c.errs
}

func (c *checker) blocks(blocks []any, surface Surface) {
	limit := maxMessageBlocks
	if surface != SurfaceMessage {
		limit = maxViewBlocks
	}
	if len(blocks) > limit {
		c.fail("blocks", "%d blocks, at most %d on a %s", len(blocks), limit, surface)
	}
	blockIDs := map[string]bool{}
	for i, b := range blocks {
		path := fmt.Sprintf("blocks[%d]", i)
		m, ok := b.(map[string]any)
		if !ok {
			c.fail(path, "not an object")
			continue
		}
		if id, ok := str(m, "block_id"); ok {
			switch {
			case id == "":
				c.fail(path+".block_id", "empty")
			case runes(id) > maxID:
				c.fail(path+".block_id", "longer than %d", maxID)
			case blockIDs[id]:
				c.fail(path+".block_id", "%q is not unique in the message", id)
			}
			blockIDs[id] = true
		}
		c.block(path, m, surface)
	}
}

func (c *checker) block(path string, m map[string]any, surface Surface) {
	typ, _ := str(m, "type")
	switch typ {
	case "section":
		_, hasText := m["text"]
		fields, hasFields := m["fields"].([]any)
		if !hasText && !hasFields {
			c.fail(path, "a section needs text or fields")
		}
		if hasText {
			c.text(m, "text", path+".text", true, false, maxSectionText)
		}
		if hasFields {
			if len(fields) == 0 || len(fields) > maxSectionFields {
				c.fail(path+".fields", "%d fields, 1 to %d allowed", len(fields), maxSectionFields)
			}
			for i, f := range fields {
				c.textObject(f, fmt.Sprintf("%s.fields[%d]", path, i), false, maxFieldText)
			}
		}
		if acc, ok := m["accessory"]; ok {
			c.element(acc, path+".accessory", surface, map[string]bool{})
		}
	case "header":
		c.text(m, "text", path+".text", true, true, maxHeaderText)
	case "divider":
	case "actions":
		els, _ := m["elements"].([]any)
		if len(els) == 0 || len(els) > maxActions {
			c.fail(path+".elements", "%d elements, 1 to %d allowed", len(els), maxActions)
		}
		ids := map[string]bool{}
		for i, el := range els {
			c.element(el, fmt.Sprintf("%s.elements[%d]", path, i), surface, ids)
		}
	case "context":
		els, _ := m["elements"].([]any)
		if len(els) == 0 || len(els) > maxContext {
			c.fail(path+".elements", "%d elements, 1 to %d allowed", len(els), maxContext)
		}
		for i, el := range els {
			p := fmt.Sprintf("%s.elements[%d]", path, i)
			em, _ := el.(map[string]any)
			if t, _ := str(em, "type"); t == "image" {
				continue
			}
			c.textObject(el, p, false, maxSectionText)
		}
	case "input":
		if surface == SurfaceMessage {
			c.fail(path, "input blocks belong in modals and the home tab")
		}
		c.text(m, "label", path+".label", true, true, maxInputLabel)
		c.text(m, "hint", path+".hint", false, true, maxInputHint)
		el, ok := m["element"]
		if !ok {
			c.fail(path+".element", "required")
		} else {
			c.element(el, path+".element", surface, map[string]bool{})
		}
	default:
		c.fail(path+".type", "unknown or unsupported block type %q", typ)
	}
}

// text checks the text object at m[key]: required or not, plain_text only
// or either type, and its length.
func (c *checker) text(m map[string]any, key, path string, required, plainOnly bool, limit int) {
	v, ok := m[key]
	if !ok || v == nil {
		if required {
			c.fail(path, "required")
		}
		return
	}
	c.textObject(v, path, plainOnly, limit)
}

func (c *checker) textObject(v any, path string, plainOnly bool, limit int) {
	m, ok := v.(map[string]any)
	if !ok {
		c.fail(path, "not a text object")
		return
	}
	typ, _ := str(m, "type")
	switch typ {
	case "plain_text":
		if _, ok := m["verbatim"]; ok {
			c.fail(path+".verbatim", "only for mrkdwn")
		}
	case "mrkdwn":
		if plainOnly {
			c.fail(path+".type", "must be plain_text")
		}
		if _, ok := m["emoji"]; ok {
			c.fail(path+".emoji", "only for plain_text")
		}
	default:
		c.fail(path+".type", "must be plain_text or mrkdwn, got %q", typ)
	}
	s, isStr := str(m, "text")
	switch {
	case !isStr || s == "":
		c.fail(path+".text", "must be at least 1 character")
	case runes(s) > limit:
		c.fail(path+".text", "%d characters, at most %d", runes(s), limit)
	}
}

func (c *checker) actionID(m map[string]any, path string, ids map[string]bool, required bool) {
	id, ok := str(m, "action_id")
	if !ok {
		if required {
			c.fail(path+".action_id", "required")
		}
		return
	}
	switch {
	case id == "":
		c.fail(path+".action_id", "empty")
	case runes(id) > maxID:
		c.fail(path+".action_id", "longer than %d", maxID)
	case ids[id]:
		c.fail(path+".action_id", "%q is not unique in its block", id)
	}
	ids[id] = true
}

func (c *checker) element(v any, path string, surface Surface, ids map[string]bool) {
	m, ok := v.(map[string]any)
	if !ok {
		c.fail(path, "not an object")
		return
	}
	typ, _ := str(m, "type")
	if typ == "image" {
		return
	}
	c.actionID(m, path, ids, false)
	if cf, ok := m["confirm"]; ok {
		c.confirm(cf, path+".confirm")
	}
	switch typ {
	case "button":
		c.text(m, "text", path+".text", true, true, maxButtonText)
		if s, _ := str(m, "value"); runes(s) > maxButtonValue {
			c.fail(path+".value", "longer than %d", maxButtonValue)
		}
		if s, _ := str(m, "url"); runes(s) > maxURL {
			c.fail(path+".url", "longer than %d", maxURL)
		}
		if st, ok := str(m, "style"); ok && st != "primary" && st != "danger" {
			c.fail(path+".style", "must be primary or danger, got %q", st)
		}
	case "overflow":
		c.options(m, path, 1, maxOverflowOpts)
	case "static_select", "multi_static_select":
		c.text(m, "placeholder", path+".placeholder", false, true, maxPlaceholder)
		if _, groups := m["option_groups"]; !groups {
			c.options(m, path, 1, maxSelectOptions)
		}
		c.initialOptions(m, path)
	case "radio_buttons", "checkboxes":
		c.options(m, path, 1, maxGroupOptions)
		c.initialOptions(m, path)
	case "users_select", "multi_users_select", "conversations_select", "multi_conversations_select", "channels_select", "multi_channels_select":
		c.text(m, "placeholder", path+".placeholder", false, true, maxPlaceholder)
	case "plain_text_input":
		c.text(m, "placeholder", path+".placeholder", false, true, maxPlaceholder)
		maxLen, hasMax := m["max_length"].(float64)
		if hasMax && (maxLen < 1 || maxLen > maxInputLength) {
			c.fail(path+".max_length", "must be 1 to %d", maxInputLength)
		}
		if minLen, ok := m["min_length"].(float64); ok && (minLen < 0 || minLen > maxInputLength || (hasMax && minLen > maxLen)) {
			c.fail(path+".min_length", "must be 0 to %d and at most max_length", maxInputLength)
		}
		if s, ok := str(m, "initial_value"); ok && hasMax && float64(runes(s)) > maxLen {
			c.fail(path+".initial_value", "longer than max_length")
		}
	case "datepicker", "timepicker", "datetimepicker":
		c.text(m, "placeholder", path+".placeholder", false, true, maxPlaceholder)
	default:
		c.fail(path+".type", "unknown or unsupported element type %q", typ)
		return
	}
	if surface == SurfaceMessage && slices.Contains([]string{"plain_text_input", "datetimepicker"}, typ) {
		c.fail(path+".type", "%s belongs in an input block", typ)
	}
}

func (c *checker) options(m map[string]any, path string, minN, maxN int) {
	opts, _ := m["options"].([]any)
	if len(opts) < minN || len(opts) > maxN {
		c.fail(path+".options", "%d options, %d to %d allowed", len(opts), minN, maxN)
	}
	values := map[string]bool{}
	for i, o := range opts {
		p := fmt.Sprintf("%s.options[%d]", path, i)
		c.option(o, p)
		if om, ok := o.(map[string]any); ok {
			v, _ := str(om, "value")
			if values[v] {
				c.fail(p+".value", "%q repeats another option's value", v)
			}
			values[v] = true
		}
	}
}

func (c *checker) option(o any, path string) {
	m, ok := o.(map[string]any)
	if !ok {
		c.fail(path, "not an option object")
		return
	}
	c.text(m, "text", path+".text", true, false, maxOptionText)
	c.text(m, "description", path+".description", false, false, maxOptionText)
	v, ok := str(m, "value")
	switch {
	case !ok || v == "":
		c.fail(path+".value", "required")
	case runes(v) > maxOptionValue:
		c.fail(path+".value", "%d characters, at most %d", runes(v), maxOptionValue)
	}
}

// initialOptions: an initial option must be one of the options, exactly.
func (c *checker) initialOptions(m map[string]any, path string) {
	opts, _ := m["options"].([]any)
	var initial []any
	if io, ok := m["initial_option"]; ok {
		initial = append(initial, io)
	}
	if ios, ok := m["initial_options"].([]any); ok {
		initial = append(initial, ios...)
	}
	for _, io := range initial {
		iv, _ := json.Marshal(io)
		found := false
		for _, o := range opts {
			ov, _ := json.Marshal(o)
			if string(ov) == string(iv) {
				found = true
			}
		}
		if !found && m["option_groups"] == nil {
			c.fail(path+".initial_option", "not one of the options")
		}
	}
}

func (c *checker) confirm(v any, path string) {
	m, ok := v.(map[string]any)
	if !ok {
		c.fail(path, "not a confirm object")
		return
	}
	c.text(m, "title", path+".title", true, true, maxConfirmTitle)
	c.text(m, "text", path+".text", true, false, maxConfirmText)
	c.text(m, "confirm", path+".confirm", true, true, maxConfirmButton)
	c.text(m, "deny", path+".deny", true, true, maxConfirmButton)
}

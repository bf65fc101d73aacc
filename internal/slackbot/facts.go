package slackbot

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/irbot/irbot/internal/incident"
	"github.com/irbot/irbot/internal/store"
	"github.com/irbot/irbot/playbooks"
	"github.com/irbot/irbot/templates"
	tpl "github.com/irbot/irbot/templates/slack"
	"github.com/irbot/irbot/workflows"
)

// Facts and notices from Slack: /incident facts opens the facts modal,
// /incident notify (or Draft notice… in a clock's menu) the notify modal.
// Submitting either sets the changed facts as the person who submitted; the
// notify modal then drafts the notice and shows its preview privately.

// NoticeDrafter drafts a notice from the incident's facts.
type NoticeDrafter interface {
	DraftNotice(ctx context.Context, actor workflows.Actor, id string, req incident.NoticeRequest) (*workflows.NoticeState, error)
}

// TimelineReader reads an incident's timeline: the modals show who set each
// fact.
type TimelineReader interface {
	Timeline(ctx context.Context, actor workflows.Actor, id string) ([]store.Event, error)
}

// factSetters reads who last set each fact from the timeline.
func (b *Bot) factSetters(ctx context.Context, actor workflows.Actor, id string) map[string]tpl.FactSetter {
	out := map[string]tpl.FactSetter{}
	events, err := b.svc.Timeline(ctx, actor, id)
	if err != nil {
		b.log.Warn("timeline read for the facts modal failed", "incident", id, "code", ErrCode(err))
		return out
	}
	for _, e := range events {
		if e.Kind != "fact.set" {
			continue
		}
		var d struct {
			Name string `json:"name"`
		}
		if json.Unmarshal(e.Data, &d) == nil && d.Name != "" {
			out[d.Name] = tpl.FactSetter{By: e.Actor, At: e.At}
		}
	}
	return out
}

// incidentState finds the incident of a command's channel and reads it as
// the person; it answers them itself when that fails.
func (b *Bot) incidentState(ctx context.Context, actor workflows.Actor, id, channelID string, to reply, command string) *workflows.IncidentState {
	if id == "" {
		var err error
		if id, err = b.incidentFor(ctx, channelID); err != nil {
			b.tell(ctx, to, errorText(b.logged(err, "channel lookup")))
			return nil
		}
	}
	if id == "" {
		b.tell(ctx, to, "This is not an incident channel. Run `/incident "+command+"` in the incident's channel.")
		return nil
	}
	st, err := b.svc.Get(ctx, actor, id)
	if err != nil {
		b.tell(ctx, to, errorText(b.logged(err, command)))
		return nil
	}
	return st
}

// openFacts opens the facts modal for the incident of channelID.
func (b *Bot) openFacts(ctx context.Context, triggerID string, actor workflows.Actor, channelID string, to reply) {
	st := b.incidentState(ctx, actor, "", channelID, to, "facts")
	if st == nil {
		return
	}
	b.openView(ctx, triggerID, tpl.FactsModal(*st, b.factSetters(ctx, actor, st.ID)), to)
}

// requiredContent is what a clock's notice must say (the regime rule's
// required content).
func requiredContent(regime, obligation string) []string {
	if r, ok := playbooks.MustRules().Regime(regime); ok {
		if rule, ok := r.Rule(obligation); ok {
			return slices.Clone(rule.RequiredContent)
		}
	}
	return nil
}

// noticeLanguage is the language a clock's notice is drafted in unless the
// person picks another (the regime's jurisdiction decides, as for the API).
func noticeLanguage(c workflows.ClockState) string {
	jurisdiction := ""
	if r, ok := playbooks.MustRules().Regime(c.Regime); ok {
		jurisdiction = r.Jurisdiction
	}
	return templates.DefaultNoticeLanguage(c.Regime, c.Obligation, c.Recipient, jurisdiction)
}

// openNotify opens the notify modal for one clock; with no clock given it
// opens it for the only open clock, or answers with a picker of them all.
func (b *Bot) openNotify(ctx context.Context, triggerID string, actor workflows.Actor, id, channelID, regime, obligation string, to reply) {
	st := b.incidentState(ctx, actor, id, channelID, to, "notify")
	if st == nil {
		return
	}
	var open []workflows.ClockState
	for _, c := range st.Clocks {
		if c.Open() {
			open = append(open, c)
		}
	}
	var clock *workflows.ClockState
	switch {
	case regime != "":
		for i := range st.Clocks {
			if st.Clocks[i].Regime == regime && st.Clocks[i].Obligation == obligation {
				clock = &st.Clocks[i]
			}
		}
		if clock == nil {
			b.tell(ctx, to, fmt.Sprintf(":warning: %s has no clock %s/%s; `/incident clocks` lists them.", st.ID, tpl.Escape(regime), tpl.Escape(obligation)))
			return
		}
		if !clock.Open() {
			b.tell(ctx, to, fmt.Sprintf(":warning: %s/%s is already settled (%s); to add information, draft a follow-up with the API.", regime, obligation, clock.Status))
			return
		}
	case len(open) == 1:
		clock = &open[0]
	default:
		blocks, text := tpl.NotifyPicker(*st, b.now())
		b.tellBlocks(ctx, to, text, blocks, false)
		return
	}
	view := tpl.NotifyModal(*st, *clock, requiredContent(clock.Regime, clock.Obligation), b.factSetters(ctx, actor, st.ID), b.now(), noticeLanguage(*clock))
	b.openView(ctx, triggerID, view, to)
}

// checkFacts reads a modal's fact inputs and checks each with the
// workflow's own rule, so a typo keeps the modal open under its field.
func checkFacts(v slack.View) (map[string]json.RawMessage, map[string]any) {
	values, bad := tpl.FactValues(v.State)
	for name, raw := range values {
		if _, err := workflows.NormalizeFact(name, raw); err != nil {
			bad[tpl.FactBlockID(name)] = err.Error()
		}
	}
	if len(bad) > 0 {
		return nil, map[string]any{"response_action": "errors", "errors": bad}
	}
	return values, nil
}

// setChangedFacts runs set_fact for each value that differs from the
// incident's current one, as actor. It returns the labels of the facts set
// and false when one was refused (the person was told).
func (b *Bot) setChangedFacts(ctx context.Context, actor workflows.Actor, id string, values map[string]json.RawMessage, requestID string, to reply) ([]string, bool) {
	st, err := b.svc.Get(ctx, actor, id)
	if err != nil {
		b.tell(ctx, to, errorText(b.logged(err, "facts")))
		return nil, false
	}
	names := make([]string, 0, len(values))
	for n := range values {
		names = append(names, n)
	}
	slices.Sort(names)
	var set []string
	for _, name := range names {
		v, err := workflows.NormalizeFact(name, values[name])
		if err != nil {
			continue // checked at submission
		}
		if cur, ok := st.Facts[name]; ok && (sameJSON(cur, v) || sameSecond(name, cur, v)) {
			continue
		}
		a := workflows.Action{Type: workflows.ActionSetFact, Name: name, Value: values[name], RequestID: requestID + ":" + name, Source: "slack"}
		if _, err := b.svc.Act(ctx, actor, id, a); err != nil {
			b.refused(ctx, to, id, actor, a, err)
			return set, false
		}
		set = append(set, templates.FieldLabel(name))
	}
	return set, true
}

// sameSecond reports whether two values of a time fact are the same
// second: Slack's date-time picker has no finer grain, so an untouched
// picker must not move awareness by a fraction of a second.
func sameSecond(name string, a, b any) bool {
	if _, ok := workflows.TriggerFacts[name]; !ok {
		return false
	}
	sa, ok1 := a.(string)
	sb, ok2 := b.(string)
	if !ok1 || !ok2 {
		return false
	}
	ta, err1 := time.Parse(time.RFC3339Nano, sa)
	tb, err2 := time.Parse(time.RFC3339Nano, sb)
	return err1 == nil && err2 == nil && ta.Truncate(time.Second).Equal(tb.Truncate(time.Second))
}

func sameJSON(a, b any) bool {
	ja, err1 := json.Marshal(a)
	jb, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && bytes.Equal(ja, jb)
}

// submitFacts sets the changed facts of the facts modal.
func (b *Bot) submitFacts(ctx context.Context, actor workflows.Actor, id string, values map[string]json.RawMessage, requestID string) {
	to := b.incidentReply(ctx, id, actor.ID)
	set, ok := b.setChangedFacts(ctx, actor, id, values, requestID, to)
	if !ok {
		return
	}
	if len(set) == 0 {
		b.tell(ctx, to, "No fact changed; nothing was recorded.")
		return
	}
	b.tell(ctx, to, "Facts set: "+strings.Join(set, ", ")+". Drafts update from them.")
}

// submitNotify sets the changed facts of the notify modal, drafts the
// notice, shows the drafter its preview and tells the channel.
func (b *Bot) submitNotify(ctx context.Context, actor workflows.Actor, id, regime, obligation, language string, recipients []string, values map[string]json.RawMessage, requestID string) {
	to := b.incidentReply(ctx, id, actor.ID)
	if _, ok := b.setChangedFacts(ctx, actor, id, values, requestID, to); !ok {
		return
	}
	n, err := b.svc.DraftNotice(ctx, actor, id, incident.NoticeRequest{Regime: regime, Obligation: obligation, To: recipients, RequestKey: requestID, Language: language, Source: "slack"})
	if err != nil {
		a := workflows.Action{Type: workflows.ActionCreateNotice, Regime: regime, Obligation: obligation, RequestID: requestID, Source: "slack"}
		b.refused(ctx, to, id, actor, a, err)
		return
	}
	blocks, text := tpl.NoticePreview(*n, b.now())
	b.tellBlocks(ctx, to, text, blocks, false)
	if to.channelID != "" {
		msg := tpl.NoticeDrafted(*n, actor.ID)
		if _, err := b.api.Post(ctx, to.channelID, slack.MsgOptionText(msg, false)); err != nil {
			b.log.Warn("slack post of a drafted notice failed", "incident", id, "code", ErrCode(err))
		}
	}
}

const notifyUsage = "use `/incident notify [REGIME/OBLIGATION]`, e.g. `/incident notify eu-gdpr/supervisory-authority`; without a clock irbot lists the open ones"

// parseNotify reads /incident notify [REGIME/OBLIGATION].
func parseNotify(args []string) (Command, error) {
	c := Command{Name: "notify"}
	switch len(args) {
	case 0:
		return c, nil
	case 1:
		regime, obligation, err := parseClock(args[0], notifyUsage)
		if err != nil {
			return c, err
		}
		c.Regime, c.Obligation = regime, obligation
		return c, nil
	}
	return c, parseErr("%s", notifyUsage)
}

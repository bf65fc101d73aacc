package slack

import (
	"fmt"
	"strings"
	"time"

	goslack "github.com/slack-go/slack"

	"github.com/irbot/irbot/internal/deadline"
	"github.com/irbot/irbot/workflows"
)

// Announcement is the one message posted to the announcement channel when an
// incident's channel exists. A public channel gets a Join button; a private
// one says whom to ask, since a suspected breach is need-to-know.
func Announcement(st workflows.IncidentState, channelID string, public bool) ([]goslack.Block, string) {
	commander := Mention(st.DeclaredBy.ID)
	for _, r := range st.Roles {
		if r.Role == "commander" {
			commander = Mention(r.User)
		}
	}
	text := fmt.Sprintf("%s *New incident %s: %s*\nSeverity %s · declared by %s · commander %s",
		severityIcon[st.Severity], st.ID, Escape(st.Title), st.Severity, Mention(st.DeclaredBy.ID), commander)
	var blocks []goslack.Block
	if st.Status == workflows.StatusClosed {
		// The announcement is updated in place: once closed, it says so.
		text = fmt.Sprintf(":lock: *Closed incident %s: %s*\nSeverity %s · declared by %s · commander %s",
			st.ID, Escape(st.Title), st.Severity, Mention(st.DeclaredBy.ID), commander)
		if st.ClosedAt != nil {
			text += " · closed " + UTC(*st.ClosedAt)
		}
		return []goslack.Block{goslack.NewSectionBlock(mrkdwn(text), nil, nil)}, Truncate(fmt.Sprintf("Closed incident %s: %s", st.ID, st.Title), MaxFallbackText)
	}
	if public {
		text += fmt.Sprintf("\nChannel: <#%s>", channelID)
		blocks = append(blocks, goslack.NewSectionBlock(mrkdwn(text), nil,
			goslack.NewAccessory(button(ActionJoin, Value(st.ID, channelID), "Join", goslack.StylePrimary))))
	} else {
		text += "\nPrivate channel, ask the commander to be added."
		blocks = append(blocks, goslack.NewSectionBlock(mrkdwn(text), nil, nil))
	}
	return blocks, Truncate(fmt.Sprintf("New incident %s: %s (%s)", st.ID, st.Title, st.Severity), MaxFallbackText)
}

// SlashCommand is how /incident help shows one subcommand: its usage and
// what it does. The commands themselves, in help's order, are the table in
// internal/slackbot (commands.go), which passes them to HelpText.
type SlashCommand struct {
	Name  string // the first word after /incident
	Usage string // the whole command, as people type it
	Help  string
}

// HelpText lists the /incident subcommands cmds.
func HelpText(cmds []SlashCommand) string {
	lines := []string{"*`/incident` commands*"}
	for _, c := range cmds {
		lines = append(lines, "`"+c.Usage+"`: "+c.Help)
	}
	lines = append(lines, "Run them in the incident's channel; `status`, `clocks` and `notices` also take an incident ID anywhere. `/incident clocks` names each clock's REGIME/OBLIGATION; the card's clock menus do the same as `notified` and `not-notify`.")
	return strings.Join(lines, "\n")
}

// HelpBlocks is HelpText as blocks, with an optional first line (what was wrong).
func HelpBlocks(cmds []SlashCommand, problem string) []goslack.Block {
	var blocks []goslack.Block
	if problem != "" {
		blocks = append(blocks, goslack.NewSectionBlock(mrkdwn(":warning: "+Escape(problem)), nil, nil))
	}
	return append(blocks, goslack.NewSectionBlock(mrkdwn(HelpText(cmds)), nil, nil))
}

// StatusText is a compact private answer to /incident status.
func StatusText(st workflows.IncidentState, channelID string, now time.Time) string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "%s *%s: %s*\n", severityIcon[st.Severity], st.ID, Escape(st.Title))
	fmt.Fprintf(&sb, "Status %s · severity %s · phase %s", st.Status, st.Severity, Escape(phaseTitle(st, st.Phase)))
	if st.Mode == workflows.ModeDrill {
		sb.WriteString(" · DRILL")
	}
	if channelID != "" {
		fmt.Fprintf(&sb, " · <#%s>", channelID)
	}
	sb.WriteString("\n")
	if st.NextAction != "" {
		fmt.Fprintf(&sb, "*Next:* %s\n", Escape(st.NextAction))
	}
	var open []string
	for _, t := range st.Tasks {
		if t.Phase == st.Phase && !t.Done {
			open = append(open, fmt.Sprintf("`%s` %s (%s)", t.ID, Escape(t.Title), t.Role))
		}
	}
	if len(open) > 0 {
		sb.WriteString("*Open tasks:* " + strings.Join(open, "; ") + "\n")
	}
	sb.WriteString("*Clocks*\n" + ClockLines(st, now))
	return Truncate(sb.String(), MaxSectionText)
}

// ClocksText answers /incident clocks.
func ClocksText(st workflows.IncidentState, now time.Time) string {
	return Truncate(fmt.Sprintf("*Clocks of %s* (now %s)\n%s", st.ID, UTC(now), ClockLines(st, now)), MaxSectionText)
}

// ClockReminder is a clock's reminder or escalation, for the incident
// channel and the DMs of the people it names.
func ClockReminder(a workflows.ClockAlert) ([]goslack.Block, string) {
	return ClockReminderFor(a, nil, false)
}

// ClockReminderFor is ClockReminder naming the people who hold the roles it
// is for (mentions, so Slack notifies them; the role names when nobody
// holds them), with Notified… and Snooze… buttons when buttons is set.
func ClockReminderFor(a workflows.ClockAlert, people []string, buttons bool) ([]goslack.Block, string) {
	icon, what := "⏳", "Reminder"
	switch a.Kind {
	case "clock.escalation":
		icon, what = "⚠️", "Escalation"
	case "clock.overdue":
		icon, what = "🚨", "Overdue"
	}
	name := a.Regime + "/" + a.Obligation
	if a.Name != "" {
		name = Escape(a.Name) + " (" + name + ")"
	}
	left := a.Left
	if left == "" {
		left = deadline.Left(a.DueAt, a.At)
	}
	text := fmt.Sprintf("%s *%s · %s*: %s\nDue %s · %s", icon, what, a.IncidentID, name, UTC(a.DueAt), Escape(left))
	if a.Mode == workflows.ModeDrill {
		text = "DRILL · " + text
	}
	switch {
	case len(people) > 0:
		mentions := make([]string, 0, len(people))
		for _, p := range people {
			mentions = append(mentions, Mention(p))
		}
		text += "\nFor: " + strings.Join(mentions, ", ")
	case len(a.Notify) > 0:
		text += "\nFor: " + strings.Join(a.Notify, ", ") + " (nobody holds the role yet)"
	}
	text += "\nRecord the notice, or a documented decision not to notify, to stop this clock."
	fallback := what + " " + clockAlertKey(a.IncidentID, a.Regime, a.Obligation) + UTC(a.DueAt)
	blocks := []goslack.Block{goslack.NewSectionBlock(mrkdwn(text), nil, nil)}
	if buttons {
		blocks = append(blocks, goslack.NewActionBlock("",
			button(ElementID(ActionClockMenu, 0), ClockValue(ClockOptionNotified, a.IncidentID, a.Regime, a.Obligation), "Notified…", goslack.StylePrimary),
			button(ElementID(ActionClockMenu, 1), ClockValue(ClockOptionSnooze, a.IncidentID, a.Regime, a.Obligation), "Snooze…", "")))
	}
	return blocks, Truncate(fallback, MaxFallbackText)
}

// clockAlertKey is the part of a clock alert's text that names its clock.
func clockAlertKey(incidentID, regime, obligation string) string {
	return incidentID + ": " + regime + "/" + obligation + " due "
}

// IsClockAlertFor tells whether a message's text is a clock alert
// (ClockReminderFor's fallback) for that incident's clock: how a restarted
// bot finds the clock's thread in the channel's history.
func IsClockAlertFor(text, incidentID, regime, obligation string) bool {
	key := clockAlertKey(incidentID, regime, obligation)
	for _, what := range []string{"Reminder", "Escalation", "Overdue"} {
		if strings.HasPrefix(text, what+" "+key) {
			return true
		}
	}
	return false
}

// ClockOptionSnooze is a reminder's Snooze… button.
const ClockOptionSnooze = "snooze"

// CallbackSnooze quiets a clock's reminders; its private metadata is
// Value(incident, "regime/obligation").
const (
	CallbackSnooze = "irbot.snooze"
	BlockSnoozeFor = "snooze_for"
)

// durationChoice is one option of a "how long" select: its value is
// minutes.
type durationChoice struct {
	minutes int
	label   string
}

var snoozeFor = []durationChoice{{60, "1 hour"}, {240, "4 hours"}, {720, "12 hours"}, {1440, "24 hours"}}

// durationSelect is a static select of choices, the initial-th chosen.
func durationSelect(choices []durationChoice, placeholder string, initial int) *goslack.SelectBlockElement {
	var opts []*goslack.OptionBlockObject
	for _, d := range choices {
		opts = append(opts, goslack.NewOptionBlockObject(fmt.Sprint(d.minutes), plain(d.label, MaxOptionText), nil))
	}
	sel := goslack.NewOptionsSelectBlockElement(goslack.OptTypeStatic, plain(placeholder, MaxOptionText), InputAction, opts...)
	sel.InitialOption = opts[initial]
	return sel
}

// SnoozeModal asks how long to quiet a clock's routine reminders
// (escalations always go out).
func SnoozeModal(incidentID, regime, obligation string) goslack.ModalViewRequest {
	sel := durationSelect(snoozeFor, "For", 0)
	return goslack.ModalViewRequest{
		Type:       goslack.VTModal,
		CallbackID: CallbackSnooze,
		Title:      plain("Snooze reminders", MaxModalTitle),
		Submit:     plain("Snooze", MaxModalTitle),
		Close:      plain("Cancel", MaxModalTitle),
		Blocks: goslack.Blocks{BlockSet: []goslack.Block{
			goslack.NewSectionBlock(mrkdwn(fmt.Sprintf("Quiet the routine reminders of *%s/%s* of %s. Escalations and the overdue alert always go out; a snooze ends at the due time at the latest.", Escape(regime), Escape(obligation), incidentID)), nil, nil),
			goslack.NewInputBlock(BlockSnoozeFor, plain("Snooze for", 2000), nil, sel),
		}},
		PrivateMetadata: Value(incidentID, regime+"/"+obligation),
	}
}

// SnoozeUntil reads a submitted snooze modal: the end of the snooze.
func SnoozeUntil(state *goslack.ViewState, now time.Time) time.Time {
	until := now.Add(time.Hour)
	if state != nil {
		for _, d := range snoozeFor {
			if state.Values[BlockSnoozeFor][InputAction].SelectedOption.Value == fmt.Sprint(d.minutes) {
				until = now.Add(time.Duration(d.minutes) * time.Minute)
			}
		}
	}
	return until
}

package slack

import (
	"fmt"
	"strings"
	"time"

	goslack "github.com/slack-go/slack"

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

// HelpText is the /incident help, shown privately.
func HelpText() string {
	return strings.Join([]string{
		"*`/incident` commands*",
		"`/incident declare [title]`: declare an incident (a form opens when you give no title)",
		"`/incident list`: the open incidents, privately, live first, each with its nearest deadline",
		"`/incident status`: the incident's state, privately",
		"`/incident clocks`: regulatory clocks with time left",
		"`/incident task done ID`: complete a task",
		"`/incident severity critical|high|medium|low`: change severity",
		"`/incident role ROLE @user`: give someone a role (`me` for yourself)",
		"`/incident note TEXT`: add a note to the timeline",
		"`/incident aware TIME`: when we became aware (`now`, `2h ago`, `2026-03-01 09:30` UTC, or RFC 3339); it starts the clocks",
		"`/incident notified REGIME/OBLIGATION [REFERENCE] [reason: WHY LATE]`: record that a notification was sent now (e.g. `/incident notified eu-gdpr/supervisory-authority SA-2026-123`); a late one needs the reason",
		"`/incident not-notify REGIME/OBLIGATION REASON`: record a documented decision not to notify",
		"`/incident notices`: the incident's notices, privately, with Approve, Reject and Send buttons",
		"`/incident repost`: post the card again, after irbot paused publishing here because Slack refused (channel archived, irbot removed)",
		"`/incident close [reason]`: close the incident",
		"`/incident drill start SCENARIO [speed]`, `/incident drill list`: tabletop drills",
		"`/incident help`: this text",
		"Run them in the incident's channel; `status`, `clocks` and `notices` also take an incident ID anywhere. `/incident clocks` names each clock's REGIME/OBLIGATION; the card's clock menus do the same as `notified` and `not-notify`.",
	}, "\n")
}

// HelpBlocks is HelpText as blocks, with an optional first line (what was wrong).
func HelpBlocks(problem string) []goslack.Block {
	var blocks []goslack.Block
	if problem != "" {
		blocks = append(blocks, goslack.NewSectionBlock(mrkdwn(":warning: "+Escape(problem)), nil, nil))
	}
	return append(blocks, goslack.NewSectionBlock(mrkdwn(HelpText()), nil, nil))
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
		left = Left(a.DueAt, a.At)
	}
	text := fmt.Sprintf("%s *%s · %s*: %s\nDue %s · %s", icon, what, a.IncidentID, name, UTC(a.DueAt), Escape(left))
	if a.Mode == workflows.ModeDrill {
		text = "DRILL · " + text
	}
	if len(a.Notify) > 0 {
		text += "\nFor: " + strings.Join(a.Notify, ", ")
	}
	text += "\nRecord the notice, or a documented decision not to notify, to stop this clock."
	fallback := fmt.Sprintf("%s %s: %s due %s", what, a.IncidentID, a.Regime+"/"+a.Obligation, UTC(a.DueAt))
	return []goslack.Block{goslack.NewSectionBlock(mrkdwn(text), nil, nil)}, Truncate(fallback, MaxFallbackText)
}

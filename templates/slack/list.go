package slack

import (
	"fmt"
	"time"

	goslack "github.com/slack-go/slack"

	"github.com/irbot/irbot/internal/incident"
	"github.com/irbot/irbot/workflows"
)

// OpenList answers /incident list privately: one section per open incident
// (live first, drills marked) with phase, severity and its nearest open
// deadline, then how many more there are.
func OpenList(list incident.OpenListResult, now time.Time) ([]goslack.Block, string) {
	total := len(list.Incidents) + list.Rest
	if total == 0 {
		text := "No open incidents."
		return []goslack.Block{goslack.NewSectionBlock(mrkdwn(text), nil, nil)}, text
	}
	head := fmt.Sprintf("*Open incidents (%d)*", total)
	blocks := []goslack.Block{goslack.NewSectionBlock(mrkdwn(head), nil, nil)}
	fallback := head
	for _, s := range list.Incidents {
		line := Truncate(OpenLine(s, now), MaxSectionText)
		blocks = append(blocks, goslack.NewSectionBlock(mrkdwn(line), nil, nil))
		fallback += "\n" + s.State.ID
	}
	if list.Rest > 0 {
		more := fmt.Sprintf("…and %d more; the console lists them all.", list.Rest)
		blocks = append(blocks, goslack.NewContextBlock("", mrkdwn(more)))
		fallback += "\n" + more
	}
	return blocks, Truncate(fallback, 3000)
}

// OpenLine is one incident in a line or two: severity, ID, title (drills
// marked), phase, and the nearest open deadline with time left.
func OpenLine(s incident.OpenSummary, now time.Time) string {
	st := s.State
	drill := ""
	if st.Mode == workflows.ModeDrill {
		drill = " · DRILL"
	}
	if st.Status == workflows.StatusClosed {
		drill += " · closed"
	}
	line := fmt.Sprintf("%s *%s*%s: %s\nPhase %s · severity %s · %s", severityIcon[st.Severity], st.ID, drill,
		Escape(Truncate(st.Title, 200)), Escape(phaseTitle(st, st.Phase)), st.Severity, nextDeadline(s, now))
	if st.Slack != nil && st.Slack.ChannelID != "" {
		line += " · <#" + st.Slack.ChannelID + ">"
	}
	return line
}

func nextDeadline(s incident.OpenSummary, now time.Time) string {
	c := s.Next
	if c == nil {
		return "no open deadline"
	}
	name := c.Regime + "/" + c.Obligation
	if c.Name != "" {
		name = Escape(Truncate(c.Name, 80))
	}
	return fmt.Sprintf("next deadline %s %s (%s)", name, Left(*c.DueAt, workflows.IncidentNow(s.State, now)), UTC(*c.DueAt))
}

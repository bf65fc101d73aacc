package slack

import (
	"fmt"
	"strings"
	"time"

	goslack "github.com/slack-go/slack"

	"github.com/irbot/irbot/internal/deadline"
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
	return fmt.Sprintf("next deadline %s %s (%s)", name, deadline.Left(*c.DueAt, workflows.IncidentNow(s.State, now)), UTC(*c.DueAt))
}

// maxHomeIncidents bounds each list on the App Home (a home tab holds at
// most 100 blocks).
const maxHomeIncidents = 40

// AppHome is a person's App Home tab: the open incidents they hold a role
// in (with their roles), then every open incident, each with its phase and
// nearest deadline. refusal, when set, is why the person sees no list (no
// role in irbot).
func AppHome(viewer string, list incident.OpenListResult, refusal string, now time.Time) goslack.HomeTabViewRequest {
	blocks := []goslack.Block{goslack.NewHeaderBlock(plain("Incidents", MaxHeaderText))}
	if refusal != "" {
		blocks = append(blocks, goslack.NewSectionBlock(mrkdwn(Truncate(Escape(refusal), MaxSectionText)), nil, nil))
	} else {
		var mine []string
		for _, s := range list.Incidents {
			var roles []string
			for _, r := range s.State.Roles {
				if r.User == viewer {
					roles = append(roles, r.Role)
				}
			}
			if len(roles) > 0 {
				mine = append(mine, Truncate(OpenLine(s, now)+"\nYou are "+strings.Join(roles, ", ")+".", MaxSectionText))
			}
		}
		blocks = append(blocks, goslack.NewSectionBlock(mrkdwn(fmt.Sprintf("*Your incidents (%d)*: those you hold a role in.", len(mine))), nil, nil))
		if len(mine) == 0 {
			blocks = append(blocks, goslack.NewContextBlock("", mrkdwn("You hold no role in an open incident.")))
		}
		for i, line := range mine {
			if i == maxHomeIncidents {
				blocks = append(blocks, goslack.NewContextBlock("", mrkdwn(fmt.Sprintf("…and %d more.", len(mine)-i))))
				break
			}
			blocks = append(blocks, goslack.NewSectionBlock(mrkdwn(line), nil, nil))
		}
		blocks = append(blocks, goslack.NewDividerBlock())
		total := len(list.Incidents) + list.Rest
		blocks = append(blocks, goslack.NewSectionBlock(mrkdwn(fmt.Sprintf("*Open incidents (%d)*", total)), nil, nil))
		if total == 0 {
			blocks = append(blocks, goslack.NewContextBlock("", mrkdwn("No open incidents.")))
		}
		rest := list.Rest
		for i, s := range list.Incidents {
			if i == maxHomeIncidents {
				rest += len(list.Incidents) - i
				break
			}
			blocks = append(blocks, goslack.NewSectionBlock(mrkdwn(Truncate(OpenLine(s, now), MaxSectionText)), nil, nil))
		}
		if rest > 0 {
			blocks = append(blocks, goslack.NewContextBlock("", mrkdwn(fmt.Sprintf("…and %d more; the console lists them all.", rest))))
		}
	}
	blocks = append(blocks, goslack.NewDividerBlock(),
		goslack.NewContextBlock("", mrkdwn("Declare with `/incident declare`; `/incident help` lists the commands. Updated "+UTC(now)+".")))
	return goslack.HomeTabViewRequest{Type: goslack.VTHomeTab, Blocks: goslack.Blocks{BlockSet: blocks}}
}

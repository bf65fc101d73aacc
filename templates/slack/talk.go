package slack

import (
	"fmt"
	"strings"
	"time"

	goslack "github.com/slack-go/slack"

	"github.com/irbot/irbot/internal/deadline"
	"github.com/irbot/irbot/workflows"
)

// Short messages in the incident channel, one per change people must notice.

// NoticeDrafted says a notice was drafted and who approves it.
func NoticeDrafted(n workflows.NoticeState, by string) string {
	msg := fmt.Sprintf(":memo: %s drafted notice *%s* for %s/%s", Mention(by), Escape(n.ID), Escape(n.Regime), Escape(n.Obligation))
	if len(n.Missing) > 0 {
		return msg + fmt.Sprintf("; %d required field(s) still missing (`/incident facts`).", len(n.Missing))
	}
	return msg + ". A second person (DPO or legal) approves it: `/incident notices`."
}

// NoticeSent says what went to whom, with its Message-ID. A notice to
// individuals names no addresses (they are personal data): it counts them.
func NoticeSent(n workflows.NoticeSummary) string {
	whom := Escape(strings.Join(n.To, ", "))
	if n.Recipient == "individuals" {
		count := len(n.To)
		if n.Campaign != nil && n.Campaign.Total > 0 {
			count = n.Campaign.Total
		}
		whom = fmt.Sprintf("%d affected people", count)
	}
	msg := fmt.Sprintf(":incoming_envelope: Notice *%s* (%s/%s) was sent to %s", Escape(n.ID), Escape(n.Regime), Escape(n.Obligation), whom)
	if n.SentAt != nil {
		msg += " at " + UTC(*n.SentAt)
	}
	if n.MessageID != "" {
		msg += " · Message-ID `" + Escape(n.MessageID) + "`"
	}
	return Truncate(msg+".", MaxFallbackText)
}

// Changes are the channel messages for what changed from prev to cur: the
// severity, the commander, the phase, each clock added, moved, overdue or
// settled, each notice sent, and the close.
func Changes(prev, cur workflows.IncidentState, now time.Time) []string {
	var out []string
	if cur.Severity != prev.Severity && cur.Severity != "" {
		out = append(out, fmt.Sprintf("%s Severity is now *%s* (was %s).", severityIcon[cur.Severity], Escape(cur.Severity), Escape(orNone(prev.Severity))))
	}
	if c, p := roleHolder(cur, "commander"), roleHolder(prev, "commander"); c != p && c != "" {
		msg := ":busts_in_silhouette: " + Mention(c) + " is now the incident commander"
		if p != "" {
			msg += ", taking over from " + Mention(p)
		}
		out = append(out, msg+".")
	}
	if cur.Phase != prev.Phase && cur.Phase != "" && cur.Status != workflows.StatusClosed {
		out = append(out, ":arrow_forward: Phase: *"+Escape(phaseName(cur, cur.Phase))+"* (after "+Escape(phaseName(prev, prev.Phase))+").")
	}
	for _, c := range cur.Clocks {
		var old *workflows.ClockState
		for i := range prev.Clocks {
			if prev.Clocks[i].Key() == c.Key() {
				old = &prev.Clocks[i]
			}
		}
		name := c.Key()
		if c.Name != "" {
			name = Escape(c.Name) + " (" + c.Key() + ")"
		}
		switch {
		case old == nil:
			msg := ":alarm_clock: New clock: " + name
			if c.DueAt != nil {
				msg += ", " + deadline.Left(*c.DueAt, now) + " (" + UTC(*c.DueAt) + ")"
			}
			out = append(out, msg+".")
		case old.Open() && !c.Open():
			out = append(out, ":white_check_mark: Clock settled: "+name+" ("+Escape(c.Status)+").")
		case c.Status == workflows.ClockOverdue && old.Status != workflows.ClockOverdue:
			out = append(out, ":rotating_light: Clock overdue: "+name+".")
		case c.Open() && c.DueAt != nil && (old.DueAt == nil || !old.DueAt.Equal(*c.DueAt)):
			out = append(out, ":alarm_clock: Clock changed: "+name+" is now "+deadline.Left(*c.DueAt, now)+" ("+UTC(*c.DueAt)+").")
		}
	}
	for _, n := range cur.Notices {
		if n.Status != workflows.NoticeSent {
			continue
		}
		was := ""
		for _, o := range prev.Notices {
			if o.ID == n.ID {
				was = o.Status
			}
		}
		if was != workflows.NoticeSent {
			out = append(out, NoticeSent(n))
		}
	}
	if cur.Status == workflows.StatusClosed && prev.Status != workflows.StatusClosed {
		out = append(out, ":lock: Incident "+cur.ID+" is closed.")
	}
	for i := range out {
		out[i] = Truncate(out[i], MaxFallbackText)
	}
	return out
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

func roleHolder(st workflows.IncidentState, role string) string {
	who := ""
	for _, r := range st.Roles {
		if r.Role == role {
			who = r.User
		}
	}
	return who
}

func phaseName(st workflows.IncidentState, id string) string {
	for _, ph := range st.Phases {
		if ph.ID == id && ph.Title != "" {
			return ph.Title
		}
	}
	return id
}

// The status update modal (/incident update): its callback, inputs and the
// choices of when the next update is due (minutes from now).
const (
	CallbackUpdate    = "irbot.update"
	BlockUpdateStatus = "update_status"
	BlockUpdateNext   = "update_next"
	BlockUpdateDue    = "update_due"
)

var updateDue = []durationChoice{{30, "In 30 minutes"}, {60, "In 1 hour"}, {240, "In 4 hours"}, {1440, "In 24 hours"}}

// UpdateModal asks for a status update: where things stand, the next
// steps, and when the next update is due.
func UpdateModal(incidentID string) goslack.ModalViewRequest {
	due := durationSelect(updateDue, "When", 1)
	return goslack.ModalViewRequest{
		Type:       goslack.VTModal,
		CallbackID: CallbackUpdate,
		Title:      plain("Status update", MaxModalTitle),
		Submit:     plain("Post update", MaxModalTitle),
		Close:      plain("Cancel", MaxModalTitle),
		Blocks: goslack.Blocks{BlockSet: []goslack.Block{
			textInput(BlockUpdateStatus, "Current status", "Contained; scope confirmed at 12 000 customers", true, false, 2000, ""),
			textInput(BlockUpdateNext, "Next steps", "Draft the Art. 33 notice; reset passwords", true, true, 2000, ""),
			goslack.NewInputBlock(BlockUpdateDue, plain("Next update due", 2000), nil, due),
		}},
		PrivateMetadata: incidentID,
	}
}

// StatusUpdate is one submitted status update.
type StatusUpdate struct {
	Status, Next string
	Due          time.Time
}

// ParseUpdate reads a submitted update modal; Due counts from now.
func ParseUpdate(state *goslack.ViewState, now time.Time) StatusUpdate {
	u := StatusUpdate{Status: InputValue(state, BlockUpdateStatus), Next: InputValue(state, BlockUpdateNext), Due: now.Add(time.Hour)}
	if state != nil {
		for _, d := range updateDue {
			if state.Values[BlockUpdateDue][InputAction].SelectedOption.Value == fmt.Sprint(d.minutes) {
				u.Due = now.Add(time.Duration(d.minutes) * time.Minute)
			}
		}
	}
	return u
}

// UpdateNote is the update as the timeline keeps it.
func (u StatusUpdate) UpdateNote() string {
	s := "Status update: " + u.Status
	if u.Next != "" {
		s += "\nNext steps: " + u.Next
	}
	return s + "\nNext update due: " + UTC(u.Due)
}

// UpdateMessage is the update as the channel (and the announcement's
// thread) shows it.
func UpdateMessage(incidentID, by string, u StatusUpdate) ([]goslack.Block, string) {
	head := fmt.Sprintf(":mega: *Status update* on %s from %s", incidentID, Mention(by))
	body := "*Status*\n" + Escape(u.Status)
	if u.Next != "" {
		body += "\n*Next steps*\n" + Escape(u.Next)
	}
	blocks := []goslack.Block{
		goslack.NewSectionBlock(mrkdwn(head), nil, nil),
		goslack.NewSectionBlock(mrkdwn(body), nil, nil),
		goslack.NewContextBlock("", mrkdwn("Next update due "+UTC(u.Due))),
	}
	return blocks, Truncate(fmt.Sprintf("Status update on %s: %s", incidentID, u.Status), MaxFallbackText)
}

// NudgeText is what the commander (or, without one, the channel) is told
// when a status update is overdue, or when the incident still has no
// commander or severity.
func NudgeText(n workflows.Nudge, channelID string, now time.Time) string {
	where := ""
	if channelID != "" {
		where = " in <#" + channelID + ">"
	}
	if n.Kind == workflows.NudgeUnowned {
		var todo []string
		for _, m := range n.Missing {
			switch m {
			case "commander":
				todo = append(todo, "no commander (`/incident role commander @person`)")
			case "severity":
				todo = append(todo, "no severity (`/incident severity high`)")
			}
		}
		return fmt.Sprintf(":warning: *%s* still has %s, %s after it was declared. Someone must own it.",
			n.IncidentID, strings.Join(todo, " and "), humanDuration(n.Cadence))
	}
	due := ""
	if n.DueAt != nil {
		due = " by " + deadline.Span(now.Sub(*n.DueAt)) + " (was due " + UTC(*n.DueAt) + ")"
	}
	return fmt.Sprintf(":hourglass: A status update on *%s* is overdue%s: at %s severity one is due every %s. Post it with `/incident update`%s.",
		n.IncidentID, due, n.Severity, humanDuration(n.Cadence), where)
}

// humanDuration writes a Go duration ("1h0m0s") as people do ("1 h").
func humanDuration(s string) string {
	d, err := time.ParseDuration(s)
	if err != nil {
		return s
	}
	return deadline.Span(d)
}

// CommanderInstructions is what a commander is told privately: on taking
// the role, and on joining the incident channel.
const CommanderInstructions = "You coordinate: keep the severity right, hand out roles (`/incident role ROLE @person`), " +
	"watch the clocks on the pinned card, and close with `/incident close` when done."

// Welcome is what a person who joins an incident channel is told privately:
// the incident, a link to its card, and what their roles ask of them (the
// commander's instructions; the open tasks of their other roles in the
// current phase), or how to get a role.
func Welcome(st workflows.IncidentState, user, cardLink string) string {
	card := "the pinned card"
	if cardLink != "" {
		card = "<" + cardLink + "|the incident card>"
	}
	s := fmt.Sprintf(":wave: Welcome to *%s*: %s (severity %s, phase %s). Everything is on %s; `/incident status` sums it up.",
		st.ID, Escape(Truncate(st.Title, 200)), st.Severity, Escape(phaseTitle(st, st.Phase)), card)
	var roles []string
	for _, r := range st.Roles {
		if r.User == user {
			roles = append(roles, r.Role)
		}
	}
	if len(roles) == 0 {
		return s + "\nYou hold no role in it yet: the commander gives one with `/incident role ROLE @you`; `/incident help` lists the commands."
	}
	s += "\nYou are *" + strings.Join(roles, ", ") + "*."
	for _, role := range roles {
		if role == "commander" {
			s += "\n" + CommanderInstructions
			continue
		}
		var tasks []string
		for _, t := range st.Tasks {
			if t.Role == role && t.Phase == st.Phase && !t.Done {
				tasks = append(tasks, "`"+t.ID+"` "+Escape(Truncate(t.Title, 150)))
			}
		}
		if len(tasks) == 0 {
			s += fmt.Sprintf("\nAs %s you have no open task in this phase.", role)
			continue
		}
		s += fmt.Sprintf("\nAs %s, your open tasks now: %s. Mark one done with `/incident task done ID`.", role, strings.Join(tasks, "; "))
	}
	return Truncate(s, MaxFallbackText)
}

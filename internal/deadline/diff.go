package deadline

import (
	"fmt"
	"time"
)

// Change is one difference between two evaluations of the same incident,
// worded for the incident timeline.
type Change struct {
	Kind       string     `json:"kind"` // added, removed, due_earlier, due_later, started, paused, resumed, waiting
	Regime     string     `json:"regime"`
	Obligation string     `json:"obligation"`
	OldDue     *time.Time `json:"old_due,omitempty"`
	NewDue     *time.Time `json:"new_due,omitempty"`
	Message    string     `json:"message"`
}

// Change kinds.
const (
	ChangeAdded      = "added"       // a threshold was crossed, a flag or regime added: a new obligation
	ChangeRemoved    = "removed"     // no longer applies (count corrected down, flag cleared)
	ChangeDueEarlier = "due_earlier" // e.g. awareness moved earlier
	ChangeDueLater   = "due_later"   // e.g. a delay, or a trigger moved later
	ChangeStarted    = "started"     // was waiting for its trigger or prior stage, now has a due time
	ChangePaused     = "paused"      // an open-ended delay holds the clock
	ChangeResumed    = "resumed"     // the delay ended
	ChangeWaiting    = "waiting"     // had a due time, now waits again (a trigger was withdrawn)
)

// Diff lists what changed from old to new, in new's order, then the
// obligations that disappeared in old's order. Obligations are matched by
// regime and obligation id.
func Diff(old, new []Obligation) []Change {
	prev := map[string]Obligation{}
	for _, o := range old {
		prev[o.Key()] = o
	}
	next := map[string]bool{}
	var out []Change
	for _, n := range new {
		next[n.Key()] = true
		o, had := prev[n.Key()]
		c := Change{Regime: n.Regime, Obligation: n.Obligation, OldDue: o.DueAt, NewDue: n.DueAt}
		switch {
		case !had:
			c.Kind = ChangeAdded
			c.OldDue = nil
			c.Message = fmt.Sprintf("new obligation %s (%s)", n.Key(), n.Name)
			if n.Threshold != "" {
				c.Message = fmt.Sprintf("threshold crossed: new obligation %s (%s): %s", n.Key(), n.Name, n.Threshold)
			}
			c.Message += dueText(n)
		case n.Paused && !o.Paused:
			c.Kind = ChangePaused
			c.Message = fmt.Sprintf("%s clock paused: %s", n.Key(), n.Basis)
		case o.Paused && !n.Paused:
			c.Kind = ChangeResumed
			c.Message = fmt.Sprintf("%s clock resumed%s", n.Key(), dueText(n))
		case o.DueAt == nil && n.DueAt != nil:
			c.Kind = ChangeStarted
			c.Message = fmt.Sprintf("%s clock started (%s known)%s", n.Key(), o.WaitingFor, dueText(n))
		case o.DueAt != nil && n.DueAt == nil && n.WaitingFor != "":
			c.Kind = ChangeWaiting
			c.Message = fmt.Sprintf("%s waits for %s again", n.Key(), n.WaitingFor)
		case o.DueAt != nil && n.DueAt != nil && n.DueAt.Before(*o.DueAt):
			c.Kind = ChangeDueEarlier
			c.Message = fmt.Sprintf("%s now due %s, earlier than %s%s", n.Key(), n.DueAt.Format(time.RFC3339), o.DueAt.Format(time.RFC3339), startMoved(o, n))
		case o.DueAt != nil && n.DueAt != nil && n.DueAt.After(*o.DueAt):
			c.Kind = ChangeDueLater
			c.Message = fmt.Sprintf("%s now due %s, later than %s%s", n.Key(), n.DueAt.Format(time.RFC3339), o.DueAt.Format(time.RFC3339), startMoved(o, n))
		default:
			continue
		}
		out = append(out, c)
	}
	for _, o := range old {
		if next[o.Key()] {
			continue
		}
		out = append(out, Change{
			Kind: ChangeRemoved, Regime: o.Regime, Obligation: o.Obligation, OldDue: o.DueAt,
			Message: fmt.Sprintf("%s (%s) no longer applies", o.Key(), o.Name),
		})
	}
	return out
}

func dueText(o Obligation) string {
	switch {
	case o.DueAt != nil:
		return ", due " + o.DueAt.Format(time.RFC3339)
	case o.WaitingFor != "":
		return ", waiting for " + o.WaitingFor
	}
	return ""
}

// startMoved explains a changed due time by a moved trigger.
func startMoved(o, n Obligation) string {
	if o.StartedAt == nil || n.StartedAt == nil || o.StartedAt.Equal(*n.StartedAt) {
		return ""
	}
	dir := "later"
	if n.StartedAt.Before(*o.StartedAt) {
		dir = "earlier"
	}
	return fmt.Sprintf(" (%s moved %s, from %s to %s)", n.Trigger, dir, o.StartedAt.Format(time.RFC3339), n.StartedAt.Format(time.RFC3339))
}

package workflows

import (
	"slices"

	"github.com/irbot/irbot/internal/policy"
	"time"
)

// Offers is what a surface may offer a person on an incident now: the
// actions whose role rules they pass (the policy table, a task's or a gate's
// roles, a notice's approvers, the two-person rules) in the incident's
// current state. It runs the validators' own rules, so a form is shown
// exactly when the workflow would not refuse it for who is asking; the
// validators still decide every action when it arrives.
type Offers struct {
	// Tasks and Gates are the IDs of the tasks they may complete and the
	// gates they may approve now.
	Tasks []string
	Gates []string
	// SetFact, Note and CreateNotice: the incident-wide actions.
	SetFact      bool
	Note         bool
	CreateNotice bool
	// Notices maps a notice ID to the notice actions (NoticeApprove,
	// NoticeSend, NoticeReject) they may take on it in its current status.
	Notices map[string][]string
}

// Any reports whether anything at all is offered.
func (o Offers) Any() bool {
	return len(o.Tasks) > 0 || len(o.Gates) > 0 || o.SetFact || o.Note || o.CreateNotice || len(o.Notices) > 0
}

// Task reports whether completing task id is offered.
func (o Offers) Task(id string) bool { return slices.Contains(o.Tasks, id) }

// Gate reports whether approving gate id is offered.
func (o Offers) Gate(id string) bool { return slices.Contains(o.Gates, id) }

// noticeActionStatuses are the notice statuses each offered notice action
// applies to (the validators' status rules).
var noticeActionStatuses = map[string][]string{
	NoticeApprove: {NoticeDraft},
	NoticeSend:    {NoticeApproved, NoticeFailed},
	NoticeReject:  {NoticeDraft, NoticeApproved, NoticeFailed},
}

// OffersFor returns what actor may be offered on the incident st, with
// notices as their latest state (st.Notices when the caller has nothing
// fresher). a carries the person's roles from the users file; the roles the
// incident assigned them are added here, as the validators add them.
func OffersFor(st IncidentState, a Actor, notices []NoticeSummary) Offers {
	var o Offers
	if a.ID == "" || st.Status == StatusClosed {
		return o
	}
	inc := &incident{state: st}
	eff := a
	eff.Roles = inc.effectiveRoles(a)
	if len(policy.Acting(eff.Roles)) == 0 {
		return o
	}
	for _, t := range st.Tasks {
		if !t.Done && completeTaskAction.validate(inc, Action{Type: ActionCompleteTask, Actor: a, Task: t.ID}, time.Time{}) == nil {
			o.Tasks = append(o.Tasks, t.ID)
		}
	}
	for _, g := range st.Gates {
		if !g.Approved && approveAction.validate(inc, Action{Type: ActionApprove, Actor: a, Gate: g.ID}, time.Time{}) == nil {
			o.Gates = append(o.Gates, g.ID)
		}
	}
	o.SetFact = inc.actionAllowed(ActionSetFact, a) == nil
	o.Note = inc.actionAllowed(ActionNote, a) == nil
	if inc.actionAllowed(ActionCreateNotice, a) == nil {
		o.CreateNotice = slices.ContainsFunc(st.Clocks, func(c ClockState) bool { return c.Recipient != "" && c.Recipient != "internal" })
	}
	if notices == nil {
		notices = st.Notices
	}
	for _, n := range notices {
		approvers := noticeApprovers(st, n.Recipient)
		var acts []string
		for _, typ := range []string{NoticeApprove, NoticeSend, NoticeReject} {
			if !slices.Contains(noticeActionStatuses[typ], n.Status) {
				continue
			}
			var err error
			switch typ {
			case NoticeApprove:
				if len(n.Missing) > 0 {
					continue
				}
				err = mayApproveNotice(n, approvers, eff)
			case NoticeSend:
				err = maySendNotice(eff)
			case NoticeReject:
				err = mayRejectNotice(n, approvers, eff)
			}
			if err == nil {
				acts = append(acts, typ)
			}
		}
		if len(acts) > 0 {
			if o.Notices == nil {
				o.Notices = map[string][]string{}
			}
			o.Notices[n.ID] = acts
		}
	}
	return o
}

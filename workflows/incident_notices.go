package workflows

import (
	"fmt"
	"net/mail"
	"slices"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/workflow"

	"github.com/irbot/irbot/internal/deadline"
	"github.com/irbot/irbot/templates"
)

// Roles that may draft a notice, and the roles that may always approve one
// (besides the roles of the playbook's notice-approval gate).
var (
	noticeDraftRoles    = []string{"dpo", "legal", "commander", "admin"}
	noticeApproverRoles = []string{"dpo", "legal"}
)

// noticeGates names the playbook gate whose roles may also approve a notice
// to each kind of recipient.
var noticeGates = map[string]string{
	"authority":   "regulator-notice-approval",
	"individuals": "customer-notice-approval",
}

// noticeApprovers are the roles that may approve a notice to recipient:
// the notice approvers plus the roles of the playbook's gate for that kind
// of recipient.
func noticeApprovers(st IncidentState, recipient string) []string {
	out := slices.Clone(noticeApproverRoles)
	for _, g := range st.Gates {
		if g.ID == noticeGates[recipient] {
			for _, r := range g.Roles {
				if !slices.Contains(out, r) {
					out = append(out, r)
				}
			}
		}
	}
	return out
}

// maxNoticeAddresses bounds a notice's To list; larger audiences are campaigns.
const maxNoticeAddresses = 50

// setupNotices registers the create_notice Update and starts the coroutine
// that takes the notices' reports.
func (inc *incident) setupNotices(ctx workflow.Context) error {
	if err := workflow.SetUpdateHandlerWithOptions(ctx, ActionCreateNotice, inc.handler(ActionCreateNotice), workflow.UpdateHandlerOptions{
		Validator: func(ctx workflow.Context, a Action) error { return inc.validate(ActionCreateNotice, a) },
	}); err != nil {
		return err
	}
	ch := workflow.GetSignalChannel(ctx, SignalNoticeChanged)
	inc.inbox = append(inc.inbox, ch)
	workflow.Go(ctx, func(ctx workflow.Context) {
		for {
			var s NoticeSummary
			ch.Receive(ctx, &s)
			inc.noticeChanged(ctx, s)
		}
	})
	return nil
}

func (inc *incident) notice(id string) *NoticeSummary {
	for i := range inc.state.Notices {
		if inc.state.Notices[i].ID == id {
			return &inc.state.Notices[i]
		}
	}
	return nil
}

func noticeOpen(status string) bool {
	switch status {
	case NoticeDraft, NoticeApproved, NoticeSending, NoticeFailed:
		return true
	}
	return false
}

func (inc *incident) validateCreateNotice(a Action) error {
	if err := inc.actionAllowed(ActionCreateNotice, a.Actor); err != nil {
		return err
	}
	if a.Regime == "" || a.Obligation == "" {
		return rejection("a notice needs regime and obligation, e.g. eu-gdpr and supervisory-authority")
	}
	c := inc.clock(a.Regime, a.Obligation)
	if c == nil {
		keys := []string{}
		for _, k := range inc.state.Clocks {
			if k.Recipient != "internal" {
				keys = append(keys, k.Key())
			}
		}
		return rejection("incident %s has no obligation %s/%s to notify; its notifiable obligations are %s", inc.state.ID, a.Regime, a.Obligation, strings.Join(keys, ", "))
	}
	if c.Recipient == "internal" || c.Recipient == "" {
		return rejection("%s is an internal obligation: there is no one to send a notice to; record it instead", c.Key())
	}
	if a.Follows != "" {
		prev := inc.notice(a.Follows)
		if prev == nil {
			return rejection("notice %q does not exist in incident %s", a.Follows, inc.state.ID)
		}
		if prev.Regime != a.Regime {
			return rejection("a follow-up must be to the same regime: %s is a %s notice", prev.ID, prev.Regime)
		}
		if prev.Status != NoticeSent {
			return rejection("notice %s is %s: a follow-up refers to a notice that was sent", prev.ID, prev.Status)
		}
	} else if !c.Open() {
		return rejection("%s is already settled (%s); to add information, draft a follow-up (follows) to the notice that was sent", c.Key(), c.Status)
	}
	for _, n := range inc.state.Notices {
		if n.Regime == a.Regime && n.Obligation == a.Obligation && noticeOpen(n.Status) && a.Follows == "" {
			return rejection("notice %s for %s is still %s: approve, send, reject or decide on it first", n.ID, c.Key(), n.Status)
		}
	}
	if _, err := templates.NoticeLanguage(c.Regime, c.Obligation, c.Recipient, a.Language); err != nil {
		return rejection("%s", err.Error())
	}
	if len(a.To) == 0 && c.Recipient != "individuals" {
		return rejection("a notice to the %s needs at least one address (to)", c.Recipient)
	}
	if len(a.To) > maxNoticeAddresses {
		return rejection("a notice takes at most %d addresses; send to a list of people with a campaign", maxNoticeAddresses)
	}
	for _, t := range a.To {
		addr, err := mail.ParseAddress(t)
		if err != nil || !strings.Contains(addr.Address, "@") || strings.ContainsAny(t, "\r\n") {
			return rejection("%q is not an email address", t)
		}
	}
	return nil
}

// createNotice starts the notice's NoticeWorkflow with the incident's facts
// and the rule's required content, and lists it on the incident.
func (inc *incident) createNotice(ctx workflow.Context, a Action, actor string, data map[string]any) int {
	c := inc.clock(a.Regime, a.Obligation)
	id := fmt.Sprintf("N%d", len(inc.state.Notices)+1)
	in := NoticeInput{
		IncidentID: inc.state.ID, IncidentTitle: inc.state.Title, NoticeID: id, Mode: inc.state.Mode,
		Regime: c.Regime, RegimeName: c.Regime, Obligation: c.Obligation, ObligationName: c.Name, Recipient: c.Recipient,
		Source: c.Source, To: a.To, DueAt: c.DueAt, DraftedBy: a.Actor, DraftedAt: workflow.Now(ctx).UTC(),
		ApproverRoles: noticeApprovers(inc.state, c.Recipient), Facts: inc.state.Facts, Required: []string{},
		Language: a.Language,
	}
	if in.ObligationName == "" {
		in.ObligationName = c.Obligation
	}
	if r, ok := inc.rules.Regime(c.Regime); ok {
		in.RegimeName = r.Name
		if rule, ok := r.Rule(c.Obligation); ok {
			in.Required = slices.Clone(rule.RequiredContent)
			in.RecipientDetail = rule.RecipientDetail
		}
	}
	if a.Follows != "" {
		prev := inc.notice(a.Follows)
		f := &templates.NoticeFollow{NoticeID: prev.ID, MessageID: prev.MessageID, Reference: prev.Reference}
		if prev.SentAt != nil {
			f.SentAt = prev.SentAt.UTC().Format("2 January 2006 15:04 UTC")
		}
		if f.Reference == "" {
			if pc := inc.clock(prev.Regime, prev.Obligation); pc != nil {
				f.Reference = pc.Reference
			}
		}
		in.Follows = f
	}
	cctx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{
		WorkflowID:            NoticeWorkflowID(inc.state.ID, id),
		ParentClosePolicy:     enumspb.PARENT_CLOSE_POLICY_ABANDON,
		WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
	})
	to := slices.Clone(a.To)
	if to == nil {
		to = []string{}
	}
	s := NoticeSummary{
		ID: id, Regime: c.Regime, Obligation: c.Obligation, Recipient: c.Recipient, To: to, Status: NoticeDraft,
		Missing: templates.MissingFields(in.Required, inc.state.Facts), DraftedBy: actor, DueAt: c.DueAt,
		Follows: a.Follows, Revision: 1, Language: a.Language,
	}
	inc.state.Notices = append(inc.state.Notices, s)
	fut := workflow.ExecuteChildWorkflow(cctx, NoticeWorkflowName, in)
	if err := fut.GetChildWorkflowExecution().Get(ctx, nil); err != nil {
		workflow.GetLogger(ctx).Error("start notice", "incident", inc.state.ID, "notice", id, "error", err)
		if n := inc.notice(id); n != nil {
			n.Status, n.Reason = NoticeFailed, "the notice workflow did not start: "+err.Error()
		}
	}
	data["notice"], data["regime"], data["obligation"], data["recipient"] = id, c.Regime, c.Obligation, c.Recipient
	data["to"], data["follows"], data["missing"] = len(a.To), a.Follows, s.Missing
	if a.Language != "" {
		data["language"] = a.Language
	}
	return inc.recordEvent(ctx, "notice.drafted", actor, data, nil)
}

// noticesFactsChanged sends the facts to every notice still being drafted or
// approved, so its text follows the assessment.
func (inc *incident) noticesFactsChanged(ctx workflow.Context) {
	for _, n := range inc.state.Notices {
		if n.Status == NoticeDraft || n.Status == NoticeApproved {
			workflow.SignalExternalWorkflow(ctx, NoticeWorkflowID(inc.state.ID, n.ID), "", SignalNoticeFacts, inc.state.Facts)
		}
	}
}

// noticesClosed tells every open notice its incident closed.
func (inc *incident) noticesClosed(ctx workflow.Context) {
	for _, n := range inc.state.Notices {
		if noticeOpen(n.Status) && n.Status != NoticeSending {
			workflow.SignalExternalWorkflow(ctx, NoticeWorkflowID(inc.state.ID, n.ID), "", SignalNoticeClose, nil)
		}
	}
}

// noticeChanged takes a notice's report: a delivered notice is recorded
// against its clock and in the register (the same path as
// record_notification), a decision not to notify settles the clock, and a
// failed delivery gives a person a task while the clock keeps escalating.
func (inc *incident) noticeChanged(ctx workflow.Context, s NoticeSummary) {
	n := inc.notice(s.ID)
	if n == nil {
		return
	}
	old := n.Status
	*n = s
	if old == s.Status {
		return
	}
	by := s.By
	if by == "" {
		by = "irbot"
	}
	c := inc.clock(s.Regime, s.Obligation)
	switch s.Status {
	case NoticeSent:
		if s.SentAt == nil {
			return
		}
		data := map[string]any{"source": "notice", "notice": s.ID}
		inc.recordNotification(ctx, by, c, s, *s.SentAt, s.Reference, s.Reason, data)
	case NoticeApproved:
		if auditRecord(ctx) {
			inc.noticeGateApproved(ctx, s)
		}
	case NoticeNotNotified:
		if c != nil && c.Open() {
			inc.decideNotToNotify(ctx, by, c, s.Reason, map[string]any{"source": "notice", "notice": s.ID}, workflow.Now(ctx).UTC())
		}
	case NoticeFailed:
		taskID := "notice-" + strings.ToLower(s.ID) + "-failed"
		title := fmt.Sprintf("Notice %s (%s/%s) was not delivered: %s. Fix it and send again, send it another way and record it, or decide not to notify", s.ID, s.Regime, s.Obligation, s.Reason)
		found := false
		for i := range inc.state.Tasks {
			if inc.state.Tasks[i].ID == taskID {
				t := &inc.state.Tasks[i]
				t.Title, t.Done, t.DoneBy, t.DoneAt, found = title, false, "", nil, true
			}
		}
		if !found {
			inc.state.Tasks = append(inc.state.Tasks, TaskState{ID: taskID, Title: title, Phase: inc.state.Phase, Role: "dpo"})
		}
		inc.recordEvent(ctx, "task.added", "irbot", map[string]any{"task": taskID, "title": title, "role": "dpo", "notice": s.ID, "regime": s.Regime, "obligation": s.Obligation}, nil)
	case NoticeSending:
		for i := range inc.state.Tasks {
			if t := &inc.state.Tasks[i]; t.ID == "notice-"+strings.ToLower(s.ID)+"-failed" && !t.Done {
				now := workflow.Now(ctx).UTC()
				t.Done, t.DoneBy, t.DoneAt = true, by, &now
			}
		}
	}
	inc.state.NextAction = inc.nextAction()
}

// recordNotification records a notice as sent against its obligation: the
// clock is met or late, the register gets the entry (never in a drill), the
// clock workflow is settled and later stages re-evaluated. n is the notice
// irbot delivered (nil when a person records one sent another way). A
// follow-up to a settled clock adds its own register entry and leaves the
// clock as it is.
func (inc *incident) recordNotification(ctx workflow.Context, actor string, c *ClockState, n NoticeSummary, sent time.Time, reference, reason string, data map[string]any) int {
	now := workflow.Now(ctx).UTC()
	if c == nil {
		return inc.queued
	}
	sent = sent.UTC()
	// In a drill, met or late is judged in scenario time; SentAt stays the
	// real time it was sent (the report maps it itself).
	sentAt := inc.scenarioAt(sent)
	onTime := c.DueAt == nil || !sentAt.After(*c.DueAt)
	settle := c.Open()
	lateReason := ""
	if !onTime {
		lateReason = reason
	}
	if settle {
		c.SentAt, c.Reference = &sent, reference
		c.Status = ClockMet
		if !onTime {
			c.Status, c.LateReason = ClockLate, reason
		}
		c.SettledAt = &now
		if c.DueAt != nil {
			if onTime {
				c.MetBy = deadline.Span(c.DueAt.Sub(sentAt))
				data["met_by"] = c.MetBy
			} else {
				c.LateBy = deadline.Span(sentAt.Sub(*c.DueAt))
				data["late_by"] = c.LateBy
			}
		}
	}
	if now.Sub(sent) > sentAtFlagAfter {
		// Stated long after the fact: the timeline says so, so nobody
		// mistakes a back-dated record for a timely one.
		data["recorded_after"] = deadline.Span(now.Sub(sent))
		data["flag"] = fmt.Sprintf("sent_at is %s before it was recorded", deadline.Span(now.Sub(sent)))
	}
	reg := &RegisterEntry{
		ID: fmt.Sprintf("%s/%s/%s/recorded", inc.state.ID, c.Regime, c.Obligation), IncidentID: inc.state.ID,
		Kind: "notice", Regime: c.Regime, Obligation: c.Obligation, Recipient: c.Recipient, Status: "sent",
		DueAt: c.DueAt, SentAt: &sent, OnTime: &onTime, LateReason: lateReason, Reference: reference,
		DecidedBy: actor, RecordedAt: now,
	}
	kind := "notification.recorded"
	if n.ID != "" {
		reg.ID = fmt.Sprintf("%s/%s/%s/notice/%s", inc.state.ID, c.Regime, c.Obligation, n.ID)
		reg.To, reg.MessageID, reg.ContentHash, reg.DecidedBy = n.To, n.MessageID, n.ContentHash, n.ApprovedBy
		data["message_id"], data["content_hash"], data["approved_by"] = n.MessageID, n.ContentHash, n.ApprovedBy
		if n.Follows != "" {
			data["follows"] = n.Follows
		}
		if n.Language != "" {
			data["language"], reg.Language = n.Language, n.Language
		}
		if n.Campaign != nil {
			data["campaign_sent"], data["campaign_total"] = n.Campaign.Sent, n.Campaign.Total
		}
		if !settle {
			kind = "notice.registered"
		}
	}
	if inc.state.Mode == ModeDrill {
		reg = nil // drills never enter the register
	}
	data["regime"], data["obligation"], data["sent_at"] = c.Regime, c.Obligation, sent.Format(time.RFC3339)
	data["occurred_at"] = sent.Format(time.RFC3339Nano)
	data["reference"], data["on_time"], data["late_reason"] = reference, onTime, lateReason
	idx := inc.recordEvent(ctx, kind, actor, data, reg)
	if !settle {
		return idx
	}
	inc.settleClock(ctx, c, sent)
	if i := inc.reevaluate(ctx, actor, fmt.Sprintf("%s/%s submitted", c.Regime, c.Obligation)); i > 0 {
		idx = i
	}
	return idx
}

// decideNotToNotify settles a clock with a documented decision not to notify.
func (inc *incident) decideNotToNotify(ctx workflow.Context, actor string, c *ClockState, rationale string, data map[string]any, now time.Time) int {
	deciders := []string{actor}
	if c.Recipient == "authority" && auditRecord(ctx) {
		// Not telling the supervisory authority weighs as much as telling
		// it: two people, as for a notice.
		p := c.Proposed
		if p == nil {
			c.Proposed = &Decision{By: actor, Reason: rationale, At: now}
			data["regime"], data["obligation"], data["rationale"] = c.Regime, c.Obligation, rationale
			data["needs"] = "a second person with the role dpo, legal or admin to confirm (decide_not_to_notify)"
			return inc.recordEvent(ctx, "notification.not_required.proposed", actor, data, nil)
		}
		if p.By == actor {
			return inc.queued
		}
		if strings.TrimSpace(rationale) == "" {
			rationale = p.Reason
		}
		data["proposed_by"], data["proposed_at"], data["proposed_rationale"] = p.By, p.At.UTC().Format(time.RFC3339), p.Reason
		deciders = []string{p.By, actor}
		c.Proposed = nil
	}
	c.Status = ClockNotNotified
	c.DecidedBy, c.SettledAt = deciders, &now
	reg := &RegisterEntry{
		ID: fmt.Sprintf("%s/%s/%s/not-notified", inc.state.ID, c.Regime, c.Obligation), IncidentID: inc.state.ID,
		Kind: "not_notified", Regime: c.Regime, Obligation: c.Obligation, Recipient: c.Recipient, Status: "not_notified",
		DueAt: c.DueAt, DecidedBy: strings.Join(deciders, ", "), Rationale: rationale, RecordedAt: now,
	}
	if inc.state.Mode == ModeDrill {
		reg = nil
	}
	data["regime"], data["obligation"], data["rationale"] = c.Regime, c.Obligation, rationale
	data["decided_by"] = deciders
	idx := inc.recordEvent(ctx, "notification.not_required", actor, data, reg)
	inc.settleClock(ctx, c, now)
	return idx
}

// sentAtFlagAfter is how long after a notice was sent its recording is
// flagged on the timeline as back-dated.
const sentAtFlagAfter = 24 * time.Hour

// noticeGateApproved satisfies the playbook gate that approves notices to
// the notice's recipient with the notice's own two-person approval (its
// drafter and its approver), and only then.
func (inc *incident) noticeGateApproved(ctx workflow.Context, s NoticeSummary) {
	id := noticeGates[s.Recipient]
	for i := range inc.state.Gates {
		g := &inc.state.Gates[i]
		if g.ID != id || g.Approved {
			continue
		}
		now := workflow.Now(ctx).UTC()
		g.Approvals = []Approval{{By: s.DraftedBy, At: now}, {By: s.ApprovedBy, At: now}}
		g.Approved = true
		inc.recordEvent(ctx, "gate.approved", s.ApprovedBy, map[string]any{
			"gate": g.ID, "title": g.Title, "approvals": len(g.Approvals), "complete": true, "source": "notice",
			"notice": s.ID, "drafted_by": s.DraftedBy, "approved_by": s.ApprovedBy, "content_hash": s.ContentHash,
		}, nil)
		inc.advance(ctx)
	}
}

// sentBefore names the clock already recorded as sent to the recipient that
// notice gate gateID approves for ("" when none, or not a notice gate).
func (inc *incident) sentBefore(gateID string) string {
	for _, c := range inc.state.Clocks {
		if noticeGates[c.Recipient] == gateID && c.SentAt != nil {
			return c.Key() + " sent " + c.SentAt.UTC().Format(time.RFC3339)
		}
	}
	return ""
}

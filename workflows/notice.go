package workflows

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/irbot/irbot/internal/deadline"
	"github.com/irbot/irbot/internal/policy"
	"github.com/irbot/irbot/templates"
)

// Delivery retry policy: temporary SMTP failures (4xx, connection errors, a
// drop after DATA) are retried with backoff, the same Message-ID each time,
// until the give-up time; a permanent failure (5xx) stops at once.
const (
	// NoticeFirstBackoff is the wait before the second attempt, also after
	// an attempt whose worker died (tests bound the resume by it).
	NoticeFirstBackoff = 5 * time.Second
	noticeMaxBackoff   = 10 * time.Minute
	// noticeGiveUpMax is the longest temporary failures are retried; the
	// give-up time is also at least an hour before the due time, and never
	// less than noticeGiveUpMin from the send, so a few attempts always run.
	noticeGiveUpMax = 4 * time.Hour
	noticeGiveUpMin = 15 * time.Minute
)

// Roles that may send a notice or take its documented decisions.
var (
	noticeSendRoles     = []string{"dpo", "legal", "commander", "admin"}
	noticeNotNotifyRole = []string{"dpo", "legal", "admin"}
)

// NoticeWorkflow is one notice to a regulator or to affected people: a draft
// rendered from the incident's facts, approved by a second person, delivered
// by SMTP with a stable Message-ID (or to a recipient list by a child
// CampaignWorkflow), and reported to its incident, which records it against
// the obligation's clock and in the register.
func NoticeWorkflow(ctx workflow.Context, in NoticeInput) (NoticeResult, error) {
	n, err := newNotice(ctx, in)
	if err != nil {
		return NoticeResult{}, err
	}
	return n.run(ctx)
}

type notice struct {
	in      NoticeInput
	st      NoticeState
	facts   map[string]any
	sendReq *NoticeAction
	closed  bool
	// events serialises timeline writes: handlers and the delivery loop both
	// record, and the timeline must follow the order the workflow decided.
	events workflow.Mutex
}

func newNotice(ctx workflow.Context, in NoticeInput) (*notice, error) {
	n := &notice{in: in, facts: in.Facts, events: workflow.NewMutex(ctx)}
	if n.facts == nil {
		n.facts = map[string]any{}
	}
	if in.Resume != nil {
		n.st = *in.Resume
		if n.st.Status == NoticeSending {
			// Continue-as-new never happens mid-delivery; be safe anyway.
			n.st.Status = NoticeApproved
		}
	} else {
		to := slices.Clone(in.To)
		if to == nil {
			to = []string{}
		}
		n.st = NoticeState{
			NoticeSummary: NoticeSummary{
				ID: in.NoticeID, Regime: in.Regime, Obligation: in.Obligation, Recipient: in.Recipient, To: to,
				Status: NoticeDraft, DraftedBy: in.DraftedBy.ID, DueAt: in.DueAt, Revision: 1, Language: in.Language,
			},
			IncidentID: in.IncidentID, Mode: in.Mode, DraftedAt: in.DraftedAt, Attempts: []DeliveryAttempt{},
		}
		if in.Follows != nil {
			n.st.Follows = in.Follows.NoticeID
		}
		n.render(ctx)
	}
	handlers := []struct {
		name     string
		validate func(workflow.Context, NoticeAction) error
		apply    func(workflow.Context, NoticeAction) (NoticeState, error)
	}{
		{NoticeApprove, n.validateApprove, n.approve},
		{NoticeReject, n.validateReject, n.reject},
		{NoticeSend, n.validateSend, n.send},
		{NoticeDecideNotToNotify, n.validateNotNotify, n.notNotify},
	}
	for _, h := range handlers {
		name, validate := h.name, h.validate
		if err := workflow.SetUpdateHandlerWithOptions(ctx, name, h.apply, workflow.UpdateHandlerOptions{
			Validator: func(ctx workflow.Context, a NoticeAction) error {
				if a.Type != "" && a.Type != name {
					return rejection("action type %q sent to the %q update", a.Type, name)
				}
				if a.Actor.ID == "" {
					return rejection("the action has no actor: every change must say who made it")
				}
				if err := CheckNoticeAction(a); err != nil {
					return err
				}
				if n.closed {
					return rejection("incident %s is closed: notice %s can no longer change", n.in.IncidentID, n.st.ID)
				}
				return validate(ctx, a)
			},
		}); err != nil {
			return nil, err
		}
	}
	if err := workflow.SetQueryHandler(ctx, QueryNotice, func() (NoticeState, error) { return n.st, nil }); err != nil {
		return nil, err
	}
	return n, nil
}

func (n *notice) terminal() bool {
	switch n.st.Status {
	case NoticeSent, NoticeRejected, NoticeNotNotified:
		return true
	}
	return false
}

func (n *notice) run(ctx workflow.Context) (NoticeResult, error) {
	factsCh := workflow.GetSignalChannel(ctx, SignalNoticeFacts)
	closeCh := workflow.GetSignalChannel(ctx, SignalNoticeClose)
	workflow.Go(ctx, func(ctx workflow.Context) {
		for {
			var facts map[string]any
			factsCh.Receive(ctx, &facts)
			n.factsChanged(ctx, facts)
		}
	})
	workflow.Go(ctx, func(ctx workflow.Context) {
		closeCh.Receive(ctx, nil)
		n.closed = true
	})
	for {
		if err := workflow.Await(ctx, func() bool {
			return n.sendReq != nil || n.terminal() || n.closed || workflow.GetInfo(ctx).GetContinueAsNewSuggested()
		}); err != nil {
			return NoticeResult{}, err
		}
		if req := n.sendReq; req != nil {
			n.deliver(ctx, *req)
			n.sendReq = nil
			continue
		}
		if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); err != nil {
			return NoticeResult{}, err
		}
		if n.sendReq != nil {
			continue
		}
		if n.terminal() || n.closed {
			return NoticeResult{State: n.st}, nil
		}
		next := n.in
		st := n.st
		next.Resume, next.Facts = &st, n.facts
		return NoticeResult{}, workflow.NewContinueAsNewError(ctx, NoticeWorkflowName, next)
	}
}

// data is what the templates see.
func (n *notice) data() templates.NoticeData {
	d := templates.NoticeData{
		IncidentID: n.in.IncidentID, IncidentTitle: n.in.IncidentTitle, Regime: n.in.Regime, RegimeName: n.in.RegimeName,
		Obligation: n.in.Obligation, ObligationName: n.in.ObligationName, Recipient: n.in.Recipient,
		RecipientDetail: n.in.RecipientDetail, Source: n.in.Source, Required: n.in.Required, Facts: n.facts,
		Follows: n.in.Follows, Language: n.in.Language,
	}
	if d.RecipientDetail == "" {
		d.RecipientDetail = n.in.Recipient
	}
	if n.in.DueAt != nil {
		d.DueAt = n.in.DueAt.UTC().Format("2 January 2006 15:04 UTC")
	}
	return d
}

// render re-renders the draft from the current facts. Rendering reads the
// embedded templates, so it runs as a SideEffect: replay uses the recorded
// text even if a later build ships different templates.
func (n *notice) render(ctx workflow.Context) {
	d := n.data()
	var r templates.RenderedNotice
	err := workflow.SideEffect(ctx, func(workflow.Context) any {
		out, err := templates.RenderNotice(d)
		if err != nil {
			out = templates.RenderedNotice{Subject: "notice could not be rendered", Text: err.Error(), Missing: []string{"template"}}
		}
		return out
	}).Get(&r)
	if err != nil {
		return
	}
	n.st.Subject, n.st.Text, n.st.HTML, n.st.Template = r.Subject, r.Text, r.HTML, r.Template
	n.st.ContentHash = r.ContentHash
	n.st.Missing = r.Missing
	if n.st.Missing == nil {
		n.st.Missing = []string{}
	}
}

func (n *notice) factsChanged(ctx workflow.Context, facts map[string]any) {
	if facts == nil || (n.st.Status != NoticeDraft && n.st.Status != NoticeApproved) {
		return
	}
	n.facts = facts
	before := n.st.ContentHash
	missing := slices.Clone(n.st.Missing)
	n.render(ctx)
	if n.st.ContentHash == before {
		return
	}
	data := map[string]any{"notice": n.st.ID, "content_hash": n.st.ContentHash, "missing": n.st.Missing}
	if n.st.Status == NoticeApproved {
		// The approved text is no longer what would be sent: it needs a
		// fresh approval, and its Message-ID a new revision.
		data["approval_withdrawn_from"] = n.st.ApprovedBy
		n.st.Status, n.st.ApprovedBy, n.st.ApprovedAt = NoticeDraft, "", nil
		n.st.Revision++
		n.st.MessageID = ""
	}
	data["revision"] = n.st.Revision
	if !slices.Equal(missing, n.st.Missing) || data["approval_withdrawn_from"] != nil {
		n.event(ctx, fmt.Sprintf("redraft/%d/%s", n.st.Revision, n.st.ContentHash[:12]), "notice.redrafted", "irbot", data)
	}
	n.report(ctx, "irbot")
}

// --- validators: they must not change state ---

func holds(a Actor, roles ...string) bool {
	return policy.MayActAs(a.Roles, roles)
}

func (n *notice) validateApprove(_ workflow.Context, a NoticeAction) error {
	if n.st.Status != NoticeDraft {
		return rejection("notice %s is %s: only a draft can be approved", n.st.ID, n.st.Status)
	}
	if len(n.st.Missing) > 0 {
		return rejection("notice %s cannot be approved: required content is missing (%s); set it with set_fact and the draft updates", n.st.ID, strings.Join(n.st.Missing, ", "))
	}
	return mayApproveNotice(n.st.NoticeSummary, n.in.ApproverRoles, a.Actor)
}

// mayApproveNotice is the role rule for approving a notice: someone other
// than its drafter (two-person rule) who holds an approver role.
func mayApproveNotice(n NoticeSummary, approvers []string, a Actor) error {
	if a.ID == n.DraftedBy {
		return denied("two-person rule: you drafted notice %s, so someone else with the role %s must approve it", n.ID, strings.Join(approvers, " or "))
	}
	if !holds(a, approvers...) {
		return denied("notice %s must be approved by someone with the role %s", n.ID, strings.Join(approvers, " or "))
	}
	return nil
}

// mayRejectNotice is the role rule for rejecting a notice: its drafter or
// an approver.
func mayRejectNotice(n NoticeSummary, approvers []string, a Actor) error {
	if a.ID != n.DraftedBy && !holds(a, approvers...) {
		return denied("notice %s can be rejected by its drafter or by someone with the role %s", n.ID, strings.Join(approvers, " or "))
	}
	return nil
}

// maySendNotice is the role rule for sending a notice.
func maySendNotice(a Actor) error {
	if !holds(a, noticeSendRoles...) {
		return needRoles("sending a notice", noticeSendRoles...)
	}
	return nil
}

func (n *notice) validateReject(_ workflow.Context, a NoticeAction) error {
	switch n.st.Status {
	case NoticeDraft, NoticeApproved, NoticeFailed:
	default:
		return rejection("notice %s is %s and can no longer be rejected", n.st.ID, n.st.Status)
	}
	if err := CheckRejectReason(a.Reason); err != nil {
		return err
	}
	return mayRejectNotice(n.st.NoticeSummary, n.in.ApproverRoles, a.Actor)
}

func (n *notice) validateSend(ctx workflow.Context, a NoticeAction) error {
	switch n.st.Status {
	case NoticeApproved, NoticeFailed:
	case NoticeDraft:
		return rejection("notice %s is not approved yet: a second person must approve it before it is sent", n.st.ID)
	default:
		return rejection("notice %s is %s and cannot be sent", n.st.ID, n.st.Status)
	}
	if err := maySendNotice(a.Actor); err != nil {
		return err
	}
	if a.Campaign == "" && len(n.st.To) == 0 {
		return rejection("notice %s has no addresses: start a campaign with the recipients' CSV file instead", n.st.ID)
	}
	if a.Campaign != "" && a.CampaignTotal <= 0 {
		return rejection("the campaign has no recipients")
	}
	if n.st.DueAt != nil && workflow.Now(ctx).After(*n.st.DueAt) && strings.TrimSpace(a.Reason) == "" {
		return rejection("notice %s is late (due %s): give the reason for the delay (reason); it goes into the notice record", n.st.ID, n.st.DueAt.UTC().Format(time.RFC3339))
	}
	return nil
}

func (n *notice) validateNotNotify(_ workflow.Context, a NoticeAction) error {
	switch n.st.Status {
	case NoticeDraft, NoticeApproved, NoticeFailed:
	default:
		return rejection("notice %s is %s: there is nothing left to decide", n.st.ID, n.st.Status)
	}
	if !holds(a.Actor, noticeNotNotifyRole...) {
		return needRoles("a decision not to notify", noticeNotNotifyRole...)
	}
	return CheckNotNotifyRationale(a.Reason)
}

// --- handlers ---

func (n *notice) approve(ctx workflow.Context, a NoticeAction) (NoticeState, error) {
	now := workflow.Now(ctx).UTC()
	n.st.Status, n.st.ApprovedBy, n.st.ApprovedAt = NoticeApproved, a.Actor.ID, &now
	n.event(ctx, fmt.Sprintf("approved/%d", n.st.Revision), "notice.approved", a.Actor.ID, map[string]any{
		"notice": n.st.ID, "regime": n.st.Regime, "obligation": n.st.Obligation, "revision": n.st.Revision,
		"content_hash": n.st.ContentHash, "drafted_by": n.st.DraftedBy, "reason": a.Reason, "source": a.Source,
	})
	n.report(ctx, a.Actor.ID)
	return n.st, nil
}

func (n *notice) reject(ctx workflow.Context, a NoticeAction) (NoticeState, error) {
	n.st.Status, n.st.Reason = NoticeRejected, a.Reason
	n.event(ctx, "rejected", "notice.rejected", a.Actor.ID, map[string]any{
		"notice": n.st.ID, "regime": n.st.Regime, "obligation": n.st.Obligation, "revision": n.st.Revision,
		"reason": a.Reason, "source": a.Source,
	})
	n.report(ctx, a.Actor.ID)
	return n.st, nil
}

func (n *notice) notNotify(ctx workflow.Context, a NoticeAction) (NoticeState, error) {
	n.st.Status, n.st.Reason = NoticeNotNotified, a.Reason
	n.event(ctx, "not-notified", "notice.not_notified", a.Actor.ID, map[string]any{
		"notice": n.st.ID, "regime": n.st.Regime, "obligation": n.st.Obligation, "rationale": a.Reason, "source": a.Source,
	})
	n.report(ctx, a.Actor.ID)
	return n.st, nil
}

func (n *notice) send(ctx workflow.Context, a NoticeAction) (NoticeState, error) {
	n.st.Status = NoticeSending
	if a.Reason != "" {
		n.st.Reason = a.Reason
	}
	req := a
	n.sendReq = &req
	n.event(ctx, fmt.Sprintf("send/%d/%d", n.st.Revision, len(n.st.Attempts)), "notice.sending", a.Actor.ID, map[string]any{
		"notice": n.st.ID, "regime": n.st.Regime, "obligation": n.st.Obligation, "revision": n.st.Revision,
		"recipients": len(n.st.To), "campaign": a.Campaign, "campaign_total": a.CampaignTotal, "reason": a.Reason, "source": a.Source,
	})
	n.report(ctx, a.Actor.ID)
	return n.st, nil
}

// --- delivery ---

func (n *notice) deliver(ctx workflow.Context, req NoticeAction) {
	if req.Campaign != "" {
		n.deliverCampaign(ctx, req)
		return
	}
	now := workflow.Now(ctx).UTC()
	giveUp := now.Add(noticeGiveUpMax)
	if n.st.DueAt != nil && n.st.DueAt.Add(-time.Hour).Before(giveUp) {
		giveUp = n.st.DueAt.Add(-time.Hour)
	}
	if giveUp.Before(now.Add(noticeGiveUpMin)) {
		giveUp = now.Add(noticeGiveUpMin)
	}
	n.st.GiveUpAt = &giveUp
	actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		// One attempt per activity: the workflow counts attempts, records
		// each on the timeline and decides about the next.
		StartToCloseTimeout: 2 * time.Minute,
		// The activity heartbeats every 2 s, also while SMTP stalls: a
		// worker killed mid-send is noticed in seconds, not minutes.
		HeartbeatTimeout: SendHeartbeatTimeout,
		RetryPolicy:      &temporal.RetryPolicy{MaximumAttempts: 1},
	})
	headers := map[string]string{"X-Irbot-Notice": n.in.IncidentID + "/" + n.st.ID}
	if f := n.in.Follows; f != nil && f.MessageID != "" {
		headers["In-Reply-To"] = f.MessageID
		headers["References"] = f.MessageID
	}
	if n.in.Language != "" {
		headers["Content-Language"] = n.in.Language
	}
	backoff := NoticeFirstBackoff
	for {
		attempt := len(n.st.Attempts) + 1
		var res SendNoticeResult
		err := workflow.ExecuteActivity(actx, SendNoticeActivityName, SendNoticeInput{
			IncidentID: n.in.IncidentID, NoticeID: n.st.ID, Mode: n.in.Mode, Regime: n.st.Regime, Obligation: n.st.Obligation,
			Revision: n.st.Revision, To: n.st.To, Subject: n.st.Subject, Text: n.st.Text, HTML: n.st.HTML,
			Headers: headers, MessageID: n.st.MessageID, Attempt: attempt,
		}).Get(ctx, &res)
		if err != nil {
			// The worker died or the activity timed out: we cannot know
			// whether the server took the message. The next attempt carries
			// the same Message-ID.
			res.Attempt = DeliveryAttempt{N: attempt, At: workflow.Now(ctx).UTC(), Outcome: DeliveryTemporary, Uncertain: true, Error: "delivery attempt did not report back: " + err.Error()}
		}
		if res.MessageID != "" {
			n.st.MessageID = res.MessageID
		}
		res.Attempt.N = attempt
		n.st.Attempts = append(n.st.Attempts, res.Attempt)
		attemptData := map[string]any{
			"notice": n.st.ID, "attempt": attempt, "at": res.Attempt.At.Format(time.RFC3339Nano), "outcome": res.Attempt.Outcome,
			"code": res.Attempt.Code, "stage": res.Attempt.Stage, "uncertain": res.Attempt.Uncertain, "message_id": n.st.MessageID,
			"revision": n.st.Revision, "error": res.Attempt.Error,
		}
		if res.RawSHA256 != "" {
			// The chain covers the bytes kept in the store: verify
			// recomputes their hash against this one.
			attemptData["raw_sha256"] = res.RawSHA256
		}
		n.event(ctx, fmt.Sprintf("attempt/%d", attempt), "notice.attempt", "irbot", attemptData)
		switch res.Attempt.Outcome {
		case DeliveryDelivered, DeliveryRecorded:
			n.sent(ctx, res.Attempt.At, res.To)
			return
		case DeliveryPermanent:
			n.failed(ctx, fmt.Sprintf("the mail server refused the notice for good (%s)", attemptText(res.Attempt)))
			return
		}
		if workflow.Now(ctx).Add(backoff).After(giveUp) {
			n.failed(ctx, fmt.Sprintf("gave up after %d attempts at %s (last: %s)", attempt, giveUp.Format(time.RFC3339), attemptText(res.Attempt)))
			return
		}
		_ = workflow.Sleep(ctx, backoff)
		backoff = min(backoff*2, noticeMaxBackoff)
	}
}

func attemptText(a DeliveryAttempt) string {
	var parts []string
	if a.Code != 0 {
		parts = append(parts, fmt.Sprintf("reply %d", a.Code))
	}
	if a.Stage != "" {
		parts = append(parts, "at "+a.Stage)
	}
	if a.Uncertain {
		parts = append(parts, "connection lost after the message was sent")
	}
	if len(parts) == 0 && a.Error != "" {
		parts = append(parts, a.Error)
	}
	return strings.Join(parts, ", ")
}

func (n *notice) sent(ctx workflow.Context, at time.Time, to []string) {
	at = at.UTC()
	n.st.Status, n.st.SentAt = NoticeSent, &at
	onTime := n.st.DueAt == nil || !at.After(*n.st.DueAt)
	n.st.OnTime = &onTime
	data := map[string]any{
		"notice": n.st.ID, "regime": n.st.Regime, "obligation": n.st.Obligation, "message_id": n.st.MessageID,
		"content_hash": n.st.ContentHash, "sent_at": at.Format(time.RFC3339Nano), "on_time": onTime,
		"attempts": len(n.st.Attempts), "recipients": len(to), "drill": n.in.Mode == ModeDrill,
	}
	if n.st.Language != "" {
		data["language"] = n.st.Language
	}
	n.event(ctx, fmt.Sprintf("sent/%d", n.st.Revision), "notice.sent", "irbot", data)
	n.report(ctx, "irbot")
}

// failed stops delivery and asks a person to act; the obligation's clock is
// not settled, so it keeps escalating.
func (n *notice) failed(ctx workflow.Context, why string) {
	n.st.Status, n.st.Reason = NoticeFailed, why
	n.event(ctx, fmt.Sprintf("failed/%d", len(n.st.Attempts)), "notice.failed", "irbot", map[string]any{
		"notice": n.st.ID, "regime": n.st.Regime, "obligation": n.st.Obligation, "why": why,
		"action_needed": "fix the addresses or the content and send again, send it another way and record it, or decide not to notify",
	})
	actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 30 * time.Second,
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: time.Minute, MaximumAttempts: 10},
	})
	now := workflow.Now(ctx).UTC()
	due := now
	left := "no deadline"
	if n.st.DueAt != nil {
		due = *n.st.DueAt
		left = deadline.Left(due, now)
	}
	_ = workflow.ExecuteActivity(actx, ClockAlertActivityName, ClockAlert{
		IncidentID: n.in.IncidentID, Title: n.in.IncidentTitle, Mode: n.in.Mode, Kind: "notice.escalation",
		Regime: n.st.Regime, Obligation: n.st.Obligation, Name: "notice " + n.st.ID + " was not delivered: " + why,
		DueAt: due, At: now, Left: left, Notify: []string{"dpo", "legal", "commander"},
		Key: fmt.Sprintf("notice/%s/escalation/%d", n.st.ID, len(n.st.Attempts)),
	}).Get(ctx, nil)
	n.report(ctx, "irbot")
}

func (n *notice) deliverCampaign(ctx workflow.Context, req NoticeAction) {
	cctx := workflow.WithChildOptions(ctx, workflow.ChildWorkflowOptions{
		WorkflowID:            CampaignWorkflowID(n.in.IncidentID, n.st.ID),
		ParentClosePolicy:     enumspb.PARENT_CLOSE_POLICY_ABANDON,
		WorkflowIDReusePolicy: enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE,
	})
	d := n.data()
	d.Follows = n.in.Follows
	var res CampaignResult
	err := workflow.ExecuteChildWorkflow(cctx, CampaignWorkflowName, CampaignInput{
		IncidentID: n.in.IncidentID, NoticeID: n.st.ID, Campaign: req.Campaign, Mode: n.in.Mode,
		Regime: n.st.Regime, Obligation: n.st.Obligation, Revision: n.st.Revision, Notice: d, Total: req.CampaignTotal,
	}).Get(ctx, &res)
	p := res.Progress
	n.st.Campaign = &p
	n.st.MessageID = "campaign:" + req.Campaign
	switch {
	case err != nil:
		n.failed(ctx, "the campaign stopped: "+err.Error())
	case p.Failed > 0 || p.Pending > 0:
		n.failed(ctx, fmt.Sprintf("campaign %s: %d of %d recipients could not be reached (%d sent); see the campaign's recipients", req.Campaign, p.Failed+p.Pending, p.Total, p.Sent))
	default:
		n.sent(ctx, workflow.Now(ctx), make([]string, p.Sent))
	}
}

// --- reporting ---

// event appends a notice-scoped entry to the incident's timeline; the key
// makes a retried write a no-op.
func (n *notice) event(ctx workflow.Context, key, kind, actor string, data map[string]any) {
	b, err := json.Marshal(data)
	if err != nil {
		b = []byte(`{}`)
	}
	actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 30 * time.Second,
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: time.Minute},
	})
	if lerr := n.events.Lock(ctx); lerr != nil {
		return
	}
	defer n.events.Unlock()
	err = workflow.ExecuteActivity(actx, NoticeEventActivityName, EventRecord{
		IncidentID: n.in.IncidentID, Key: "notice/" + n.st.ID + "/" + key, At: workflow.Now(ctx).UTC(),
		Kind: kind, Actor: actor, Data: b,
	}).Get(ctx, nil)
	if err != nil {
		workflow.GetLogger(ctx).Error("notice timeline entry", "incident", n.in.IncidentID, "notice", n.st.ID, "kind", kind, "error", err)
	}
}

// report tells the incident the notice's current summary.
func (n *notice) report(ctx workflow.Context, by string) {
	s := n.st.NoticeSummary
	s.By = by
	err := workflow.SignalExternalWorkflow(ctx, IncidentWorkflowID(n.in.IncidentID), "", SignalNoticeChanged, s).Get(ctx, nil)
	if err != nil {
		workflow.GetLogger(ctx).Warn("report notice to incident", "incident", n.in.IncidentID, "notice", n.st.ID, "error", err)
	}
}

package incident

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"go.temporal.io/api/serviceerror"

	"github.com/irbot/irbot/internal/apperr"
	"github.com/irbot/irbot/internal/campaign"
	"github.com/irbot/irbot/internal/policy"
	"github.com/irbot/irbot/templates"
	"github.com/irbot/irbot/workflows"
)

// NoticeRequest drafts a notice (POST /api/v1/incidents/{id}/notices).
type NoticeRequest struct {
	Regime     string   `json:"regime"`
	Obligation string   `json:"obligation"`
	To         []string `json:"to"`
	// Follows names the notice this one follows up (phased reporting).
	Follows    string `json:"follows,omitempty"`
	RequestKey string `json:"request_key,omitempty"`
	// Language is the notice's BCP 47 tag ("en", "de", "fr"); without it,
	// the default for the regime's jurisdiction (English where there is
	// no one obvious language).
	Language string `json:"language,omitempty"`
	// Source is the surface that asks ("slack", "console"; "api" when
	// empty). The surface sets it, never the body.
	Source string `json:"-"`
}

// CampaignReport answers a campaign upload.
type CampaignReport struct {
	Campaign    string                      `json:"campaign"`
	Notice      string                      `json:"notice"`
	Accepted    int                         `json:"accepted"`
	Added       int                         `json:"added"`
	Invalid     []campaign.BadRow           `json:"invalid"`
	Started     bool                        `json:"started"`
	Progress    *workflows.CampaignProgress `json:"progress,omitempty"`
	NoticeState *workflows.NoticeState      `json:"notice_state,omitempty"`
}

// CampaignInvalidError is a recipient list with bad rows: nothing started.
type CampaignInvalidError struct {
	Report CampaignReport
}

func (e *CampaignInvalidError) Error() string {
	return fmt.Sprintf("%d row(s) of the recipient list are not valid; nothing was sent: fix them, or send again with skip_invalid=true to leave them out", len(e.Report.Invalid))
}

// withIncidentRoles adds the roles the actor holds in the incident (assigned
// there) to their users-file roles: notice validators only see the actor.
func withIncidentRoles(actor workflows.Actor, st *workflows.IncidentState) workflows.Actor {
	actor.Roles = policy.Effective(actor.Roles, workflows.AssignedRoles(*st, actor.ID))
	return actor
}

func checkNoticeID(id string) error {
	if !validID(id, 16) {
		return apperr.New(apperr.NotFound, "no notice %q", ClipValue(id))
	}
	return nil
}

// Notices lists an incident's notices with their current state.
func (s *Service) Notices(ctx context.Context, actor workflows.Actor, id string) ([]workflows.NoticeState, error) {
	st, err := s.Get(ctx, actor, id)
	if err != nil {
		return nil, err
	}
	out := []workflows.NoticeState{}
	for _, n := range st.Notices {
		ns, err := s.queryNotice(ctx, id, n.ID)
		if err != nil && st.Archived {
			ns, err = s.archivedNotice(ctx, id, n.ID)
		}
		if err != nil {
			// The notice's own history is gone (a sent notice's workflow
			// ends, and expires, before its incident's): the summary the
			// incident holds, with the text and attempts the store kept.
			ns = s.recordedNotice(ctx, id, st.Mode, n)
		}
		out = append(out, *ns)
	}
	return out, nil
}

// Notice returns one notice with its rendered text and delivery attempts.
func (s *Service) Notice(ctx context.Context, actor workflows.Actor, id, noticeID string) (*workflows.NoticeState, error) {
	if err := needAnyRole(actor); err != nil {
		return nil, err
	}
	if err := checkID(id); err != nil {
		return nil, err
	}
	if err := checkNoticeID(noticeID); err != nil {
		return nil, err
	}
	ns, err := s.queryNotice(ctx, id, noticeID)
	if apperr.CodeOf(err) == apperr.NotFound {
		return s.archivedNotice(ctx, id, noticeID)
	}
	return ns, err
}

func (s *Service) queryNotice(ctx context.Context, id, noticeID string) (*workflows.NoticeState, error) {
	if s.TemporalDown() {
		return nil, s.temporalError(id, errTemporalDown)
	}
	resp, err := s.Temporal.QueryWorkflow(ctx, workflows.NoticeWorkflowID(id, noticeID), "", workflows.QueryNotice)
	if err != nil {
		var nf *serviceerror.NotFound
		if errors.As(err, &nf) {
			return nil, apperr.New(apperr.NotFound, "no notice %s in incident %s", noticeID, id)
		}
		return nil, s.temporalError(id, err)
	}
	var ns workflows.NoticeState
	if err := resp.Get(&ns); err != nil {
		return nil, fmt.Errorf("decode notice %s of %s: %w", noticeID, id, err)
	}
	return &ns, nil
}

// DraftNotice drafts a notice from the incident's facts (the incident's
// create_notice Update) and returns the draft.
func (s *Service) DraftNotice(ctx context.Context, actor workflows.Actor, id string, req NoticeRequest) (*workflows.NoticeState, error) {
	if strings.TrimSpace(req.Regime) == "" || strings.TrimSpace(req.Obligation) == "" {
		return nil, apperr.New(apperr.Invalid, "a notice needs regime and obligation, e.g. eu-gdpr and supervisory-authority")
	}
	var to []string
	for _, t := range req.To {
		if t = strings.TrimSpace(t); t != "" {
			to = append(to, t)
		}
	}
	if err := needAnyRole(actor); err != nil {
		return nil, err
	}
	if err := checkID(id); err != nil {
		return nil, err
	}
	lang, err := s.noticeLanguage(req)
	if err != nil {
		return nil, err
	}
	if req.Source == "" {
		req.Source = "api"
	}
	a := workflows.Action{
		Type: workflows.ActionCreateNotice, Actor: actor, Regime: strings.TrimSpace(req.Regime), Obligation: strings.TrimSpace(req.Obligation),
		To: to, Follows: strings.TrimSpace(req.Follows), RequestID: req.RequestKey, Source: req.Source, Language: lang,
	}
	// A refusal (a role, a limit, the validator) goes on the timeline as
	// for every other action: refuse records it, whatever the surface.
	if err := workflows.CheckAction(a); err != nil {
		return nil, s.refuse(ctx, id, actor, a, apperr.New(apperr.Invalid, "%s", err.Error()))
	}
	var ans actionAnswer
	if err := s.update(ctx, workflows.IncidentWorkflowID(id), a.RequestID, a.Type, a, &ans); err != nil {
		return nil, s.refuse(ctx, id, actor, a, s.updateError(id, err))
	}
	st := s.stateAfter(ctx, id, ans)
	var last *workflows.NoticeSummary
	for i := range st.Notices {
		n := &st.Notices[i]
		if n.Regime == req.Regime && n.Obligation == req.Obligation && n.DraftedBy == actor.ID {
			last = n
		}
	}
	if last == nil {
		return nil, fmt.Errorf("incident %s accepted the notice but does not list it", id)
	}
	if ns, err := s.queryNotice(ctx, id, last.ID); err == nil {
		return ns, nil
	}
	return &workflows.NoticeState{NoticeSummary: *last, IncidentID: id, Mode: st.Mode, Attempts: []workflows.DeliveryAttempt{}}, nil
}

// noticeTarget is the recipient of the regime's obligation and the
// regime's jurisdiction, as the rules say ("" when they do not know it).
func (s *Service) noticeTarget(regime, obligation string) (recipient, jurisdiction string) {
	if s.Rules != nil {
		if r, ok := s.Rules.Regime(regime); ok {
			jurisdiction = r.Jurisdiction
			if rule, ok := r.Rule(obligation); ok {
				recipient = rule.Recipient
			}
		}
	}
	return recipient, jurisdiction
}

// NoticeLanguages are the languages a notice for the regime's obligation
// can be drafted in (its template exists, English first) and the one it is
// drafted in when nobody picks: the official language of the regime's
// jurisdiction where it has one, else English. A draft form offers exactly
// these; DraftNotice refuses any other.
func (s *Service) NoticeLanguages(regime, obligation string) (langs []string, def string) {
	recipient, jurisdiction := s.noticeTarget(regime, obligation)
	if recipient == "" {
		return []string{templates.DefaultLanguage}, templates.DefaultLanguage
	}
	langs = templates.NoticeLanguages(regime, obligation, recipient)
	if len(langs) == 0 {
		langs = []string{templates.DefaultLanguage}
	}
	return langs, templates.DefaultNoticeLanguage(regime, obligation, recipient, jurisdiction)
}

// noticeLanguage is the language a draft is written in: the one asked for,
// if the obligation's notice template exists in it, else the default for
// the regime's jurisdiction. An obligation the rules do not know is left to
// the workflow, which names the ones the incident has.
func (s *Service) noticeLanguage(req NoticeRequest) (string, error) {
	regime, obligation, lang := strings.TrimSpace(req.Regime), strings.TrimSpace(req.Obligation), strings.TrimSpace(req.Language)
	recipient, jurisdiction := s.noticeTarget(regime, obligation)
	switch {
	case recipient == "" && lang == "":
		return "", nil
	case recipient == "":
		tag, err := templates.ParseLanguage(lang)
		if err != nil {
			return "", apperr.New(apperr.Invalid, "%s", err.Error())
		}
		return tag, nil
	case lang == "":
		return templates.DefaultNoticeLanguage(regime, obligation, recipient, jurisdiction), nil
	}
	tag, err := templates.NoticeLanguage(regime, obligation, recipient, lang)
	if err != nil {
		return "", apperr.New(apperr.Invalid, "%s", err.Error())
	}
	return tag, nil
}

// NoticeAct applies approve, reject, send or decide_not_to_notify to a
// notice. The notice's validator has the last word (two-person rule,
// missing content, roles).
func (s *Service) NoticeAct(ctx context.Context, actor workflows.Actor, id, noticeID string, a workflows.NoticeAction) (*workflows.NoticeState, error) {
	if err := checkNoticeID(noticeID); err != nil {
		return nil, err
	}
	st, err := s.Get(ctx, actor, id)
	if err != nil {
		return nil, err
	}
	if a.Source == "" {
		a.Source = "api"
	}
	// A refusal (the rules, a role, the two-person rule) goes on the
	// timeline here, for every surface, as an incident action's does.
	denied := workflows.Action{Type: "notice_" + shown(a.Type), Name: noticeID, Source: a.Source, RequestID: a.RequestID}
	if err := workflows.CheckNoticeAction(a); err != nil {
		return nil, s.refuseNotice(ctx, id, actor, denied, apperr.New(apperr.Invalid, "%s", err.Error()))
	}
	if !slices.Contains(workflows.NoticeActionTypes, a.Type) {
		return nil, s.refuseNotice(ctx, id, actor, denied, apperr.New(apperr.Invalid, "unknown notice action %q; use one of %s", a.Type, strings.Join(workflows.NoticeActionTypes, ", ")))
	}
	a.Actor = withIncidentRoles(actor, st)
	ns, err := s.updateNotice(ctx, id, noticeID, a)
	if err != nil {
		return nil, s.refuseNotice(ctx, id, actor, denied, err)
	}
	return ns, nil
}

// refuseNotice records a refused notice action on the incident's timeline,
// naming the notice in the reason, and returns err as it was.
func (s *Service) refuseNotice(ctx context.Context, id string, actor workflows.Actor, denied workflows.Action, err error) error {
	reason := apperr.MessageOf(err)
	if !strings.Contains(reason, "notice "+denied.Name) {
		reason = "notice " + denied.Name + ": " + reason
	}
	return s.refuseWith(ctx, id, actor, denied, err, reason)
}

func (s *Service) updateNotice(ctx context.Context, id, noticeID string, a workflows.NoticeAction) (*workflows.NoticeState, error) {
	var ns workflows.NoticeState
	if err := s.update(ctx, workflows.NoticeWorkflowID(id, noticeID), "", a.Type, a, &ns); err != nil {
		return nil, s.noticeUpdateError(id, noticeID, err)
	}
	return &ns, nil
}

func (s *Service) noticeUpdateError(id, noticeID string, err error) error {
	var nf *serviceerror.NotFound
	if errors.As(err, &nf) {
		return apperr.New(apperr.NotFound, "no notice %s in incident %s", noticeID, id)
	}
	if strings.Contains(err.Error(), "workflow execution already completed") {
		return apperr.New(apperr.Conflict, "notice %s of %s is finished (sent, rejected or decided) and can no longer change", noticeID, id)
	}
	return s.updateError(id, err)
}

// StartCampaign sends an approved notice to the people in a CSV list (email,
// name, jurisdiction, language). Every row is checked first; with a bad row
// nothing starts (a CampaignInvalidError lists them) unless skipInvalid,
// which leaves bad rows out and reports them. The people are stored before
// the campaign starts, keyed by address, so uploading the list again merges
// and a campaign sent again retries only who was not reached.
func (s *Service) StartCampaign(ctx context.Context, actor workflows.Actor, id, noticeID string, csvFile io.Reader, skipInvalid bool) (*CampaignReport, error) {
	st, err := s.Get(ctx, actor, id)
	if err != nil {
		return nil, err
	}
	if s.Campaigns == nil {
		return nil, apperr.New(apperr.Unavailable, "campaigns are not available on this server")
	}
	if noticeID == "" {
		// The newest approved notice to individuals.
		for _, n := range st.Notices {
			if n.Recipient == "individuals" && (n.Status == workflows.NoticeApproved || n.Status == workflows.NoticeFailed) {
				noticeID = n.ID
			}
		}
		if noticeID == "" {
			return nil, apperr.New(apperr.Invalid, "incident %s has no approved notice to individuals: draft one (recipient individuals), have it approved, then start the campaign (notice=ID)", id)
		}
	}
	ns, err := s.Notice(ctx, actor, id, noticeID)
	if err != nil {
		return nil, err
	}
	if ns.Status != workflows.NoticeApproved && ns.Status != workflows.NoticeFailed {
		return nil, apperr.New(apperr.Invalid, "notice %s is %s: a campaign sends an approved notice", noticeID, ns.Status)
	}
	good, bad, err := campaign.Parse(csvFile)
	if err != nil {
		return nil, apperr.New(apperr.Invalid, "recipient list: %s", err.Error())
	}
	rep := CampaignReport{Campaign: id + "/" + noticeID, Notice: noticeID, Accepted: len(good), Invalid: bad}
	if rep.Invalid == nil {
		rep.Invalid = []campaign.BadRow{}
	}
	if len(bad) > 0 && !skipInvalid {
		return nil, &CampaignInvalidError{Report: rep}
	}
	if len(good) == 0 {
		return nil, apperr.New(apperr.Invalid, "the recipient list has no usable row")
	}
	// Check the person may send before anything is stored.
	a := workflows.NoticeAction{Type: workflows.NoticeSend, Actor: withIncidentRoles(actor, st), Campaign: rep.Campaign, Source: "api"}
	if !slices.ContainsFunc(a.Actor.Roles, func(r string) bool { return slices.Contains([]string{"dpo", "legal", "commander", "admin"}, r) }) {
		return nil, apperr.New(apperr.Forbidden, "starting a campaign needs one of the roles dpo, legal, commander, admin")
	}
	added, err := s.Campaigns.AddCampaignRecipients(ctx, rep.Campaign, good)
	if err != nil {
		return nil, fmt.Errorf("store campaign recipients: %w", err)
	}
	rep.Added = added
	counts, err := s.Campaigns.CampaignCounts(ctx, rep.Campaign, false)
	if err != nil {
		return nil, fmt.Errorf("count campaign recipients: %w", err)
	}
	a.CampaignTotal = counts.Total
	after, err := s.updateNotice(ctx, id, noticeID, a)
	if err != nil {
		return nil, err
	}
	rep.Started, rep.NoticeState = true, after
	rep.Progress = &workflows.CampaignProgress{Campaign: rep.Campaign, Total: counts.Total, Sent: counts.Sent, Failed: counts.Failed, Pending: counts.Pending}
	return &rep, nil
}

// CampaignProgress reports how far a notice's campaign got.
func (s *Service) CampaignProgress(ctx context.Context, actor workflows.Actor, id, noticeID string) (*workflows.CampaignProgress, error) {
	if err := s.known(ctx, actor, id); err != nil {
		return nil, err
	}
	if err := checkNoticeID(noticeID); err != nil {
		return nil, err
	}
	if s.Campaigns == nil {
		return nil, apperr.New(apperr.Unavailable, "campaigns are not available on this server")
	}
	c, err := s.Campaigns.CampaignCounts(ctx, id+"/"+noticeID, false)
	if err != nil {
		return nil, err
	}
	p := &workflows.CampaignProgress{Campaign: id + "/" + noticeID, Total: c.Total, Sent: c.Sent, Failed: c.Failed, Pending: c.Pending}
	if resp, err := s.Temporal.QueryWorkflow(ctx, workflows.CampaignWorkflowID(id, noticeID), "", workflows.QueryCampaign); err == nil {
		var q workflows.CampaignProgress
		if resp.Get(&q) == nil {
			p.Batches, p.Done = q.Batches, q.Done
		}
	}
	return p, nil
}

package console

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/irbot/irbot/internal/incident"
	"github.com/irbot/irbot/internal/store"
	"github.com/irbot/irbot/workflows"
)

// draftForm is the draft form of one clock on an incident page.
func draftForm(t *testing.T, body, clock string) string {
	t.Helper()
	m := regexp.MustCompile(`(?s)<form [^>]*action="/incidents/[^"]+/notices"[^>]*>\s*<input[^>]*><input type="hidden" name="clock" value="` + regexp.QuoteMeta(clock) + `">.*?</form>`).FindString(body)
	require.NotEmpty(t, m, "a draft form for %s", clock)
	return m
}

// The draft form offers, per clock, only the languages that clock's notice
// template exists in (the service's answer, as in Slack's notify modal),
// the jurisdiction's default chosen; no form for an internal clock.
func TestDraftFormOffersTheTemplatesLanguages(t *testing.T) {
	f := newFixture(t, nil)
	_, err := f.svc.Declare(t.Context(), workflows.Actor{ID: "x"}, incident.DeclareRequest{Title: "t"})
	require.NoError(t, err)
	c, _ := f.signIn(t, dpoToken)
	status, body, _ := get(t, c, f.srv.URL+"/incidents/INC-2026-0001")
	require.Equal(t, http.StatusOK, status)
	require.Contains(t, body, `id="draft-notice"`)

	gdpr := draftForm(t, body, "eu-gdpr/supervisory-authority")
	langs, def := (&incident.Service{Rules: testRules}).NoticeLanguages("eu-gdpr", "supervisory-authority")
	require.Greater(t, len(langs), 1, "the GDPR authority notice exists in several languages")
	for _, l := range langs {
		require.Contains(t, gdpr, `<option value="`+l+`"`, "offered: %s", l)
	}
	require.Contains(t, gdpr, `<option value="`+def+`" selected>`, "the regime's default is chosen")
	require.Equal(t, len(langs), strings.Count(gdpr, "<option"), "nothing but the template's languages")

	nis2 := draftForm(t, body, "eu-nis2/early-warning")
	nlangs, _ := (&incident.Service{Rules: testRules}).NoticeLanguages("eu-nis2", "early-warning")
	require.Equal(t, len(nlangs), strings.Count(nis2, "<option"), "the NIS2 early warning offers its own template's languages")
	require.NotContains(t, body, `value="internal/review"`, "an internal clock has no draft form")
}

// A refused draft comes back in its own form: the service's reason beside
// it, the addresses and the language as posted; other forms untouched;
// hostile input is escaped and a huge one is cut.
func TestDraftFormShowsItsErrorInline(t *testing.T) {
	f := newFixture(t, nil)
	_, err := f.svc.Declare(t.Context(), workflows.Actor{ID: "x"}, incident.DeclareRequest{Title: "t"})
	require.NoError(t, err)
	c, csrf := f.signIn(t, dpoToken)
	page := f.srv.URL + "/incidents/INC-2026-0001"
	to := `dpa@example.org, <script>alert(1)</script> 東京@example.jp` + "\x00"
	status, body, _ := post(t, c, page+"/notices", url.Values{"csrf": {csrf}, "clock": {"eu-gdpr/supervisory-authority"}, "to": {to}, "language": {"fr"}})
	require.Equal(t, http.StatusBadRequest, status)
	gdpr := draftForm(t, body, "eu-gdpr/supervisory-authority")
	require.Contains(t, gdpr, `role="alert"`, "the reason is in the form that was posted")
	require.Contains(t, gdpr, "Refused: no mail configured")
	require.Contains(t, gdpr, `aria-invalid="true"`)
	require.Contains(t, gdpr, `<option value="fr" selected>`, "the language posted stays chosen")
	require.Contains(t, gdpr, "dpa@example.org, &lt;script&gt;", "the addresses come back, escaped")
	require.Contains(t, gdpr, "東京@example.jp")
	require.NotContains(t, body, "<script>alert(1)")
	require.NotContains(t, draftForm(t, body, "eu-nis2/early-warning"), `role="alert"`, "other forms carry no error")
	require.Len(t, f.svc.denials, 1, "the refusal is on the timeline")

	status, body, _ = post(t, c, page+"/notices", url.Values{"csrf": {csrf}, "clock": {"eu-gdpr/supervisory-authority"}, "to": {strings.Repeat("a", 1<<19)}, "language": {"xx"}})
	require.Equal(t, http.StatusBadRequest, status)
	require.Less(t, len(body), 100000, "a huge address list is not echoed whole")
	require.NotContains(t, draftForm(t, body, "eu-gdpr/supervisory-authority"), `<option value="xx"`, "a language not offered is not added")

	status, body, _ = post(t, c, page+"/notices", url.Values{"csrf": {csrf}, "clock": {"us-ca/individuals"}, "to": {"a@example.org"}})
	require.Equal(t, http.StatusBadRequest, status)
	require.Regexp(t, `<p class="error" role="alert">Refused: no mail configured`, body, "a clock without a form: the reason at the top")
}

// A notice's Approve, Reject and Send buttons go through the service with
// the console as their source; the service's refusal (the drafter
// approving their own notice) is shown and recorded once; an unknown
// notice is a 404, not a refusal; without the form's CSRF token nothing
// happens.
func TestNoticeActionsGoThroughTheService(t *testing.T) {
	f := newFixture(t, nil)
	_, err := f.svc.Declare(t.Context(), workflows.Actor{ID: "x"}, incident.DeclareRequest{Title: "t"})
	require.NoError(t, err)
	page := f.srv.URL + "/incidents/INC-2026-0001"
	acts := func() []string {
		f.svc.mu.Lock()
		defer f.svc.mu.Unlock()
		return slices.Clone(f.svc.noticeActs)
	}

	mgr, csrf := f.signIn(t, managerToken)
	status, _, h := post(t, mgr, page+"/notices/N-1/actions", url.Values{"type": {"approve"}})
	require.Equal(t, http.StatusForbidden, status, "no CSRF token: refused before the service")
	require.Empty(t, acts())

	status, _, h = post(t, mgr, page+"/notices/N-1/actions", url.Values{"csrf": {csrf}, "type": {"approve"}})
	require.Equal(t, http.StatusSeeOther, status)
	require.Equal(t, "/incidents/INC-2026-0001", h.Get("Location"))
	_, body, _ := get(t, mgr, page)
	require.Contains(t, body, "Notice N-1: approve done.")
	reason := "Wrong recipient · 宛先が違う <b>"
	status, _, _ = post(t, mgr, page+"/notices/N-1/actions", url.Values{"csrf": {csrf}, "type": {"reject"}, "reason": {reason}})
	require.Equal(t, http.StatusSeeOther, status)
	got := acts()
	require.Len(t, got, 2)
	require.True(t, strings.HasSuffix(got[0], " N-1 approve console "), got[0])
	require.True(t, strings.HasSuffix(got[1], " N-1 reject console "+reason), "the reason reaches the service as typed: %q", got[1])

	dpo, dcsrf := f.signIn(t, dpoToken)
	status, body, _ = post(t, dpo, page+"/notices/N-1/actions", url.Values{"csrf": {dcsrf}, "type": {"approve"}})
	require.Equal(t, http.StatusForbidden, status)
	require.Contains(t, body, "needs a second person")
	require.Len(t, f.svc.denials, 1, "the refusal is on the timeline, once")

	status, body, _ = post(t, dpo, page+"/notices/N-9/actions", url.Values{"csrf": {dcsrf}, "type": {"send"}})
	require.Equal(t, http.StatusNotFound, status)
	require.Contains(t, body, "no notice N-9")
	require.Len(t, f.svc.denials, 1, "an unknown notice is not a refusal")
	require.Len(t, acts(), 2)
}

// The incident page's timeline filters by kind and by actor, together;
// an actor or kind nobody has shows no rows, and hostile filter values
// come back escaped.
func TestTimelineFiltersByKindAndActor(t *testing.T) {
	f := newFixture(t, nil)
	_, err := f.svc.Declare(t.Context(), workflows.Actor{ID: "U-DECLARER"}, incident.DeclareRequest{Title: "t"})
	require.NoError(t, err)
	for i, e := range []struct{ actor, kind, text string }{
		{"U-ANN", "note.added", "ann-note-one"},
		{"U-BEN", "note.added", "ben-note-two"},
		{"U-ANN", "fact.set", "ann-fact-three"},
	} {
		_, _, err := f.st.Append(t.Context(), store.Event{IncidentID: "INC-2026-0001", Key: fmt.Sprintf("k%d", i), Kind: e.kind, Actor: e.actor,
			Data: []byte(`{"text":"` + e.text + `"}`)})
		require.NoError(t, err)
	}
	c, _ := f.signIn(t, complianceToken)
	page := f.srv.URL + "/incidents/INC-2026-0001"
	rows := func(query string) []string {
		status, body, _ := get(t, c, page+query)
		require.Equal(t, http.StatusOK, status, query)
		var seen []string
		for _, s := range []string{"ann-note-one", "ben-note-two", "ann-fact-three"} {
			if strings.Contains(body, s) {
				seen = append(seen, s)
			}
		}
		return seen
	}
	require.Equal(t, []string{"ann-note-one", "ben-note-two", "ann-fact-three"}, rows(""))
	require.Equal(t, []string{"ann-note-one", "ann-fact-three"}, rows("?actor=U-ANN"))
	require.Equal(t, []string{"ann-note-one", "ben-note-two"}, rows("?kind=note.added"))
	require.Equal(t, []string{"ann-note-one"}, rows("?kind=note.added&actor=U-ANN"))
	require.Empty(t, rows("?actor=U-NOBODY"))
	_, body, _ := get(t, c, page+"?actor="+url.QueryEscape(`<script>alert(1)</script>`)+"&kind="+url.QueryEscape("\x00"))
	require.NotContains(t, body, "<script>alert(1)")
	require.Contains(t, body, "<option>U-ANN</option>", "the actor list is still offered")
	_, body, _ = get(t, c, page+"?actor=U-BEN")
	require.Contains(t, body, "<option selected>U-BEN</option>", "the chosen actor stays chosen")
}

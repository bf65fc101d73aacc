package evidence

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/irbot/irbot/internal/deadline"
	"github.com/irbot/irbot/internal/incident"
	"github.com/irbot/irbot/internal/pdfreport"
	"github.com/irbot/irbot/internal/store"
	"github.com/irbot/irbot/workflows"
)

type reportInput struct {
	State     *workflows.IncidentState
	Events    []store.Event
	Verify    store.VerifyResult
	Notices   []workflows.NoticeState
	Register  []store.RegisterEntry
	ChainHead string
	Generated time.Time
}

// Event kinds the report lists under approvals and decisions.
var (
	approvalKinds = []string{"gate.approved", "notice.approved"}
	decisionKinds = []string{"notification.not_required", "notification.not_required.proposed", "notice.not_notified", "notice.rejected",
		"severity.changed", "role.assigned", "clock.delayed", "clock.snoozed", "incident.closed", "fact.set"}
)

func ts(t *time.Time) string {
	if t == nil {
		return "—"
	}
	return t.UTC().Format("2006-01-02 15:04:05 UTC")
}

func dash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

// writeReport renders report.pdf: summary, clocks met or missed with their
// margins, notices, approvals, decisions and the whole timeline.
func writeReport(w io.Writer, in reportInput) error {
	st := in.State
	// Clocks and facts come from the timeline (BuildBreachEntry), which is
	// whole even when the workflow's history is long gone.
	row := incident.BuildBreachEntry(store.Incident{ID: st.ID, Title: st.Title, Severity: st.Severity, Mode: st.Mode, Status: st.Status, DeclaredBy: st.DeclaredBy.ID, DeclaredAt: st.DeclaredAt}, in.Events)
	verdict := "the chain verifies: every event's hash recomputes and links to its predecessor"
	if !in.Verify.OK {
		verdict = fmt.Sprintf("THE CHAIN DOES NOT VERIFY: first bad event %d: %s", in.Verify.FirstBadSeq, in.Verify.Reason)
	}
	doc := pdfreport.Report{
		Title:     fmt.Sprintf("Evidence report %s: %s", st.ID, row.Title),
		Subtitle:  fmt.Sprintf("%s incident · severity %s · status %s · %d timeline events", st.Mode, dash(row.Severity), row.Status, len(in.Events)),
		Generated: in.Generated,
	}
	facts, _ := json.MarshalIndent(st.Facts, "", " ")
	summary := pdfreport.Section{Heading: "Summary", Items: []pdfreport.Item{
		{Label: "Declared", Text: fmt.Sprintf("%s by %s", row.DeclaredAt.Format("2006-01-02 15:04:05 UTC"), dash(row.DeclaredBy))},
		{Label: "Aware / discovered", Text: fmt.Sprintf("aware at %s · discovered at %s", dash(row.AwareAt), dash(row.DiscoveredAt))},
		{Label: "Closed", Text: ts(row.ClosedAt)},
		{Label: "Regimes", Text: dash(strings.Join(row.Regimes, ", "))},
		{Label: "Summary", Text: dash(st.Summary)},
		{Label: "Nature", Text: dash(row.Nature)},
		{Label: "Categories · subjects · records · affected", Text: fmt.Sprintf("%s · %s · %s · %s", row.DataCategories, row.SubjectsCount, row.RecordsCount, row.Affected)},
		{Label: "Consequences", Text: dash(row.Consequences)},
		{Label: "Measures", Text: dash(row.Measures)},
		{Label: "Chain head (SHA-256 of the last event)", Mono: dash(in.ChainHead)},
		{Label: "Verification", Text: verdict},
	}}
	if len(st.Facts) > 0 {
		summary.Items = append(summary.Items, pdfreport.Item{Label: "Facts as the incident holds them", Mono: string(facts)})
	}
	clocks := pdfreport.Section{Heading: "Clocks: met or missed, with margins"}
	for _, o := range row.Obligations {
		margin := deadline.Settled(o.MetBy, o.LateBy)
		if margin == "" {
			margin = "—"
		}
		text := fmt.Sprintf("recipient %s · due %s · outcome %s · sent %s · %s", dash(o.Recipient), dash(o.DueAt), o.Outcome, dash(o.SentAt), margin)
		if o.LateReason != "" {
			text += " · late because: " + o.LateReason
		}
		if o.Reference != "" {
			text += " · reference " + o.Reference
		}
		if o.Outcome == incident.OutcomeNotNotified {
			text += fmt.Sprintf(" · decided by %s: %s", strings.Join(o.DecidedBy, ", "), o.Rationale)
		}
		clocks.Items = append(clocks.Items, pdfreport.Item{Label: o.Regime + "/" + o.Obligation, Text: text})
	}
	if len(clocks.Items) == 0 {
		clocks.Intro = "No deadline applied."
	}
	notices := pdfreport.Section{Heading: "Notices"}
	for _, n := range in.Notices {
		notices.Items = append(notices.Items, pdfreport.Item{
			Label: fmt.Sprintf("%s  %s/%s to %s: %s", n.ID, n.Regime, n.Obligation, n.Recipient, n.Status),
			Text: fmt.Sprintf("to %s · drafted by %s · approved by %s · due %s · sent %s · on time %s · Message-ID %s · subject %q",
				dash(strings.Join(n.To, ", ")), dash(n.DraftedBy), dash(n.ApprovedBy), ts(n.DueAt), ts(n.SentAt), onTime(n.OnTime), dash(n.MessageID), n.Subject),
			Mono: "content_hash " + dash(n.ContentHash),
		})
	}
	for _, r := range in.Register {
		if r.Kind == store.RegisterNotice && !strings.Contains(r.ID, "/notice/") {
			notices.Items = append(notices.Items, pdfreport.Item{Label: fmt.Sprintf("recorded by hand: %s/%s to %s", r.Regime, r.Obligation, r.Recipient),
				Text: fmt.Sprintf("sent %s · on time %s · recorded by %s · reference %s", ts(r.SentAt), onTime(r.OnTime), dash(r.DecidedBy), dash(r.Reference))})
		}
	}
	if len(notices.Items) == 0 {
		notices.Intro = "No notice was drafted or recorded."
	}
	approvals := eventSection("Approvals", in.Events, approvalKinds)
	decisions := eventSection("Decisions", in.Events, decisionKinds)
	timeline := pdfreport.Section{Heading: "The whole timeline",
		Intro: "Every event in order. Each hash is SHA-256 over the event's canonical bytes and the previous hash (see VERIFY.md)."}
	for _, e := range in.Events {
		timeline.Items = append(timeline.Items, eventItem(e, true))
	}
	doc.Sections = []pdfreport.Section{summary, clocks, notices, approvals, decisions, timeline,
		{Heading: "Chain head", Items: []pdfreport.Item{{Label: fmt.Sprintf("after %d events", len(in.Events)), Mono: dash(in.ChainHead)}}}}
	return pdfreport.Write(w, doc)
}

func onTime(b *bool) string {
	if b == nil {
		return "—"
	}
	if *b {
		return "yes"
	}
	return "no"
}

func eventSection(heading string, events []store.Event, kinds []string) pdfreport.Section {
	s := pdfreport.Section{Heading: heading}
	for _, e := range events {
		if slices.Contains(kinds, e.Kind) {
			s.Items = append(s.Items, eventItem(e, false))
		}
	}
	if len(s.Items) == 0 {
		s.Intro = "None."
	}
	return s
}

func eventItem(e store.Event, withHash bool) pdfreport.Item {
	it := pdfreport.Item{
		Label: fmt.Sprintf("#%d  %s  %s  by %s", e.Seq, e.At.UTC().Format("2006-01-02 15:04:05 UTC"), e.Kind, dash(e.Actor)),
		Text:  dataText(e.Data),
	}
	if withHash {
		it.Mono = "hash " + e.Hash
	}
	return it
}

// dataText shows an event's data as "key: value" pairs in key order.
func dataText(raw json.RawMessage) string {
	var m map[string]json.RawMessage
	if json.Unmarshal(raw, &m) != nil || len(m) == 0 {
		return ""
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		v := string(m[k])
		var s string
		if json.Unmarshal(m[k], &s) == nil {
			v = s
		}
		if v == "" || v == "null" || v == `""` {
			continue
		}
		parts = append(parts, k+": "+v)
	}
	return strings.Join(parts, " · ")
}

package slack

import (
	"fmt"
	"strings"
	"time"

	goslack "github.com/slack-go/slack"

	"github.com/irbot/irbot/internal/deadline"
	"github.com/irbot/irbot/workflows"
)

// maxNoticesListed bounds the notices the list shows with their buttons (two
// blocks each); the rest are counted.
const maxNoticesListed = 22

// NoticesList renders an incident's notices for /incident notices, shown
// privately: each with its status, what is missing, and the buttons its
// status allows (Approve a complete draft, Reject, Send an approved one).
// note, when set, heads the list (what the last press did). It is rendered
// again from state after each press.
func NoticesList(incidentID string, notices []workflows.NoticeState, now time.Time, note string) ([]goslack.Block, string) {
	var blocks []goslack.Block
	head := fmt.Sprintf("*Notices of %s*", incidentID)
	if note != "" {
		head = note + "\n" + head
	}
	if len(notices) == 0 {
		head += fmt.Sprintf("\n_No notice has been drafted yet. Draft one with `irbot notice %s draft --regime R --obligation O --to ADDRESS` or the API; it then shows here._", incidentID)
	}
	blocks = append(blocks, goslack.NewSectionBlock(mrkdwn(head), nil, nil))
	for i, n := range notices {
		if i == maxNoticesListed {
			blocks = append(blocks, goslack.NewContextBlock("", mrkdwn(fmt.Sprintf("…and %d more: see them in the console or with `irbot notices %s`.", len(notices)-i, incidentID))))
			break
		}
		blocks = append(blocks, goslack.NewSectionBlock(mrkdwn(noticeText(n.NoticeSummary, now)), nil, nil))
		if btns := noticeButtons(incidentID, n.NoticeSummary, now); len(btns) > 0 {
			blocks = append(blocks, goslack.NewActionBlock("notice|"+incidentID+"|"+n.ID, btns...))
		}
	}
	fallback := fmt.Sprintf("Notices of %s: %d", incidentID, len(notices))
	if note != "" {
		fallback = note + " " + fallback
	}
	return blocks, Truncate(fallback, MaxFallbackText)
}

func noticeText(n workflows.NoticeSummary, now time.Time) string {
	var sb strings.Builder
	fmt.Fprintf(&sb, "*%s* · %s/%s · %s · *%s*", Escape(n.ID), n.Regime, n.Obligation, n.Recipient, strings.ReplaceAll(n.Status, "_", " "))
	if len(n.To) > 0 {
		fmt.Fprintf(&sb, "\nTo: %s", Escape(Truncate(strings.Join(n.To, ", "), 300)))
	}
	fmt.Fprintf(&sb, "\nDrafted by %s", Mention(n.DraftedBy))
	if n.ApprovedBy != "" {
		fmt.Fprintf(&sb, " · approved by %s", Mention(n.ApprovedBy))
	}
	switch {
	case n.SentAt != nil:
		fmt.Fprintf(&sb, " · sent %s", UTC(*n.SentAt))
	case n.DueAt != nil && open(n.Status):
		fmt.Fprintf(&sb, " · %s (%s)", deadline.Left(*n.DueAt, now), UTC(*n.DueAt))
	}
	if len(n.Missing) > 0 {
		fmt.Fprintf(&sb, "\n:warning: Missing: %s. Set them as facts (the API's or `irbot act`'s set_fact); the draft updates and can then be approved.", Escape(strings.Join(n.Missing, ", ")))
	}
	if n.Reason != "" {
		fmt.Fprintf(&sb, "\nReason: %s", Escape(Truncate(n.Reason, 500)))
	}
	return sb.String()
}

func open(status string) bool {
	switch status {
	case workflows.NoticeDraft, workflows.NoticeApproved, workflows.NoticeFailed:
		return true
	}
	return false
}

func noticeButtons(incidentID string, n workflows.NoticeSummary, now time.Time) []goslack.BlockElement {
	v := Value(incidentID, n.ID)
	var out []goslack.BlockElement
	if n.Status == workflows.NoticeDraft && len(n.Missing) == 0 {
		out = append(out, button(ActionNoticeApprove, v, "Approve", goslack.StylePrimary))
	}
	if n.Status == workflows.NoticeApproved || n.Status == workflows.NoticeFailed {
		label := "Send"
		if n.Status == workflows.NoticeFailed {
			label = "Send again"
		}
		if n.DueAt != nil && n.DueAt.Before(now) {
			out = append(out, button(ActionNoticeSendLate, v, label+" (late)…", goslack.StylePrimary))
		} else {
			out = append(out, button(ActionNoticeSend, v, label, goslack.StylePrimary))
		}
	}
	if open(n.Status) {
		out = append(out, button(ActionNoticeReject, v, "Reject…", goslack.StyleDanger))
	}
	return out
}

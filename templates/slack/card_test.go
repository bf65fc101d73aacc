package slack

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	goslack "github.com/slack-go/slack"
	"github.com/stretchr/testify/require"

	"github.com/irbot/irbot/internal/deadline"
	"github.com/irbot/irbot/workflows"
)

func bigState(now time.Time) workflows.IncidentState {
	due := now.Add(2 * time.Hour)
	past := now.Add(-90 * time.Minute)
	st := workflows.IncidentState{
		ID: "INC-2026-0042", Title: strings.Repeat("Customer database exposed <again> & ", 10), Summary: strings.Repeat("x", 5000),
		Severity: "critical", Mode: workflows.ModeLive, Status: workflows.StatusOpen, Phase: "contain", Playbook: "data-breach", PlaybookVersion: 3,
		DeclaredBy: workflows.Actor{ID: "U0000000003"}, DeclaredAt: now.Add(-time.Hour),
		Phases:     []workflows.PhaseState{{ID: "contain", Title: "Contain", Status: "active"}},
		NextAction: "Isolate affected systems",
		Roles:      []workflows.RoleAssignment{{Role: "commander", User: "U0000000005"}},
	}
	for i := range 100 {
		st.Tasks = append(st.Tasks, workflows.TaskState{ID: fmt.Sprintf("task-%d", i), Title: strings.Repeat("t", 200), Phase: "contain", Role: fmt.Sprintf("role%d", i%30), Done: i%10 == 0, DoneBy: "U0000000003"})
	}
	for i := range 30 {
		st.Gates = append(st.Gates, workflows.GateState{ID: fmt.Sprintf("gate-%d", i), Title: "Approve notice", Phase: "contain", Roles: []string{"dpo", "legal"}, TwoPerson: true})
	}
	st.Tasks[1].Title = "Revoke <token> & keys"
	st.Clocks = append(st.Clocks,
		workflows.ClockState{Regime: "eu-gdpr", Obligation: "supervisory-authority", Recipient: "authority", DueAt: &due, Status: workflows.ClockRunning},
		workflows.ClockState{Regime: "us-ca", Obligation: "individuals", Recipient: "individuals", DueAt: &past, Status: workflows.ClockOverdue},
	)
	for i := range 60 {
		st.Clocks = append(st.Clocks, workflows.ClockState{Regime: fmt.Sprintf("r%d", i), Obligation: "authority", Recipient: "authority", Status: workflows.ClockWaiting, WaitingFor: "discovery"})
	}
	return st
}

// checkLimits fails when a message would be rejected by Slack.
func checkLimits(t *testing.T, blocks []goslack.Block) string {
	t.Helper()
	require.LessOrEqual(t, len(blocks), MaxBlocks)
	for _, b := range blocks {
		switch bl := b.(type) {
		case *goslack.SectionBlock:
			if bl.Text != nil {
				require.LessOrEqual(t, utf8.RuneCountInString(bl.Text.Text), MaxSectionText)
			}
			require.LessOrEqual(t, len(bl.Fields), 10)
		case *goslack.HeaderBlock:
			require.LessOrEqual(t, utf8.RuneCountInString(bl.Text.Text), MaxHeaderText)
		case *goslack.ActionBlock:
			require.LessOrEqual(t, len(bl.Elements.ElementSet), 25)
		}
	}
	var sb strings.Builder
	enc := json.NewEncoder(&sb)
	enc.SetEscapeHTML(false)
	require.NoError(t, enc.Encode(blocks))
	return sb.String()
}

func TestCardStaysWithinBlockKitLimits(t *testing.T) {
	now := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	blocks, fallback := Card(bigState(now), now)
	js := checkLimits(t, blocks)
	require.True(t, strings.HasPrefix(fallback, CardMarker("INC-2026-0042")))
	require.Contains(t, js, "…and", "what did not fit is summarised, not dropped silently")
	require.Contains(t, js, ActionTaskDone)
	require.Contains(t, js, ActionApprove)
	require.Contains(t, js, ActionClaimRole)
	require.Contains(t, js, ActionSeverity)
	require.Contains(t, js, ActionAddNote)
	require.Contains(t, js, ActionClose)
	require.Contains(t, js, "⏳ due in 2 h (2026-03-01 12:00 UTC)", "time left relative to the render, and the absolute due time")
	require.Contains(t, js, "🚨 overdue by 1 h 30 min (was due ")
	require.Contains(t, js, "Revoke &lt;token&gt; &amp; keys", "text in mrkdwn is escaped")
	require.Contains(t, js, "exposed <again> &", "plain-text headers are not")
}

func TestClosedCardHasNoButtons(t *testing.T) {
	now := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	st := bigState(now)
	st.Status = workflows.StatusClosed
	st.ClosedAt = &now
	blocks, fallback := Card(st, now)
	js := checkLimits(t, blocks)
	require.NotContains(t, js, `"button"`)
	require.NotContains(t, js, `"static_select"`)
	require.Contains(t, js, "Closed · ")
	require.Contains(t, fallback, "(closed)")
}

func TestSmallCardShowsEverything(t *testing.T) {
	now := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	st := bigState(now)
	st.Title, st.Summary = "Phishing", ""
	st.Tasks = st.Tasks[:3]
	st.Gates = st.Gates[:1]
	st.Clocks = st.Clocks[:2]
	blocks, _ := Card(st, now)
	js := checkLimits(t, blocks)
	require.NotContains(t, js, "…and")
	require.Equal(t, 2, strings.Count(js, ActionTaskDone), "one Done button per open task")
	require.Contains(t, js, "<@U0000000005>")
	require.Contains(t, js, "Isolate affected systems")
	require.Contains(t, js, CardBlockID("INC-2026-0042"))
}

func TestModalsAndMessagesWithinLimits(t *testing.T) {
	now := time.Now()
	var regimes []string
	for i := range 150 {
		regimes = append(regimes, fmt.Sprintf("r-%d", i))
	}
	for _, v := range []goslack.ModalViewRequest{DeclareModal(now, regimes, "C1"), DeclareModal(now, nil, ""), NoteModal("DRILL-2026-0001"), CloseModal("DRILL-2026-0001"),
		NotifiedModal("DRILL-2026-0001", "eu-gdpr", "supervisory-authority", now), NotNotifyModal("DRILL-2026-0001", "us-ca", "individuals"),
		NoticeRejectModal("DRILL-2026-0001", "N12"), NoticeSendModal("DRILL-2026-0001", "N12")} {
		require.LessOrEqual(t, utf8.RuneCountInString(v.Title.Text), MaxModalTitle)
		require.LessOrEqual(t, len(v.Blocks.BlockSet), MaxModalBlocks)
		_, err := json.Marshal(v)
		require.NoError(t, err)
	}
	st := bigState(now)
	b, _ := Announcement(st, "C123", true)
	require.Contains(t, checkLimits(t, b), ActionJoin)
	b, _ = Announcement(st, "C123", false)
	js := checkLimits(t, b)
	require.NotContains(t, js, ActionJoin)
	require.Contains(t, js, "Private channel, ask the commander")
	b, _ = ClockReminder(workflows.ClockAlert{IncidentID: "INC-1", Kind: "clock.overdue", Regime: "eu-gdpr", Obligation: "sa", DueAt: now, At: now, Mode: "drill"})
	require.Contains(t, checkLimits(t, b), "DRILL")
	require.LessOrEqual(t, utf8.RuneCountInString(StatusText(st, "C1", now)), MaxSectionText)
}

// TestCardClockMenus: each open clock gets its own block with a menu
// (Notified…, Not notifying…) naming the incident and clock; settled clocks
// are listed without one; past maxClockBlocks the rest are listed with the
// commands that settle them.
func TestCardClockMenus(t *testing.T) {
	now := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	st := bigState(now)
	st.Title, st.Summary = "Phishing", ""
	st.Tasks = st.Tasks[:3]
	st.Gates = st.Gates[:1]
	sent := now.Add(-time.Hour)
	st.Clocks = append(st.Clocks[:2], workflows.ClockState{Regime: "us-tx", Obligation: "authority", Recipient: "authority", Status: workflows.ClockMet, SentAt: &sent, Reference: "TX-1"},
		workflows.ClockState{Regime: "us-ny", Obligation: "individuals", Recipient: "individuals", Status: workflows.ClockNotNotified})
	blocks, _ := Card(st, now)
	js := checkLimits(t, blocks)
	require.Equal(t, 2, strings.Count(js, `"overflow"`), "one menu per open clock")
	require.True(t, strings.Contains(js, ClockValue(ClockOptionNotified, st.ID, "eu-gdpr", "supervisory-authority")))
	require.True(t, strings.Contains(js, ClockValue(ClockOptionNotNotify, st.ID, "us-ca", "individuals")))
	require.False(t, strings.Contains(js, ClockValue(ClockOptionNotified, st.ID, "us-tx", "authority")), "a settled clock has no menu")
	require.True(t, strings.Contains(js, "notified 2026-03-01 09:00 UTC · ref TX-1"))
	require.True(t, strings.Contains(js, "decided not to notify"))
	require.Less(t, strings.Index(js, "us-ca/individuals"), strings.Index(js, "eu-gdpr/supervisory-authority"), "the most urgent clock comes first")
	require.False(t, strings.Contains(js, "without a menu"))

	o, i, r, ob := SplitClockValue(ClockValue(ClockOptionNotNotify, "INC-2026-0001", "eu-gdpr", "supervisory-authority"))
	require.Equal(t, []string{ClockOptionNotNotify, "INC-2026-0001", "eu-gdpr", "supervisory-authority"}, []string{o, i, r, ob})

	// Many open clocks: ten menus, the rest listed, and a button to page
	// through them all with their menus.
	blocks, _ = Card(bigState(now), now)
	js = checkLimits(t, blocks)
	require.Equal(t, maxClockBlocks, strings.Count(js, `"overflow"`))
	require.True(t, strings.Contains(js, "have no menu here: *All clocks…* lists them all"))
	require.True(t, strings.Contains(js, `"action_id":"`+ActionClocksPage+`"`))
	require.True(t, strings.Contains(js, "r20/authority") && strings.Contains(js, "…and 3 more"), "clocks without a menu are still listed or counted")
}

// A drill at speed 60, 10 real minutes in, is 10 scenario hours in: the card
// and /incident clocks show 62 h left on the 72 h GDPR clock, not 71h50m.
func TestDrillCardShowsScenarioTimeLeft(t *testing.T) {
	start := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	due := start.Add(72 * time.Hour)
	st := workflows.IncidentState{ID: "DRILL-2026-0001", Title: "[DRILL] t", Mode: workflows.ModeDrill, Speed: 60, DeclaredAt: start,
		Status: workflows.StatusOpen, Clocks: []workflows.ClockState{{Regime: "eu-gdpr", Obligation: "supervisory-authority", DueAt: &due, Status: workflows.ClockRunning}}}
	lines := ClockLines(st, start.Add(10*time.Minute))
	if !strings.Contains(lines, "due in 2 d 14 h") {
		t.Fatalf("a drill's clock shows scenario time left (62h = 2d14h), got %q", lines)
	}
	st.Mode, st.Speed = workflows.ModeLive, 0
	if lines := ClockLines(st, start.Add(10*time.Minute)); !strings.Contains(lines, "due in 2 d 23 h") {
		t.Fatalf("a live clock shows real time left, got %q", lines)
	}
}

// TestSettledClockLinesSayTheirMargin: a settled clock shows its fixed margin
// in the one wording every surface uses (deadline.Settled over deadline.Span).
func TestSettledClockLinesSayTheirMargin(t *testing.T) {
	now := time.Date(2026, 3, 10, 10, 0, 0, 0, time.UTC)
	due := time.Date(2026, 3, 4, 9, 0, 0, 0, time.UTC)
	early, late := due.Add(-22*time.Hour), due.Add(4*24*time.Hour+23*time.Hour)
	met := workflows.ClockState{Regime: "eu-gdpr", Obligation: "supervisory-authority", Recipient: "authority", Status: workflows.ClockMet,
		DueAt: &due, SentAt: &early, MetBy: deadline.Span(due.Sub(early))}
	lateClock := workflows.ClockState{Regime: "uk-gdpr", Obligation: "ico", Recipient: "authority", Status: workflows.ClockLate,
		DueAt: &due, SentAt: &late, LateBy: deadline.Span(late.Sub(due))}
	require.Equal(t, "• eu-gdpr/supervisory-authority · authority · notified 2026-03-03 11:00 UTC · met with 22 h to spare", clockLine(met, now))
	require.Equal(t, "• uk-gdpr/ico · authority · notified 2026-03-09 08:00 UTC · late by 4 d 23 h", clockLine(lateClock, now))
}

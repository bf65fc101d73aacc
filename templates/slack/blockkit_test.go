package slack

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	goslack "github.com/slack-go/slack"
	"github.com/stretchr/testify/require"

	"github.com/irbot/irbot/internal/incident"
	"github.com/irbot/irbot/internal/slackbot/slackfake"
	"github.com/irbot/irbot/workflows"
)

// extremeIncident is the largest incident people can make: 27 regimes with
// several clocks each, every task open, a 200-character title with markup,
// a 3000-character summary in another script, and every role unclaimed.
func extremeIncident(now time.Time) workflows.IncidentState {
	st := workflows.IncidentState{
		ID: "INC-2026-9999", Title: strings.Repeat("Ünïcødé <b>&\x00 ", 20)[:200], Summary: strings.Repeat("漏洩", 1500),
		Severity: "critical", Mode: workflows.ModeLive, Status: workflows.StatusOpen, Phase: "contain", Playbook: "data-breach", PlaybookVersion: 7,
		DeclaredBy: workflows.Actor{ID: "U0000000003"}, DeclaredAt: now.Add(-time.Hour), NextAction: strings.Repeat("n", 3000),
		Phases: []workflows.PhaseState{{ID: "contain", Title: strings.Repeat("Contain ", 40), Status: "active"}},
		Roles:  []workflows.RoleAssignment{},
	}
	for i := range 120 {
		st.Tasks = append(st.Tasks, workflows.TaskState{ID: fmt.Sprintf("task-%03d", i), Title: strings.Repeat("t", 300), Phase: "contain",
			Role: fmt.Sprintf("role-%02d", i%40), Required: i%2 == 0})
	}
	for i := range 30 {
		st.Gates = append(st.Gates, workflows.GateState{ID: fmt.Sprintf("gate-%d", i), Title: strings.Repeat("g", 300), Phase: "contain", Roles: []string{"dpo", "legal"}, TwoPerson: true})
	}
	for r := range 27 {
		st.Regimes = append(st.Regimes, fmt.Sprintf("regime-%02d-with-a-long-identifier", r))
		for o := range 4 {
			due := now.Add(time.Duration(r*4+o-20) * time.Hour)
			st.Clocks = append(st.Clocks, workflows.ClockState{Regime: st.Regimes[r], Obligation: fmt.Sprintf("obligation-%d-to-the-authority", o),
				Name: strings.Repeat("N", 120), Recipient: "authority", DueAt: &due, Status: workflows.ClockRunning})
		}
	}
	return st
}

func blocksJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return b
}

// TestEveryMessageAndModalPassesTheBlockKitChecker renders the card, the
// announcement, reminders, the notices list and every modal for ordinary
// and extreme incidents, and runs Slack's rules (the fake's checker) on each.
func TestEveryMessageAndModalPassesTheBlockKitChecker(t *testing.T) {
	now := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	extreme := extremeIncident(now)
	closed := extremeIncident(now)
	closed.Status, closed.ClosedAt = workflows.StatusClosed, &now
	drill := bigState(now)
	drill.Mode = workflows.ModeDrill
	small := bigState(now)
	small.Tasks, small.Gates, small.Clocks, small.Summary = small.Tasks[:1], nil, nil, ""

	var notices []workflows.NoticeState
	for i := range 40 {
		notices = append(notices, workflows.NoticeState{NoticeSummary: workflows.NoticeSummary{ID: fmt.Sprintf("N%d", i), Regime: extreme.Regimes[i%27],
			Obligation: "authority", Recipient: "authority", To: []string{strings.Repeat("a", 60) + "@example.org"}, Status: []string{"draft", "approved", "sent", "failed"}[i%4],
			Missing: []string{"dpo_contact", "records_count"}, DraftedBy: "U0000000001"}, IncidentID: extreme.ID})
	}
	var regimes []string
	for i := range 150 {
		regimes = append(regimes, fmt.Sprintf("regime-%03d", i))
	}

	messages := map[string][]goslack.Block{}
	for name, st := range map[string]workflows.IncidentState{"extreme": extreme, "closed": closed, "drill": drill, "small": small, "big": bigState(now)} {
		messages["card/"+name], _ = Card(st, now)
		messages["announcement-public/"+name], _ = Announcement(st, "C0000001", true)
		messages["announcement-private/"+name], _ = Announcement(st, "C0000001", false)
	}
	messages["notices/40"], _ = NoticesList(extreme.ID, notices, now, strings.Repeat("note ", 200))
	messages["notices/none"], _ = NoticesList(extreme.ID, nil, now, "")
	var manyCommands []SlashCommand // more and longer than /incident has: help is cut, never rejected
	for i := range 60 {
		manyCommands = append(manyCommands, SlashCommand{Name: fmt.Sprint("c", i), Usage: "/incident " + strings.Repeat("漏洩 <b>&", 20), Help: strings.Repeat("h", 200)})
	}
	messages["help"] = HelpBlocks(manyCommands, strings.Repeat("?", 4000))
	var open incident.OpenListResult
	for _, st := range []workflows.IncidentState{extreme, drill, small, bigState(now)} {
		for range 5 {
			open.Incidents = append(open.Incidents, incident.OpenSummary{State: st, Next: incident.NearestClock(st)})
		}
	}
	open.Rest = 9999
	messages["list/20-and-more"], _ = OpenList(open, now)
	messages["list/none"], _ = OpenList(incident.OpenListResult{}, now)
	for _, kind := range []string{"clock.reminder", "clock.overdue", "clock.escalated"} {
		messages["reminder-threaded/"+kind], _ = ClockReminderFor(workflows.ClockAlert{IncidentID: extreme.ID, Kind: kind, Regime: extreme.Regimes[0],
			Obligation: strings.Repeat("o", 200), DueAt: now, At: now, Mode: "live", Notify: []string{"dpo", "legal"}}, []string{"U0000000001", "W0000000002", "not-a-slack-id"}, true)
		messages["reminder/"+kind], _ = ClockReminder(workflows.ClockAlert{IncidentID: extreme.ID, Kind: kind, Regime: extreme.Regimes[0],
			Obligation: strings.Repeat("o", 200), DueAt: now, At: now, Mode: "live"})
	}
	messages["update/huge"], _ = UpdateMessage(extreme.ID, "U0000000001", StatusUpdate{Status: strings.Repeat("漏洩 <b>&\x00", 400), Next: strings.Repeat("n", 2000), Due: now})
	messages["notify-picker/108-clocks"], _ = NotifyPicker(extreme, now)
	messages["notify-picker/none"], _ = NotifyPicker(small, now)
	long := notices[0]
	long.Text = strings.Repeat("Nature: [to be completed: Nature of the breach] ]] 漏洩 <x> & ", 2000)
	long.Status, long.IncidentID = "draft", extreme.ID
	messages["notice-preview/huge-missing"], _ = NoticePreview(long, now)
	long.Missing, long.Text, long.To = nil, "", nil
	messages["notice-preview/empty"], _ = NoticePreview(long, now)
	for name, blocks := range messages {
		t.Run(name, func(t *testing.T) {
			require.Empty(t, slackfake.CheckBlocks(blocksJSON(t, blocks), slackfake.SurfaceMessage))
		})
	}

	modals := map[string]goslack.ModalViewRequest{
		"declare/150-regimes": DeclareModal(now, regimes, strings.Repeat("m", 200)),
		"declare/no-regimes":  DeclareModal(now, nil, ""),
		"note":                NoteModal(extreme.ID),
		"close":               CloseModal(extreme.ID),
		"notified":            NotifiedModal(extreme.ID, extreme.Regimes[26], extreme.Clocks[107].Obligation, now),
		"not-notify":          NotNotifyModal(extreme.ID, extreme.Regimes[26], extreme.Clocks[107].Obligation),
		"notice-reject":       NoticeRejectModal(extreme.ID, "N39"),
		"notice-send":         NoticeSendModal(extreme.ID, "N39"),
		"update":              UpdateModal(extreme.ID),
		"snooze":              SnoozeModal(extreme.ID, extreme.Regimes[26], extreme.Clocks[107].Obligation),
		"facts/empty":         FactsModal(extreme, nil),
		"facts/huge":          FactsModal(withHugeFacts(extreme, now), hugeSetters(now)),
		"notify/empty":        NotifyModal(extreme, extreme.Clocks[107], []string{"nature", "data_categories", "subjects_count", "records_count", "dpo_contact", "consequences", "measures"}, nil, now, "de"),
		"notify/huge":         NotifyModal(withHugeFacts(extreme, now), extreme.Clocks[0], hugeRequired(), hugeSetters(now), now, "fr"),
	}
	// The App Home with the most incidents a list holds, every one the
	// viewer's, and for someone without a role.
	var many incident.OpenListResult
	for i := range 200 {
		st := extremeIncident(now)
		st.Roles = []workflows.RoleAssignment{{Role: "commander", User: "U0000000001"}, {Role: "dpo", User: "U0000000001"}}
		st.ID = fmt.Sprintf("INC-2026-%04d", i)
		many.Incidents = append(many.Incidents, incident.OpenSummary{State: st, Next: incident.NearestClock(st)})
	}
	many.Rest = 9999
	homes := map[string]goslack.HomeTabViewRequest{
		"200-mine": AppHome("U0000000001", many, "", now),
		"none":     AppHome("U0000000001", incident.OpenListResult{}, "", now),
		"no-role":  AppHome("U0000000001", incident.OpenListResult{}, strings.Repeat("<no role> ", 400), now),
	}
	for name, v := range homes {
		t.Run("home/"+name, func(t *testing.T) {
			require.Empty(t, slackfake.CheckView(blocksJSON(t, v)))
		})
	}
	for name, v := range modals {
		t.Run("modal/"+name, func(t *testing.T) {
			require.Empty(t, slackfake.CheckView(blocksJSON(t, v)))
		})
	}

	// Every role is unclaimed on the extreme card: the Claim buttons must
	// still have distinct action_ids, and the card must keep every clock
	// reachable (a menu, or the line with the command).
	js := string(blocksJSON(t, messages["card/extreme"]))
	require.Contains(t, js, ElementID(ActionClaimRole, 1))
	require.Equal(t, ActionClaimRole, BaseAction(ElementID(ActionClaimRole, 7)))
}

// TestCheckerRejectsWhatSlackRejects: the checker is only worth something if
// it refuses the documented mistakes.
func TestCheckerRejectsWhatSlackRejects(t *testing.T) {
	long := func(n int) string { return strings.Repeat("x", n) }
	cases := map[string]string{
		"duplicate action_id in a block": `[{"type":"actions","elements":[{"type":"button","action_id":"a","text":{"type":"plain_text","text":"A"}},{"type":"button","action_id":"a","text":{"type":"plain_text","text":"B"}}]}]`,
		"duplicate block_id":             `[{"type":"divider","block_id":"x"},{"type":"divider","block_id":"x"}]`,
		"section text over 3000":         `[{"type":"section","text":{"type":"mrkdwn","text":"` + long(3001) + `"}}]`,
		"header over 150":                `[{"type":"header","text":{"type":"plain_text","text":"` + long(151) + `"}}]`,
		"header in mrkdwn":               `[{"type":"header","text":{"type":"mrkdwn","text":"x"}}]`,
		"button text over 75":            `[{"type":"actions","elements":[{"type":"button","action_id":"a","text":{"type":"plain_text","text":"` + long(76) + `"}}]}]`,
		"button text in mrkdwn":          `[{"type":"actions","elements":[{"type":"button","action_id":"a","text":{"type":"mrkdwn","text":"x"}}]}]`,
		"empty text":                     `[{"type":"section","text":{"type":"mrkdwn","text":""}}]`,
		"option value over 150":          `[{"type":"section","text":{"type":"mrkdwn","text":"x"},"accessory":{"type":"overflow","action_id":"o","options":[{"text":{"type":"plain_text","text":"a"},"value":"` + long(151) + `"}]}}]`,
		"overflow with 6 options":        `[{"type":"section","text":{"type":"mrkdwn","text":"x"},"accessory":{"type":"overflow","action_id":"o","options":[` + strings.Repeat(`{"text":{"type":"plain_text","text":"a"},"value":"v"},`, 5) + `{"text":{"type":"plain_text","text":"a"},"value":"w"}]}}]`,
		"input in a message":             `[{"type":"input","label":{"type":"plain_text","text":"x"},"element":{"type":"plain_text_input","action_id":"v"}}]`,
		"unknown block type":             `[{"type":"sectoin","text":{"type":"mrkdwn","text":"x"}}]`,
	}
	var fifty []string
	for range 51 {
		fifty = append(fifty, `{"type":"divider"}`)
	}
	cases["51 blocks"] = "[" + strings.Join(fifty, ",") + "]"
	for name, raw := range cases {
		require.NotEmpty(t, slackfake.CheckBlocks([]byte(raw), slackfake.SurfaceMessage), name)
	}
	require.Empty(t, slackfake.CheckBlocks([]byte("["+strings.Join(fifty[:50], ",")+"]"), slackfake.SurfaceMessage), "50 blocks are allowed")

	views := map[string]string{
		"title over 24":          `{"type":"modal","title":{"type":"plain_text","text":"` + long(25) + `"},"blocks":[]}`,
		"input without submit":   `{"type":"modal","title":{"type":"plain_text","text":"t"},"blocks":[{"type":"input","label":{"type":"plain_text","text":"x"},"element":{"type":"plain_text_input","action_id":"v"}}]}`,
		"title in mrkdwn":        `{"type":"modal","title":{"type":"mrkdwn","text":"t"},"blocks":[]}`,
		"private_metadata 3001":  `{"type":"modal","title":{"type":"plain_text","text":"t"},"private_metadata":"` + long(3001) + `","blocks":[]}`,
		"initial option missing": `{"type":"modal","title":{"type":"plain_text","text":"t"},"submit":{"type":"plain_text","text":"s"},"blocks":[{"type":"input","label":{"type":"plain_text","text":"x"},"element":{"type":"static_select","action_id":"v","options":[{"text":{"type":"plain_text","text":"a"},"value":"a"}],"initial_option":{"text":{"type":"plain_text","text":"b"},"value":"b"}}}]}`,
	}
	for name, raw := range views {
		require.NotEmpty(t, slackfake.CheckView([]byte(raw)), name)
	}
}

// withHugeFacts sets every fact a notice draws on to the largest value the
// workflow accepts, in other scripts and with markup.
func withHugeFacts(st workflows.IncidentState, now time.Time) workflows.IncidentState {
	big := strings.Repeat("Ünïcødé <b>&\x00 漏洩 ", 600)[:10000]
	st.Facts = map[string]any{"nature": big, "consequences": big, "measures": big, "dpo_contact": big,
		"data_categories": []any{big, "names"}, "subjects_count": float64(1 << 53), "records_count": float64(0),
		"affected": map[string]any{"US-CA": float64(600), "DE": float64(40), "BR": float64(1e12)}, "personal_data": "unknown",
		"aware_at": now.Format(time.RFC3339Nano), "discovered_at": now.Add(-72 * time.Hour).Format(time.RFC3339Nano)}
	return st
}

func hugeSetters(now time.Time) map[string]FactSetter {
	out := map[string]FactSetter{}
	for _, f := range NoticeFacts {
		out[f.Name] = FactSetter{By: strings.Repeat("W", 30), At: now}
	}
	return out
}

// hugeRequired is more required content than any rule has, duplicates included.
func hugeRequired() []string {
	out := []string{"nature", "nature"}
	for i := range 60 {
		out = append(out, fmt.Sprintf("field_%02d_%s", i, strings.Repeat("x", 200)))
	}
	return out
}

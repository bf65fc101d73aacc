package slack

import (
	"fmt"
	"slices"
	"strings"
	"time"

	goslack "github.com/slack-go/slack"

	"github.com/irbot/irbot/internal/deadline"
	"github.com/irbot/irbot/workflows"
)

// CardMarker starts the fallback text of every incident card, so a card
// posted by an attempt whose answer was lost can be found again.
func CardMarker(incidentID string) string { return "[irbot card " + incidentID + "]" }

// severityIcon gives each severity a colour people recognise at a glance.
var severityIcon = map[string]string{"critical": "🔴", "high": "🟠", "medium": "🟡", "low": "🟢"}

// Card renders the incident card from the incident's state, with clock times
// relative to now. It is used both to post the card and to update it. Each
// section has its own builder, in the order the card shows them; they share
// the block budget (Slack's 50 blocks).
func Card(st workflows.IncidentState, now time.Time) (blocks []goslack.Block, fallback string) {
	c := &card{
		st: st, now: now, closed: st.Status == workflows.StatusClosed,
		clockNow: workflows.IncidentNow(st, now), // a drill's clocks count in scenario time
		b:        &budget{limit: MaxBlocks},
	}
	c.header()
	c.summary()
	// Open clocks get a block each, with their menu: chosen first so the
	// tasks and gates leave room for them.
	menuClocks := c.menuClocks()
	c.tasksAndGates(len(menuClocks))
	c.roles()
	c.clocks(menuClocks)
	c.actions()
	c.footer()
	return c.b.blocks, c.fallback()
}

// card is one rendering of the incident card.
type card struct {
	st       workflows.IncidentState
	now      time.Time
	clockNow time.Time
	closed   bool
	b        *budget
}

// header is the title (severity, ID, title; drill and closed marks) and the
// fields: severity, phase, status, commander, mode, who declared it.
func (c *card) header() {
	st := c.st
	title := fmt.Sprintf("%s %s · %s", severityIcon[st.Severity], st.ID, st.Title)
	if st.Mode == workflows.ModeDrill {
		title = "DRILL · " + title
	}
	if c.closed {
		title = "Closed · " + title
	}
	c.b.add(goslack.NewHeaderBlock(plain(strings.TrimSpace(title), MaxHeaderText)))

	commander := "unassigned"
	for _, r := range st.Roles {
		if r.Role == "commander" {
			commander = Mention(r.User)
		}
	}
	status := st.Status
	if c.closed && st.ClosedAt != nil {
		status = "closed " + UTC(*st.ClosedAt)
	}
	mode := "live"
	if st.Mode == workflows.ModeDrill {
		mode = "drill: nothing leaves this channel"
	}
	fields := []*goslack.TextBlockObject{
		mrkdwnField("*Severity*\n" + st.Severity),
		mrkdwnField("*Phase*\n" + Escape(phaseTitle(st, st.Phase))),
		mrkdwnField("*Status*\n" + status),
		mrkdwnField("*Commander*\n" + commander),
		mrkdwnField("*Mode*\n" + mode),
		mrkdwnField("*Declared by*\n" + Mention(st.DeclaredBy.ID) + " · " + UTC(st.DeclaredAt)),
	}
	c.b.add(goslack.NewSectionBlock(nil, fields, nil))
}

// summary is what happened and the next action (or that it is closed),
// then a divider.
func (c *card) summary() {
	if c.st.Summary != "" {
		c.b.add(goslack.NewSectionBlock(mrkdwn("*What happened*\n"+Escape(c.st.Summary)), nil, nil))
	}
	if c.closed {
		c.b.add(goslack.NewSectionBlock(mrkdwn("*Closed.* The timeline stays available for review and export."), nil, nil))
	} else if c.st.NextAction != "" {
		c.b.add(goslack.NewSectionBlock(mrkdwn("*Next action:* "+Escape(c.st.NextAction)), nil, nil))
	}
	c.b.add(goslack.NewDividerBlock())
}

// menuClocks are the open clocks that may get a block with their menu (none
// once closed).
func (c *card) menuClocks() []workflows.ClockState {
	if c.closed {
		return nil
	}
	open := openClocks(c.st)
	return open[:min(len(open), maxClockBlocks)]
}

// tasksAndGates is the current phase's tasks and gates: the done ones in one
// block, then one block each, with its button, as far as the budget goes
// (keeping room for clockBlocks open clocks), then a line naming the rest.
func (c *card) tasksAndGates(clockBlocks int) {
	st, closed := c.st, c.closed
	var open, done []workflows.TaskState
	for _, t := range st.Tasks {
		if t.Phase != st.Phase {
			continue
		}
		if t.Done {
			done = append(done, t)
		} else {
			open = append(open, t)
		}
	}
	var gates []workflows.GateState
	for _, g := range st.Gates {
		if g.Phase == st.Phase {
			gates = append(gates, g)
		}
	}
	heading := fmt.Sprintf("*Tasks · %s*", Escape(phaseTitle(st, st.Phase)))
	if closed {
		heading = "*Tasks*"
	}
	var doneLines []string
	for _, t := range done {
		by := ""
		if t.DoneBy != "" {
			by = " · " + Mention(t.DoneBy)
		}
		doneLines = append(doneLines, fmt.Sprintf("✅ ~%s~ `%s`%s", Escape(t.Title), t.ID, by))
	}
	if len(open) == 0 && len(gates) == 0 && len(doneLines) == 0 {
		doneLines = append(doneLines, "_No tasks in this phase._")
	}
	c.b.add(goslack.NewSectionBlock(mrkdwn(heading+"\n"+joinLines(doneLines, MaxSectionText-len(heading))), nil, nil))

	var overflow []string
	// Blocks still to come after the tasks and gates: overflow, roles (2),
	// clocks heading, open clocks, actions, footer.
	itemRoom := c.b.room() - 6 - clockBlocks
	// Approvals are rarer and block notices: keep room for them.
	pendingGates := 0
	for _, g := range gates {
		if !g.Approved {
			pendingGates++
		}
	}
	gateRoom := min(len(gates), max(pendingGates, 0), itemRoom/3)
	if len(gates) <= itemRoom-len(open) {
		gateRoom = len(gates)
	}
	itemRoom -= gateRoom
	for _, t := range open {
		text := fmt.Sprintf("⬜ *%s* `%s` · %s", Escape(t.Title), t.ID, t.Role)
		if !t.Required {
			text += " · optional"
		}
		if closed || itemRoom <= 0 {
			if !closed {
				overflow = append(overflow, "`"+t.ID+"`")
			}
			continue
		}
		itemRoom--
		c.b.add(goslack.NewSectionBlock(mrkdwn(text), nil,
			goslack.NewAccessory(button(ActionTaskDone, Value(st.ID, t.ID), "Done", goslack.StylePrimary))))
	}
	itemRoom += gateRoom
	for _, g := range gates {
		who := make([]string, 0, len(g.Approvals))
		for _, a := range g.Approvals {
			who = append(who, Mention(a.By))
		}
		text := fmt.Sprintf("🔏 *%s* `%s` · approvers: %s", Escape(g.Title), g.ID, strings.Join(g.Roles, ", "))
		if g.TwoPerson {
			text += " · two people"
		}
		if len(who) > 0 {
			text += " · approved by " + strings.Join(who, ", ")
		}
		if g.Approved {
			text = "✅ " + strings.TrimPrefix(text, "🔏 ")
		}
		switch {
		case itemRoom <= 0:
			if !g.Approved && !closed {
				overflow = append(overflow, "gate `"+g.ID+"`")
			}
		case g.Approved || closed:
			itemRoom--
			c.b.add(goslack.NewSectionBlock(mrkdwn(text), nil, nil))
		default:
			itemRoom--
			c.b.add(goslack.NewSectionBlock(mrkdwn(text), nil,
				goslack.NewAccessory(button(ActionApprove, Value(st.ID, g.ID), "Approve", goslack.StylePrimary))))
		}
	}
	if len(overflow) > 0 {
		c.b.add(goslack.NewSectionBlock(mrkdwn(fmt.Sprintf("…and %d more: %s. Use `/incident task done ID` in this channel.",
			len(overflow), Truncate(strings.Join(overflow, ", "), 2500))), nil, nil))
	}
}

// roles is who holds what, and a Claim button for each open role.
func (c *card) roles() {
	held := map[string]string{}
	for _, r := range c.st.Roles {
		held[r.Role] = r.User
	}
	var lines []string
	var claims []goslack.BlockElement
	for _, role := range Roles(c.st) {
		if u, ok := held[role]; ok {
			lines = append(lines, fmt.Sprintf("*%s*: %s", role, Mention(u)))
			continue
		}
		lines = append(lines, fmt.Sprintf("*%s*: _unassigned_", role))
		if !c.closed && len(claims) < 25 {
			claims = append(claims, button(ElementID(ActionClaimRole, len(claims)), Value(c.st.ID, role), "Claim "+role, ""))
		}
	}
	c.b.add(goslack.NewSectionBlock(mrkdwn("*Roles*\n"+joinLines(lines, MaxSectionText-10)), nil, nil))
	if len(claims) > 0 {
		c.b.add(goslack.NewActionBlock("roles", claims...))
	}
}

// clocks is the settled clocks (and the open ones without room) in one
// block, then each open clock of menuClocks that still fits, with a menu to
// record the notification or a decision not to notify.
func (c *card) clocks(menuClocks []workflows.ClockState) {
	st := c.st
	menuClocks = menuClocks[:max(0, min(len(menuClocks), c.b.room()-3))]
	inMenu := map[string]bool{}
	for _, cl := range menuClocks {
		inMenu[cl.Key()] = true
	}
	var rest []workflows.ClockState
	hidden := 0
	for _, cl := range st.Clocks {
		if !inMenu[cl.Key()] {
			rest = append(rest, cl)
			if cl.Open() && !c.closed {
				hidden++
			}
		}
	}
	clocksText := "*Clocks*"
	switch {
	case len(st.Clocks) == 0:
		clocksText += "\n_No regulatory clocks._"
	case len(rest) > 0:
		clocksText += "\n" + clockLines(rest, c.clockNow)
	}
	var allClocks *goslack.Accessory
	if hidden > 0 {
		// Every clock stays reachable: the others, each with its menu, a
		// page at a time, privately.
		clocksText += fmt.Sprintf("\n%d open clock(s) have no menu here: *All clocks…* lists them all with theirs (or `/incident clocks`).", hidden)
		allClocks = goslack.NewAccessory(button(ActionClocksPage, Value(st.ID, "0"), fmt.Sprintf("All %d clocks…", len(st.Clocks)), ""))
	}
	c.b.add(goslack.NewSectionBlock(mrkdwn(clocksText), nil, allClocks))
	for _, cl := range menuClocks {
		c.b.add(goslack.NewSectionBlock(mrkdwn(clockLine(cl, c.clockNow)), nil, goslack.NewAccessory(clockMenu(st.ID, cl))))
	}
}

// actions is the severity select, Add note and Close incident (none once
// closed).
func (c *card) actions() {
	if c.closed {
		return
	}
	var opts []*goslack.OptionBlockObject
	for _, s := range workflows.Severities {
		opts = append(opts, goslack.NewOptionBlockObject(s, plain(severityIcon[s]+" "+s, MaxOptionText), nil))
	}
	sel := goslack.NewOptionsSelectBlockElement(goslack.OptTypeStatic, plain("Severity", MaxOptionText), ActionSeverity, opts...)
	for _, o := range opts {
		if o.Value == c.st.Severity {
			sel.InitialOption = o
		}
	}
	closeBtn := button(ActionClose, c.st.ID, "Close incident", goslack.StyleDanger)
	c.b.add(goslack.NewActionBlock(CardBlockID(c.st.ID), sel,
		button(ActionAddNote, c.st.ID, "Add note", ""),
		closeBtn))
}

// footer is the ID, playbook and version. Nothing in it changes with every
// timeline entry or with the clock: a footer that counted events and said
// when it was drawn made every entry (a note, irbot's own record of the
// channel it made) a new card and a chat.update, though the card showed
// nothing new.
func (c *card) footer() {
	st := c.st
	c.b.add(goslack.NewContextBlock("footer", mrkdwn(fmt.Sprintf("%s · playbook %s v%d · the full timeline is in the console and the API",
		st.ID, Escape(st.Playbook), st.PlaybookVersion))))
}

// fallback is the card's notification text, starting with CardMarker.
func (c *card) fallback() string {
	st := c.st
	fallback := fmt.Sprintf("%s %s: %s (%s, %s)", CardMarker(st.ID), st.ID, st.Title, st.Severity, st.Phase)
	if c.closed {
		fallback = fmt.Sprintf("%s %s: %s (closed)", CardMarker(st.ID), st.ID, st.Title)
	}
	return Truncate(fallback, MaxFallbackText)
}

func mrkdwnField(s string) *goslack.TextBlockObject {
	return goslack.NewTextBlockObject(goslack.MarkdownType, Truncate(s, MaxFieldText), false, false)
}

// Roles lists the incident roles the card offers, in a stable order:
// commander first, then the roles the playbook's tasks ask for, then any
// other role someone holds.
func Roles(st workflows.IncidentState) []string {
	roles := []string{"commander"}
	for _, t := range st.Tasks {
		if t.Role != "" && !slices.Contains(roles, t.Role) {
			roles = append(roles, t.Role)
		}
	}
	for _, r := range st.Roles {
		if !slices.Contains(roles, r.Role) {
			roles = append(roles, r.Role)
		}
	}
	return roles
}

func phaseTitle(st workflows.IncidentState, id string) string {
	for _, p := range st.Phases {
		if p.ID == id && p.Title != "" {
			return p.Title
		}
	}
	if id == "" {
		return "—"
	}
	return id
}

// ClockLines renders the incident's clocks, one line each: time left relative
// to now and the absolute due time in UTC.
func ClockLines(st workflows.IncidentState, now time.Time) string {
	now = workflows.IncidentNow(st, now)
	if len(st.Clocks) == 0 {
		return "_No regulatory clocks._"
	}
	return clockLines(st.Clocks, now)
}

func clockLines(clocks []workflows.ClockState, now time.Time) string {
	lines := make([]string, 0, len(clocks))
	for _, c := range clocks {
		lines = append(lines, clockLine(c, now))
	}
	return joinLines(lines, MaxSectionText-200)
}

// clockMenu is an open clock's overflow menu: draft a notice, record the
// notification, or a decision not to notify.
func clockMenu(incidentID string, c workflows.ClockState) *goslack.OverflowBlockElement {
	return goslack.NewOverflowBlockElement(ActionClockMenu,
		goslack.NewOptionBlockObject(ClockValue(ClockOptionNotify, incidentID, c.Regime, c.Obligation), plain("Draft notice…", MaxOptionText), nil),
		goslack.NewOptionBlockObject(ClockValue(ClockOptionNotified, incidentID, c.Regime, c.Obligation), plain("Notified…", MaxOptionText), nil),
		goslack.NewOptionBlockObject(ClockValue(ClockOptionNotNotify, incidentID, c.Regime, c.Obligation), plain("Not notifying…", MaxOptionText), nil))
}

// ClocksPageSize is how many clocks one page of ClocksPage shows.
const ClocksPageSize = 20

// ClocksPage is one page of the incident's clocks for one person: the open
// ones first, most urgent first, each with its menu, then the settled ones;
// ‹ and › buttons page through them all. page is clamped to the pages
// there are.
func ClocksPage(st workflows.IncidentState, now time.Time, page int) ([]goslack.Block, string) {
	clockNow := workflows.IncidentNow(st, now)
	clocks := openClocks(st)
	for _, c := range st.Clocks {
		if !c.Open() {
			clocks = append(clocks, c)
		}
	}
	pages := max(1, (len(clocks)+ClocksPageSize-1)/ClocksPageSize)
	page = min(max(page, 0), pages-1)
	head := fmt.Sprintf("*Clocks of %s* (now %s)", st.ID, UTC(now))
	if pages > 1 {
		head += fmt.Sprintf(" · page %d of %d, clocks %d–%d of %d", page+1, pages, page*ClocksPageSize+1, min(len(clocks), (page+1)*ClocksPageSize), len(clocks))
	}
	blocks := []goslack.Block{goslack.NewSectionBlock(mrkdwn(head), nil, nil)}
	if len(clocks) == 0 {
		blocks = append(blocks, goslack.NewSectionBlock(mrkdwn("_No regulatory clocks._"), nil, nil))
	}
	closed := st.Status == workflows.StatusClosed
	for _, c := range clocks[min(len(clocks), page*ClocksPageSize):min(len(clocks), (page+1)*ClocksPageSize)] {
		var menu *goslack.Accessory
		if c.Open() && !closed {
			menu = goslack.NewAccessory(clockMenu(st.ID, c))
		}
		blocks = append(blocks, goslack.NewSectionBlock(mrkdwn(Truncate(clockLine(c, clockNow), MaxSectionText)), nil, menu))
	}
	if pages > 1 {
		var nav []goslack.BlockElement
		if page > 0 {
			nav = append(nav, button(ElementID(ActionClocksPage, 0), Value(st.ID, fmt.Sprint(page-1)), "‹ Previous", ""))
		}
		if page < pages-1 {
			nav = append(nav, button(ElementID(ActionClocksPage, 1), Value(st.ID, fmt.Sprint(page+1)), "Next ›", ""))
		}
		blocks = append(blocks, goslack.NewActionBlock("clocks_page", nav...))
	}
	return blocks, ClocksText(st, now)
}

// maxClockBlocks bounds the clocks that get a block and a menu on the card;
// the others are listed and settled with /incident notified or not-notify.
const maxClockBlocks = 10

// openClocks are the clocks still needing a notice or a decision, the most
// urgent first: by due time, then those without one in their order.
func openClocks(st workflows.IncidentState) []workflows.ClockState {
	var out []workflows.ClockState
	for _, c := range st.Clocks {
		if c.Open() {
			out = append(out, c)
		}
	}
	slices.SortStableFunc(out, func(a, b workflows.ClockState) int {
		switch {
		case a.DueAt != nil && b.DueAt != nil:
			return a.DueAt.Compare(*b.DueAt)
		case a.DueAt != nil:
			return -1
		case b.DueAt != nil:
			return 1
		}
		return 0
	})
	return out
}

// clockLine is one clock: name, recipient, and time left or how it was settled.
func clockLine(c workflows.ClockState, now time.Time) string {
	name := c.Regime + "/" + c.Obligation
	if c.Name != "" {
		name = Escape(c.Name) + " (" + name + ")"
	}
	var when string
	switch {
	case c.Status == workflows.ClockMet || c.Status == workflows.ClockLate:
		when = "notified"
		if c.SentAt != nil {
			when += " " + UTC(*c.SentAt)
		}
		if c.Reference != "" {
			when += " · ref " + Escape(c.Reference)
		}
		switch margin := deadline.Settled(c.MetBy, c.LateBy); {
		case margin != "":
			when += " · " + margin
		case c.Status == workflows.ClockLate:
			when += " (late)"
		}
	case c.Status == workflows.ClockNotNotified:
		when = "decided not to notify"
	case c.DueAt != nil:
		when = fmt.Sprintf("⏳ %s (%s)", deadline.Left(*c.DueAt, now), UTC(*c.DueAt))
		if c.DueAt.Before(now) {
			when = fmt.Sprintf("🚨 %s (was due %s)", deadline.Left(*c.DueAt, now), UTC(*c.DueAt))
		}
	case c.WaitingFor != "":
		when = "waiting for " + Escape(c.WaitingFor)
	case c.Status == workflows.ClockNoDeadline:
		when = "without undue delay (no fixed deadline)"
	default:
		when = c.Status
	}
	return "• " + name + " · " + c.Recipient + " · " + when
}

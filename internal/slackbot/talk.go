package slackbot

import (
	"context"
	"fmt"

	"github.com/slack-go/slack"

	tpl "github.com/irbot/irbot/templates/slack"
	"github.com/irbot/irbot/workflows"
)

// talk posts in the incident channel a short message for each change
// people must notice since the state this process last published (see
// tpl.Changes), and sends a new commander their instructions privately. The
// first publish in a process only sets the baseline: after a restart the
// channel is not told again what it already heard.
func (b *Bot) talk(ctx context.Context, st workflows.IncidentState, p *published) {
	prev := p.last
	cp := st
	p.last = &cp
	if prev == nil || p.channelID == "" {
		return
	}
	if b.announce != "" && p.announceTS != "" && (prev.Severity != st.Severity || prev.Status != st.Status || roleHolder(*prev, "commander") != roleHolder(st, "commander")) {
		// The announcement is updated in place: severity, commander, closed.
		blocks, fallback := tpl.Announcement(st, p.channelID, st.PublicChannel)
		if err := b.api.Update(ctx, b.announce, p.announceTS, slack.MsgOptionBlocks(blocks...), slack.MsgOptionText(fallback, false)); err != nil {
			b.log.Warn("slack announcement update failed", "incident", st.ID, "code", ErrCode(err))
		}
	}
	for _, msg := range tpl.Changes(*prev, st, b.now()) {
		if _, err := b.api.Post(ctx, p.channelID, slack.MsgOptionText(msg, false)); err != nil {
			b.log.Warn("slack channel update failed", "incident", st.ID, "code", ErrCode(err))
			return
		}
	}
	if c := roleHolder(st, "commander"); c != "" && c != roleHolder(*prev, "commander") && tpl.LooksLikeSlackUser(c) {
		text := fmt.Sprintf("You are now the incident commander of *%s* (<#%s>). %s", st.ID, p.channelID, tpl.CommanderInstructions)
		if err := b.api.PostEphemeral(ctx, p.channelID, c, slack.MsgOptionText(text, false)); err != nil {
			b.log.Warn("slack commander instructions failed", "incident", st.ID, "code", ErrCode(err))
		} else {
			b.published.setInstructed(st.ID, c, b.now())
		}
	}
}

func roleHolder(st workflows.IncidentState, role string) string {
	who := ""
	for _, r := range st.Roles {
		if r.Role == role {
			who = r.User
		}
	}
	return who
}

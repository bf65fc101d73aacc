package slackbot

import (
	"context"

	"github.com/irbot/irbot/workflows"

	tpl "github.com/irbot/irbot/templates/slack"
)

// listOpen answers /incident list privately from the incident service.
func (b *Bot) listOpen(ctx context.Context, actor workflows.Actor, to reply) {
	list, err := b.svc.OpenList(ctx, actor)
	if err != nil {
		b.tell(ctx, to, errorText(b.logged(err, "list")))
		return
	}
	blocks, text := tpl.OpenList(list, b.now())
	b.tellBlocks(ctx, to, text, blocks, false)
}

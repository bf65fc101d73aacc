package main

import (
	"context"

	"github.com/irbot/irbot/internal/apperr"
	"github.com/irbot/irbot/internal/evidence"
	"github.com/irbot/irbot/internal/incident"
	"github.com/irbot/irbot/workflows"
)

// evidencePacker builds evidence packs from the incident service, with each
// sent notice's exact message from the store's notice archive.
func evidencePacker(svc *incident.Service) *evidence.Packer {
	return &evidence.Packer{Source: svc, Now: svc.Now,
		Messages: func(ctx context.Context, actor workflows.Actor, id, noticeID string) ([]byte, error) {
			m, err := svc.NoticeMessage(ctx, actor, id, noticeID)
			if apperr.CodeOf(err) == apperr.NotFound || apperr.CodeOf(err) == apperr.Unavailable {
				return nil, evidence.ErrMessageNotKept
			}
			if err != nil {
				return nil, err
			}
			return m.Raw, nil
		}}
}

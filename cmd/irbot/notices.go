package main

import (
	"fmt"

	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/irbot/irbot/activities"
	"github.com/irbot/irbot/internal/config"
	"github.com/irbot/irbot/internal/incident"
	"github.com/irbot/irbot/internal/mail"
	"github.com/irbot/irbot/internal/store"
	"github.com/irbot/irbot/workflows"
)

// wireNotices gives the worker the notice and campaign workflows, and the
// activities their mailer (when SMTP_ADDR is set), the drill sink and the
// campaign store; the service gets the campaign store too.
func wireNotices(cfg config.Config, w worker.Worker, acts *activities.Activities, svc *incident.Service, st store.Store) error {
	w.RegisterWorkflowWithOptions(workflows.NoticeWorkflow, workflow.RegisterOptions{Name: workflows.NoticeWorkflowName})
	w.RegisterWorkflowWithOptions(workflows.CampaignWorkflow, workflow.RegisterOptions{Name: workflows.CampaignWorkflowName})
	acts.DrillSink = cfg.DrillMailSink
	acts.Campaigns = st
	svc.Campaigns = st
	if !cfg.EmailEnabled() {
		return nil
	}
	m, err := mail.New(mail.Config{
		Addr: cfg.SMTPAddr, Username: cfg.SMTPUsername, Password: cfg.SMTPPassword, From: cfg.SMTPFrom,
		TLS: mail.TLSMode(cfg.SMTPTLS),
	})
	if err != nil {
		return fmt.Errorf("email: %w", err)
	}
	acts.Mailer = m
	return nil
}

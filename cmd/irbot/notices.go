package main

import (
	"fmt"

	"github.com/irbot/irbot/activities"
	"github.com/irbot/irbot/internal/config"
	"github.com/irbot/irbot/internal/incident"
	"github.com/irbot/irbot/internal/mail"
	"github.com/irbot/irbot/internal/store"
)

// wireNotices gives the activities their mailer (when SMTP_ADDR is set),
// the drill sink and the campaign store; the service gets the campaign store
// too. The notice and campaign workflows are registered by workflows.Register.
func wireNotices(cfg config.Config, acts *activities.Activities, svc *incident.Service, st store.Store) error {
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

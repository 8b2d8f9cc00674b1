package server

import (
	"log/slog"

	"github.com/hasura-auth-go/auth/config"
	"github.com/hasura-auth-go/auth/mail"
)

// newMailer builds the SMTP mailer of the email flows from AUTH_SMTP_* and
// AUTH_EMAIL_TEMPLATES_PATH; templates are read (and checked) here, at start.
func newMailer(cfg *config.Config, log *slog.Logger) (*mail.Mailer, error) {
	e := cfg.Email
	m, err := mail.New(mail.Config{
		Host: e.SMTPHost, Port: e.SMTPPort, User: e.SMTPUser, Pass: e.SMTPPass,
		Sender: e.SMTPSender, AuthMethod: e.SMTPAuthMethod, Secure: e.SMTPSecure,
		TemplatesPath: e.TemplatesPath, DefaultLocale: cfg.LocaleDefault,
		ServerURL: cfg.ServerURL, ClientURL: cfg.ClientURL, SMTPAPIHeader: e.SMTPAPIHeader,
	}, mail.Options{Log: log})
	if err != nil {
		return nil, err
	}
	if !m.Configured() {
		log.Warn("email is not configured (AUTH_SMTP_HOST is empty): verification, password reset, email change, magic links and email codes will answer 500 until it is")
	} else if cfg.ClientURL == "" {
		log.Warn("AUTH_CLIENT_URL is empty: email links need an explicit redirectTo")
	}
	return m, nil
}

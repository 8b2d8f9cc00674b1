package config

import (
	"net/mail"
	"os"
	"strings"
)

// EmailConfig is the email flows' configuration (package mail, account/email*.go).
type EmailConfig struct {
	SMTPHost       string // AUTH_SMTP_HOST; empty: flows that mail answer 500 "email could not be sent"
	SMTPPort       int
	SMTPUser       string
	SMTPPass       string `json:"-"`
	SMTPSender     string
	SMTPAuthMethod string // PLAIN, LOGIN or CRAM-MD5
	SMTPSecure     bool   // implicit TLS; false: STARTTLS when offered
	TemplatesPath  string // AUTH_EMAIL_TEMPLATES_PATH: <path>/<locale>/<template>/{subject.txt,body.html,body.txt}

	PasswordlessEnabled bool // AUTH_EMAIL_PASSWORDLESS_ENABLED: magic links
	OTPEmailEnabled     bool // AUTH_OTP_EMAIL_ENABLED: 6-digit codes by email
}

func (p parser) email() EmailConfig {
	return EmailConfig{
		SMTPHost:            strings.TrimSpace(p.v.GetString("AUTH_SMTP_HOST")),
		SMTPPort:            p.int("AUTH_SMTP_PORT"),
		SMTPUser:            p.v.GetString("AUTH_SMTP_USER"),
		SMTPPass:            p.v.GetString("AUTH_SMTP_PASS"),
		SMTPSender:          strings.TrimSpace(p.v.GetString("AUTH_SMTP_SENDER")),
		SMTPAuthMethod:      strings.ToUpper(strings.TrimSpace(p.v.GetString("AUTH_SMTP_AUTH_METHOD"))),
		SMTPSecure:          p.bool("AUTH_SMTP_SECURE"),
		TemplatesPath:       strings.TrimSpace(p.v.GetString("AUTH_EMAIL_TEMPLATES_PATH")),
		PasswordlessEnabled: p.bool("AUTH_EMAIL_PASSWORDLESS_ENABLED"),
		OTPEmailEnabled:     p.bool("AUTH_OTP_EMAIL_ENABLED"),
	}
}

func (c *Config) validateEmail(bad func(name, format string, args ...any)) {
	e := c.Email
	if e.SMTPPort < 1 || e.SMTPPort > 65535 {
		bad("AUTH_SMTP_PORT", "must be between 1 and 65535, got %d", e.SMTPPort)
	}
	switch e.SMTPAuthMethod {
	case "PLAIN", "LOGIN", "CRAM-MD5":
	default:
		bad("AUTH_SMTP_AUTH_METHOD", "must be PLAIN, LOGIN or CRAM-MD5, got %q", e.SMTPAuthMethod)
	}
	if e.SMTPHost != "" {
		if e.SMTPSender == "" {
			bad("AUTH_SMTP_SENDER", "must be set when AUTH_SMTP_HOST is (the From: address)")
		} else if _, err := mail.ParseAddress(e.SMTPSender); err != nil {
			bad("AUTH_SMTP_SENDER", "must be an email address like auth@example.com or \"App <auth@example.com>\"")
		}
	}
	if e.TemplatesPath != "" {
		if info, err := os.Stat(e.TemplatesPath); err != nil || !info.IsDir() {
			bad("AUTH_EMAIL_TEMPLATES_PATH", "must be a directory, got %q", e.TemplatesPath)
		}
	}
}

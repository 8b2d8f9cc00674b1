package config

import (
	"net/mail"
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
	TemplatesPath  string // AUTH_EMAIL_TEMPLATES_PATH: <path>/<locale>/<template>/{subject.txt,body.html,body.txt}; "" = built-in
	SMTPAPIHeader  string // AUTH_SMTP_X_SMTPAPI_HEADER: sent as X-SMTPAPI (SendGrid's per-message settings)

	PasswordlessEnabled bool // AUTH_EMAIL_PASSWORDLESS_ENABLED: magic links
	OTPEmailEnabled     bool // AUTH_OTP_EMAIL_ENABLED: 6-digit codes by email
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
	if e.SMTPHost == "postmark" {
		// hasura-auth sends through Postmark's API with Postmark-side templates then.
		bad("AUTH_SMTP_HOST", "\"postmark\" (hasura-auth's Postmark API mode) is not supported: give Postmark's SMTP server (smtp.postmarkapp.com) with AUTH_SMTP_USER and AUTH_SMTP_PASS set to the server token")
	}
	if strings.ContainsAny(e.SMTPAPIHeader, "\r\n") {
		bad("AUTH_SMTP_X_SMTPAPI_HEADER", "must be one line")
	}
}

package config

import (
	"strings"
	"testing"
)

func TestEmailSettings(t *testing.T) {
	c, err := Load("", nil)
	if err != nil {
		t.Fatal(err)
	}
	want := EmailConfig{SMTPPort: 587, SMTPAuthMethod: "PLAIN"}
	if c.Email != want {
		t.Fatalf("defaults: %+v", c.Email)
	}
	dir := t.TempDir()
	c, err = Load("", map[string]string{
		"AUTH_SMTP_HOST": "smtp.example.com", "AUTH_SMTP_PORT": "465", "AUTH_SMTP_USER": "u", "AUTH_SMTP_PASS": "p",
		"AUTH_SMTP_SENDER": "App <auth@example.com>", "AUTH_SMTP_AUTH_METHOD": "cram-md5", "AUTH_SMTP_SECURE": "true",
		"AUTH_EMAIL_TEMPLATES_PATH": dir, "AUTH_EMAIL_PASSWORDLESS_ENABLED": "true", "AUTH_OTP_EMAIL_ENABLED": "true",
	})
	if err != nil {
		t.Fatal(err)
	}
	want = EmailConfig{SMTPHost: "smtp.example.com", SMTPPort: 465, SMTPUser: "u", SMTPPass: "p", SMTPSender: "App <auth@example.com>",
		SMTPAuthMethod: "CRAM-MD5", SMTPSecure: true, TemplatesPath: dir, PasswordlessEnabled: true, OTPEmailEnabled: true}
	if c.Email != want {
		t.Fatalf("set: %+v", c.Email)
	}

	for _, bad := range []map[string]string{
		{"AUTH_SMTP_PORT": "0"},
		{"AUTH_SMTP_PORT": "smtp"},
		{"AUTH_SMTP_AUTH_METHOD": "XOAUTH2"},
		{"AUTH_SMTP_SECURE": "maybe"},
		{"AUTH_OTP_EMAIL_ENABLED": "yes please"},
		{"AUTH_SMTP_HOST": "smtp.example.com", "AUTH_SMTP_SENDER": ""},
		{"AUTH_SMTP_HOST": "smtp.example.com", "AUTH_SMTP_SENDER": "not an address"},
	} {
		_, err := Load("", bad)
		name := ""
		for k := range bad {
			if k != "AUTH_SMTP_HOST" {
				name = k
			}
		}
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%v: want an error naming %s, got %v", bad, name, err)
		}
	}
}

package mail_test

import (
	"context"
	"crypto/tls"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hasura-auth-go/auth/mail"
	"github.com/hasura-auth-go/auth/mail/mailtest"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func mailer(t *testing.T, cfg mail.Config, tlsCfg *tls.Config) *mail.Mailer {
	t.Helper()
	if cfg.Sender == "" {
		cfg.Sender = "Auth <auth@example.com>"
	}
	cfg.ServerURL, cfg.ClientURL = "https://auth.example.com", "https://app.example.com"
	m, err := mail.New(cfg, mail.Options{TLSConfig: tlsCfg, Log: quiet})
	require.NoError(t, err)
	t.Cleanup(m.Close)
	return m
}

func message(to, locale string) mail.Message {
	return mail.Message{
		To: to, Locale: locale, Template: mail.TemplatePasswordReset,
		Data: mail.Data{
			Link:        "https://auth.example.com/verify?ticket=passwordReset%3Aabc&type=passwordReset&redirectTo=https%3A%2F%2Fapp.example.com",
			DisplayName: "Ada <b>Lovelace</b>", Email: to, Ticket: "passwordReset:abc", RedirectTo: "https://app.example.com",
		},
	}
}

func TestMailSendPlainWithHeadersAndBothBodies(t *testing.T) {
	srv := mailtest.Start(t)
	m := mailer(t, mail.Config{Host: srv.Host, Port: srv.Port}, nil)
	msg := message("ada@example.com", "en")
	require.NoError(t, m.Send(context.Background(), msg))

	got := srv.Wait(t, "ada@example.com", 1)
	require.Equal(t, "auth@example.com", got.From)
	require.Equal(t, "Reset your password", got.Subject)
	require.Equal(t, "passwordReset:abc", got.Header.Get("X-Ticket"))
	require.Equal(t, msg.Data.Link, got.Header.Get("X-Link"))
	require.Equal(t, "https://app.example.com", got.Header.Get("X-Redirect-To"))
	require.Equal(t, "password-reset", got.Header.Get("X-Email-Template"))
	require.Contains(t, got.Header.Get("Content-Type"), "multipart/alternative")
	require.Contains(t, string(got.Raw), "Content-Transfer-Encoding: quoted-printable")
	// Both bodies carry the whole link once decoded (quoted-printable wraps long lines).
	require.Contains(t, got.Text, msg.Data.Link)
	require.Contains(t, got.HTML, strings.ReplaceAll(msg.Data.Link, "&", "&amp;"))
	require.Equal(t, msg.Data.Link, got.Link())
	// The display name is user input: escaped in HTML, as is in text.
	require.Contains(t, got.HTML, "Ada &lt;b&gt;Lovelace&lt;/b&gt;")
	require.Contains(t, got.Text, "Hi Ada <b>Lovelace</b>,")
	require.False(t, got.TLS)
	require.Empty(t, got.Header["X-Smtpapi"], "only when AUTH_SMTP_X_SMTPAPI_HEADER is set")
}

// AUTH_SMTP_X_SMTPAPI_HEADER goes out as X-SMTPAPI on every mail, as in hasura-auth.
func TestMailSMTPAPIHeader(t *testing.T) {
	srv := mailtest.Start(t)
	const api = `{"category":["auth"],"filters":{"clicktrack":{"settings":{"enable":0}}}}`
	m := mailer(t, mail.Config{Host: srv.Host, Port: srv.Port, SMTPAPIHeader: api}, nil)
	require.NoError(t, m.Send(context.Background(), message("grace@example.com", "en")))
	got := srv.Wait(t, "grace@example.com", 1)
	require.Equal(t, api, got.Header.Get(mail.HeaderSMTPAPI))
}

func TestMailLocaleChoiceAndFallback(t *testing.T) {
	srv := mailtest.Start(t)
	m := mailer(t, mail.Config{Host: srv.Host, Port: srv.Port, DefaultLocale: "fr"}, nil)

	require.NoError(t, m.Send(context.Background(), message("fr@example.com", "fr")))
	fr := srv.Wait(t, "fr@example.com", 1)
	require.Equal(t, "Réinitialisez votre mot de passe", fr.Subject)
	require.Contains(t, fr.Text, "Bonjour Ada")

	// No "de" templates: the default locale (fr here) is used, not en.
	r, err := m.Render(message("x@example.com", "de"))
	require.NoError(t, err)
	require.Equal(t, "fr", r.Locale)

	r, err = m.Render(message("x@example.com", "en"))
	require.NoError(t, err)
	require.Equal(t, "en", r.Locale)
	require.Equal(t, "Reset your password", r.Subject)
}

func TestMailEveryTemplateRendersInEveryLocale(t *testing.T) {
	m := mailer(t, mail.Config{}, nil)
	for _, loc := range []string{"en", "fr"} {
		for _, tpl := range mail.Templates {
			r, err := m.Render(mail.Message{Locale: loc, Template: tpl, Data: mail.Data{Link: "https://l.example/x", Ticket: "123456", Email: "a@b.co", NewEmail: "n@b.co", DisplayName: "Ada"}})
			require.NoError(t, err, "%s/%s", loc, tpl)
			require.Equal(t, loc, r.Locale)
			require.NotEmpty(t, r.Subject)
			require.NotContains(t, r.HTML+r.Text+r.Subject, "${", "%s/%s leaves a placeholder", loc, tpl)
			if tpl == mail.TemplateSigninOTP {
				require.Contains(t, r.Text, "123456")
				require.Contains(t, r.HTML, "123456")
			} else {
				require.Contains(t, r.Text, "https://l.example/x")
				require.Contains(t, r.HTML, `href="https://l.example/x"`)
			}
			if tpl == mail.TemplateEmailConfirmChange {
				require.Contains(t, r.Text, "n@b.co")
			}
		}
	}
}

func TestMailTemplatesPathOverrides(t *testing.T) {
	dir := t.TempDir()
	write := func(rel, content string) {
		p := filepath.Join(dir, rel)
		require.NoError(t, os.MkdirAll(filepath.Dir(p), 0o755))
		require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
	}
	// hasura-auth's layout: <locale>/<template>/{subject.txt,body.html}.
	write("en/email-verify/subject.txt", "Welcome ${displayName}\n")
	write("en/email-verify/body.html", `<p>Go to <a href="${link}">${link}</a> (${serverUrl}, ${clientUrl}, ${locale}, ${unknown})</p>`)
	write("en/password-reset/subject.txt", "Custom reset subject")
	write("de/signin-otp/subject.txt", "Ihr Code")
	write("de/signin-otp/body.html", "<p>${ticket}</p>")
	write("en/signin-passwordless-sms/body.txt", "ignored: not an email")

	srv := mailtest.Start(t)
	m := mailer(t, mail.Config{Host: srv.Host, Port: srv.Port, TemplatesPath: dir}, nil)
	require.NoError(t, m.Send(context.Background(), mail.Message{
		To: "o@example.com", Locale: "en", Template: mail.TemplateEmailVerify,
		Data: mail.Data{Link: "https://x.example/verify?a=1&b=2", DisplayName: "Ada"},
	}))
	got := srv.Wait(t, "o@example.com", 1)
	require.Equal(t, "Welcome Ada", got.Subject)
	require.Equal(t, `<p>Go to <a href="https://x.example/verify?a=1&amp;b=2">https://x.example/verify?a=1&amp;b=2</a> (https://auth.example.com, https://app.example.com, en, )</p>`, strings.TrimSpace(got.HTML))
	require.Empty(t, got.Text, "a custom body.html without body.txt is sent as HTML only")
	require.Equal(t, "https://x.example/verify?a=1&b=2", got.Link())

	// Only the subject overridden: the default bodies stay.
	r, err := m.Render(mail.Message{Locale: "en", Template: mail.TemplatePasswordReset, Data: mail.Data{Link: "https://l.example"}})
	require.NoError(t, err)
	require.Equal(t, "Custom reset subject", r.Subject)
	require.Contains(t, r.Text, "https://l.example")

	// A new locale from the directory.
	r, err = m.Render(mail.Message{Locale: "de", Template: mail.TemplateSigninOTP, Data: mail.Data{Ticket: "654321"}})
	require.NoError(t, err)
	require.Equal(t, "de", r.Locale)
	require.Equal(t, "<p>654321</p>", r.HTML)

	// Incomplete new locale: refused at start, naming the variable.
	bad := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(bad, "it", "email-verify"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(bad, "it", "email-verify", "body.html"), []byte("x"), 0o644))
	_, err = mail.New(mail.Config{TemplatesPath: bad}, mail.Options{Log: quiet})
	require.ErrorContains(t, err, "AUTH_EMAIL_TEMPLATES_PATH")
	require.ErrorContains(t, err, "subject.txt")

	_, err = mail.New(mail.Config{TemplatesPath: filepath.Join(dir, "missing")}, mail.Options{Log: quiet})
	require.ErrorContains(t, err, "AUTH_EMAIL_TEMPLATES_PATH")
}

func TestMailAuthMechanisms(t *testing.T) {
	for _, method := range []string{"PLAIN", "LOGIN", "CRAM-MD5", "login"} {
		t.Run(method, func(t *testing.T) {
			srv := mailtest.Start(t, mailtest.WithAuth("smtp-user", "smtp-secret"))
			m := mailer(t, mail.Config{Host: srv.Host, Port: srv.Port, User: "smtp-user", Pass: "smtp-secret", AuthMethod: method}, nil)
			require.NoError(t, m.Send(context.Background(), message("auth@example.com", "en")))
			require.Equal(t, "smtp-user", srv.Wait(t, "auth@example.com", 1).AuthAs)

			bad := mailer(t, mail.Config{Host: srv.Host, Port: srv.Port, User: "smtp-user", Pass: "wrong", AuthMethod: method}, nil)
			err := bad.Send(context.Background(), message("auth@example.com", "en"))
			require.Error(t, err)
			require.NotContains(t, err.Error(), "wrong", "the password never appears in errors")
		})
	}
	_, err := mail.New(mail.Config{AuthMethod: "XOAUTH"}, mail.Options{})
	require.ErrorContains(t, err, "AUTH_SMTP_AUTH_METHOD")
}

func TestMailSTARTTLS(t *testing.T) {
	serverTLS, clientTLS := mailtest.TLSPair(t)
	srv := mailtest.Start(t, mailtest.WithSTARTTLS(serverTLS), mailtest.WithAuth("u", "p"))
	m := mailer(t, mail.Config{Host: srv.Host, Port: srv.Port, User: "u", Pass: "p"}, clientTLS)
	require.NoError(t, m.Send(context.Background(), message("tls@example.com", "en")))
	got := srv.Wait(t, "tls@example.com", 1)
	require.True(t, got.TLS, "STARTTLS was offered, so the mail went encrypted")
	require.Equal(t, "u", got.AuthAs)

	// A certificate the client does not trust: no fallback to clear text.
	_, otherClient := mailtest.TLSPair(t)
	untrusting := mailer(t, mail.Config{Host: srv.Host, Port: srv.Port, User: "u", Pass: "p"}, otherClient)
	require.Error(t, untrusting.Send(context.Background(), message("tls@example.com", "en")))
	require.Len(t, srv.To("tls@example.com"), 1)
}

func TestMailImplicitTLS(t *testing.T) {
	serverTLS, clientTLS := mailtest.TLSPair(t)
	srv := mailtest.Start(t, mailtest.WithImplicitTLS(serverTLS))
	m := mailer(t, mail.Config{Host: srv.Host, Port: srv.Port, Secure: true}, clientTLS)
	require.NoError(t, m.Send(context.Background(), message("smtps@example.com", "fr")))
	got := srv.Wait(t, "smtps@example.com", 1)
	require.True(t, got.TLS)
	require.Equal(t, "Réinitialisez votre mot de passe", got.Subject)

	// AUTH_SMTP_SECURE against a server in clear fails instead of downgrading.
	plain := mailtest.Start(t)
	secure := mailer(t, mail.Config{Host: plain.Host, Port: plain.Port, Secure: true}, clientTLS)
	require.Error(t, secure.Send(context.Background(), message("smtps@example.com", "en")))
	require.Empty(t, plain.Messages())
}

func TestMailServerDownOrRefusing(t *testing.T) {
	srv := mailtest.Start(t)
	m := mailer(t, mail.Config{Host: srv.Host, Port: srv.Port}, nil)

	srv.SetFailing(true)
	err := m.Send(context.Background(), message("down@example.com", "en"))
	require.Error(t, err)
	require.NotContains(t, err.Error(), "passwordReset:abc", "errors never carry the ticket")

	srv.Close()
	err = m.Send(context.Background(), message("down@example.com", "en"))
	require.Error(t, err)

	unconfigured := mailer(t, mail.Config{}, nil)
	require.ErrorIs(t, unconfigured.Send(context.Background(), message("down@example.com", "en")), mail.ErrNotConfigured)
}

func TestMailSendLaterIsWaitedForByClose(t *testing.T) {
	srv := mailtest.Start(t)
	m, err := mail.New(mail.Config{Host: srv.Host, Port: srv.Port, Sender: "auth@example.com"}, mail.Options{Log: quiet})
	require.NoError(t, err)
	m.SendLater(context.Background(), message("later@example.com", "en"))
	m.Close()
	require.Len(t, srv.To("later@example.com"), 1)
}

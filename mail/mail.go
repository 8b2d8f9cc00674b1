// Package mail renders hasura-auth's email templates and sends them over
// SMTP with github.com/wneessen/go-mail: implicit TLS (AUTH_SMTP_SECURE) or
// STARTTLS, and PLAIN, LOGIN or CRAM-MD5 authentication.
//
// Secrets stay out of logs: a failed send is reported with the template and
// the SMTP error, never with the ticket, the link or the password.
package mail

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// Template names, as directories under a locale (hasura-auth's layout).
type Template string

// The templates the flows send.
const (
	TemplateEmailVerify        Template = "email-verify"
	TemplateEmailConfirmChange Template = "email-confirm-change"
	TemplateSigninPasswordless Template = "signin-passwordless"
	TemplateSigninOTP          Template = "signin-otp"
	TemplatePasswordReset      Template = "password-reset"
)

// Templates lists every template a locale directory may hold.
var Templates = []Template{TemplateEmailVerify, TemplateEmailConfirmChange, TemplateSigninPasswordless, TemplateSigninOTP, TemplatePasswordReset}

// Data are the template variables, written ${name} in the files.
type Data struct {
	Link        string // ${link}: the /verify URL; empty for a code (signin-otp)
	DisplayName string // ${displayName}
	Email       string // ${email}: the user's current address
	NewEmail    string // ${newEmail}: the address being confirmed (email-confirm-change)
	Ticket      string // ${ticket}: the ticket, or the one-time code for signin-otp
	RedirectTo  string // ${redirectTo}
	Locale      string // ${locale}: the locale the template was taken from
	ServerURL   string // ${serverUrl}
	ClientURL   string // ${clientUrl}
}

func (d Data) vars() map[string]string {
	return map[string]string{
		"link": d.Link, "displayName": d.DisplayName, "email": d.Email, "newEmail": d.NewEmail,
		"ticket": d.Ticket, "redirectTo": d.RedirectTo, "locale": d.Locale,
		"serverUrl": d.ServerURL, "clientUrl": d.ClientURL,
	}
}

// Message is one email to send.
type Message struct {
	To       string
	Locale   string // the recipient's; falls back to the default locale, then en
	Template Template
	Data     Data // Locale, ServerURL and ClientURL are filled in by the Mailer
}

// Config is the SMTP and template configuration (AUTH_SMTP_*, AUTH_EMAIL_TEMPLATES_PATH).
type Config struct {
	Host          string
	Port          int
	User          string
	Pass          string
	Sender        string // From: address, "Name <addr>" allowed
	AuthMethod    string // PLAIN, LOGIN or CRAM-MD5; used only when User is set
	Secure        bool   // implicit TLS from the first byte (port 465); otherwise STARTTLS
	TemplatesPath string // overrides: <path>/<locale>/<template>/{subject.txt,body.html,body.txt}
	DefaultLocale string
	ServerURL     string // ${serverUrl}
	ClientURL     string // ${clientUrl}
	SMTPAPIHeader string // AUTH_SMTP_X_SMTPAPI_HEADER: sent as X-SMTPAPI when set (SendGrid)
}

// Options are the seams tests use.
type Options struct {
	// TLSConfig verifies the server (implicit TLS and STARTTLS). nil: the
	// system roots, server name AUTH_SMTP_HOST, TLS 1.2 at least.
	TLSConfig *tls.Config
	// Timeout bounds one send: connect, TLS, auth and data. Default 15 s.
	Timeout time.Duration
	Log     *slog.Logger
}

// ErrNotConfigured is returned by Send when AUTH_SMTP_HOST is empty.
var ErrNotConfigured = errors.New("email is not configured: set AUTH_SMTP_HOST")

// Mailer renders and sends messages. It is safe for concurrent use.
type Mailer struct {
	cfg       Config
	tls       *tls.Config
	timeout   time.Duration
	log       *slog.Logger
	templates *templateSet

	wg sync.WaitGroup // sends started by SendLater
}

const defaultTimeout = 15 * time.Second

// New loads the embedded templates and the overrides under cfg.TemplatesPath,
// and checks the SMTP settings. It does not connect: an unreachable server
// shows up in the first send.
func New(cfg Config, o Options) (*Mailer, error) {
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if o.Timeout <= 0 {
		o.Timeout = defaultTimeout
	}
	if cfg.DefaultLocale == "" {
		cfg.DefaultLocale = "en"
	}
	if cfg.AuthMethod == "" {
		cfg.AuthMethod = "PLAIN"
	}
	if _, err := authType(cfg.AuthMethod); err != nil {
		return nil, err
	}
	tmpl, err := loadTemplates(cfg.TemplatesPath, cfg.DefaultLocale)
	if err != nil {
		return nil, err
	}
	tlsCfg := o.TLSConfig
	if tlsCfg == nil {
		tlsCfg = &tls.Config{ServerName: cfg.Host, MinVersion: tls.VersionTLS12}
	}
	return &Mailer{cfg: cfg, tls: tlsCfg, timeout: o.Timeout, log: o.Log, templates: tmpl}, nil
}

// Configured reports whether an SMTP server is set.
func (m *Mailer) Configured() bool { return m.cfg.Host != "" }

func authType(method string) (gomail.SMTPAuthType, error) {
	switch strings.ToUpper(strings.TrimSpace(method)) {
	case "PLAIN":
		return gomail.SMTPAuthPlain, nil
	case "LOGIN":
		return gomail.SMTPAuthLogin, nil
	case "CRAM-MD5":
		return gomail.SMTPAuthCramMD5, nil
	}
	return "", fmt.Errorf("AUTH_SMTP_AUTH_METHOD: must be PLAIN, LOGIN or CRAM-MD5, got %q", method)
}

// Render fills the template msg names in the best locale available.
func (m *Mailer) Render(msg Message) (*Rendered, error) {
	d := msg.Data
	d.ServerURL, d.ClientURL = m.cfg.ServerURL, m.cfg.ClientURL
	return m.templates.render(msg.Template, msg.Locale, d)
}

// Send renders msg and delivers it before returning. It is not cancelled with
// ctx: the caller has committed the state the message refers to, so a client
// that goes away must not leave it half done; it is bounded by the timeout.
func (m *Mailer) Send(ctx context.Context, msg Message) error {
	if !m.Configured() {
		return ErrNotConfigured
	}
	r, err := m.Render(msg)
	if err != nil {
		return err
	}
	gm, err := m.build(msg, r)
	if err != nil {
		return err
	}
	opts := []gomail.Option{
		gomail.WithPort(m.cfg.Port),
		gomail.WithTimeout(m.timeout),
		gomail.WithTLSConfig(m.tls),
	}
	if m.cfg.Secure {
		opts = append(opts, gomail.WithSSL())
	} else {
		// STARTTLS whenever the server offers it. go-mail still refuses to send
		// PLAIN or LOGIN credentials over a connection left in clear (except to
		// localhost), so a downgrade cannot leak the password.
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSOpportunistic))
	}
	if m.cfg.User != "" {
		at, _ := authType(m.cfg.AuthMethod) // checked in New
		opts = append(opts, gomail.WithSMTPAuth(at), gomail.WithUsername(m.cfg.User), gomail.WithPassword(m.cfg.Pass))
	}
	client, err := gomail.NewClient(m.cfg.Host, opts...)
	if err != nil {
		return fmt.Errorf("smtp client: %w", err)
	}
	sendCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), m.timeout)
	defer cancel()
	if err := client.DialAndSendWithContext(sendCtx, gm); err != nil {
		return fmt.Errorf("send %s email via %s:%d: %w", msg.Template, m.cfg.Host, m.cfg.Port, err)
	}
	return nil
}

// SendLater sends msg in the background and logs a failure. Flows whose
// answer must not depend on whether a mail leaves (password reset: the same
// answer, in the same time, for unknown emails) use it. Close waits for it.
func (m *Mailer) SendLater(ctx context.Context, msg Message) {
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		if err := m.Send(context.WithoutCancel(ctx), msg); err != nil {
			m.log.Error("email not sent", "template", string(msg.Template), "error", err.Error())
		}
	}()
}

// Close waits for background sends to finish (each is bounded by the timeout).
func (m *Mailer) Close() { m.wg.Wait() }

// Headers hasura-auth sets on every message; tools (and tests) read them.
const (
	HeaderTicket     = "X-Ticket"
	HeaderLink       = "X-Link"
	HeaderRedirectTo = "X-Redirect-To"
	HeaderTemplate   = "X-Email-Template"
	HeaderSMTPAPI    = "X-SMTPAPI"
)

func (m *Mailer) build(msg Message, r *Rendered) (*gomail.Msg, error) {
	gm := gomail.NewMsg()
	if err := gm.From(m.cfg.Sender); err != nil {
		return nil, fmt.Errorf("AUTH_SMTP_SENDER: %w", err)
	}
	if err := gm.To(msg.To); err != nil {
		return nil, fmt.Errorf("recipient: %w", err)
	}
	gm.Subject(r.Subject)
	gm.SetDate()
	gm.SetMessageID()
	gm.SetGenHeader(HeaderTicket, oneLine(msg.Data.Ticket))
	gm.SetGenHeader(HeaderLink, oneLine(msg.Data.Link))
	gm.SetGenHeader(HeaderRedirectTo, oneLine(msg.Data.RedirectTo))
	gm.SetGenHeader(HeaderTemplate, string(msg.Template))
	if m.cfg.SMTPAPIHeader != "" {
		gm.SetGenHeader(HeaderSMTPAPI, oneLine(m.cfg.SMTPAPIHeader))
	}
	if r.Text != "" {
		gm.SetBodyString(gomail.TypeTextPlain, r.Text)
		gm.AddAlternativeString(gomail.TypeTextHTML, r.HTML)
	} else {
		gm.SetBodyString(gomail.TypeTextHTML, r.HTML)
	}
	return gm, nil
}

// oneLine keeps header values on one line whatever a template variable holds.
func oneLine(s string) string {
	return strings.NewReplacer("\r", "", "\n", "").Replace(s)
}

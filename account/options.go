package account

import (
	"context"
	"time"

	"github.com/hasura-auth-go/auth/mail"
)

// Option configures a Service.
type Option func(*Service)

// WithClock sets the clock for time-dependent flows (TOTP steps and lockout,
// MFA tickets, elevation age); tests pass a settable one.
func WithClock(now func() time.Time) Option {
	return func(s *Service) {
		if now != nil {
			s.now = now
		}
	}
}

// Mailer sends the email flows' messages (package mail).
type Mailer interface {
	// Send delivers before returning; flows report its failure.
	Send(ctx context.Context, msg mail.Message) error
	// SendLater delivers in the background and logs a failure.
	SendLater(ctx context.Context, msg mail.Message)
	// Configured says whether sending can work at all (an SMTP server is set).
	Configured() bool
}

// WithMailer sets how the email flows send mail.
func WithMailer(m Mailer) Option {
	return func(s *Service) {
		if m != nil {
			s.mailer = m
		}
	}
}

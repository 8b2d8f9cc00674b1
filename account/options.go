package account

import "time"

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

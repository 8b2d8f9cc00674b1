// Package sms is the SMS side of passwordless sign-in: one-time codes
// (made, hashed, checked, expired, locked after too many wrong tries) and
// the providers that deliver them: Twilio's Messages API, Twilio Verify,
// Modica, and a log provider for development. The sign-in flow (smsauth)
// owns the database: it writes what Send returns once the text is out, and
// what Check decides in the transaction holding the user row (Twilio Verify
// excepted: ChecksRemotely), to auth.users in hasura-auth's columns and forms.
package sms

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/hasura-auth-go/auth/sms/phone"
)

// Service sends and checks codes with the configured provider. The flow
// need not know which one: with Twilio Verify, Twilio makes and checks the
// code; with the others the code is ours and only its hash is kept.
type Service struct {
	provider    string
	sender      Sender        // nil with Twilio Verify
	verify      *TwilioVerify // nil otherwise
	tmpl        *templates
	codeLength  int
	codeTTL     time.Duration
	maxAttempts int
	bcryptCost  int
	dummyHash   string // compared against when there is no code, so timing says nothing
	now         func() time.Time
}

// New validates cfg and builds the provider it names. log receives the log
// provider's messages; now is the clock (nil: time.Now).
func New(cfg Config, log *slog.Logger, now func() time.Time) (*Service, error) {
	if !cfg.Enabled {
		return nil, errors.New("sms: AUTH_SMS_PASSWORDLESS_ENABLED is false")
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.Default()
	}
	if now == nil {
		now = time.Now
	}
	s := &Service{
		provider:    cfg.provider(),
		codeLength:  cfg.CodeLength,
		codeTTL:     cfg.CodeTTL,
		maxAttempts: cfg.MaxAttempts,
		bcryptCost:  cfg.BcryptCost,
		now:         now,
	}
	switch {
	case cfg.usesTwilioVerify():
		s.provider = "twilio-verify"
		s.verify = NewTwilioVerify(cfg)
		s.codeTTL = verifyTTL
	case s.provider == ProviderTwilio:
		s.sender = NewTwilioMessages(cfg)
	case s.provider == ProviderModica:
		s.sender = NewModica(cfg)
	default: // log, dev: Validate checked the loopback rule
		s.provider = ProviderLog
		s.sender = LogSender{Logger: log}
	}
	if s.sender != nil {
		t, err := loadTemplates(cfg.TemplatesPath, cfg.DefaultLocale)
		if err != nil {
			return nil, err
		}
		s.tmpl = t
		dummy, err := NewCode(cfg.CodeLength)
		if err != nil {
			return nil, err
		}
		if s.dummyHash, err = HashCode(dummy, cfg.BcryptCost); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// Provider names the provider in use: twilio, twilio-verify, modica or log.
func (s *Service) Provider() string { return s.provider }

// ChecksRemotely reports whether Check asks the provider (Twilio Verify):
// then the flow calls it outside its transaction, since the provider counts
// the attempts itself, and no row lock is held across a network call.
func (s *Service) ChecksRemotely() bool { return s.verify != nil }

// MaxAttempts is how many wrong codes a code survives.
func (s *Service) MaxAttempts() int { return s.maxAttempts }

// Send sends a new code to to, worded in locale (the user's, else the
// default locale), and returns what the flow stores. Nothing is stored by
// Send: on an error the flow rolls back and answers by its class
// (ErrInvalidNumber or ErrProviderFailed).
func (s *Service) Send(ctx context.Context, to phone.Number, locale string) (Issued, error) {
	if to.IsZero() {
		return Issued{}, errors.New("sms: no phone number")
	}
	if s.verify != nil {
		hash, err := placeholderHash()
		if err != nil {
			return Issued{}, fmt.Errorf("sms: placeholder hash: %w", err)
		}
		if err := s.verify.Start(ctx, to, locale); err != nil {
			return Issued{}, err
		}
		return Issued{Hash: hash, ExpiresAt: s.now().Add(s.codeTTL), Method: MethodSMS}, nil
	}
	code, err := NewCode(s.codeLength)
	if err != nil {
		return Issued{}, err
	}
	// Hashed before sending: a code whose hash could not be stored is not sent.
	hash, err := HashCode(code, s.bcryptCost)
	if err != nil {
		return Issued{}, err
	}
	if err := s.sender.Send(ctx, to, s.tmpl.render(locale, code)); err != nil {
		return Issued{}, err
	}
	return Issued{Hash: hash, ExpiresAt: s.now().Add(s.codeTTL), Method: MethodSMS}, nil
}

// Check judges one guess at the code stored for to. st is what the flow
// read with the user row locked; the verdict says what to write. The error
// is a provider failure (Twilio Verify only) and means: write nothing,
// answer by its class.
func (s *Service) Check(ctx context.Context, to phone.Number, code string, st Stored) (Verdict, error) {
	code = strings.TrimSpace(code)
	live := st.live(s.now(), s.maxAttempts)
	if s.verify != nil {
		if !live {
			// Asked all the same, answer ignored, so that a number with no
			// code does not answer faster than one with a code.
			_, _ = s.verify.Check(ctx, to, code)
			return NoCode, nil
		}
		res, err := s.verify.Check(ctx, to, code)
		switch {
		case err != nil:
			return 0, err
		case res == codeApproved:
			return Accepted, nil
		case res == codeGone:
			return Locked, nil
		}
		return s.wrong(st), nil
	}
	// The same bcrypt work whether or not there is a code, so timing does
	// not tell. Any length we might have issued is accepted: a code from
	// before a change of AUTH_SMS_OTP_LENGTH, or from hasura-auth, still works.
	hash := s.dummyHash
	if live {
		hash = *st.Hash
	}
	match := isDigits(code, minCodeLength, maxCodeLength) && CodeMatches(hash, code)
	switch {
	case !live:
		return NoCode, nil
	case match:
		return Accepted, nil
	}
	return s.wrong(st), nil
}

func (s *Service) wrong(st Stored) Verdict {
	if st.Failures+1 >= s.maxAttempts {
		return Locked
	}
	return Rejected
}

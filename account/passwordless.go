package account

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/hasura-auth-go/auth/apierr"
	"github.com/hasura-auth-go/auth/audit"
	"github.com/hasura-auth-go/auth/mail"
	"github.com/hasura-auth-go/auth/models"
	"github.com/hasura-auth-go/auth/pwhash"
	"github.com/hasura-auth-go/auth/session"
)

// Email one-time codes: 6 digits, bcrypt-hashed in auth.users.otp_hash
// (hasura-auth's column and format), valid otpTTL. A code allows
// otpMaxFailures wrong guesses, then it is burned and the user asks for a new
// one; each new code replaces the last and resets the count.
const (
	otpTTL         = 10 * time.Minute // the templates say so
	otpMaxFailures = 5
	otpDigits      = 6
)

// SignInPasswordlessEmail mails a magic link (POST /signin/passwordless/email).
// An unknown email gets an account, unverified until the link is followed,
// when sign-up is open.
func (s *Service) SignInPasswordlessEmail(ctx context.Context, email string, o *SignUpOptions) error {
	if !s.cfg.Email.PasswordlessEnabled {
		return apierr.New(apierr.DisabledEndpoint)
	}
	p, err := s.passwordlessInput(&email, o)
	if err != nil {
		return err
	}
	raw, stored := newTicket(kindPasswordless)
	var m *ticketMail
	u, err := s.passwordlessUser(ctx, "passwordless-email", email, p, func(tx *gorm.DB, u *models.User) error {
		m = &ticketMail{kind: kindPasswordless, ticket: raw, to: *u.Email, locale: u.Locale,
			redirectTo: p.redirectTo, displayName: u.DisplayName, email: *u.Email}
		return models.SetUserTicket(tx, u.ID, stored, s.now().Add(kindPasswordless.ttl))
	})
	if err != nil {
		return err
	}
	return s.sendTicketMail(ctx, u.ID, m)
}

// SignInOTPEmail mails a 6-digit code (POST /signin/otp/email), creating the
// user as the magic link does.
func (s *Service) SignInOTPEmail(ctx context.Context, email string, o *SignUpOptions) error {
	if !s.cfg.Email.OTPEmailEnabled {
		return apierr.New(apierr.DisabledEndpoint)
	}
	p, err := s.passwordlessInput(&email, o)
	if err != nil {
		return err
	}
	code, err := newOTP()
	if err != nil {
		return err
	}
	hash, err := pwhash.Generate(ctx, []byte(code), s.cfg.BcryptCost)
	if err != nil {
		return apierr.Internal(fmt.Errorf("hash code: %w", err))
	}
	var msg mail.Message
	u, err := s.passwordlessUser(ctx, "otp-email", email, p, func(tx *gorm.DB, u *models.User) error {
		msg = mail.Message{To: *u.Email, Locale: u.Locale, Template: mail.TemplateSigninOTP, Data: mail.Data{
			DisplayName: u.DisplayName, Email: *u.Email, Ticket: code, RedirectTo: p.redirectTo,
		}}
		return models.SetEmailOTP(tx, u.ID, string(hash), s.now().Add(otpTTL))
	})
	if err != nil {
		return err
	}
	if err := s.mailer.Send(ctx, msg); err != nil {
		s.log.Warn("email not sent", "template", string(mail.TemplateSigninOTP), "user_id", u.ID)
		return errEmailNotSent(err)
	}
	return nil
}

func newOTP() (string, error) {
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		return "", fmt.Errorf("generate code: %w", err)
	}
	return fmt.Sprintf("%06d", n), nil
}

// passwordlessInput also puts *email in its stored form (parseEmail).
func (s *Service) passwordlessInput(email *string, o *SignUpOptions) (*profile, error) {
	if err := parseEmail(email); err != nil {
		return nil, err
	}
	if err := s.requireMailer(); err != nil {
		return nil, err
	}
	if !s.emailAllowed(*email) {
		return nil, apierr.New(apierr.InvalidEmailPassword)
	}
	return s.resolve(o, *email)
}

// passwordlessUser runs store, in one transaction, on the user with email,
// created first from p when there is none and sign-up is open. A new user
// under AUTH_DISABLE_NEW_USERS is kept (disabled, for an admin to enable)
// and the answer is disabled-user, as in hasura-auth. A new user's sign-up
// (by method) is recorded in the same transaction.
func (s *Service) passwordlessUser(ctx context.Context, method, email string, p *profile, store func(*gorm.DB, *models.User) error) (*models.User, error) {
	var (
		user       *models.User
		createdOff bool
	)
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		u, err := models.FindUserByEmail(tx, email)
		if errors.Is(err, models.ErrNotFound) {
			if s.cfg.DisableSignup {
				return apierr.New(apierr.SignupDisabled)
			}
			u = &models.User{Email: &email, Disabled: s.cfg.DisableNewUsers, AvatarURL: s.avatarURL(email), DisplayName: p.displayName,
				Locale: p.locale, DefaultRole: p.defaultRole, Metadata: p.metadata}
			// A savepoint: when a concurrent request created the user first,
			// the unique violation is undone and that user is used.
			err = tx.Transaction(func(sp *gorm.DB) error { return models.CreateUser(sp, u, p.roles) })
			if errors.Is(err, gorm.ErrDuplicatedKey) {
				u, err = models.FindUserByEmail(tx, email)
			} else if err == nil {
				ev := audit.Event{Type: audit.SignUp, UserID: u.ID, Email: email, Detail: map[string]any{"method": method}}
				if err := s.audit.Log(ctx, tx, ev); err != nil {
					return err
				}
				if u.Disabled {
					createdOff = true
					return nil
				}
			}
		}
		if err != nil {
			return err
		}
		if u.Disabled {
			return apierr.New(apierr.DisabledUser)
		}
		user = u
		return store(tx, u)
	})
	if err != nil {
		return nil, err
	}
	if createdOff {
		return nil, apierr.New(apierr.DisabledUser)
	}
	return user, nil
}

// SignInOTPEmailVerify checks a code (POST /signin/otp/email/verify) and
// starts a session, or, for a user with TOTP active, returns the ticket of
// POST /signin/mfa/totp instead (unless AUTH_MFA_SKIP_FOR_PASSWORDLESS). The
// user row is locked, so guesses for one user queue and each is counted; an
// unknown email costs the same bcrypt work. A wrong code is invalid-otp
// whether the account exists or not.
func (s *Service) SignInOTPEmailVerify(ctx context.Context, email, code string) (issued *session.Issued, mfaTicket string, err error) {
	if !s.cfg.Email.OTPEmailEnabled {
		return nil, "", apierr.New(apierr.DisabledEndpoint)
	}
	if err := parseEmail(&email); err != nil {
		return nil, "", err
	}
	code = strings.TrimSpace(code)
	if code == "" {
		return nil, "", apierr.Invalid(`"otp" is required`)
	}
	var refused *apierr.Error
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		now := s.now()
		st, err := models.LockEmailOTPByEmail(tx, email)
		if err != nil && !errors.Is(err, models.ErrNotFound) {
			return err
		}
		live := st != nil && st.Hash != nil && st.Method != nil && *st.Method == "email" && now.Before(st.ExpiresAt)
		hash := s.dummyHash
		if live {
			hash = []byte(*st.Hash)
		}
		wellFormed := len(code) == otpDigits && strings.Trim(code, "0123456789") == ""
		same, err := pwhash.Compare(ctx, hash, []byte(code))
		if err != nil {
			return err
		}
		match := same && live && wellFormed
		if !match {
			refused = apierr.New(apierr.InvalidOTP)
			if !live {
				return nil
			}
			burn := st.Failures+1 >= otpMaxFailures
			if burn {
				refused = apierr.Newf(apierr.InvalidOTP, "Too many wrong codes: request a new one")
				s.log.Warn("email OTP burned after repeated wrong codes", "user_id", st.UserID)
			}
			return models.RecordEmailOTPFailure(tx, st.UserID, burn) // committed: the guess counts
		}
		if err := models.ClearEmailOTP(tx, st.UserID); err != nil {
			return err
		}
		u, err := models.FindUserByID(tx, st.UserID)
		if err != nil {
			return err
		}
		if u.Disabled {
			return apierr.New(apierr.DisabledUser)
		}
		if !u.EmailVerified {
			if err := models.SetEmailVerified(tx, u.ID); err != nil {
				return err
			}
			u.EmailVerified = true
		}
		if s.secondFactorDue(u) {
			mfaTicket, err = s.startMFA(tx, u.ID)
			return err
		}
		// The code proves what a password would, for users without TOTP.
		issued, err = s.sessions.Start(tx, u, session.Elevation(!totpActive(u)))
		return err
	})
	if err != nil {
		return nil, "", err
	}
	if refused != nil {
		return nil, "", refused
	}
	return issued, mfaTicket, nil
}

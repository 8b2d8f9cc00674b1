package account

import (
	"context"
	"errors"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/hasura-auth-go/auth/apierr"
	"github.com/hasura-auth-go/auth/models"
	"github.com/hasura-auth-go/auth/session"
)

// What the sign-in families in rooms of their own (passkeys, …) share with
// the flows here: the checks every sign-up and every sign-in makes, and the
// creation of a signed-up user.

// CheckSignUp makes the checks of a sign-up before any credential exists,
// in the order SignUpEmailPassword makes them: sign-up open, email well
// formed, options valid, email allowed; then that a verification mail could
// be sent if one is due, and that the email is free (a sign-up begun for a
// taken address could never finish). It returns the address in its stored
// form and the display name the options resolve to (the email when they
// name none).
func (s *Service) CheckSignUp(ctx context.Context, email string, o *SignUpOptions) (stored, displayName string, err error) {
	p, err := s.checkSignUp(&email, o)
	if err != nil {
		return "", "", err
	}
	if s.cfg.EmailVerifiedRequired && !s.cfg.DisableNewUsers {
		if err := s.requireMailer(); err != nil {
			return "", "", err
		}
	}
	_, err = models.FindUserByEmail(s.db.WithContext(ctx), email)
	switch {
	case err == nil:
		return "", "", apierr.New(apierr.EmailAlreadyInUse)
	case !errors.Is(err, models.ErrNotFound):
		return "", "", err
	}
	return email, p.displayName, nil
}

// checkSignUp also puts *email in its stored form (parseEmail).
func (s *Service) checkSignUp(email *string, o *SignUpOptions) (*profile, error) {
	if s.cfg.DisableSignup {
		return nil, apierr.New(apierr.SignupDisabled)
	}
	if err := parseEmail(email); err != nil {
		return nil, err
	}
	p, err := s.resolve(o, *email)
	if err != nil {
		return nil, err
	}
	if !s.emailAllowed(*email) {
		return nil, apierr.New(apierr.InvalidEmailPassword)
	}
	return p, nil
}

// CredentialSignUp is a sign-up whose credential was proved by another
// package: the user to create and how to store the credential.
type CredentialSignUp struct {
	UserID  uuid.UUID // the id the credential is bound to
	Method  string    // for the audit log: "webauthn"
	Email   string
	Options *SignUpOptions
	// Store keeps the credential once the user row exists, in the same
	// transaction.
	Store func(tx *gorm.DB) error
}

// SignUpWithCredential runs a sign-up in one transaction: prove checks the
// credential and says who signs up; the sign-up is checked as CheckSignUp
// does (the options may have changed since); the user is created with its
// id, the credential stored, and a session started, unless the email must
// be verified first or new users start disabled (nil session). A refusal at
// any step writes nothing. The verification mail leaves after the commit;
// when it cannot be sent the user and the credential are removed again.
func (s *Service) SignUpWithCredential(ctx context.Context, prove func(tx *gorm.DB) (*CredentialSignUp, error)) (*session.Issued, error) {
	return s.signUp(ctx, func(tx *gorm.DB) (*pendingUser, func(*gorm.DB) error, error) {
		cs, err := prove(tx)
		if err != nil {
			return nil, nil, err
		}
		p, err := s.checkSignUp(&cs.Email, cs.Options)
		if err != nil {
			return nil, nil, err
		}
		nu, err := s.prepareUser(&models.User{ID: cs.UserID, Email: &cs.Email}, p, s.cfg.EmailVerifiedRequired)
		if err != nil {
			return nil, nil, err
		}
		nu.method = cs.Method
		return nu, cs.Store, nil
	})
}

// CheckSignIn refuses a user who may not sign in whatever credential they
// proved (a security key, a provider account), as hasura-auth checks them:
// an email no longer allowed (invalid-email-password), disabled, email not
// verified when AUTH_EMAIL_SIGNIN_EMAIL_VERIFIED_REQUIRED, anonymous. A user
// without an email passes the email checks, as in hasura-auth.
func (s *Service) CheckSignIn(u *models.User) error {
	hasEmail := u.Email != nil && *u.Email != ""
	switch {
	case hasEmail && !u.IsAnonymous && !s.emailAllowed(*u.Email):
		return apierr.New(apierr.InvalidEmailPassword)
	case u.Disabled:
		return apierr.New(apierr.DisabledUser)
	case hasEmail && !u.EmailVerified && s.cfg.EmailVerifiedRequired:
		return apierr.New(apierr.UnverifiedUser)
	case u.IsAnonymous:
		return apierr.New(apierr.ForbiddenAnonymous)
	}
	return nil
}

package account

import (
	"context"
	"slices"

	"gorm.io/gorm"

	"github.com/hasura-auth-go/auth/apierr"
	"github.com/hasura-auth-go/auth/models"
	"github.com/hasura-auth-go/auth/session"
)

// What the sign-in families beside this package (social/: OAuth and OpenID
// providers) need of it: the rules for addresses, options and users are
// written once, here, whichever way a user signs in.

// CheckEmail applies to an address a user would sign up or be found with
// what every flow applies: its format and the allow and block lists
// (AUTH_ACCESS_CONTROL_*). It returns the address to store and look up.
// A refused address is invalid-email-password, as in hasura-auth.
func (s *Service) CheckEmail(email string) (string, error) {
	if err := parseEmail(&email); err != nil {
		return "", err
	}
	if !s.emailAllowed(email) {
		return "", apierr.New(apierr.InvalidEmailPassword)
	}
	return email, nil
}

// CheckSignUpOptions checks options as a sign-up would (roles, locale,
// display name, redirectTo) without creating anything, so that a flow that
// signs up later (after a provider's consent) can refuse bad options before
// it starts.
func (s *Service) CheckSignUpOptions(o *SignUpOptions) error {
	_, err := s.resolve(o, "")
	return err
}

// LinkedSignUp is a new user whose identity another method proved: a
// provider account. The options win over what the provider says.
type LinkedSignUp struct {
	Email         string // "" when the identity has none
	EmailVerified bool   // the provider vouches that the user controls Email
	DisplayName   string // when the options name none
	AvatarURL     string // "" : Gravatar's image of Email, when enabled
	Locale        string // when the options name none and it is allowed
	Options       *SignUpOptions
	Method        string // for the audit log: provider/<name> or idtoken/<name>
	// Link records the identity (auth.user_providers) in the transaction
	// that creates the user.
	Link func(tx *gorm.DB, u *models.User) error
}

// SignUpLinked creates the user of in, with the identity linked, in one
// transaction. The session is nil when the user may not sign in yet: an
// address the provider did not verify, with
// AUTH_EMAIL_SIGNIN_EMAIL_VERIFIED_REQUIRED, gets the verification mail
// first (as a password sign-up does); with AUTH_DISABLE_NEW_USERS the user is
// created disabled and the answer is disabled-user, as in hasura-auth.
func (s *Service) SignUpLinked(ctx context.Context, in LinkedSignUp) (*session.Issued, error) {
	if s.cfg.DisableSignup {
		return nil, apierr.New(apierr.SignupDisabled)
	}
	if in.Email != "" {
		email, err := s.CheckEmail(in.Email)
		if err != nil {
			return nil, err
		}
		in.Email = email
	}
	p, err := s.resolve(in.Options, in.DisplayName)
	if err != nil {
		return nil, err
	}
	if (in.Options == nil || in.Options.Locale == "") && slices.Contains(s.cfg.AllowedLocales, in.Locale) {
		p.locale = in.Locale
	}
	u := &models.User{AvatarURL: in.AvatarURL, EmailVerified: in.EmailVerified && in.Email != ""}
	if in.Email != "" {
		u.Email = &in.Email
	}
	verify := in.Email != "" && !in.EmailVerified && s.cfg.EmailVerifiedRequired
	nu, err := s.prepareUser(u, p, verify)
	if err != nil {
		return nil, err
	}
	nu.method = in.Method
	var attach func(*gorm.DB) error
	if in.Link != nil {
		attach = func(tx *gorm.DB) error { return in.Link(tx, u) }
	}
	issued, err := s.signUp(ctx, func(*gorm.DB) (*pendingUser, func(*gorm.DB) error, error) { return nu, attach, nil })
	if err == nil && u.Disabled {
		return nil, apierr.New(apierr.DisabledUser)
	}
	return issued, err
}

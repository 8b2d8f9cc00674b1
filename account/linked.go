package account

import (
	"context"
	"errors"
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
	if err := validateEmailFormat(email); err != nil {
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

// CheckSignIn says whether u may be given a session by a method that proved
// who they are without a password (a provider account): not disabled, not
// anonymous, with an email the access lists allow and, when
// AUTH_EMAIL_SIGNIN_EMAIL_VERIFIED_REQUIRED, verified. A user without an
// email passes the email checks, as in hasura-auth.
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

// LinkedSignUp is a new user whose identity another method proved: a
// provider account. The options win over what the provider says.
type LinkedSignUp struct {
	Email         string // "" when the identity has none
	EmailVerified bool   // the provider vouches that the user controls Email
	DisplayName   string // when the options name none
	AvatarURL     string // "" : Gravatar's image of Email, when enabled
	Locale        string // when the options name none and it is allowed
	Options       *SignUpOptions
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
	u := &models.User{
		Disabled:      s.cfg.DisableNewUsers,
		AvatarURL:     in.AvatarURL,
		DisplayName:   p.displayName,
		Locale:        p.locale,
		DefaultRole:   p.defaultRole,
		Metadata:      p.metadata,
		EmailVerified: in.EmailVerified && in.Email != "",
	}
	if in.Email != "" {
		u.Email = &in.Email
	}
	if u.AvatarURL == "" {
		u.AvatarURL = s.avatarURL(in.Email)
	}
	verify := in.Email != "" && !in.EmailVerified && s.cfg.EmailVerifiedRequired
	issued, err := s.newUser(ctx, u, p, verify, in.Link)
	if err == nil && u.Disabled {
		return nil, apierr.New(apierr.DisabledUser)
	}
	return issued, err
}

// newUser writes u with the roles of p (and what link adds) in one
// transaction. verify: u's email is not verified and must be before u signs
// in; the verification ticket is written with the user and mailed after the
// commit (an SMTP exchange must not hold a transaction open). If the mail
// cannot be sent, the user is removed again: the failed sign-up leaves
// nothing, and the same sign-up can simply be retried. A user who may sign
// in at once (neither verify nor disabled) gets a session.
func (s *Service) newUser(ctx context.Context, u *models.User, p *profile, verify bool, link func(tx *gorm.DB, u *models.User) error) (*session.Issued, error) {
	var (
		mail         *ticketMail
		storedTicket string
	)
	if verify && !u.Disabled {
		if err := s.requireMailer(); err != nil {
			return nil, err
		}
		raw, stored := newTicket(kindVerifyEmail)
		storedTicket = stored
		u.Ticket, u.TicketExpiresAt = &stored, s.now().Add(kindVerifyEmail.ttl)
		mail = &ticketMail{kind: kindVerifyEmail, ticket: raw, to: *u.Email, locale: p.locale,
			redirectTo: p.redirectTo, displayName: p.displayName, email: *u.Email}
	}
	signedIn := !u.Disabled && !verify
	if signedIn {
		// Signed in at once: last seen now, written with the row, so that
		// Start need not update the new row (and announce it, migration 0009).
		now := s.now()
		u.LastSeen = &now
	}
	var issued *session.Issued
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := models.CreateUser(tx, u, p.roles); err != nil {
			if errors.Is(err, gorm.ErrDuplicatedKey) {
				return apierr.New(apierr.EmailAlreadyInUse)
			}
			return err
		}
		if link != nil {
			if err := link(tx, u); err != nil {
				return err
			}
		}
		if !signedIn {
			return nil
		}
		var err error
		issued, err = s.sessions.Start(tx, u, session.NotElevated)
		return err
	})
	if err != nil {
		return nil, err
	}
	if mail != nil {
		if err := s.sendTicketMail(ctx, u.ID, mail); err != nil {
			if derr := models.DeleteUnusedSignUp(s.db.WithContext(context.WithoutCancel(ctx)), u.ID, storedTicket); derr != nil {
				s.log.Error("failed sign-up not undone", "user_id", u.ID, "error", derr.Error())
			}
			return nil, err
		}
	}
	return issued, nil
}

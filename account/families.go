package account

import (
	"gorm.io/gorm"

	"github.com/hasura-auth-go/auth/models"
)

// What the other sign-in families (smsauth/) share with the email flows, so
// that a user they create or sign in is treated as one created or signed in
// here.

// NewUser checks the contract's sign-up options against the configuration
// (roles, default role, locale, display name, metadata, and redirectTo,
// though only email links use it) and returns the user to create, not yet
// written, with its roles; displayName is the display name when the options
// give none. Under AUTH_DISABLE_NEW_USERS the user starts disabled.
// AUTH_DISABLE_SIGNUP is the caller's to check: flows answer it differently.
func (s *Service) NewUser(o *SignUpOptions, displayName string) (*models.User, []string, error) {
	p, err := s.resolve(o, displayName)
	if err != nil {
		return nil, nil, err
	}
	u := &models.User{Disabled: s.cfg.DisableNewUsers, DisplayName: p.displayName, Locale: p.locale,
		DefaultRole: p.defaultRole, Metadata: p.metadata}
	return u, p.roles, nil
}

// MFATicket returns, when u has TOTP active, a ticket for POST
// /signin/mfa/totp, stored in tx: a first factor alone does not complete
// the sign-in of such a user. "" when u has no second factor.
func (s *Service) MFATicket(tx *gorm.DB, u *models.User) (string, error) {
	if !totpActive(u) {
		return "", nil
	}
	return s.startMFA(tx, u.ID)
}

// FirstFactorMFATicket is MFATicket for a sign-in proved by something that
// may stand for the mailbox (a provider account that vouches for the
// address): "" also when AUTH_MFA_SKIP_FOR_PASSWORDLESS keeps hasura-auth's way.
func (s *Service) FirstFactorMFATicket(tx *gorm.DB, u *models.User) (string, error) {
	if !s.secondFactorDue(u) {
		return "", nil
	}
	return s.startMFA(tx, u.ID)
}

// EmailAllowed applies AUTH_ACCESS_CONTROL_* to an account's email: hasura-auth
// refuses sign-ins by other means to an account whose email they refuse.
func (s *Service) EmailAllowed(email string) bool { return s.emailAllowed(email) }

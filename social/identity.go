package social

import (
	"context"
	"database/sql"
	"errors"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/hasura-auth-go/auth/account"
	"github.com/hasura-auth-go/auth/apierr"
	"github.com/hasura-auth-go/auth/audit"
	"github.com/hasura-auth-go/auth/models"
	"github.com/hasura-auth-go/auth/oauth/providers"
	"github.com/hasura-auth-go/auth/session"
)

// signIn finds or creates the user of a provider account, following the
// linking rule (package comment), and starts their session; method names
// the way in the audit log.
func (s *Service) signIn(ctx context.Context, method, provider string, id providers.Identity, opts *account.SignUpOptions) (*Outcome, error) {
	out, err := s.signInOnce(ctx, method, provider, id, opts)
	if errors.Is(err, errLinkTaken) {
		// A sign-in of the same account linked it meanwhile: it is found now.
		out, err = s.signInOnce(ctx, method, provider, id, opts)
	}
	if errors.Is(err, errLinkTaken) {
		return nil, errAlreadyLinked()
	}
	return out, err
}

func (s *Service) signInOnce(ctx context.Context, method, provider string, id providers.Identity, opts *account.SignUpOptions) (*Outcome, error) {
	prof := id.Profile
	db := s.db.WithContext(ctx)
	out := &Outcome{Email: prof.Email, method: method}
	l, err := findLink(db, provider, prof.ProviderUserID)
	switch {
	case err == nil:
		return s.signInLinked(ctx, l, id, out)
	case !errors.Is(err, errNoLink):
		return nil, err
	}
	if prof.Email != "" {
		email, err := s.accounts.CheckEmail(prof.Email)
		if err != nil {
			return nil, err
		}
		u, err := models.FindUserByEmail(db, email)
		switch {
		case err == nil:
			return s.linkByEmail(ctx, u, provider, id, out)
		case !errors.Is(err, models.ErrNotFound):
			return nil, err
		}
	}
	issued, err := s.accounts.SignUpLinked(ctx, account.LinkedSignUp{Method: method,
		Email: prof.Email, EmailVerified: prof.EmailVerified, DisplayName: displayName(prof),
		AvatarURL: prof.AvatarURL, Locale: prof.Locale, Options: opts,
		Link: func(tx *gorm.DB, u *models.User) error {
			out.UserID = u.ID
			return s.insertLink(tx, u.ID, provider, id)
		},
	})
	if err != nil {
		return nil, err
	}
	out.NewUser, out.Session = true, issued
	return out, nil
}

// displayName names a new user after the account: its name, else its
// address, else its id at the provider (as hasura-auth does).
func displayName(p providers.Profile) string {
	for _, n := range []string{p.DisplayName, p.Email} {
		if n != "" {
			return n
		}
	}
	return p.ProviderUserID
}

// signInLinked signs in the user a provider account is linked to.
func (s *Service) signInLinked(ctx context.Context, l *link, id providers.Identity, out *Outcome) (*Outcome, error) {
	u, err := models.FindUserByID(s.db.WithContext(ctx), l.UserID)
	if err != nil {
		return nil, err
	}
	return s.startSession(ctx, u, out, func(tx *gorm.DB) error { return s.storeTokens(tx, l.ID, id.Token) })
}

// linkByEmail links a provider account to the user who has its address,
// when the linking rule allows, and signs that user in.
func (s *Service) linkByEmail(ctx context.Context, u *models.User, provider string, id providers.Identity, out *Outcome) (*Outcome, error) {
	switch {
	case !id.Profile.EmailVerified:
		return nil, apierr.Newf(apierr.EmailAlreadyInUse, "An account with this email address exists and the provider does not "+
			"vouch for the address: sign in to that account, then connect the provider")
	case !u.EmailVerified:
		return nil, apierr.Newf(apierr.UnverifiedUser, "An account with this email address exists and its address is not "+
			"verified: verify it, or sign in to that account and connect the provider")
	}
	return s.startSession(ctx, u, out, func(tx *gorm.DB) error {
		if err := s.insertLink(tx, u.ID, provider, id); err != nil {
			return err
		}
		return s.recordLink(ctx, tx, u.ID, provider, "email")
	})
}

// startSession checks that u may sign in, then runs write and starts u's
// session in one transaction.
func (s *Service) startSession(ctx context.Context, u *models.User, out *Outcome, write func(tx *gorm.DB) error) (*Outcome, error) {
	if err := s.accounts.CheckSignIn(u); err != nil {
		return nil, err
	}
	out.UserID = u.ID
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := write(tx); err != nil {
			return err
		}
		var err error
		// A provider account is one factor, as a password is.
		if out.MFATicket, err = s.accounts.FirstFactorMFATicket(tx, u); err != nil || out.MFATicket != "" {
			return err
		}
		if out.Session, err = s.sessions.Start(tx, u, session.NotElevated); err != nil {
			return err
		}
		return s.audit.Log(ctx, tx, audit.Event{Type: audit.SignIn, UserID: u.ID, Email: out.Email, Detail: map[string]any{"method": out.method}})
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// connect links a provider account to a signed-in user (connect,
// /link/idtoken). Linking it again to the same user only refreshes its
// tokens; an account linked to someone else is refused.
func (s *Service) connect(ctx context.Context, userID uuid.UUID, provider string, id providers.Identity) error {
	db := s.db.WithContext(ctx)
	u, err := models.FindUserByID(db, userID)
	if errors.Is(err, models.ErrNotFound) {
		return apierr.New(apierr.InvalidEmailPassword) // the user was deleted since; hasura-auth's answer
	}
	if err != nil {
		return err
	}
	if err := s.accounts.CheckSignIn(u); err != nil {
		return err
	}
	err = db.Transaction(func(tx *gorm.DB) error {
		l, err := findLink(tx, provider, id.Profile.ProviderUserID)
		switch {
		case err == nil && l.UserID == userID:
			return s.storeTokens(tx, l.ID, id.Token)
		case err == nil:
			return errLinkTaken
		case !errors.Is(err, errNoLink):
			return err
		}
		if err := s.insertLink(tx, userID, provider, id); err != nil {
			return err
		}
		return s.recordLink(ctx, tx, userID, provider, "connect")
	})
	if errors.Is(err, errLinkTaken) {
		return errAlreadyLinked()
	}
	return err
}

// recordLink writes the audit event of a provider account linked to an
// existing user, in the transaction that links it: a new way into the
// account.
func (s *Service) recordLink(ctx context.Context, tx *gorm.DB, userID uuid.UUID, provider, how string) error {
	return s.audit.Log(ctx, tx, audit.Event{Type: audit.ProviderLinked, UserID: userID,
		Detail: map[string]any{"provider": provider, "by": how}})
}

// --- auth.user_providers ---

// link is a row of auth.user_providers.
type link struct {
	ID     uuid.UUID
	UserID uuid.UUID
}

var (
	// errNoLink: the provider account is linked to no user.
	errNoLink = errors.New("provider account not linked")
	// errLinkTaken: the provider account is linked to a user already
	// (user_providers_provider_id_provider_user_id_key).
	errLinkTaken = errors.New("provider account already linked")
)

func errAlreadyLinked() error {
	return apierr.Newf(apierr.ProviderAccountAlreadyLinked, "This provider account is already linked to another user")
}

func findLink(db *gorm.DB, provider, providerUserID string) (*link, error) {
	var l link
	err := db.Raw(`SELECT id, user_id FROM auth.user_providers WHERE provider_id = ? AND provider_user_id = ?`,
		provider, providerUserID).Row().Scan(&l.ID, &l.UserID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errNoLink
	}
	if err != nil {
		return nil, err
	}
	return &l, nil
}

// unsetToken is what hasura-auth writes in user_providers.access_token (a
// NOT NULL column it never reads); we write it too when no token is kept.
const unsetToken = "unset"

// insertLink links a provider account to userID. The unique constraint on
// (provider_id, provider_user_id) keeps an account from ever having two
// users: a concurrent link of the same account fails with errLinkTaken.
func (s *Service) insertLink(tx *gorm.DB, userID uuid.UUID, provider string, id providers.Identity) error {
	rowID := models.NewRowID()
	c, err := s.tokenColumns(rowID, id.Token)
	if err != nil {
		return err
	}
	err = tx.Exec(`INSERT INTO auth.user_providers (id, user_id, provider_id, provider_user_id, access_token, refresh_token,
  access_token_expires_at, refresh_token_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		rowID, userID, provider, id.Profile.ProviderUserID, c.access, c.refresh, c.expiresAt, c.hash).Error
	if errors.Is(err, gorm.ErrDuplicatedKey) {
		return errLinkTaken
	}
	return err
}

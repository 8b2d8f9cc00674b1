package account

import (
	"context"
	"crypto/md5" //nolint:gosec // Gravatar keys images by the MD5 of the address; not a security use
	"encoding/hex"
	"errors"
	"net/url"
	"strings"

	"gorm.io/gorm"

	"github.com/hasura-auth-go/auth/apierr"
	"github.com/hasura-auth-go/auth/audit"
	"github.com/hasura-auth-go/auth/models"
	"github.com/hasura-auth-go/auth/session"
)

// PwnedChecker says whether a password is known to have leaked (package hibp).
type PwnedChecker interface {
	Pwned(ctx context.Context, password string) (bool, error)
}

// checkNewPassword is validatePassword, then the leaked-passwords check. A
// password that could not be checked is refused with 503: accepting it
// would turn an outage of the service into a way around the check.
func (s *Service) checkNewPassword(ctx context.Context, password string) error {
	if err := s.validatePassword(password); err != nil {
		return err
	}
	if s.pwned == nil {
		return nil
	}
	pwned, err := s.pwned.Pwned(ctx, password)
	if err != nil {
		e := apierr.Newf(apierr.ServiceUnavailable, "The password could not be checked against known leaked passwords; try again shortly")
		e.Cause = errors.Join(errors.New("have i been pwned"), err)
		return e
	}
	if pwned {
		return apierr.New(apierr.PasswordInHIBPDatabase)
	}
	return nil
}

// avatarURL is the avatarUrl of a new user who signs up with email
// (AUTH_GRAVATAR_*): the Gravatar image of the address, or "".
func (s *Service) avatarURL(email string) string {
	g := s.cfg.Gravatar
	if !g.Enabled || email == "" {
		return ""
	}
	sum := md5.Sum([]byte(strings.ToLower(strings.TrimSpace(email)))) //nolint:gosec
	q := url.Values{"d": {g.Default}, "r": {g.Rating}}
	return "https://www.gravatar.com/avatar/" + hex.EncodeToString(sum[:]) + "?" + q.Encode()
}

// pendingUser is a user about to sign up: its row, its roles, whether it
// signs in at once, and the verification mail it is due once created.
type pendingUser struct {
	user         *models.User
	roles        []string
	signedIn     bool        // a session is started with the row
	verify       *ticketMail // nil: none due
	storedTicket string
	method       string // how the user signs up, for the audit log
}

// prepareUser completes u (its credential and email already set) with the
// checked profile p and the configuration. verify: u's email must be
// verified before u signs in; the verification ticket is then written with
// the row and mailed after the commit (an SMTP exchange must not hold a
// transaction open), so a mailer must be configured: refused now, before
// anything is written. A user neither verifying nor disabled signs in at once.
func (s *Service) prepareUser(u *models.User, p *profile, verify bool) (*pendingUser, error) {
	u.Disabled = s.cfg.DisableNewUsers
	u.DisplayName, u.Locale, u.DefaultRole, u.Metadata = p.displayName, p.locale, p.defaultRole, p.metadata
	email := ""
	if u.Email != nil {
		email = *u.Email
	}
	if u.AvatarURL == "" {
		u.AvatarURL = s.avatarURL(email)
	}
	nu := &pendingUser{user: u, roles: p.roles, signedIn: !u.Disabled && !verify}
	if verify && !u.Disabled {
		if err := s.requireMailer(); err != nil {
			return nil, err
		}
		raw, stored := newTicket(kindVerifyEmail)
		nu.storedTicket = stored
		u.Ticket, u.TicketExpiresAt = &stored, s.now().Add(kindVerifyEmail.ttl)
		nu.verify = &ticketMail{kind: kindVerifyEmail, ticket: raw, to: email, locale: p.locale,
			redirectTo: p.redirectTo, displayName: p.displayName, email: email}
	}
	if nu.signedIn {
		// Last seen now, written with the row, so that Start need not update
		// the new row (and announce it, migration 0009).
		now := s.now()
		u.LastSeen = &now
	}
	return nu, nil
}

// signUp creates, in one transaction, the user build returns (build may
// write first, and returns what to attach to the new row), then mails the
// verification link, undoing the sign-up when it cannot be sent.
func (s *Service) signUp(ctx context.Context, build func(tx *gorm.DB) (*pendingUser, func(*gorm.DB) error, error)) (*session.Issued, error) {
	var (
		issued *session.Issued
		nu     *pendingUser
	)
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var (
			attach func(*gorm.DB) error
			err    error
		)
		if nu, attach, err = build(tx); err != nil {
			return err
		}
		if issued, err = s.createUser(tx, nu, attach); err != nil {
			return err
		}
		// In the transaction: a crash after the commit loses no sign-up's row.
		ev := audit.Event{Type: audit.SignUp, UserID: nu.user.ID, Detail: map[string]any{"method": nu.method}}
		if nu.user.Email != nil {
			ev.Email = *nu.user.Email
		}
		return s.audit.Log(ctx, tx, ev)
	})
	if err != nil {
		return nil, err
	}
	if err := s.mailNewUser(ctx, nu); err != nil {
		return nil, err
	}
	return issued, nil
}

// createUser inserts nu in tx, runs attach (nil: nothing) on the new row,
// and starts its session, unless the email must be verified first or new
// users start disabled (nil session). A taken email is email-already-in-use.
func (s *Service) createUser(tx *gorm.DB, nu *pendingUser, attach func(tx *gorm.DB) error) (*session.Issued, error) {
	if err := models.CreateUser(tx, nu.user, nu.roles); err != nil {
		if errors.Is(err, gorm.ErrDuplicatedKey) {
			return nil, apierr.New(apierr.EmailAlreadyInUse)
		}
		return nil, err
	}
	if attach != nil {
		if err := attach(tx); err != nil {
			return nil, err
		}
	}
	if !nu.signedIn {
		return nil, nil
	}
	return s.sessions.Start(tx, nu.user, session.NotElevated)
}

// mailNewUser sends the verification mail of a committed sign-up. If it
// cannot be sent, the user is removed again (with what attach stored): the
// failed sign-up leaves nothing, and the same sign-up can simply be retried.
func (s *Service) mailNewUser(ctx context.Context, nu *pendingUser) error {
	if nu.verify == nil {
		return nil
	}
	err := s.sendTicketMail(ctx, nu.user.ID, nu.verify)
	if err == nil {
		return nil
	}
	if derr := models.DeleteUnusedSignUp(s.db.WithContext(context.WithoutCancel(ctx)), nu.user.ID, nu.storedTicket); derr != nil {
		s.log.Error("failed sign-up not undone", "user_id", nu.user.ID, "error", derr.Error())
	}
	return err
}

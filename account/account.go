// Package account holds the sign-up and sign-in flows: it checks the input
// against the configuration, writes users, and starts sessions.
package account

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"github.com/google/uuid"
	"golang.org/x/crypto/bcrypt"
	"gorm.io/gorm"

	"github.com/hasura-auth-go/auth/apierr"
	"github.com/hasura-auth-go/auth/audit"
	"github.com/hasura-auth-go/auth/config"
	"github.com/hasura-auth-go/auth/mail"
	"github.com/hasura-auth-go/auth/models"
	"github.com/hasura-auth-go/auth/pwhash"
	"github.com/hasura-auth-go/auth/secretbox"
	"github.com/hasura-auth-go/auth/session"
	"github.com/hasura-auth-go/auth/usercache"
)

// Service runs account flows.
type Service struct {
	db        *gorm.DB
	cfg       *config.Config
	sessions  *session.Service
	log       *slog.Logger
	dummyHash []byte
	audit     *audit.Recorder
	now       func() time.Time
	secrets   *secretbox.Box // TOTP secrets at rest; nil without AUTH_ENCRYPTION_KEY
	redirects redirectRules  // AUTH_CLIENT_URL + AUTH_ACCESS_CONTROL_ALLOWED_REDIRECT_URLS
	mailer    Mailer
	profiles  *usercache.Cache[*models.User] // GET /user answers, kept exact by the sessions' LISTEN connection
	pwned     PwnedChecker                   // nil: passwords are not checked for leaks
}

// maxProfiles bounds the profile cache (a few hundred bytes each).
const maxProfiles = 20_000

// Options are what a Service depends on.
type Options struct {
	DB       *gorm.DB
	Config   *config.Config
	Sessions *session.Service
	Audit    *audit.Recorder
	Mailer   Mailer           // nil: an unconfigured one (every send fails)
	Pwned    PwnedChecker     // nil: new passwords are not checked against leaked ones
	Now      func() time.Time // nil: time.Now; TOTP steps and lockout, tickets, elevation age
	Log      *slog.Logger
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

// New returns a Service. It hashes a throwaway password once so that sign-in
// for an unknown email costs the same bcrypt work as for a known one.
func New(o Options) (*Service, error) {
	if o.Audit == nil {
		return nil, errors.New("account: an audit recorder is required")
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	cfg := o.Config
	dummy, err := bcrypt.GenerateFromPassword([]byte(uuid.NewString()), cfg.BcryptCost)
	if err != nil {
		return nil, fmt.Errorf("prepare dummy hash: %w", err)
	}
	secrets, err := cfg.Keyring()
	if err != nil {
		return nil, err
	}
	redirects, err := compileRedirectRules(append([]string{cfg.ClientURL}, cfg.AllowedRedirectURLs...))
	if err != nil {
		return nil, err
	}
	s := &Service{db: o.DB, cfg: cfg, sessions: o.Sessions, log: o.Log, audit: o.Audit, dummyHash: dummy, now: o.Now,
		secrets: secrets, redirects: redirects, mailer: o.Mailer, pwned: o.Pwned, profiles: usercache.New[*models.User](maxProfiles, time.Second)}
	o.Sessions.Subscribe(s.profiles)
	if s.mailer == nil {
		if s.mailer, err = mail.New(mail.Config{}, mail.Options{Log: o.Log}); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// SignUpOptions are the contract's SignUpOptions.
type SignUpOptions struct {
	AllowedRoles []string       `json:"allowedRoles"`
	DefaultRole  string         `json:"defaultRole"`
	DisplayName  string         `json:"displayName"`
	Locale       string         `json:"locale"`
	Metadata     map[string]any `json:"metadata"`
	RedirectTo   string         `json:"redirectTo"`
}

// profile is what SignUpOptions resolve to once checked against the configuration.
type profile struct {
	roles       []string
	defaultRole string
	displayName string
	locale      string
	metadata    models.JSONMap
	redirectTo  string // options.redirectTo, else AUTH_CLIENT_URL: where email links lead
}

func (s *Service) resolve(o *SignUpOptions, fallbackDisplayName string) (p *profile, err error) {
	if o == nil {
		o = &SignUpOptions{}
	}
	p = &profile{
		roles:       s.cfg.DefaultAllowedRoles,
		defaultRole: s.cfg.DefaultRole,
		displayName: o.DisplayName,
		locale:      o.Locale,
		metadata:    o.Metadata,
	}
	if o.AllowedRoles != nil {
		for _, r := range o.AllowedRoles {
			if !slices.Contains(s.cfg.DefaultAllowedRoles, r) {
				return nil, apierr.Newf(apierr.RoleNotAllowed, fmt.Sprintf("Role %q is not in the allowed roles", r))
			}
		}
		p.roles = slices.Compact(slices.Sorted(slices.Values(o.AllowedRoles)))
	}
	if o.DefaultRole != "" {
		p.defaultRole = o.DefaultRole
	}
	if !slices.Contains(p.roles, p.defaultRole) {
		return nil, apierr.New(apierr.DefaultRoleMustBeInAllowedRoles)
	}
	if p.displayName == "" {
		p.displayName = fallbackDisplayName
	} else if len([]rune(p.displayName)) > maxDisplayNameLength || !displayNamePattern.MatchString(p.displayName) {
		return nil, apierr.Invalid(`"options.displayName" must be at most 32 letters, numbers, symbols, spaces or , . ' -`)
	}
	if p.locale == "" {
		p.locale = s.cfg.LocaleDefault
	} else if len(p.locale) < 2 || len(p.locale) > 3 {
		// nhost's contract: two or three characters (ISO 639-1 or 639-2/3).
		return nil, apierr.Invalid(`"locale" must be a two- or three-letter code`)
	} else if !slices.Contains(s.cfg.AllowedLocales, p.locale) {
		return nil, apierr.New(apierr.LocaleNotAllowed)
	}
	if p.redirectTo, err = s.redirectTarget(o.RedirectTo); err != nil {
		return nil, err
	}
	if p.metadata == nil {
		p.metadata = models.JSONMap{}
	}
	return p, nil
}

// SignUpEmailPassword creates a user. The session is nil when the user must
// verify their email first or new users start disabled.
func (s *Service) SignUpEmailPassword(ctx context.Context, email, password string, o *SignUpOptions) (*session.Issued, error) {
	p, err := s.checkSignUp(&email, o)
	if err != nil {
		return nil, err
	}
	if err := s.checkNewPassword(ctx, password); err != nil {
		return nil, err
	}
	hash, err := pwhash.Generate(ctx, []byte(password), s.cfg.BcryptCost)
	if err != nil {
		return nil, apierr.Internal(fmt.Errorf("hash password: %w", err))
	}
	hashStr := string(hash)
	nu, err := s.prepareUser(&models.User{Email: &email, PasswordHash: &hashStr}, p, s.cfg.EmailVerifiedRequired)
	if err != nil {
		return nil, err
	}
	nu.method = "email-password"
	return s.signUp(ctx, func(*gorm.DB) (*pendingUser, func(*gorm.DB) error, error) { return nu, nil, nil })
}

// SignInEmailPassword checks the password with the same bcrypt work whether
// or not the account exists, and only then says why it refuses. A user with
// TOTP active gets no session but an MFA ticket for /signin/mfa/totp. The
// access token of a session started here is elevated: the password was just
// proved (account/elevate.go).
func (s *Service) SignInEmailPassword(ctx context.Context, email, password string) (issued *session.Issued, mfaTicket string, err error) {
	if err := parseEmail(&email); err != nil {
		return nil, "", err
	}
	if password == "" {
		return nil, "", apierr.Invalid(`"password" is required`)
	}
	if len([]rune(password)) > maxPasswordLength {
		return nil, "", apierr.Invalid(`"password" must be at most 50 characters`)
	}
	db := s.db.WithContext(ctx)
	u, err := models.FindUserByEmail(db, email)
	if err != nil && !errors.Is(err, models.ErrNotFound) {
		return nil, "", err
	}
	hash := s.dummyHash
	if u != nil && u.PasswordHash != nil {
		hash = []byte(*u.PasswordHash)
	}
	match, err := pwhash.Compare(ctx, hash, []byte(password))
	if err != nil {
		return nil, "", err
	}
	if u == nil || u.PasswordHash == nil || !match {
		return nil, "", apierr.New(apierr.InvalidEmailPassword)
	}
	if u.Disabled {
		return nil, "", apierr.New(apierr.DisabledUser)
	}
	if s.cfg.EmailVerifiedRequired && !u.EmailVerified {
		return nil, "", apierr.New(apierr.UnverifiedUser)
	}
	if totpActive(u) {
		ticket, err := s.startMFA(db, u.ID)
		return nil, ticket, err
	}
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if issued, err = s.sessions.Start(tx, u, session.Elevated); err != nil {
			return err
		}
		return s.audit.Log(ctx, tx, audit.Event{Type: audit.SignIn, UserID: u.ID, Email: email, Detail: map[string]any{"method": "email-password"}})
	})
	return issued, "", err
}

// SignInAnonymous creates an anonymous user with the anonymous role.
func (s *Service) SignInAnonymous(ctx context.Context, displayName, locale string, metadata map[string]any) (*session.Issued, error) {
	if !s.cfg.AnonymousUsersEnabled || s.cfg.DisableSignup {
		return nil, apierr.New(apierr.DisabledEndpoint)
	}
	p, err := s.resolve(&SignUpOptions{DisplayName: displayName, Locale: locale, Metadata: metadata}, "Anonymous User")
	if err != nil {
		return nil, err
	}
	u := &models.User{
		DisplayName: p.displayName,
		Locale:      p.locale,
		DefaultRole: anonymousRole,
		IsAnonymous: true,
		Metadata:    p.metadata,
	}
	return s.sessions.StartWithNewUser(ctx, u, []string{anonymousRole}, "anonymous")
}

const anonymousRole = "anonymous"

// Deanonymize turns an anonymous user into a regular one with the same id.
// Its sessions end: their tokens carry the anonymous role, and the user signs
// in again with the new credentials. With "email-password" that is the
// password (after following the verification mail when verification is
// required); with "passwordless" it is the magic link mailed here.
func (s *Service) Deanonymize(ctx context.Context, userID uuid.UUID, method, email, password string, o *SignUpOptions) error {
	switch method {
	case "email-password":
		if err := s.checkNewPassword(ctx, password); err != nil {
			return err
		}
	case "passwordless":
		if !s.cfg.Email.PasswordlessEnabled {
			return apierr.Newf(apierr.DisabledEndpoint, "Passwordless sign-in by email is disabled (AUTH_EMAIL_PASSWORDLESS_ENABLED)")
		}
	default:
		return apierr.Invalid(`"signInMethod" must be "email-password" or "passwordless"`)
	}
	if err := parseEmail(&email); err != nil {
		return err
	}
	p, err := s.resolve(o, email)
	if err != nil {
		return err
	}
	if !s.emailAllowed(email) {
		return apierr.New(apierr.InvalidEmailPassword)
	}
	changes := map[string]any{
		"email":          email,
		"is_anonymous":   false,
		"email_verified": false,
		"default_role":   p.defaultRole,
	}
	if method == "email-password" {
		hash, err := pwhash.Generate(ctx, []byte(password), s.cfg.BcryptCost)
		if err != nil {
			return apierr.Internal(fmt.Errorf("hash password: %w", err))
		}
		changes["password_hash"] = string(hash)
	}
	var pending *ticketMail
	switch {
	case method == "passwordless":
		pending = &ticketMail{kind: kindPasswordless}
	case s.cfg.EmailVerifiedRequired:
		pending = &ticketMail{kind: kindVerifyEmail}
	}
	if pending != nil {
		if err := s.requireMailer(); err != nil {
			return err
		}
		var stored string
		pending.ticket, stored = newTicket(pending.kind)
		changes["ticket"], changes["ticket_expires_at"] = stored, s.now().Add(pending.kind.ttl)
	}
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		u, err := models.LockUserByID(tx, userID)
		if errors.Is(err, models.ErrNotFound) {
			return apierr.New(apierr.Unauthorized)
		}
		if err != nil {
			return err
		}
		if !u.IsAnonymous {
			return apierr.New(apierr.UserNotAnonymous)
		}
		// Profile fields change only when given: the anonymous user's own stay.
		if o != nil && o.DisplayName != "" {
			changes["display_name"] = p.displayName
		}
		if o != nil && o.Locale != "" {
			changes["locale"] = p.locale
		}
		if o != nil && o.Metadata != nil {
			changes["metadata"] = p.metadata
		}
		err = tx.Model(u).Omit("Roles").Updates(changes).Error
		if errors.Is(err, gorm.ErrDuplicatedKey) {
			return apierr.New(apierr.EmailAlreadyInUse)
		}
		if err != nil {
			return err
		}
		if err := models.SetUserRoles(tx, u, p.roles); err != nil {
			return err
		}
		if pending != nil {
			pending.to, pending.email, pending.redirectTo = email, email, p.redirectTo
			pending.locale, pending.displayName = u.Locale, u.DisplayName
			if l, ok := changes["locale"].(string); ok {
				pending.locale = l
			}
			if d, ok := changes["display_name"].(string); ok {
				pending.displayName = d
			}
		}
		// Its sessions end and its access tokens stop working: they carry the
		// anonymous role.
		if _, err := s.sessions.RevokeAll(tx, u.ID); err != nil {
			return err
		}
		return s.audit.Log(ctx, tx, audit.Event{Type: audit.Deanonymized, UserID: u.ID, Email: email})
	})
	if err != nil || pending == nil {
		return err
	}
	return s.sendTicketMail(ctx, userID, pending)
}

// User loads the user a verified access token names.
func (s *Service) User(ctx context.Context, id uuid.UUID) (*models.User, error) {
	u, err := models.FindUserByID(s.db.WithContext(ctx), id)
	if errors.Is(err, models.ErrNotFound) {
		return nil, apierr.New(apierr.Unauthorized)
	}
	return u, err
}

// Profile is User without the secret columns (password hash, TOTP secret,
// ticket), in one round trip: what GET /user needs, on every call.
//
// It answers from the profile cache when it can: the triggers of migration
// 0009 announce every change of a user's row or roles, whoever makes it, and
// a change made through this instance clears the cache before its answer
// leaves (ForgetProfiles). The user returned is shared: read it, never change it.
func (s *Service) Profile(ctx context.Context, id uuid.UUID) (*models.User, error) {
	if u, ok := s.profiles.Get(id); ok {
		return u, nil
	}
	gen := s.profiles.Gen()
	sqlDB, err := s.db.DB()
	if err != nil {
		return nil, err
	}
	u, err := models.LoadUser(ctx, sqlDB, id)
	if errors.Is(err, models.ErrNotFound) {
		return nil, apierr.New(apierr.Unauthorized)
	}
	if err != nil {
		return nil, err
	}
	s.profiles.Put(id, u, gen)
	return u, nil
}

// ForgetProfiles empties the profile cache. The HTTP layer calls it after
// every request that may have changed a user (it does not know which), once
// the change has committed and before the answer is sent, so that the
// caller's next GET /user reads the change, not the cache.
func (s *Service) ForgetProfiles() { s.profiles.Clear() }

package account

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/hasura-auth-go/auth/apierr"
	"github.com/hasura-auth-go/auth/audit"
	"github.com/hasura-auth-go/auth/mail"
	"github.com/hasura-auth-go/auth/models"
	"github.com/hasura-auth-go/auth/pwhash"
	"github.com/hasura-auth-go/auth/session"
)

// Email tickets: "<prefix><uuid>", hasura-auth's format, single use, in
// auth.users.ticket. Only "<prefix><sha256 hex of the whole ticket>" is
// stored (as for mfaTotp: tickets), so reading the table yields no usable
// link. A ticket written in clear by hasura-auth before the switch still
// works until it expires: a presented ticket must have a uuid after its
// prefix, so it can never equal a stored hash.
type ticketKind struct {
	prefix   string        // "verifyEmail:", …
	linkType string        // the type= of /verify links (hasura-auth's link types)
	ttl      time.Duration // API-NOTES' lifetimes
	template mail.Template
}

var (
	kindVerifyEmail   = ticketKind{"verifyEmail:", "emailVerify", 30 * 24 * time.Hour, mail.TemplateEmailVerify}
	kindPasswordReset = ticketKind{"passwordReset:", "passwordReset", time.Hour, mail.TemplatePasswordReset}
	kindPasswordless  = ticketKind{"passwordlessEmail:", "signinPasswordless", time.Hour, mail.TemplateSigninPasswordless}
	kindEmailChange   = ticketKind{"emailConfirmChange:", "emailConfirmChange", time.Hour, mail.TemplateEmailConfirmChange}
	ticketKinds       = []ticketKind{kindVerifyEmail, kindPasswordReset, kindPasswordless, kindEmailChange}
)

func newTicket(k ticketKind) (raw, stored string) {
	raw = k.prefix + uuid.NewString()
	return raw, hashTicket(k, raw)
}

func hashTicket(k ticketKind, raw string) string {
	sum := sha256.Sum256([]byte(raw))
	return k.prefix + hex.EncodeToString(sum[:])
}

// parseTicket names the kind of a well-formed ticket.
func parseTicket(raw string) (ticketKind, bool) {
	for _, k := range ticketKinds {
		if rest, ok := strings.CutPrefix(raw, k.prefix); ok {
			_, err := uuid.Parse(rest)
			return k, err == nil && len(rest) == 36
		}
	}
	return ticketKind{}, false
}

// consumeTicket clears a well-formed ticket of kind k inside tx and returns
// its user, locked; invalid-ticket when it is unknown, used or expired.
func (s *Service) consumeTicket(tx *gorm.DB, k ticketKind, raw string) (*models.User, error) {
	if got, ok := parseTicket(raw); !ok || got != k {
		return nil, apierr.New(apierr.InvalidTicket)
	}
	id, err := models.ConsumeTicket(tx, []string{hashTicket(k, raw), raw}, s.now())
	if errors.Is(err, models.ErrNotFound) {
		return nil, apierr.New(apierr.InvalidTicket)
	}
	if err != nil {
		return nil, fmt.Errorf("consume ticket: %w", err)
	}
	return models.FindUserByID(tx, id) // the UPDATE holds the row lock until commit
}

// ticketMail is a mail to send once the transaction that stored its ticket
// has committed.
type ticketMail struct {
	kind        ticketKind
	ticket      string
	to, locale  string
	redirectTo  string
	displayName string
	email       string
	newEmail    string
}

func (s *Service) verifyLink(ticket, linkType, redirectTo string) string {
	q := url.Values{"ticket": {ticket}, "type": {linkType}, "redirectTo": {redirectTo}}
	// AUTH_SERVER_URL is the API's public URL, prefix included (nhost's meaning).
	return s.cfg.ServerURL + "/verify?" + q.Encode()
}

func (s *Service) ticketMessage(m *ticketMail) mail.Message {
	return mail.Message{
		To: m.to, Locale: m.locale, Template: m.kind.template,
		Data: mail.Data{
			Link:        s.verifyLink(m.ticket, m.kind.linkType, m.redirectTo),
			DisplayName: m.displayName, Email: m.email, NewEmail: m.newEmail,
			Ticket: m.ticket, RedirectTo: m.redirectTo,
		},
	}
}

// sendTicketMail sends m now. The state it refers to is committed, so a
// failure leaves nothing half done: the caller answers 500 "could not be
// sent" and the user asks again, which replaces the ticket.
func (s *Service) sendTicketMail(ctx context.Context, userID uuid.UUID, m *ticketMail) error {
	if err := s.mailer.Send(ctx, s.ticketMessage(m)); err != nil {
		s.log.Warn("email not sent", "template", string(m.kind.template), "user_id", userID)
		return errEmailNotSent(err)
	}
	return nil
}

// errEmailNotSent is the 500 a flow answers when its mail did not leave. The
// SMTP error goes to the log only (it is the Cause).
func errEmailNotSent(cause error) *apierr.Error {
	e := apierr.Newf(apierr.InternalServerError, "The email could not be sent. Please try again later.")
	e.Cause = cause
	return e
}

// redirectTarget checks redirectTo against the allowed URLs; empty means
// AUTH_CLIENT_URL.
func (s *Service) redirectTarget(redirectTo string) (string, error) {
	if redirectTo == "" {
		return s.cfg.ClientURL, nil
	}
	if !s.redirectAllowed(redirectTo) {
		return "", apierr.New(apierr.RedirectToNotAllowed)
	}
	return redirectTo, nil
}

// SendVerificationEmail mails a new verification link to an unverified user
// (hasura-auth's answers: unknown email → invalid-email-password, already
// verified → email-already-verified, disabled → disabled-user).
//
// With AUTH_CONCEAL_ERRORS every account, or none, gets the same answer
// ("OK") from the same work: one UPDATE that matches only an unverified,
// enabled user, and the mail leaves in the background, as for password
// reset; the HTTP layer evens out what timing remains.
func (s *Service) SendVerificationEmail(ctx context.Context, email, redirectTo string) error {
	if err := parseEmail(&email); err != nil {
		return err
	}
	target, err := s.redirectTarget(redirectTo)
	if err != nil {
		return err
	}
	if err := s.requireMailer(); err != nil {
		return err
	}
	db := s.db.WithContext(ctx)
	if s.cfg.ConcealErrors {
		return s.mailTicketByEmail(ctx, kindVerifyEmail, email, target, true)
	}
	u, err := models.FindUserByEmail(db, email)
	switch {
	case errors.Is(err, models.ErrNotFound):
		return apierr.New(apierr.InvalidEmailPassword)
	case err != nil:
		return err
	case u.Disabled:
		return apierr.New(apierr.DisabledUser)
	case u.EmailVerified:
		return apierr.New(apierr.EmailAlreadyVerified)
	}
	raw, stored := newTicket(kindVerifyEmail)
	if err := models.SetUserTicket(db, u.ID, stored, s.now().Add(kindVerifyEmail.ttl)); err != nil {
		return fmt.Errorf("store verification ticket: %w", err)
	}
	return s.sendTicketMail(ctx, u.ID, &ticketMail{kind: kindVerifyEmail, ticket: raw, to: *u.Email, locale: u.Locale,
		redirectTo: target, displayName: u.DisplayName, email: *u.Email})
}

// requireMailer refuses a flow that must mail before it writes anything,
// when no SMTP server is configured: the request fails whole, not half.
func (s *Service) requireMailer() error {
	if !s.mailer.Configured() {
		return errEmailNotSent(mail.ErrNotConfigured)
	}
	return nil
}

// SendPasswordResetEmail answers the same, in the same time, whether or not
// the account exists: one UPDATE … WHERE email = ? either way, and the mail
// leaves in the background, so neither the answer nor its delay tells.
// Only input errors (email format, redirectTo) are reported.
func (s *Service) SendPasswordResetEmail(ctx context.Context, email, redirectTo string) error {
	if err := parseEmail(&email); err != nil {
		return err
	}
	target, err := s.redirectTarget(redirectTo)
	if err != nil {
		return err
	}
	if err := s.requireMailer(); err != nil {
		return err
	}
	return s.mailTicketByEmail(ctx, kindPasswordReset, email, target, false)
}

// mailTicketByEmail stores a ticket of kind on the account with email, when
// there is one (unverifiedOnly: whose email is not verified yet), and mails
// it in the background: the same statement and the same answer whether or
// not the account exists.
func (s *Service) mailTicketByEmail(ctx context.Context, k ticketKind, email, target string, unverifiedOnly bool) error {
	raw, stored := newTicket(k)
	rcpt, err := models.SetTicketByEmail(s.db.WithContext(ctx), email, stored, s.now().Add(k.ttl), unverifiedOnly)
	if err != nil {
		return fmt.Errorf("store %s ticket: %w", k.linkType, err)
	}
	if rcpt != nil {
		s.mailer.SendLater(ctx, s.ticketMessage(&ticketMail{kind: k, ticket: raw, to: rcpt.Email,
			locale: rcpt.Locale, redirectTo: target, displayName: rcpt.DisplayName, email: rcpt.Email}))
	}
	return nil
}

// ResetPassword sets a new password with a passwordReset: ticket (POST
// /user/password without a Bearer token). The ticket is consumed with the
// change; the user's sessions and personal access tokens end (hasura-auth
// keeps the PATs), and the email counts as verified: the link reached it.
func (s *Service) ResetPassword(ctx context.Context, ticket, newPassword string) error {
	if k, ok := parseTicket(ticket); !ok || k != kindPasswordReset {
		return apierr.Newf(apierr.InvalidTicket, "Invalid ticket: expected a passwordReset: ticket")
	}
	hash, err := s.hashNewPassword(ctx, newPassword)
	if err != nil {
		return err
	}
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		u, err := s.consumeTicket(tx, kindPasswordReset, ticket)
		if err != nil {
			return err
		}
		if u.Disabled {
			return apierr.New(apierr.DisabledUser)
		}
		return s.setPassword(ctx, tx, u.ID, hash, true)
	})
}

// ChangePassword sets a new password for a signed-in user (POST
// /user/password with a Bearer token; the handler checks elevation). Every
// regular session of the user ends, this one included, as in hasura-auth.
func (s *Service) ChangePassword(ctx context.Context, userID uuid.UUID, newPassword string) error {
	hash, err := s.hashNewPassword(ctx, newPassword)
	if err != nil {
		return err
	}
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		u, err := models.LockUserByID(tx, userID)
		switch {
		case errors.Is(err, models.ErrNotFound):
			return apierr.New(apierr.Unauthorized)
		case err != nil:
			return err
		case u.IsAnonymous:
			return apierr.New(apierr.ForbiddenAnonymous)
		case u.Disabled:
			return apierr.New(apierr.DisabledUser)
		}
		return s.setPassword(ctx, tx, u.ID, hash, false)
	})
}

func (s *Service) hashNewPassword(ctx context.Context, password string) (string, error) {
	if err := s.checkNewPassword(ctx, password); err != nil {
		return "", err
	}
	hash, err := pwhash.Generate(ctx, []byte(password), s.cfg.BcryptCost)
	if err != nil {
		return "", apierr.Internal(fmt.Errorf("hash password: %w", err))
	}
	return string(hash), nil
}

func (s *Service) setPassword(ctx context.Context, tx *gorm.DB, userID uuid.UUID, hash string, verifyEmail bool) error {
	if err := models.SetPasswordHash(tx, userID, hash, verifyEmail); err != nil {
		return fmt.Errorf("set password: %w", err)
	}
	if _, err := models.DeleteUserSessions(tx, userID); err != nil {
		return fmt.Errorf("end sessions: %w", err)
	}
	// A PAT made by whoever had the account must not outlive the password
	// change that takes it back; nor must the access tokens it issued.
	if err := s.sessions.RevokePATs(tx, userID); err != nil {
		return err
	}
	return s.audit.Log(ctx, tx, audit.Event{Type: audit.PasswordChanged, UserID: userID})
}

// ChangeEmail asks to move a signed-in user to newEmail (the handler checks
// elevation). Nothing changes until the link mailed to newEmail is followed;
// the address must still be free then.
func (s *Service) ChangeEmail(ctx context.Context, userID uuid.UUID, newEmail, redirectTo string) error {
	if err := parseEmail(&newEmail); err != nil {
		return err
	}
	target, err := s.redirectTarget(redirectTo)
	if err != nil {
		return err
	}
	if !s.emailAllowed(newEmail) {
		return apierr.New(apierr.InvalidEmailPassword)
	}
	db := s.db.WithContext(ctx)
	u, err := s.User(ctx, userID)
	switch {
	case err != nil:
		return err
	case u.IsAnonymous:
		return apierr.New(apierr.ForbiddenAnonymous)
	case u.Disabled:
		return apierr.New(apierr.DisabledUser)
	}
	if _, err := models.FindUserByEmail(db, newEmail); err == nil {
		return apierr.New(apierr.EmailAlreadyInUse)
	} else if !errors.Is(err, models.ErrNotFound) {
		return err
	}
	if err := s.requireMailer(); err != nil {
		return err
	}
	raw, stored := newTicket(kindEmailChange)
	if err := models.SetNewEmail(db, u.ID, newEmail, stored, s.now().Add(kindEmailChange.ttl)); err != nil {
		return fmt.Errorf("store email change: %w", err)
	}
	current := ""
	if u.Email != nil {
		current = *u.Email
	}
	return s.sendTicketMail(ctx, u.ID, &ticketMail{kind: kindEmailChange, ticket: raw, to: newEmail, locale: u.Locale,
		redirectTo: target, displayName: u.DisplayName, email: current, newEmail: newEmail})
}

// Verified is the outcome of a /verify link: a session, or, for a user
// with a second factor, the ticket of POST /signin/mfa/totp.
type Verified struct {
	Session   *session.Issued
	MFATicket string
	LinkType  string // hasura-auth adds it to the redirect as type=
}

// CheckRedirect validates the redirectTo of a /verify link before anything
// else: a disallowed target is never redirected to, not even with an error.
func (s *Service) CheckRedirect(redirectTo string) (string, error) {
	if redirectTo == "" && s.cfg.ClientURL == "" {
		return "", apierr.Invalid(`"redirectTo" is required (and AUTH_CLIENT_URL is not set)`)
	}
	return s.redirectTarget(redirectTo)
}

// VerifyTicket consumes the ticket of an email link and starts a session,
// in one transaction: of two clicks on one link exactly one wins. linkType,
// when given, must be the ticket's (a mismatch consumes nothing).
//
//   - verifyEmail, signinPasswordless: the email becomes verified;
//   - emailConfirmChange: the user moves to the new address (409 if taken);
//   - passwordReset: a session, from which the client sets the password.
//
// For a user with TOTP active every link type stops at an MFA ticket (the
// link's own change is made), so that the mailbox alone does not sign in;
// AUTH_MFA_SKIP_FOR_PASSWORDLESS keeps hasura-auth's way (a session). Their
// sessions are not elevated: the redirect hands out only a refresh token,
// and refreshing drops elevation anyway.
func (s *Service) VerifyTicket(ctx context.Context, ticket, linkType string) (*Verified, error) {
	k, ok := parseTicket(ticket)
	if !ok || (linkType != "" && linkType != k.linkType) {
		return nil, apierr.New(apierr.InvalidTicket)
	}
	var (
		issued    *session.Issued
		mfaTicket string
	)
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		u, err := s.consumeTicket(tx, k, ticket)
		if err != nil {
			return err
		}
		if u.Disabled {
			return apierr.New(apierr.DisabledUser)
		}
		switch k {
		case kindVerifyEmail, kindPasswordless:
			if err := models.SetEmailVerified(tx, u.ID); err != nil {
				return err
			}
			if !u.EmailVerified {
				if err := s.audit.Log(ctx, tx, audit.Event{Type: audit.EmailVerified, UserID: u.ID}); err != nil {
					return err
				}
			}
			u.EmailVerified = true
		case kindEmailChange:
			moved, err := models.ConfirmNewEmail(tx, u.ID)
			if errors.Is(err, gorm.ErrDuplicatedKey) {
				return apierr.New(apierr.EmailAlreadyInUse)
			}
			if err != nil {
				return err
			}
			if !moved {
				return apierr.New(apierr.InvalidTicket)
			}
			from := u.Email
			if u, err = models.FindUserByID(tx, u.ID); err != nil {
				return err
			}
			if err := s.audit.Log(ctx, tx, audit.Event{Type: audit.EmailChanged, UserID: u.ID,
				Detail: map[string]any{"from": from, "to": u.Email}}); err != nil {
				return err
			}
		case kindPasswordReset:
			if s.cfg.EmailVerifiedRequired && !u.EmailVerified {
				// The link reached the address: that verifies it.
				if err := models.SetEmailVerified(tx, u.ID); err != nil {
					return err
				}
				u.EmailVerified = true
			}
		}
		if s.secondFactorDue(u) {
			mfaTicket, err = s.startMFA(tx, u.ID)
			return err
		}
		issued, err = s.sessions.Start(tx, u, session.NotElevated)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &Verified{Session: issued, MFATicket: mfaTicket, LinkType: k.linkType}, nil
}

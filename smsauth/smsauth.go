// Package smsauth is passwordless sign-in by SMS: Send texts a one-time code
// to a phone number, creating the user when sign-up is open; Verify checks
// the code and starts a session. The codes and the providers are package
// sms's; users and codes are stored as hasura-auth stores them (phone
// numbers in E.164, the code bcrypt in auth.users.otp_hash), the count of
// wrong codes in auth.user_sms_otp_state.
//
// What the answers tell: Send answers "OK" to a known and an unknown number
// alike, also when sign-up is closed (an unknown number then gets nothing),
// and the route is paced so that timing does not tell either; only a
// disabled account is named, as hasura-auth names it (AUTH_CONCEAL_ERRORS
// hides it). Verify answers a wrong code, an expired one, a locked one and a
// number without an account with the same invalid-otp.
package smsauth

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/hasura-auth-go/auth/account"
	"github.com/hasura-auth-go/auth/apierr"
	"github.com/hasura-auth-go/auth/audit"
	"github.com/hasura-auth-go/auth/config"
	"github.com/hasura-auth-go/auth/models"
	"github.com/hasura-auth-go/auth/session"
	"github.com/hasura-auth-go/auth/sms"
	"github.com/hasura-auth-go/auth/sms/phone"
)

// Accounts is what this flow takes from the email flows (account.Service),
// so that users it creates and signs in are treated as theirs are.
type Accounts interface {
	NewUser(o *account.SignUpOptions, displayName string) (*models.User, []string, error)
	MFATicket(tx *gorm.DB, u *models.User) (string, error)
	EmailAllowed(email string) bool
}

// Service runs the SMS sign-in.
type Service struct {
	db       *gorm.DB
	cfg      *config.Config
	codes    *sms.Service // nil: AUTH_SMS_PASSWORDLESS_ENABLED=false
	accounts Accounts
	sessions *session.Service
	audit    *audit.Recorder
	log      *slog.Logger
	now      func() time.Time
}

// Options are what a Service depends on.
type Options struct {
	DB       *gorm.DB
	Config   *config.Config // Config.SMS, and the sign-up settings
	Accounts Accounts
	Sessions *session.Service
	Audit    *audit.Recorder
	Now      func() time.Time // nil: time.Now
	Log      *slog.Logger     // nil: slog.Default(); the log provider writes codes here
}

// New returns a Service; with SMS off its methods answer disabled-endpoint.
func New(o Options) (*Service, error) {
	if o.Audit == nil || o.Accounts == nil || o.Sessions == nil {
		return nil, errors.New("smsauth: accounts, sessions and an audit recorder are required")
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	s := &Service{db: o.DB, cfg: o.Config, accounts: o.Accounts, sessions: o.Sessions, audit: o.Audit, log: o.Log, now: o.Now}
	if o.Config.SMS.Enabled {
		codes, err := sms.New(o.Config.SMS, o.Log, o.Now)
		if err != nil {
			return nil, err
		}
		s.codes = codes
	}
	return s, nil
}

// method is the audit events' sign-in method.
const method = "sms"

// Send texts a new code to number (POST /signin/passwordless/sms). A
// number without an account gets one, made from o, when sign-up is open;
// o is ignored for a known number.
//
// The code is sent before anything is written: when the provider fails,
// nothing is (no user, no code), and no transaction waits on the provider.
func (s *Service) Send(ctx context.Context, number string, o *account.SignUpOptions) error {
	if s.codes == nil {
		return apierr.New(apierr.DisabledEndpoint)
	}
	to, err := parseNumber(number)
	if err != nil {
		return err
	}
	e164 := to.String()
	// Checked for known numbers too: the answer must not depend on the account.
	newUser, roles, err := s.accounts.NewUser(o, e164)
	if err != nil {
		return err
	}
	db := s.db.WithContext(ctx)
	u, err := models.FindUserByPhone(db, e164)
	switch {
	case errors.Is(err, models.ErrNotFound):
		u = nil
	case err != nil:
		return err
	}
	locale := newUser.Locale
	switch {
	case u != nil:
		if err := refuse(u); err != nil {
			return err
		}
		locale = u.Locale
	case s.cfg.DisableSignup:
		// Nobody to send to. "OK" as for a known number: phone numbers are
		// few enough to try one by one, and a different answer would list
		// the accounts of an app that is closed to sign-ups.
		return nil
	case newUser.Disabled:
		// AUTH_DISABLE_NEW_USERS: the account waits for an operator; a code
		// could not be used until then, so none is sent.
		if _, _, err := s.store(ctx, nil, newUser, roles, e164, nil); err != nil {
			return err
		}
		return apierr.New(apierr.DisabledUser)
	}
	issued, err := s.codes.Send(ctx, to, locale)
	if err != nil {
		return sendFailed(err)
	}
	_, _, err = s.store(ctx, u, newUser, roles, e164, &issued)
	return err
}

// store writes the code on u, or creates newUser with it (u nil). A
// concurrent request may create the same number's user first: then the code
// goes on that user. issued nil: the user is created without a code.
func (s *Service) store(ctx context.Context, u, newUser *models.User, roles []string, e164 string, issued *sms.Issued) (id uuid.UUID, created bool, err error) {
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if u != nil {
			id = u.ID
		} else {
			newUser.PhoneNumber = &e164
			// A savepoint: a unique violation (the number taken meanwhile) is undone.
			err := tx.Transaction(func(sp *gorm.DB) error { return models.CreateUser(sp, newUser, roles) })
			switch {
			case errors.Is(err, gorm.ErrDuplicatedKey):
				other, err := models.FindUserByPhone(tx, e164)
				if err != nil {
					return err
				}
				id = other.ID
			case err != nil:
				return err
			default:
				id, created = newUser.ID, true
				// With the user: a crash after the commit loses no sign-up's row.
				ev := audit.Event{Type: audit.SignUp, UserID: id, Detail: map[string]any{"method": method}}
				if err := s.audit.Log(ctx, tx, ev); err != nil {
					return err
				}
			}
		}
		if issued == nil {
			return nil
		}
		err := models.SetSMSOTP(tx, id, issued.Hash, issued.ExpiresAt, issued.Method)
		if errors.Is(err, models.ErrNotFound) {
			return nil // deleted since it was read: the code has nowhere to go, and works nowhere
		}
		return err
	})
	return id, created, err
}

// Result is a right code: a session, or, for a user with TOTP active, the
// ticket for POST /signin/mfa/totp.
type Result struct {
	Session   *session.Issued
	MFATicket string
}

// Verify checks a code (POST /signin/passwordless/sms/otp). A right code
// signs the user in and marks the number verified. Each wrong code counts
// against the code; at AUTH_SMS_OTP_MAX_ATTEMPTS it is cleared.
//
// With our codes the user row is locked while the code is checked, so
// guesses at one code queue and each is counted before the next. With
// Twilio Verify, Twilio checks the code and counts the attempts: its call
// is made before the transaction, so no row lock waits on the network.
func (s *Service) Verify(ctx context.Context, number, code string) (*Result, error) {
	if s.codes == nil {
		return nil, apierr.New(apierr.DisabledEndpoint)
	}
	to, err := parseNumber(number)
	if err != nil {
		return nil, err
	}
	e164 := to.String()
	code = strings.TrimSpace(code)
	if code == "" {
		return nil, apierr.Invalid(`"otp" is required`)
	}
	db := s.db.WithContext(ctx)
	// Twilio Verify: the provider's verdict, on the user it was asked for.
	var (
		remote     *sms.Verdict
		remoteUser uuid.UUID
	)
	if s.codes.ChecksRemotely() {
		st, err := models.FindSMSOTP(db, e164)
		if err != nil && !errors.Is(err, models.ErrNotFound) {
			return nil, err
		}
		if st != nil {
			remoteUser = st.UserID
		}
		v, err := s.codes.Check(ctx, to, code, stored(st))
		if err != nil {
			return nil, sendFailed(err)
		}
		remote = &v
	}
	var (
		res     *Result
		refused *apierr.Error
		userID  uuid.UUID
	)
	err = db.Transaction(func(tx *gorm.DB) error {
		st, err := models.LockSMSOTP(tx, e164)
		if err != nil && !errors.Is(err, models.ErrNotFound) {
			return err
		}
		if st != nil {
			userID = st.UserID
		}
		var v sms.Verdict
		switch {
		case remote != nil && (st == nil || st.UserID != remoteUser):
			v = sms.NoCode // the number moved to another user meanwhile
		case remote != nil:
			v = *remote
		default:
			if v, err = s.codes.Check(ctx, to, code, stored(st)); err != nil {
				return sendFailed(err)
			}
		}
		if v != sms.Accepted {
			refused = apierr.New(apierr.InvalidOTP)
			if !v.CountsFailure() {
				return nil
			}
			if v == sms.Locked {
				refused = apierr.Newf(apierr.InvalidOTP, "Too many wrong codes: request a new one")
				s.log.WarnContext(ctx, "SMS code cleared after repeated wrong codes", "user_id", st.UserID)
			}
			// Committed, so the guess counts; without waiting for the disk,
			// so that a wrong code at a number with a code takes no longer
			// than at a number without (which writes nothing).
			if err := tx.Exec(`SET LOCAL synchronous_commit = off`).Error; err != nil {
				return err
			}
			return models.RecordSMSOTPFailure(tx, st.UserID, v.ClearsCode())
		}
		if res, err = s.signIn(tx, st.UserID); err != nil || res.Session == nil {
			return err
		}
		// In the transaction of the session: a crash cannot lose the row.
		return s.audit.Log(ctx, tx, audit.Event{Type: audit.SignIn, UserID: st.UserID, Detail: map[string]any{"method": method}})
	})
	if err == nil && refused != nil {
		err = refused
	}
	s.auditVerify(ctx, userID, e164, res, err)
	if err != nil {
		return nil, err
	}
	return res, nil
}

// signIn uses the code up and starts the session of the user it was for.
// A refusal rolls back: the code stays as it was.
func (s *Service) signIn(tx *gorm.DB, userID uuid.UUID) (*Result, error) {
	if err := models.AcceptSMSOTP(tx, userID, s.now()); err != nil {
		return nil, err
	}
	u, err := models.FindUserByID(tx, userID)
	if err != nil {
		return nil, err
	}
	if err := refuse(u); err != nil {
		return nil, err
	}
	// As hasura-auth: an account's email, when it has one, must be allowed
	// (AUTH_ACCESS_CONTROL_*) and, when verification is required, verified.
	switch {
	case u.Email != nil && !s.accounts.EmailAllowed(*u.Email):
		return nil, apierr.New(apierr.InvalidEmailPassword)
	case u.Email != nil && !u.EmailVerified && s.cfg.EmailVerifiedRequired:
		return nil, apierr.New(apierr.UnverifiedUser)
	}
	ticket, err := s.accounts.MFATicket(tx, u)
	if err != nil || ticket != "" {
		return &Result{MFATicket: ticket}, err
	}
	// The code proves what a password would: the session is elevated.
	issued, err := s.sessions.Start(tx, u, session.Elevated)
	if err != nil {
		return nil, err
	}
	return &Result{Session: issued}, nil
}

// refuse says why u may not sign in, or nil.
func refuse(u *models.User) error {
	switch {
	case u.Disabled:
		return apierr.New(apierr.DisabledUser)
	case u.IsAnonymous:
		return apierr.New(apierr.ForbiddenAnonymous)
	}
	return nil
}

// auditVerify queues the outcome of a verification. A second factor still
// to give is not an outcome yet: /signin/mfa/totp records it.
func (s *Service) auditVerify(ctx context.Context, userID uuid.UUID, e164 string, res *Result, err error) {
	if err == nil {
		return // a session's row was written with it
	}
	var ae *apierr.Error
	if !errors.As(err, &ae) || ae.Status >= 500 {
		return
	}
	_ = s.audit.Log(ctx, nil, audit.Event{Type: audit.SignInFailed, UserID: userID,
		Detail: map[string]any{"method": method, "reason": ae.Code, "phoneNumber": e164}})
}

// parseNumber reads a phone number in international format.
func parseNumber(raw string) (phone.Number, error) {
	n, err := phone.Parse(raw)
	if err != nil {
		return phone.Number{}, apierr.Invalid("The " + err.Error())
	}
	return n, nil
}

// stored is what Check judges; the zero Stored is no code.
func stored(st *models.SMSOTP) sms.Stored {
	if st == nil {
		return sms.Stored{}
	}
	return sms.Stored{Hash: st.Hash, ExpiresAt: st.ExpiresAt, Method: st.Method, Failures: st.Failures}
}

// sendFailed answers a provider's failure by its class; the cause, which
// names the provider, the status and its error code (never the number or
// a credential), is logged.
func sendFailed(err error) error {
	code := apierr.SMSProviderFailed
	switch {
	case errors.Is(err, sms.ErrInvalidNumber):
		code = apierr.CannotSendSMS
	case !errors.Is(err, sms.ErrProviderFailed):
		return apierr.Internal(fmt.Errorf("sms: %w", err))
	}
	e := apierr.New(code)
	e.Cause = err
	return e
}

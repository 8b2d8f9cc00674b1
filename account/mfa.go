package account

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"image/png"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/pquerna/otp"
	"github.com/pquerna/otp/hotp"
	"github.com/pquerna/otp/totp"
	"gorm.io/gorm"

	"github.com/hasura-auth-go/auth/apierr"
	"github.com/hasura-auth-go/auth/audit"
	"github.com/hasura-auth-go/auth/models"
	"github.com/hasura-auth-go/auth/session"
)

// TOTP as authenticator apps expect it: SHA1, 6 digits, 30 s steps, one step
// of skew either side. A code is accepted once: the step it matched is
// remembered and codes for that step or earlier ones are refused. Wrong codes
// are counted; totpMaxFailures of them within totpFailureWindow lock TOTP for
// totpLockout, during which every code, right or wrong, is invalid-totp.
const (
	MFATypeTOTP       = "totp"
	mfaTicketPrefix   = "mfaTotp:"
	mfaTicketTTL      = 5 * time.Minute
	totpPeriod        = 30 // seconds
	totpSkew          = 1  // steps either side
	totpDigits        = otp.DigitsSix
	totpMaxFailures   = 5
	totpFailureWindow = 5 * time.Minute
	totpLockout       = 15 * time.Minute
	qrCodeSize        = 256 // pixels
)

func totpActive(u *models.User) bool {
	return u.ActiveMFAType != nil && *u.ActiveMFAType == MFATypeTOTP
}

func hasTOTPSecret(u *models.User) bool { return u.TOTPSecret != nil && *u.TOTPSecret != "" }

// TOTPSetup is what a user needs to enrol an authenticator app.
type TOTPSetup struct {
	Secret   string // base32, for typing in by hand
	ImageURL string // data:image/png;base64 QR code of the otpauth:// URL
}

// GenerateTOTP makes a new TOTP secret for the user and stores it, encrypted
// when AUTH_ENCRYPTION_KEY is set. It becomes active only through ChangeMFA
// with a code from it; while TOTP is active it is refused, so the secret in
// use cannot be swapped under the user.
func (s *Service) GenerateTOTP(ctx context.Context, userID uuid.UUID) (*TOTPSetup, error) {
	if !s.cfg.MFAEnabled {
		return nil, apierr.New(apierr.DisabledEndpoint)
	}
	u, err := s.User(ctx, userID)
	if err != nil {
		return nil, err
	}
	switch {
	case u.IsAnonymous:
		return nil, apierr.New(apierr.ForbiddenAnonymous)
	case totpActive(u):
		return nil, apierr.New(apierr.TOTPAlreadyActive)
	}
	account := u.ID.String()
	if u.Email != nil && *u.Email != "" {
		account = *u.Email
	} else if u.DisplayName != "" {
		account = u.DisplayName
	}
	key, err := totp.Generate(totp.GenerateOpts{
		Issuer: s.cfg.MFATOTPIssuer, AccountName: account,
		Period: totpPeriod, Digits: totpDigits, Algorithm: otp.AlgorithmSHA1,
	})
	if err != nil {
		return nil, fmt.Errorf("generate TOTP secret: %w", err)
	}
	img, err := key.Image(qrCodeSize, qrCodeSize)
	if err != nil {
		return nil, fmt.Errorf("render TOTP QR code: %w", err)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, fmt.Errorf("encode TOTP QR code: %w", err)
	}
	stored, err := s.secrets.Seal([]byte(key.Secret()), u.ID[:])
	if err != nil {
		return nil, fmt.Errorf("encrypt TOTP secret: %w", err)
	}
	ok, err := models.SetPendingTOTPSecret(s.db.WithContext(ctx), u.ID, stored)
	if err != nil {
		return nil, fmt.Errorf("store TOTP secret: %w", err)
	}
	if !ok {
		return nil, apierr.New(apierr.TOTPAlreadyActive) // activated meanwhile
	}
	return &TOTPSetup{
		Secret:   key.Secret(),
		ImageURL: "data:image/png;base64," + base64.StdEncoding.EncodeToString(buf.Bytes()),
	}, nil
}

// ChangeMFA activates TOTP (activeType "totp") or deactivates it (nil or "")
// with a valid code. Deactivating also forgets the secret, so enrolling again
// starts from a new one. AUTH_MFA_ENABLED gates activation only: a user can
// always turn off a factor they have.
func (s *Service) ChangeMFA(ctx context.Context, userID uuid.UUID, code string, activeType *string) error {
	activate := false
	switch {
	case activeType == nil || *activeType == "":
	case *activeType == MFATypeTOTP:
		activate = true
	default:
		return apierr.New(apierr.MFATypeNotFound)
	}
	if activate && !s.cfg.MFAEnabled {
		return apierr.New(apierr.DisabledEndpoint)
	}
	refused := false
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		u, err := models.LockUserByID(tx, userID)
		if errors.Is(err, models.ErrNotFound) {
			return apierr.New(apierr.Unauthorized)
		}
		if err != nil {
			return err
		}
		switch {
		case activate && totpActive(u):
			return apierr.New(apierr.TOTPAlreadyActive)
		case !activate && !totpActive(u):
			return apierr.New(apierr.DisabledMFATOTP)
		case !hasTOTPSecret(u):
			return apierr.New(apierr.NoTOTPSecret)
		}
		ok, err := s.checkTOTP(tx, u, code)
		if err != nil || !ok {
			refused = !ok
			return err
		}
		ev := audit.Event{Type: audit.MFADisabled, UserID: u.ID, Detail: map[string]any{"type": MFATypeTOTP}}
		if activate {
			t := MFATypeTOTP
			if err := models.SetUserTOTP(tx, u.ID, u.TOTPSecret, &t); err != nil {
				return err
			}
			ev.Type = audit.MFAEnabled
		} else if err := models.SetUserTOTP(tx, u.ID, nil, nil); err != nil {
			return err
		}
		return s.audit.Log(ctx, tx, ev)
	})
	if err != nil {
		return err
	}
	if refused {
		return apierr.New(apierr.InvalidTOTP)
	}
	return nil
}

// startMFA gives a user who proved their password a ticket for the second
// step. Only the ticket's SHA-256 is stored (under its type prefix), so a
// database read does not yield a usable ticket.
func (s *Service) startMFA(db *gorm.DB, userID uuid.UUID) (string, error) {
	ticket := mfaTicketPrefix + uuid.NewString()
	if err := models.SetUserTicket(db, userID, storedTicket(ticket), s.now().Add(mfaTicketTTL)); err != nil {
		return "", fmt.Errorf("store MFA ticket: %w", err)
	}
	return ticket, nil
}

// secondFactorDue says whether a sign-in proved by an email link or code
// must stop at an MFA ticket: u has TOTP active and
// AUTH_MFA_SKIP_FOR_PASSWORDLESS does not keep hasura-auth's way. Whoever
// reads the mailbox must not own an account its owner protected with a
// second factor.
func (s *Service) secondFactorDue(u *models.User) bool {
	return totpActive(u) && !s.cfg.MFASkipForPasswordless
}

func storedTicket(ticket string) string {
	sum := sha256.Sum256([]byte(ticket))
	return mfaTicketPrefix + hex.EncodeToString(sum[:])
}

// SignInMFATOTP completes a sign-in begun with a password. The ticket is
// consumed in the transaction that starts the session, on the locked user
// row, so two requests with it cannot both succeed. A wrong code leaves the
// ticket usable (until it expires or TOTP locks) so a typo does not send the
// user back to the password. The session's access token is elevated.
func (s *Service) SignInMFATOTP(ctx context.Context, ticket, code string) (*session.Issued, error) {
	if _, err := uuid.Parse(strings.TrimPrefix(ticket, mfaTicketPrefix)); err != nil || !strings.HasPrefix(ticket, mfaTicketPrefix) {
		return nil, apierr.New(apierr.InvalidTicket)
	}
	var (
		issued  *session.Issued
		refused bool
	)
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		now := s.now()
		u, err := models.LockUserByTicket(tx, storedTicket(ticket), now)
		if errors.Is(err, models.ErrNotFound) {
			return apierr.New(apierr.InvalidTicket)
		}
		if err != nil {
			return err
		}
		if refused, err = s.proveTOTP(tx, u, code); err != nil || refused {
			return err // a refused code still commits, so the failure counts
		}
		if err := models.ClearUserTicket(tx, u.ID, now); err != nil {
			return fmt.Errorf("consume MFA ticket: %w", err)
		}
		if issued, err = s.sessions.Start(tx, u, session.Elevated); err != nil {
			return err
		}
		return s.audit.Log(ctx, tx, audit.Event{Type: audit.SignIn, UserID: u.ID, Detail: map[string]any{"method": "totp"}})
	})
	if err != nil {
		return nil, err
	}
	if refused {
		return nil, apierr.New(apierr.InvalidTOTP)
	}
	return issued, nil
}

// proveTOTP checks that u may sign in with TOTP and that code is right;
// refused is a wrong code (counted by checkTOTP), err anything else.
func (s *Service) proveTOTP(tx *gorm.DB, u *models.User, code string) (refused bool, err error) {
	switch {
	case u.Disabled:
		return false, apierr.New(apierr.DisabledUser)
	case !totpActive(u):
		return false, apierr.New(apierr.DisabledMFATOTP)
	case !hasTOTPSecret(u):
		return false, apierr.New(apierr.NoTOTPSecret)
	}
	ok, err := s.checkTOTP(tx, u, code)
	return err == nil && !ok, err
}

// checkTOTP verifies code against u's secret inside tx (u's row locked by the
// caller, which serialises attempts) and records the outcome: the step used,
// or one more failure and perhaps a lockout. ok=false means refuse with
// invalid-totp; the caller must still commit tx so the failure counts.
func (s *Service) checkTOTP(tx *gorm.DB, u *models.User, code string) (ok bool, err error) {
	st, err := models.LockTOTPState(tx, u.ID)
	if err != nil {
		return false, fmt.Errorf("load TOTP state: %w", err)
	}
	now := s.now()
	if st.LockedUntil != nil && now.Before(*st.LockedUntil) {
		return false, nil
	}
	secret, stale, err := s.secrets.OpenStale(*u.TOTPSecret, u.ID[:])
	if err != nil {
		return false, fmt.Errorf("open TOTP secret of user %s: %w", u.ID, err)
	}
	if step, match := matchTOTP(string(secret), code, now, st.LastUsedStep); match {
		st.LastUsedStep, st.Failures, st.WindowStartedAt, st.LockedUntil = step, 0, nil, nil
		if err := models.SaveTOTPState(tx, st); err != nil {
			return false, fmt.Errorf("save TOTP state: %w", err)
		}
		if stale {
			// Written before AUTH_ENCRYPTION_KEY was set, or under a previous key.
			if err := s.resealTOTP(tx, u, secret); err != nil {
				return false, err
			}
		}
		return true, nil
	}
	if st.WindowStartedAt == nil || now.Sub(*st.WindowStartedAt) >= totpFailureWindow {
		st.Failures, st.WindowStartedAt = 0, &now
	}
	st.Failures++
	if st.Failures >= totpMaxFailures {
		until := now.Add(totpLockout)
		st.Failures, st.WindowStartedAt, st.LockedUntil = 0, nil, &until
		s.log.Warn("TOTP locked after repeated wrong codes", "user_id", u.ID, "locked_until", until)
	}
	if err := models.SaveTOTPState(tx, st); err != nil {
		return false, fmt.Errorf("save TOTP state: %w", err)
	}
	return false, nil
}

func (s *Service) resealTOTP(tx *gorm.DB, u *models.User, secret []byte) error {
	sealed, err := s.secrets.Seal(secret, u.ID[:])
	if err != nil {
		return fmt.Errorf("encrypt TOTP secret: %w", err)
	}
	if err := tx.Model(&models.User{}).Where("id = ?", u.ID).Update("totp_secret", sealed).Error; err != nil {
		return fmt.Errorf("re-encrypt TOTP secret: %w", err)
	}
	u.TOTPSecret = &sealed
	return nil
}

// matchTOTP returns the earliest step within the skew, after lastUsed, whose
// code equals code. Every candidate is computed and compared in constant time.
func matchTOTP(secret, code string, now time.Time, lastUsed int64) (int64, bool) {
	if len(code) != totpDigits.Length() || strings.Trim(code, "0123456789") != "" {
		return 0, false
	}
	cur := now.Unix() / totpPeriod
	var (
		matched int64
		found   bool
	)
	for step := cur - totpSkew; step <= cur+totpSkew; step++ {
		want, err := hotp.GenerateCodeCustom(secret, uint64(step), hotp.ValidateOpts{Digits: totpDigits, Algorithm: otp.AlgorithmSHA1})
		if err != nil {
			return 0, false
		}
		if subtle.ConstantTimeCompare([]byte(want), []byte(code)) == 1 && step > lastUsed && !found {
			matched, found = step, true
		}
	}
	return matched, found
}

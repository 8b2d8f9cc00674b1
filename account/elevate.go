package account

import (
	"context"
	"errors"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/hasura-auth-go/auth/apierr"
	"github.com/hasura-auth-go/auth/config"
	"github.com/hasura-auth-go/auth/models"
	"github.com/hasura-auth-go/auth/pwhash"
	"github.com/hasura-auth-go/auth/session"
	"github.com/hasura-auth-go/auth/token"
	"github.com/hasura-auth-go/auth/webauthn"
)

// Elevation. An access token carries x-hasura-auth-elevated = the user's id
// when it was issued right after the user proved a credential: a password
// sign-in (users without TOTP), a completed TOTP sign-in, or one of the
// explicit re-authentications below for a user already signed in. Refreshing
// drops the claim, as in nhost. A user's strongest factor is what elevates:
// with TOTP active, only a TOTP code does, so a stolen access token plus a
// phished password cannot mint a PAT.
//
// AUTH_REQUIRE_ELEVATED_CLAIM decides who must be elevated for a sensitive
// action (CheckElevated): nobody (disabled), users with a second factor,
// TOTP active or a security key (recommended; nhost asks it of users with
// security keys), or everyone (required). A security key (/elevate/webauthn)
// elevates whatever else the user has. The claim counts for elevationMaxAge after the token's iat
// even when access tokens are configured to live longer.
const elevationMaxAge = 15 * time.Minute

// ElevatePassword re-checks the password of a signed-in user without TOTP
// and starts a session whose access token is elevated.
func (s *Service) ElevatePassword(ctx context.Context, userID uuid.UUID, password string) (*session.Issued, error) {
	if password == "" {
		return nil, apierr.Invalid(`"password" is required`)
	}
	if len([]rune(password)) > maxPasswordLength {
		return nil, apierr.Invalid(`"password" must be at most 50 characters`)
	}
	u, err := s.User(ctx, userID)
	if err != nil {
		return nil, err
	}
	switch {
	case u.IsAnonymous:
		return nil, apierr.New(apierr.ForbiddenAnonymous)
	case u.Disabled:
		return nil, apierr.New(apierr.DisabledUser)
	case totpActive(u):
		return nil, apierr.Invalid("This account has TOTP active: elevate with a code at /elevate/totp")
	}
	hash := s.dummyHash
	if u.PasswordHash != nil {
		hash = []byte(*u.PasswordHash)
	}
	match, err := pwhash.Compare(ctx, hash, []byte(password))
	if err != nil {
		return nil, err
	}
	if !match || u.PasswordHash == nil {
		return nil, apierr.New(apierr.InvalidEmailPassword)
	}
	var issued *session.Issued
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		issued, err = s.sessions.Start(tx, u, session.Elevated)
		return err
	})
	return issued, err
}

// ElevateTOTP checks a TOTP code of a signed-in user (with the same replay
// and lockout rules as sign-in) and starts a session whose access token is
// elevated.
func (s *Service) ElevateTOTP(ctx context.Context, userID uuid.UUID, code string) (*session.Issued, error) {
	var (
		issued  *session.Issued
		refused bool
	)
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		u, err := models.LockUserByID(tx, userID)
		if errors.Is(err, models.ErrNotFound) {
			return apierr.New(apierr.Unauthorized)
		}
		if err != nil {
			return err
		}
		if refused, err = s.proveTOTP(tx, u, code); err != nil || refused {
			return err // a refused code still commits, so the failure counts
		}
		issued, err = s.sessions.Start(tx, u, session.Elevated)
		return err
	})
	if err != nil {
		return nil, err
	}
	if refused {
		return nil, apierr.New(apierr.InvalidTOTP)
	}
	return issued, nil
}

// CheckElevated enforces AUTH_REQUIRE_ELEVATED_CLAIM for a sensitive action
// by the holder of caller: 403 elevated-claim-required when the mode asks for
// elevation and the token lacks a recent one.
func (s *Service) CheckElevated(ctx context.Context, caller *token.Verified) error {
	return s.checkElevated(ctx, caller, s.cfg.RequireElevatedClaim)
}

// CheckElevatedToAddKey is CheckElevated for adding a security key: under
// required, a user with no second factor yet adds their first key as under
// recommended, without elevation. hasura-auth allows it so, its users having
// no other way to elevate; nhost clients rely on it.
func (s *Service) CheckElevatedToAddKey(ctx context.Context, caller *token.Verified) error {
	mode := s.cfg.RequireElevatedClaim
	if mode == config.ElevatedRequired {
		mode = config.ElevatedRecommended
	}
	return s.checkElevated(ctx, caller, mode)
}

func (s *Service) checkElevated(ctx context.Context, caller *token.Verified, mode string) error {
	if mode == config.ElevatedDisabled || elevated(caller, s.now()) {
		return nil
	}
	if mode == config.ElevatedRecommended {
		u, err := s.User(ctx, caller.UserID)
		if err != nil {
			return err
		}
		if !totpActive(u) {
			keys, err := webauthn.HasKeys(ctx, s.db, u.ID)
			if err != nil || !keys {
				return err
			}
		}
	}
	return apierr.New(apierr.ElevatedClaimRequired)
}

func elevated(v *token.Verified, now time.Time) bool {
	if v.Claims == nil || v.Claims.SessionVariables[token.ElevatedClaim] != v.UserID.String() {
		return false
	}
	iat, ok := v.Claims.Payload["iat"].(float64)
	return ok && now.Sub(time.Unix(int64(iat), 0)) <= elevationMaxAge
}

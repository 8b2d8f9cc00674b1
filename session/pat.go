package session

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/hasura-auth-go/auth/apierr"
	"github.com/hasura-auth-go/auth/audit"
	"github.com/hasura-auth-go/auth/models"
	"github.com/hasura-auth-go/auth/token"
	"github.com/hasura-auth-go/auth/usercache"
)

// Personal access tokens are rows of type pat in auth.refresh_tokens, stored
// hashed like refresh tokens. They never rotate and /token refuses them (it
// looks up type regular only); /signin/pat trades one for a regular session
// whose pat_id points back at it, so revoking the PAT ends those sessions too.

// CreatePAT stores a PAT for the user and returns its id and the token, which
// the caller sees once: only its hash is kept.
func (s *Service) CreatePAT(ctx context.Context, userID uuid.UUID, expiresAt time.Time, metadata map[string]any) (uuid.UUID, string, error) {
	now := s.now()
	if !expiresAt.After(now) {
		return uuid.Nil, "", apierr.Invalid(`"expiresAt" must be in the future`)
	}
	if expiresAt.After(now.Add(s.patMax)) {
		// A lasting credential that never needs renewing outlives whoever
		// forgot it exists.
		return uuid.Nil, "", apierr.Newf(apierr.PATLifetimeExceeded,
			`"expiresAt" is too far away: a personal access token lives at most `+s.patMax.String()+` (AUTH_PAT_MAX_LIFETIME)`)
	}
	db := s.db.WithContext(ctx)
	u, err := models.FindUserByID(db, userID)
	if errors.Is(err, models.ErrNotFound) {
		return uuid.Nil, "", apierr.New(apierr.Unauthorized)
	}
	if err != nil {
		return uuid.Nil, "", err
	}
	switch {
	case u.Disabled:
		return uuid.Nil, "", apierr.New(apierr.DisabledUser)
	case u.IsAnonymous:
		// A PAT outlives every session; anonymous accounts are throwaway.
		return uuid.Nil, "", apierr.New(apierr.ForbiddenAnonymous)
	}
	id, pat := models.NewRowID(), uuid.NewString()
	err = db.Transaction(func(tx *gorm.DB) error {
		if err := models.InsertPAT(tx, id, userID, HashToken(pat), now, expiresAt, metadata); err != nil {
			return fmt.Errorf("insert personal access token: %w", err)
		}
		return s.audit.Log(ctx, tx, audit.Event{Type: audit.PATCreated, UserID: userID, Detail: map[string]any{"patId": id}})
	})
	if err != nil {
		return uuid.Nil, "", err
	}
	return id, pat, nil
}

// SignInPAT starts a regular session for the owner of a valid PAT. Regular
// refresh tokens, expired PATs and unknown values are all invalid-pat.
func (s *Service) SignInPAT(ctx context.Context, presented string) (*Issued, error) {
	if _, err := uuid.Parse(presented); err != nil {
		return nil, apierr.New(apierr.InvalidPAT)
	}
	var out *Issued
	err := s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		now := s.now()
		pat, err := models.LockPATByHash(tx, HashToken(presented))
		if errors.Is(err, models.ErrNotFound) {
			return apierr.New(apierr.InvalidPAT)
		}
		if err != nil {
			return err
		}
		if !now.Before(pat.ExpiresAt) {
			return apierr.New(apierr.InvalidPAT)
		}
		u, err := s.activeUser(tx, pat.UserID)
		if err != nil {
			return err
		}
		refresh := uuid.NewString()
		id := models.NewRowID()
		expires := now.Add(s.ttl)
		if pat.ExpiresAt.Before(expires) {
			expires = pat.ExpiresAt
		}
		if err := models.InsertSession(tx, id, u.ID, &pat.ID, HashToken(refresh), now, expires); err != nil {
			return fmt.Errorf("insert refresh token: %w", err)
		}
		if err := models.TouchLastSeen(tx, u.ID, now); err != nil {
			return fmt.Errorf("touch last seen: %w", err)
		}
		if out, err = s.issue(tx, u, id, refresh, token.Grant{At: now, PAT: pat.ID}); err != nil {
			return err
		}
		return s.audit.Log(ctx, tx, audit.Event{Type: audit.SignIn, UserID: u.ID, Detail: map[string]any{"method": "pat"}})
	})
	return out, err
}

// ListPATs returns the user's PATs, newest first.
func (s *Service) ListPATs(ctx context.Context, userID uuid.UUID) ([]models.PersonalAccessToken, error) {
	return models.ListPATs(s.db.WithContext(ctx), userID)
}

// RevokePAT deletes one of the user's PATs and the sessions started with it.
// found is false when the user has no PAT with that id (someone else's PAT
// looks the same as none).
func (s *Service) RevokePAT(ctx context.Context, userID, id uuid.UUID) (found bool, err error) {
	s.pats.Hold(id)
	err = s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		n, err := models.DeletePAT(tx, userID, id)
		if found = n > 0; err != nil || !found {
			return err
		}
		return s.audit.Log(ctx, tx, audit.Event{Type: audit.PATRevoked, UserID: userID, Detail: map[string]any{"patId": id}})
	})
	return found, err
}

// RevokePATs deletes every PAT of the user inside tx, and with them their
// sessions and the access tokens those issued (CheckAccess).
func (s *Service) RevokePATs(tx *gorm.DB, userID uuid.UUID) error {
	ids, err := models.DeleteUserPATs(tx, userID)
	for _, id := range ids {
		s.pats.Hold(id) // before commit: this instance reads until the notification
	}
	if err != nil {
		return fmt.Errorf("revoke personal access tokens: %w", err)
	}
	return nil
}

func patOf(rt *models.RefreshToken) uuid.UUID {
	if rt.PATID == nil {
		return uuid.Nil
	}
	return *rt.PATID
}

// patEntry is what the database said about a PAT.
type patEntry struct {
	exists    bool
	expiresAt time.Time
}

// patCache spares the Bearer requests of PAT sessions their lookup of the
// PAT; migration 0103 announces a PAT's deletion (its id) on the epoch
// channel, so Forget reaches it as it reaches the users' caches.
type patCache = usercache.Cache[patEntry]

func newPATCache() *patCache { return usercache.New[patEntry](maxEpochEntries, holdFor) }

// checkPAT refuses an access token whose session was started with a PAT
// that is now revoked or expired.
func (s *Service) checkPAT(ctx context.Context, v *token.Verified) error {
	id, ok := token.PATOf(v)
	if !ok {
		return nil
	}
	e, ok := s.pats.Get(id)
	if !ok {
		gen := s.pats.Gen()
		var expires time.Time
		err := s.db.WithContext(ctx).Raw(`SELECT expires_at FROM auth.refresh_tokens WHERE id = ? AND type = ?`,
			id, models.RefreshTokenPAT).Row().Scan(&expires)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			e = patEntry{}
		case err != nil:
			return fmt.Errorf("read personal access token: %w", err)
		default:
			e = patEntry{exists: true, expiresAt: expires}
		}
		s.pats.Put(id, e, gen)
	}
	if !e.exists || !s.now().Before(e.expiresAt) {
		return apierr.Newf(apierr.Unauthorized, "The personal access token this access token came from was revoked or has expired")
	}
	return nil
}

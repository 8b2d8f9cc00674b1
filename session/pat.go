package session

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/hasura-auth-go/auth/apierr"
	"github.com/hasura-auth-go/auth/models"
	"github.com/hasura-auth-go/auth/token"
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
	id, pat := uuid.New(), uuid.NewString()
	if err := models.InsertPAT(db, id, userID, HashToken(pat), now, expiresAt, metadata); err != nil {
		return uuid.Nil, "", fmt.Errorf("insert personal access token: %w", err)
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
		id := uuid.New()
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
		out, err = s.issue(tx, u, id, refresh, token.Grant{At: now})
		return err
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
	n, err := models.DeletePAT(s.db.WithContext(ctx), userID, id)
	return n > 0, err
}

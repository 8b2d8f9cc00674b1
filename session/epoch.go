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
)

// Log out everywhere. Deleting a user's refresh tokens stops new access
// tokens, but those already issued stay valid until they expire. So each
// user has a sessions epoch (auth.user_sessions_epoch.revoked_before):
// CheckAccess refuses access tokens issued before it. Access tokens carry
// their issue time in milliseconds (token.IssuedAtMillisClaim), so a sign-in
// right after the revocation is not caught by it, as a whole-second iat would be.

// RevokeAll ends every session of the user inside tx: refresh tokens and
// PATs deleted, the sessions epoch moved to now. It returns how many
// refresh token rows went.
func (s *Service) RevokeAll(tx *gorm.DB, userID uuid.UUID) (int64, error) {
	s.Invalidate(userID)
	// Delete first: it waits for refreshes holding a session row, and the
	// epoch read afterwards is later than the time those refreshes date their
	// access tokens with, so their tokens are refused too.
	n, err := models.DeleteUserRefreshTokens(tx, userID)
	if err != nil {
		return 0, fmt.Errorf("delete sessions: %w", err)
	}
	if err := bumpEpoch(tx, userID, s.now()); err != nil {
		return 0, err
	}
	return n, nil
}

func bumpEpoch(tx *gorm.DB, userID uuid.UUID, now time.Time) error {
	// GREATEST: instances with slightly different clocks never move it back.
	// The EXISTS makes a concurrently deleted user a no-op, not an FK error.
	err := tx.Exec(`INSERT INTO auth.user_sessions_epoch (user_id, revoked_before)
SELECT @id, @now WHERE EXISTS (SELECT 1 FROM auth.users WHERE id = @id)
ON CONFLICT (user_id) DO UPDATE SET revoked_before = GREATEST(auth.user_sessions_epoch.revoked_before, EXCLUDED.revoked_before)`,
		map[string]any{"id": userID, "now": now}).Error
	if err != nil {
		return fmt.Errorf("move sessions epoch: %w", err)
	}
	return nil
}

// Invalidate makes this instance read the user's access state from the
// database until the change being written reaches it by notification; call
// it before a transaction that deletes the user or moves their epoch.
func (s *Service) Invalidate(userID uuid.UUID) { s.epochs.Hold(userID) }

// CheckAccess refuses a verified access token whose user no longer exists,
// is disabled, or whose sessions were revoked after it was issued. The answer comes from
// the epoch cache while its LISTEN connection is up (no round trip), else
// from one primary-key lookup; either way a revocation made on any instance
// holds everywhere as soon as it commits.
func (s *Service) CheckAccess(ctx context.Context, v *token.Verified) error {
	e, ok := s.epochs.Get(v.UserID)
	if !ok {
		gen := s.epochs.Gen()
		var (
			revokedBefore sql.NullTime
			disabled      bool
		)
		err := s.db.WithContext(ctx).Raw(`SELECT e.revoked_before, u.disabled FROM auth.users u
LEFT JOIN auth.user_sessions_epoch e ON e.user_id = u.id WHERE u.id = ?`, v.UserID).Row().Scan(&revokedBefore, &disabled)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			e = epochEntry{exists: false}
		case err != nil:
			return fmt.Errorf("read sessions epoch: %w", err)
		default:
			e = epochEntry{exists: true, disabled: disabled, revokedBefore: revokedBefore.Time}
		}
		s.epochs.Put(v.UserID, e, gen)
	}
	if !e.exists {
		return apierr.Newf(apierr.Unauthorized, "The user of this access token no longer exists")
	}
	if e.disabled {
		// However it was disabled (admin API, Hasura, SQL): the users row's
		// notification (migration 0009) drops the cached entry on commit.
		return apierr.New(apierr.DisabledUser)
	}
	if !e.revokedBefore.IsZero() && token.IssuedAt(v).Before(e.revokedBefore) {
		return apierr.Newf(apierr.Unauthorized, "This access token's sessions were revoked; sign in again")
	}
	return s.checkPAT(ctx, v)
}

// SignOutAll ends every session of the user, personal access tokens included,
// and refuses their access tokens from now on.
func (s *Service) SignOutAll(ctx context.Context, userID uuid.UUID) error {
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		n, err := s.RevokeAll(tx, userID)
		if err != nil {
			return err
		}
		return s.audit.Log(ctx, tx, audit.Event{Type: audit.SignOutAll, UserID: userID, Detail: map[string]any{"sessions": n}})
	})
}

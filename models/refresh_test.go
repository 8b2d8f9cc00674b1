package models_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"

	"github.com/hasura-auth-go/auth/migrations"
	"github.com/hasura-auth-go/auth/models"
	"github.com/hasura-auth-go/auth/testsupport"
)

// The rotation statement both paths of a refresh use: in a transaction
// (the slow path) it rotates a current token once, answers its user with
// roles, files the old hash in history, and can be undone.
func TestRotateCurrentInTransaction(t *testing.T) {
	ctx := context.Background()
	url, drop, err := testsupport.CreateDB(ctx)
	require.NoError(t, err)
	t.Cleanup(drop)
	db, err := gorm.Open(postgres.Open(url), &gorm.Config{TranslateError: true})
	require.NoError(t, err)
	t.Cleanup(func() {
		if sqlDB, err := db.DB(); err == nil {
			_ = sqlDB.Close()
		}
	})
	_, err = migrations.Up(ctx, db, slog.New(slog.DiscardHandler))
	require.NoError(t, err)
	require.NoError(t, models.UpsertRoles(ctx, db, []string{"user", "me"}))

	now := time.Now().UTC().Truncate(time.Microsecond)
	u := &models.User{DisplayName: "Ada", Locale: "en", DefaultRole: "user"}
	require.NoError(t, db.Transaction(func(tx *gorm.DB) error { return models.CreateUser(tx, u, []string{"user", "me"}) }))
	session := uuid.New()
	require.NoError(t, models.InsertSession(db.WithContext(ctx), session, u.ID, nil, "old", now, now.Add(time.Hour)))

	r := models.Rotation{OldHash: "old", NewHash: "new", At: now, ExpiresAt: now.Add(2 * time.Hour), Keep: 16, Sealed: []byte("sealed")}
	err = db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		rt, err := models.LockRefreshTokenByHash(tx, "old", models.RefreshTokenRegular)
		require.NoError(t, err)
		require.Equal(t, session, rt.ID)
		got, err := models.RotateCurrent(tx, r)
		require.NoError(t, err)
		require.NotNil(t, got)
		require.Equal(t, session, got.SessionID)
		require.Equal(t, u.ID, got.User.ID)
		require.ElementsMatch(t, []string{"user", "me"}, got.User.RoleNames())
		again, err := models.RotateCurrent(tx, r)
		require.NoError(t, err)
		require.Nil(t, again, "the old token is no longer current")
		return nil
	})
	require.NoError(t, err)

	h, err := models.FindHistoryByHash(db.WithContext(ctx), "old")
	require.NoError(t, err)
	require.Equal(t, session, h.RefreshTokenID)
	require.Equal(t, []byte("sealed"), h.NextTokenSealed)
	_, err = models.LockRefreshTokenByHash(db.WithContext(ctx), "new", models.RefreshTokenRegular)
	require.NoError(t, err)

	require.NoError(t, models.UndoRotation(db.WithContext(ctx), session, "old", "new"))
	rt, err := models.LockRefreshTokenByHash(db.WithContext(ctx), "old", models.RefreshTokenRegular)
	require.NoError(t, err)
	require.Equal(t, 0, rt.Generation)
	_, err = models.FindHistoryByHash(db.WithContext(ctx), "old")
	require.ErrorIs(t, err, models.ErrNotFound)
}

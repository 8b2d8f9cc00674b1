package models_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

	"github.com/hasura-auth-go/auth/models"
	"github.com/hasura-auth-go/auth/testsupport"
)

// The rotation statement both paths of a refresh use: in a transaction
// (the slow path) it rotates a current token once, answers its user with
// roles, files the old hash in history, and can be undone.
func TestRotateInTransaction(t *testing.T) {
	ctx := context.Background()
	db := testsupport.MigratedDB(t)
	require.NoError(t, models.UpsertRoles(ctx, db, []string{"user", "me"}))

	now := time.Now().UTC().Truncate(time.Microsecond)
	u := &models.User{DisplayName: "Ada", Locale: "en", DefaultRole: "user"}
	require.NoError(t, db.Transaction(func(tx *gorm.DB) error { return models.CreateUser(tx, u, []string{"user", "me"}) }))
	session := uuid.New()
	require.NoError(t, models.InsertSession(db.WithContext(ctx), session, u.ID, nil, "old", now, now.Add(time.Hour)))

	r := models.Rotation{OldHash: "old", NewHash: "new", At: now, ExpiresAt: now.Add(2 * time.Hour), Keep: 16, Sealed: []byte("sealed")}
	err := db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		rt, err := models.LockRefreshTokenByHash(tx, "old", models.RefreshTokenRegular)
		require.NoError(t, err)
		require.Equal(t, session, rt.ID)
		rotated, err := models.Rotate(tx, []models.Rotation{r})
		require.NoError(t, err)
		got := rotated[0]
		require.NotNil(t, got)
		require.Equal(t, session, got.SessionID)
		require.Equal(t, u.ID, got.User.ID)
		require.ElementsMatch(t, []string{"user", "me"}, got.User.RoleNames())
		again, err := models.Rotate(tx, []models.Rotation{r})
		require.NoError(t, err)
		require.Nil(t, again[0], "the old token is no longer current")
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

// One statement rotates a batch of tokens: each answer goes to its own
// position, and a token that is not current (unknown, expired, of a
// disabled user, a PAT) is left alone and answered nil.
func TestRotateMany(t *testing.T) {
	ctx := context.Background()
	db := testsupport.MigratedDB(t).WithContext(ctx)
	require.NoError(t, models.UpsertRoles(ctx, db, []string{"user"}))
	now := time.Now().UTC().Truncate(time.Microsecond)
	newUser := func(name string, disabled bool) *models.User {
		u := &models.User{DisplayName: name, Locale: "en", DefaultRole: "user", Disabled: disabled}
		require.NoError(t, db.Transaction(func(tx *gorm.DB) error { return models.CreateUser(tx, u, []string{"user"}) }))
		return u
	}
	ada, bob, off := newUser("Ada", false), newUser("Bob", false), newUser("Off", true)
	session := func(u *models.User, hash string, pat *uuid.UUID, expires time.Time) uuid.UUID {
		id := uuid.New()
		require.NoError(t, models.InsertSession(db, id, u.ID, pat, hash, now.Add(-time.Hour), expires))
		return id
	}
	patID := uuid.New()
	require.NoError(t, models.InsertPAT(db, patID, bob.ID, "pat", now, now.Add(30*time.Minute), nil))
	adaSession := session(ada, "ada", nil, now.Add(time.Hour))
	bobSession := session(bob, "bob", &patID, now.Add(time.Hour))
	session(ada, "expired", nil, now.Add(-time.Second))
	session(off, "disabled", nil, now.Add(time.Hour))

	rotation := func(old string) models.Rotation {
		return models.Rotation{OldHash: old, NewHash: old + "-next", At: now, ExpiresAt: now.Add(2 * time.Hour), Keep: 16, Sealed: []byte(old)}
	}
	in := []string{"expired", "bob", "unknown", "ada", "disabled", "pat"}
	rs := make([]models.Rotation, len(in))
	for i, h := range in {
		rs[i] = rotation(h)
	}
	got, err := models.Rotate(db, rs)
	require.NoError(t, err)
	require.Len(t, got, len(in))
	for i, h := range in {
		switch h {
		case "ada", "bob":
		default:
			require.Nil(t, got[i], "%s is not current", h)
			continue
		}
		require.NotNil(t, got[i], h)
		h, err := models.FindHistoryByHash(db, h)
		require.NoError(t, err, "the old hash is filed")
		require.Equal(t, got[i].SessionID, h.RefreshTokenID)
	}
	require.Equal(t, adaSession, got[3].SessionID)
	require.Equal(t, ada.ID, got[3].User.ID)
	require.Equal(t, []string{"user"}, got[3].User.RoleNames())
	require.Equal(t, uuid.Nil, got[3].PATID)
	require.Equal(t, bobSession, got[1].SessionID)
	require.Equal(t, bob.ID, got[1].User.ID)
	require.Equal(t, patID, got[1].PATID)

	bobNext, err := models.LockRefreshTokenByHash(db, "bob-next", models.RefreshTokenRegular)
	require.NoError(t, err)
	require.Equal(t, 1, bobNext.Generation)
	require.True(t, bobNext.ExpiresAt.Equal(now.Add(30*time.Minute)), "a PAT's session never outlives it: %s", bobNext.ExpiresAt)
	for _, h := range []string{"expired", "disabled", "pat"} {
		_, err := models.FindHistoryByHash(db, h)
		require.ErrorIs(t, err, models.ErrNotFound, "%s was not rotated", h)
	}
	_, err = models.LockRefreshTokenByHash(db, "disabled", models.RefreshTokenRegular)
	require.NoError(t, err, "a disabled user's session keeps its token")
}

// Every keep-th rotation of a session drops the history it no longer needs.
func TestRotatePrunesHistory(t *testing.T) {
	ctx := context.Background()
	db := testsupport.MigratedDB(t).WithContext(ctx)
	require.NoError(t, models.UpsertRoles(ctx, db, []string{"user"}))
	now := time.Now().UTC().Truncate(time.Microsecond)
	u := &models.User{DisplayName: "Ada", Locale: "en", DefaultRole: "user"}
	require.NoError(t, db.Transaction(func(tx *gorm.DB) error { return models.CreateUser(tx, u, []string{"user"}) }))
	id := uuid.New()
	require.NoError(t, models.InsertSession(db, id, u.ID, nil, "h0", now, now.Add(time.Hour)))
	const keep = 4
	for g := range 3 * keep {
		got, err := models.Rotate(db, []models.Rotation{{OldHash: fmt.Sprintf("h%d", g), NewHash: fmt.Sprintf("h%d", g+1),
			At: now, ExpiresAt: now.Add(time.Hour), Keep: keep}})
		require.NoError(t, err)
		require.NotNil(t, got[0], "rotation %d", g)
	}
	var n int64
	require.NoError(t, db.Model(&models.RefreshTokenHistory{}).Where("refresh_token_id = ?", id).Count(&n).Error)
	require.LessOrEqual(t, n, int64(2*keep))
	_, err := models.FindHistoryByHash(db, fmt.Sprintf("h%d", 3*keep-1))
	require.NoError(t, err, "the last generation is remembered")
	_, err = models.FindHistoryByHash(db, "h0")
	require.ErrorIs(t, err, models.ErrNotFound, "the first is forgotten")
}

// RotateSQL's plan stays linear in the batch: with PostgreSQL's generic
// plan (a prepared statement's, which cannot know how many rows the arrays
// hold) no part of it rescans a CTE once per row of another. One did, the
// history pruning, once per history row of the batch's sessions: a batch of
// 64 took 17 ms instead of 5 (BENCHMARKS.md, round 7).
func TestRotatePlanIsLinear(t *testing.T) {
	ctx := context.Background()
	db := testsupport.MigratedDB(t).WithContext(ctx)
	require.NoError(t, models.UpsertRoles(ctx, db, []string{"user"}))
	now := time.Now().UTC().Truncate(time.Microsecond)
	const sessions, generations = 8, 6
	var olds, news, ats, exps, keeps, sealed []string
	for s := range sessions {
		u := &models.User{DisplayName: "Ada", Locale: "en", DefaultRole: "user"}
		require.NoError(t, db.Transaction(func(tx *gorm.DB) error { return models.CreateUser(tx, u, []string{"user"}) }))
		hash := func(g int) string { return fmt.Sprintf("s%d-h%d", s, g) }
		require.NoError(t, models.InsertSession(db, uuid.New(), u.ID, nil, hash(0), now, now.Add(time.Hour)))
		for g := range generations {
			_, err := models.Rotate(db, []models.Rotation{{OldHash: hash(g), NewHash: hash(g + 1), At: now, ExpiresAt: now.Add(time.Hour), Keep: 16}})
			require.NoError(t, err)
		}
		olds, news = append(olds, hash(generations)), append(news, hash(generations+1))
		ats, exps = append(ats, `"`+now.Format(time.RFC3339Nano)+`"`), append(exps, `"`+now.Add(time.Hour).Format(time.RFC3339Nano)+`"`)
		// keep 1: every session prunes its whole history in this rotation
		keeps, sealed = append(keeps, "1"), append(sealed, "NULL")
	}
	array := func(xs []string) string { return "'{" + strings.Join(xs, ",") + "}'" }

	var plan string
	err := db.Transaction(func(tx *gorm.DB) error {
		for _, q := range []string{
			models.RotatePlanSQL, // as every run of the statement: its generic plan
			`PREPARE rotate_plan(text[], text[], timestamptz[], timestamptz[], int[], bytea[]) AS ` + models.RotateSQL,
		} {
			if err := tx.Exec(q).Error; err != nil {
				return err
			}
		}
		defer tx.Exec(`DEALLOCATE rotate_plan`)
		return tx.Raw(`EXPLAIN (ANALYZE, FORMAT JSON) EXECUTE rotate_plan(` +
			strings.Join([]string{array(olds), array(news), array(ats), array(exps), array(keeps), array(sealed)}, ", ") + `)`).Row().Scan(&plan)
	})
	require.NoError(t, err)
	var root []struct {
		Plan planNode `json:"Plan"`
	}
	require.NoError(t, json.Unmarshal([]byte(plan), &root))
	var walk func(n planNode)
	walk = func(n planNode) {
		if n.NodeType == "CTE Scan" {
			require.LessOrEqual(t, n.Loops, 1, "CTE %s scanned once per row of another part:\n%s", n.CTE, plan)
		}
		for _, c := range n.Plans {
			walk(c)
		}
	}
	walk(root[0].Plan)
	var left int64
	require.NoError(t, db.Model(&models.RefreshTokenHistory{}).Count(&left).Error)
	require.EqualValues(t, sessions, left, "each session pruned to the generation just filed")
}

type planNode struct {
	NodeType string     `json:"Node Type"`
	CTE      string     `json:"CTE Name"`
	Loops    int        `json:"Actual Loops"`
	Plans    []planNode `json:"Plans"`
}

package session

import (
	"context"
	"database/sql"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	_ "github.com/jackc/pgx/v5/stdlib"
	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

	"github.com/hasura-auth-go/auth/models"
	"github.com/hasura-auth-go/auth/testsupport"
)

// A batch that fails must have written nothing (batch.Exec's contract: its
// runner then runs each call alone). A pipeline is one implicit
// transaction: a statement that fails undoes the ones before it.
func TestPipelineIsAllOrNothing(t *testing.T) {
	ctx := context.Background()
	url, drop, err := testsupport.CreateDB(ctx)
	require.NoError(t, err)
	defer drop()
	// Through the CI's PgBouncer pass too, in the mode the server uses there:
	// a pipeline stays one implicit transaction behind a transaction pooler.
	if pooled := testsupport.PooledURL(url); pooled != url {
		url = pooled + "&default_query_exec_mode=cache_describe"
	}
	db, err := sql.Open("pgx", url)
	require.NoError(t, err)
	defer db.Close()
	_, err = db.Exec(`CREATE TABLE t (x int)`)
	require.NoError(t, err)

	b := &pgx.Batch{}
	b.Queue(`INSERT INTO t VALUES (1)`)
	b.Queue(`INSERT INTO t VALUES (1 / $1::int)`, 0)
	b.Queue(`INSERT INTO t VALUES (3)`)
	err = pipeline(ctx, db, b, func(br pgx.BatchResults) error {
		for range 3 {
			if _, err := br.Exec(); err != nil {
				return err
			}
		}
		return nil
	})
	require.ErrorContains(t, err, "division by zero")
	var n int
	require.NoError(t, db.QueryRow(`SELECT count(*) FROM t`).Scan(&n))
	require.Zero(t, n, "the statement before the failure was rolled back")

	b = &pgx.Batch{}
	b.Queue(`INSERT INTO t VALUES (1)`)
	b.Queue(`INSERT INTO t VALUES (2)`)
	require.NoError(t, pipeline(ctx, db, b, func(br pgx.BatchResults) error {
		for range 2 {
			if _, err := br.Exec(); err != nil {
				return err
			}
		}
		return nil
	}))
	require.NoError(t, db.QueryRow(`SELECT count(*) FROM t`).Scan(&n))
	require.Equal(t, 2, n)
}

// A token presented twice in one batch is rotated once, for its first
// caller; the second gets nil and takes Refresh's slow path (the reuse
// window), as if it had come a moment later. The others in the batch are
// rotated as usual.
func TestRotateBatchSameTokenTwice(t *testing.T) {
	ctx := context.Background()
	gdb := testsupport.MigratedDB(t)
	db, err := gdb.DB()
	require.NoError(t, err)
	require.NoError(t, models.UpsertRoles(ctx, gdb, []string{"user"}))
	u := &models.User{DisplayName: "Ada", Locale: "en", DefaultRole: "user"}
	require.NoError(t, gdb.Transaction(func(tx *gorm.DB) error { return models.CreateUser(tx, u, []string{"user"}) }))
	now := time.Now().UTC().Truncate(time.Microsecond)
	for _, h := range []string{"a", "b"} {
		require.NoError(t, models.InsertSession(gdb, uuid.New(), u.ID, nil, h, now, now.Add(time.Hour)))
	}
	r := func(old, next string) models.Rotation {
		return models.Rotation{OldHash: old, NewHash: next, At: now, ExpiresAt: now.Add(time.Hour), Keep: 16}
	}

	got, err := rotateBatch(ctx, db, []models.Rotation{r("a", "a1"), r("b", "b1"), r("a", "a2")})
	require.NoError(t, err)
	require.Len(t, got, 3)
	require.NotNil(t, got[0])
	require.NotNil(t, got[1])
	require.Nil(t, got[2], "the second presentation finds the token retired")
	require.NotEqual(t, got[0].SessionID, got[1].SessionID)
	rt, err := models.LockRefreshTokenByHash(gdb, "a1", models.RefreshTokenRegular)
	require.NoError(t, err, "the first caller's rotation is the one kept")
	require.Equal(t, got[0].SessionID, rt.ID)
}

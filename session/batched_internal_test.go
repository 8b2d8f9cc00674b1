package session

import (
	"context"
	"database/sql"
	"fmt"
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
	err = pipeline(ctx, db, false, b, func(br pgx.BatchResults) error {
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
	require.NoError(t, pipeline(ctx, db, false, b, func(br pgx.BatchResults) error {
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
	gdb, db := batchDB(t, "user")
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

// Batches of a few rotations, and the slow path's single ones, run on the
// statement's generic plan, made once per connection: left to choose,
// PostgreSQL planned the statement anew on every run, a third of its CPU
// per refresh at 8 workers (models.RotatePlanSQL).
func TestRotateBatchUsesGenericPlan(t *testing.T) {
	ctx := context.Background()
	gdb, db := batchDB(t, "user")
	db.SetMaxOpenConns(1) // the batches and the question below share one connection
	u := &models.User{DisplayName: "Ada", Locale: "en", DefaultRole: "user"}
	require.NoError(t, gdb.Transaction(func(tx *gorm.DB) error { return models.CreateUser(tx, u, []string{"user"}) }))
	now := time.Now().UTC().Truncate(time.Microsecond)
	hashes := []string{"a0", "b0", "c0"}
	for _, h := range hashes {
		require.NoError(t, models.InsertSession(gdb, uuid.New(), u.ID, nil, h, now, now.Add(time.Hour)))
	}
	// the slow path first (models.Rotate, in its transaction): it must not
	// leave a plan made for its own arguments, or under other settings
	require.NoError(t, gdb.Transaction(func(tx *gorm.DB) error {
		got, err := models.Rotate(tx, []models.Rotation{{OldHash: "c0", NewHash: "c1", At: now, ExpiresAt: now.Add(time.Hour), Keep: 16}})
		if err == nil && got[0] == nil {
			err = fmt.Errorf("c0 not rotated")
		}
		return err
	}))
	hashes[2] = "c1"
	const runs = 8
	for g := 2; g <= runs; g++ {
		in := make([]models.Rotation, 1+g%len(hashes)) // batches of 1 to 3
		for i := range in {
			next := fmt.Sprintf("%c%d", 'a'+i, g)
			in[i] = models.Rotation{OldHash: hashes[i], NewHash: next, At: now, ExpiresAt: now.Add(time.Hour), Keep: 16}
			hashes[i] = next
		}
		got, err := rotateBatch(ctx, db, in)
		require.NoError(t, err)
		for i := range got {
			require.NotNil(t, got[i], "run %d, row %d", g, i)
		}
	}
	var generic, custom int
	require.NoError(t, db.QueryRowContext(ctx, `SELECT generic_plans, custom_plans FROM pg_prepared_statements WHERE statement = $1`,
		models.RotateSQL).Scan(&generic, &custom))
	require.Zero(t, custom, "no run was planned for its own arguments")
	require.Equal(t, runs, generic, "one run on the slow path, the others batched")
}

// batchDB is a migrated database holding role, for the batches' tests and
// benchmarks: GORM for the setup, the pool the batches run on.
func batchDB(tb testing.TB, role string) (*gorm.DB, *sql.DB) {
	tb.Helper()
	gdb := testsupport.MigratedDB(tb)
	db, err := gdb.DB()
	require.NoError(tb, err)
	require.NoError(tb, models.UpsertRoles(context.Background(), gdb, []string{role}))
	return gdb, db
}

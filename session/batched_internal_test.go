package session

import (
	"context"
	"database/sql"
	"testing"

	"github.com/jackc/pgx/v5"
	_ "github.com/jackc/pgx/v5/stdlib"
	"github.com/stretchr/testify/require"

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

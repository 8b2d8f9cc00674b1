package session

import (
	"context"
	"database/sql"
	"fmt"
	"runtime"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/hasura-auth-go/auth/audit"
	"github.com/hasura-auth-go/auth/batch"
	"github.com/hasura-auth-go/auth/models"
)

// The statements that run on every refresh and every anonymous sign-in run
// batched (package batch): under load, many callers' work goes to
// PostgreSQL at once, as one implicit transaction: one round trip, one
// commit and one wake-up for all of them, the costs that were most of each
// call's. Rotations and new users are each one multi-row statement.
// If any part fails, nothing is committed and the runner runs each caller's
// part again alone.

// batchRunners is how many batches of each kind may be under way at once:
// one in PostgreSQL while the next gathers (they take turns, package
// batch), more in flight only when besides calls are waiting.
func batchRunners() int { return max(2, runtime.GOMAXPROCS(0)) }

const (
	maxBatch     = 64
	batchTimeout = 30 * time.Second
)

type batched struct {
	rotations *batch.Runner[models.Rotation, *models.Rotated]
	newUsers  *batch.Runner[*newUser, struct{}]
}

// besides is how many calls a gathered batch needs to run beside one in
// flight: half a batch, so that batches take turns and grow. PostgreSQL's
// CPU per refresh fell by a fifth to a third (BENCHMARKS.md, round 5), and
// through a transaction pooler too, since a batch is one statement (round
// 6).
const besides = maxBatch / 2

func newBatched(db *sql.DB) *batched {
	return &batched{
		rotations: batch.New(batchRunners(), maxBatch, besides, batchTimeout, func(ctx context.Context, in []models.Rotation) ([]*models.Rotated, error) {
			return rotateBatch(ctx, db, in)
		}),
		newUsers: batch.New(batchRunners(), maxBatch, besides, batchTimeout, func(ctx context.Context, in []*newUser) ([]struct{}, error) {
			return make([]struct{}, len(in)), insertUsersBatch(ctx, db, in)
		}),
	}
}

func (b *batched) close() {
	b.rotations.Close()
	b.newUsers.Close()
}

// withConn runs fn on one pgx connection of db's pool.
func withConn(ctx context.Context, db *sql.DB, fn func(*pgx.Conn) error) error {
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return conn.Raw(func(dc any) error {
		c, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("batch: driver connection is %T, not pgx", dc)
		}
		return fn(c.Conn())
	})
}

// pipeline sends b, after models.IndexScansOnlySQL, on one connection of db
// as one implicit transaction, and hands b's results to read. generic asks
// for b's generic plans too (models.RotatePlanSQL), where the connection
// keeps its statements prepared: through a transaction pooler (pgx's
// cache_describe or exec mode) every run is planned anew anyway, and there
// the generic plan measured dearer than one for the arguments (refresh at 8
// workers through PgBouncer, PostgreSQL CPU 359-395 µs against 293-427).
func pipeline(ctx context.Context, db *sql.DB, generic bool, b *pgx.Batch, read func(pgx.BatchResults) error) error {
	return withConn(ctx, db, func(c *pgx.Conn) error {
		settings := models.IndexScansOnlySQL
		if generic && c.Config().DefaultQueryExecMode == pgx.QueryExecModeCacheStatement {
			settings = models.RotatePlanSQL
		}
		b.QueuedQueries = append([]*pgx.QueuedQuery{{SQL: settings}}, b.QueuedQueries...)
		br := c.SendBatch(ctx, b)
		_, err := br.Exec()
		if err == nil {
			err = read(br)
		}
		if cerr := br.Close(); err == nil {
			err = cerr
		}
		return err
	})
}

// rotateBatch rotates every input whose token is current, in one statement
// (models.RotateSQL); the others get nil and their callers look closer
// (Refresh's slow path). A token presented twice in one batch is rotated for
// the first caller; the others find it retired, as if they had come a
// moment later.
func rotateBatch(ctx context.Context, db *sql.DB, in []models.Rotation) ([]*models.Rotated, error) {
	seen := make(map[string]bool, len(in))
	uniq, at := make([]models.Rotation, 0, len(in)), make([]int, 0, len(in)) // uniq[j] is in[at[j]]
	for i, r := range in {
		if !seen[r.OldHash] {
			seen[r.OldHash] = true
			uniq, at = append(uniq, r), append(at, i)
		}
	}
	b := &pgx.Batch{}
	b.Queue(models.RotateSQL, models.RotateArgs(uniq)...)
	var got []*models.Rotated
	err := pipeline(ctx, db, true, b, func(br pgx.BatchResults) error {
		rows, err := br.Query()
		if err != nil {
			return err
		}
		defer rows.Close()
		got, err = models.ReadRotations(rows, len(uniq))
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("rotate refresh tokens: %w", err)
	}
	out := make([]*models.Rotated, len(in))
	for j, g := range got {
		out[at[j]] = g
	}
	return out, nil
}

// newUser is one anonymous sign-in: a user, their roles, first session and
// the audit row of the sign-up, written by one statement.
type newUser struct {
	user    *models.User
	roles   []string
	session *models.RefreshToken
	audit   audit.Row
}

// insertUsersSQL is models.InsertUsersWithSessionsSQL with the batch's audit
// rows ($16) inserted by the same statement: they commit with the users.
var insertUsersSQL = "WITH a AS (" + audit.InsertFromJSON("$16") + "), " +
	strings.TrimPrefix(models.InsertUsersWithSessionsSQL, "WITH ")

func insertUsersBatch(ctx context.Context, db *sql.DB, in []*newUser) error {
	n := len(in)
	// uuids as [16]byte: pgx encodes those directly, where uuid.UUID goes
	// through its driver.Valuer string, element by element.
	var (
		ids, sessionIDs      = make([][16]byte, n), make([][16]byte, n)
		ats, expiries        = make([]time.Time, n), make([]time.Time, n)
		names, locales, defs = make([]string, n), make([]string, n), make([]string, n)
		anonymous            = make([]bool, n)
		metadata             = make([]*string, n)
		types, hashes        = make([]string, n), make([]string, n)
		roleIDs, roleUsers   [][16]byte
		roleAts              []time.Time
		roleNames            []string
		audits               = make([]audit.Row, n)
	)
	for i, nu := range in {
		u, rt := nu.user, nu.session
		ids[i], ats[i], names[i], locales[i], defs[i], anonymous[i] = u.ID, u.CreatedAt, u.DisplayName, u.Locale, u.DefaultRole, u.IsAnonymous
		meta, err := u.Metadata.Value()
		if err != nil {
			return err
		}
		if s, ok := meta.(string); ok {
			metadata[i] = &s
		}
		sessionIDs[i], expiries[i], types[i], hashes[i] = rt.ID, rt.ExpiresAt, rt.Type, rt.RefreshTokenHash
		audits[i] = nu.audit
		for _, r := range nu.roles {
			roleIDs, roleAts = append(roleIDs, models.NewRowID()), append(roleAts, u.CreatedAt)
			roleUsers, roleNames = append(roleUsers, u.ID), append(roleNames, r)
		}
	}
	auditJSON, err := audit.RowsJSON(audits)
	if err != nil {
		return err
	}
	b := &pgx.Batch{}
	b.Queue(insertUsersSQL, ids, ats, names, locales, defs, anonymous, metadata,
		roleIDs, roleAts, roleUsers, roleNames, sessionIDs, expiries, types, hashes, auditJSON)
	err = pipeline(ctx, db, false, b, func(br pgx.BatchResults) error {
		_, err := br.Exec()
		return err
	})
	if err != nil {
		return fmt.Errorf("create users and sessions: %w", err)
	}
	return nil
}

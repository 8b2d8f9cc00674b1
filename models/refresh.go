package models

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"gorm.io/gorm"
)

// Every statement on auth.refresh_tokens and auth.refresh_token_history is
// in this file, in one style: SQL with $n placeholders, run on the caller's
// transaction or pool (conn) or queued in a pgx pipeline (session/batched.go).
// A session is one row of type regular; a personal access token (PAT) is
// one row of type pat. Only hashes of tokens are stored.

// Refresh token types, as seeded in auth.refresh_token_types.
const (
	RefreshTokenRegular = "regular"
	RefreshTokenPAT     = "pat"
)

// RefreshToken is a row of auth.refresh_tokens: one session. Its ID is the
// client's refreshTokenId and stays the same across rotations.
type RefreshToken struct {
	ID               uuid.UUID `gorm:"type:uuid;primaryKey"`
	CreatedAt        time.Time
	ExpiresAt        time.Time
	UserID           uuid.UUID `gorm:"type:uuid"`
	Metadata         JSONMap   `gorm:"type:jsonb"`
	Type             string
	RefreshTokenHash string `json:"-"`
	Generation       int
	PATID            *uuid.UUID `gorm:"column:pat_id;type:uuid"`
}

// TableName places the model in schema auth.
func (RefreshToken) TableName() string { return "auth.refresh_tokens" }

// RefreshTokenHistory is a retired generation of a session's token.
type RefreshTokenHistory struct {
	TokenHash       string    `gorm:"primaryKey" json:"-"`
	RefreshTokenID  uuid.UUID `gorm:"type:uuid"`
	Generation      int
	RotatedAt       time.Time
	ExpiresAt       time.Time
	NextTokenSealed []byte `json:"-"`
}

// TableName places the model in schema auth.
func (RefreshTokenHistory) TableName() string { return "auth.refresh_token_history" }

// PersonalAccessToken is a row of auth.refresh_tokens of type pat, as listed
// to its owner (never with its hash).
type PersonalAccessToken struct {
	ID        uuid.UUID `gorm:"type:uuid;primaryKey"`
	CreatedAt time.Time
	ExpiresAt time.Time
	UserID    uuid.UUID `gorm:"type:uuid"`
	Metadata  JSONMap   `gorm:"type:jsonb"`
}

// TableName places the model in schema auth.
func (PersonalAccessToken) TableName() string { return "auth.refresh_tokens" }

// conn is what db runs on: the caller's transaction, or the pool.
func conn(db *gorm.DB) (gorm.ConnPool, context.Context) {
	ctx := db.Statement.Context
	if ctx == nil {
		ctx = context.Background()
	}
	return db.Statement.ConnPool, ctx
}

func exec(db *gorm.DB, query string, args ...any) (int64, error) {
	c, ctx := conn(db)
	res, err := c.ExecContext(ctx, query, args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

func queryRow(db *gorm.DB, query string, args ...any) *sql.Row {
	c, ctx := conn(db)
	return c.QueryRowContext(ctx, query, args...)
}

// queryAll runs query on db and reads each row with scan.
func queryAll[T any](db *gorm.DB, scan func(Scanner) (T, error), query string, args ...any) ([]T, error) {
	c, ctx := conn(db)
	rows, err := c.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		x, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, x)
	}
	return out, rows.Err()
}

// noRows maps "no row" from database/sql and from pgx to ErrNotFound.
func noRows(err error) error {
	if errors.Is(err, sql.ErrNoRows) || errors.Is(err, pgx.ErrNoRows) {
		return ErrNotFound
	}
	return err
}

// --- sessions ---

const insertRefreshTokenSQL = `INSERT INTO auth.refresh_tokens (id, created_at, expires_at, user_id, type, refresh_token_hash, pat_id, metadata)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`

// InsertSession stores a regular session; patID is the PAT it was started
// with (a PAT's sessions never outlive it), or nil.
func InsertSession(db *gorm.DB, id, userID uuid.UUID, patID *uuid.UUID, hash string, createdAt, expiresAt time.Time) error {
	_, err := exec(db, insertRefreshTokenSQL, id, createdAt, expiresAt, userID, RefreshTokenRegular, hash, patID, nil)
	return err
}

const refreshTokenColumns = `id, created_at, expires_at, user_id, metadata, type, refresh_token_hash, generation, pat_id`

func scanRefreshToken(row Scanner) (*RefreshToken, error) {
	var rt RefreshToken
	err := row.Scan(&rt.ID, &rt.CreatedAt, &rt.ExpiresAt, &rt.UserID, &rt.Metadata, &rt.Type, &rt.RefreshTokenHash, &rt.Generation, &rt.PATID)
	if err != nil {
		return nil, noRows(err)
	}
	return &rt, nil
}

// LockRefreshTokenByHash finds the row whose current token has this hash, FOR UPDATE.
func LockRefreshTokenByHash(tx *gorm.DB, hash, typ string) (*RefreshToken, error) {
	return scanRefreshToken(queryRow(tx, `SELECT `+refreshTokenColumns+` FROM auth.refresh_tokens
WHERE refresh_token_hash = $1 AND type = $2 FOR UPDATE`, hash, typ))
}

// LockRefreshTokenByID locks a session row.
func LockRefreshTokenByID(tx *gorm.DB, id uuid.UUID) (*RefreshToken, error) {
	return scanRefreshToken(queryRow(tx, `SELECT `+refreshTokenColumns+` FROM auth.refresh_tokens WHERE id = $1 FOR UPDATE`, id))
}

// FindHistoryByHash finds a retired token.
func FindHistoryByHash(db *gorm.DB, hash string) (*RefreshTokenHistory, error) {
	var h RefreshTokenHistory
	err := queryRow(db, `SELECT token_hash, refresh_token_id, generation, rotated_at, expires_at, next_token_sealed
FROM auth.refresh_token_history WHERE token_hash = $1`, hash).
		Scan(&h.TokenHash, &h.RefreshTokenID, &h.Generation, &h.RotatedAt, &h.ExpiresAt, &h.NextTokenSealed)
	if err != nil {
		return nil, noRows(err)
	}
	return &h, nil
}

// IndexScansOnlySQL keeps PostgreSQL to plain index scans for the rest of
// a transaction (set_config with is_local: it ends with the transaction,
// also through a transaction pooler). The batched writes (RotateSQL,
// InsertUsersWithSessionsSQL) read rows by unique keys (the rotation; the
// foreign-key checks of new users' rows), where a whole-table or bitmap
// scan is never the better plan, yet PostgreSQL picks one from the
// statistics of a small table, or of one whose indexes look dear (every
// refresh rewrites its session row with a new hash; until VACUUM runs, the
// indexes fill with dead entries), and keeps the plan (a foreign-key
// check's until the table's next ANALYZE) while the table grows. Measured
// with autovacuum off (BENCHMARKS.md, round 5): anonymous sign-ins read
// auth.users whole 14 585 times in 10 s.
const IndexScansOnlySQL = `SELECT set_config('enable_seqscan', 'off', true), set_config('enable_bitmapscan', 'off', true)`

// RotatePlanSQL goes before RotateSQL, in its transaction, wherever the
// connection keeps the statement prepared: IndexScansOnlySQL's settings,
// and the statement's generic plan. Left to choose, PostgreSQL plans it
// again on every run: a prepared statement gets a custom plan while those
// look cheaper than the generic one, and for a batch of a few rows they
// do, so a third of PostgreSQL's CPU per refresh at 8 workers went to
// planning (BENCHMARKS.md, round 8). The generic plan is linear in the
// batch (TestRotatePlanIsLinear); it is made once per connection, and
// since the batches and Rotate both run these settings first, it is made
// under them whichever runs the statement first.
const RotatePlanSQL = IndexScansOnlySQL + `, set_config('plan_cache_mode', 'force_generic_plan', true)`

// RotateSQL rotates, in one statement, every session whose current token is
// one of the presented ones, unexpired, and whose user is active: new hash
// and sliding expiry on the session, the old hash into history with the new
// token sealed under it, and, every keep-th rotation, the generations too
// old to remember pruned. One statement for a whole batch of refreshes
// (session/batched.go) starts one executor and takes one plan where a
// statement per token took one each. It answers, per rotated session, the
// user (UserColumns), the session id, the user's roles as a JSON array, the
// PAT the session was started with (or NULL) and the presented token's
// position in the arrays (from 1); nothing for a token that is not current.
// Its row locks, taken in the order of the hashes so that two batches
// sharing rows never wait on each other in a cycle, serialise concurrent
// refreshes of one session. Arguments: RotateArgs.
var RotateSQL = `WITH cur AS (
  -- by the hash alone: with expires_at here too, PostgreSQL may read the
  -- expires_at index instead, every unexpired session (seen on a bloated
  -- table); the expiry and type are checked by upd, before anything changes
  SELECT rt.id, rt.user_id, rt.generation, rt.expires_at, rt.pat_id, rt.type,
    i.n, i.old_hash, i.new_hash, i.at, i.new_expires_at, i.keep, i.sealed
  FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::timestamptz[], $5::int[], $6::bytea[])
    WITH ORDINALITY AS i(old_hash, new_hash, at, new_expires_at, keep, sealed, n)
  JOIN auth.refresh_tokens rt ON rt.refresh_token_hash = i.old_hash
  ORDER BY i.old_hash
  FOR UPDATE OF rt
), upd AS (
  UPDATE auth.refresh_tokens rt SET refresh_token_hash = cur.new_hash, generation = cur.generation + 1,
    -- a session started with a PAT never outlives the PAT
    expires_at = LEAST(cur.new_expires_at, COALESCE((SELECT p.expires_at FROM auth.refresh_tokens p WHERE p.id = cur.pat_id), cur.new_expires_at))
  FROM cur
  WHERE rt.id = cur.id AND cur.type = 'regular' AND cur.expires_at > cur.at
    AND EXISTS (SELECT 1 FROM auth.users u WHERE u.id = cur.user_id AND NOT u.disabled)
  -- what the parts below need, so that none joins cur to upd: PostgreSQL
  -- cannot estimate either and may rescan one for every row of the other
  -- (prune did, for every history row of the batch's sessions)
  RETURNING rt.id, cur.user_id, cur.generation, cur.keep, cur.old_hash, cur.at,
    cur.expires_at AS old_expires_at, cur.sealed, cur.pat_id, cur.n
), prune AS (
  -- one extra statement part per keep rotations keeps the history bounded
  DELETE FROM auth.refresh_token_history h USING upd
  WHERE (upd.generation + 1) % upd.keep = 0 AND h.refresh_token_id = upd.id AND h.generation <= upd.generation - upd.keep
), hist AS (
  INSERT INTO auth.refresh_token_history (token_hash, refresh_token_id, generation, rotated_at, expires_at, next_token_sealed)
  SELECT upd.old_hash, upd.id, upd.generation, upd.at, upd.old_expires_at, upd.sealed FROM upd
)
SELECT ` + UserColumns("u.") + `, upd.id,
  COALESCE((SELECT json_agg(r.role) FROM auth.user_roles r WHERE r.user_id = u.id), '[]'), upd.pat_id, upd.n
FROM upd JOIN auth.users u ON u.id = upd.user_id`

// Rotation is one presented token for RotateSQL: its hash, the time it was
// read at, and what replaces it.
type Rotation struct {
	OldHash, NewHash string
	At, ExpiresAt    time.Time
	Keep             int // generations of history kept
	Sealed           []byte
}

// RotateArgs are RotateSQL's arguments for rs, in which no hash appears
// twice (a session is rotated once per statement).
func RotateArgs(rs []Rotation) []any {
	n := len(rs)
	var (
		olds, news = make([]string, n), make([]string, n)
		ats, exps  = make([]time.Time, n), make([]time.Time, n)
		keeps      = make([]int32, n)
		sealed     = make([][]byte, n)
	)
	for i, r := range rs {
		olds[i], news[i], ats[i], exps[i], keeps[i], sealed[i] = r.OldHash, r.NewHash, r.At, r.ExpiresAt, int32(r.Keep), r.Sealed
	}
	return []any{olds, news, ats, exps, keeps, sealed}
}

// Rotated is what a rotation found: the session and its active user.
type Rotated struct {
	SessionID uuid.UUID
	PATID     uuid.UUID // the PAT the session was started with; uuid.Nil for none
	User      User
}

// Rows is what RotateSQL's answer is read from: *sql.Rows or pgx.Rows.
type Rows interface {
	Scanner
	Next() bool
	Err() error
}

// ReadRotations reads RotateSQL's answer for n rotations: out[i] is what
// the i-th rotated, nil where its token was not current.
func ReadRotations(rows Rows, n int) ([]*Rotated, error) {
	out := make([]*Rotated, n)
	for rows.Next() {
		var (
			got   Rotated
			at    int64
			roles []byte
			pat   uuid.NullUUID
		)
		if err := ScanUser(rows, &got.User, &got.SessionID, &roles, &pat, &at); err != nil {
			return nil, err
		}
		if at < 1 || at > int64(n) || out[at-1] != nil {
			return nil, fmt.Errorf("rotation answer %d of %d", at, n)
		}
		if err := got.User.SetRoleList(roles); err != nil {
			return nil, err
		}
		if pat.Valid {
			got.PATID = pat.UUID
		}
		out[at-1] = &got
	}
	return out, rows.Err()
}

// Rotate runs RotatePlanSQL and RotateSQL for rs in tx (on the slow path
// of a refresh, the transaction holding the session's lock): out[i] is
// what rs[i] rotated, nil where its token was not current. Through a
// transaction pooler too, where the generic plan is made for this one run:
// the path is rare, and so it needs no knowledge of the connection.
func Rotate(tx *gorm.DB, rs []Rotation) ([]*Rotated, error) {
	if _, err := exec(tx, RotatePlanSQL); err != nil {
		return nil, err
	}
	c, ctx := conn(tx)
	rows, err := c.QueryContext(ctx, RotateSQL, RotateArgs(rs)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	return ReadRotations(rows, len(rs))
}

// UndoRotation puts a session's previous token back after a committed
// rotation whose answer could not be made, unless the session has moved on.
func UndoRotation(db *gorm.DB, sessionID uuid.UUID, oldHash, newHash string) error {
	_, err := exec(db, `WITH h AS (
  DELETE FROM auth.refresh_token_history WHERE token_hash = $2 AND refresh_token_id = $1 RETURNING generation, expires_at
)
UPDATE auth.refresh_tokens rt SET refresh_token_hash = $2, generation = h.generation, expires_at = h.expires_at
FROM h WHERE rt.id = $1 AND rt.refresh_token_hash = $3`, sessionID, oldHash, newHash)
	return err
}

// DeleteRefreshToken ends one session (its history goes with it by cascade).
func DeleteRefreshToken(db *gorm.DB, id uuid.UUID) (int64, error) {
	return exec(db, `DELETE FROM auth.refresh_tokens WHERE id = $1`, id)
}

// Ended is a session a sign-out deleted.
type Ended struct {
	ID, UserID uuid.UUID
}

// SignOutSession deletes the regular session whose current or retired
// token has this hash.
func SignOutSession(db *gorm.DB, hash string) ([]Ended, error) {
	return queryAll(db, func(row Scanner) (e Ended, err error) {
		return e, row.Scan(&e.ID, &e.UserID)
	}, `DELETE FROM auth.refresh_tokens
WHERE type = 'regular' AND (refresh_token_hash = $1 OR id = (SELECT refresh_token_id FROM auth.refresh_token_history WHERE token_hash = $1))
RETURNING id, user_id`, hash)
}

// DeleteUserRefreshTokens ends every session of a user, PATs included.
func DeleteUserRefreshTokens(db *gorm.DB, userID uuid.UUID) (int64, error) {
	return exec(db, `DELETE FROM auth.refresh_tokens WHERE user_id = $1`, userID)
}

// DeleteUserSessions ends the user's regular sessions and keeps their
// personal access tokens, as hasura-auth does on a password change.
func DeleteUserSessions(db *gorm.DB, userID uuid.UUID) (int64, error) {
	return exec(db, `DELETE FROM auth.refresh_tokens WHERE user_id = $1 AND type = $2`, userID, RefreshTokenRegular)
}

// InsertUsersWithSessionsSQL writes users ($1-$7), their roles ($8-$11) and
// first sessions ($12-$15, with $1 and $2) as one statement: the rows of a
// whole batch of anonymous sign-ins (session/batched.go) pass each
// foreign-key check and the commit once. It reads no table, so its plan
// cannot go wrong as tables grow.
const InsertUsersWithSessionsSQL = `WITH u AS (
  INSERT INTO auth.users (id, created_at, updated_at, last_seen, display_name, locale, default_role, is_anonymous, metadata)
  SELECT id, at, at, at, display_name, locale, default_role, is_anonymous, metadata::jsonb
  FROM unnest($1::uuid[], $2::timestamptz[], $3::text[], $4::text[], $5::text[], $6::bool[], $7::text[])
    AS t(id, at, display_name, locale, default_role, is_anonymous, metadata)
), r AS (
  INSERT INTO auth.user_roles (id, created_at, user_id, role)
  SELECT * FROM unnest($8::uuid[], $9::timestamptz[], $10::uuid[], $11::text[])
)
INSERT INTO auth.refresh_tokens (id, created_at, expires_at, user_id, type, refresh_token_hash)
SELECT * FROM unnest($12::uuid[], $2::timestamptz[], $13::timestamptz[], $1::uuid[], $14::text[], $15::text[])`

// Expired rows, in batches of $2 rows expired at $1, each batch picked by
// ctid (the physical row) so the outer statement hits exactly the rows its
// subquery locked; rows another instance holds are skipped (package janitor).
const (
	PurgeExpiredRefreshTokensSQL = `DELETE FROM auth.refresh_tokens WHERE ctid IN (
  SELECT ctid FROM auth.refresh_tokens WHERE expires_at <= $1 LIMIT $2 FOR UPDATE SKIP LOCKED)`
	PurgeExpiredHistorySQL = `DELETE FROM auth.refresh_token_history WHERE ctid IN (
  SELECT ctid FROM auth.refresh_token_history WHERE expires_at <= $1 LIMIT $2 FOR UPDATE SKIP LOCKED)`
)

// --- personal access tokens ---

// InsertPAT stores a PAT (its hash only).
func InsertPAT(db *gorm.DB, id, userID uuid.UUID, hash string, createdAt, expiresAt time.Time, metadata JSONMap) error {
	_, err := exec(db, insertRefreshTokenSQL, id, createdAt, expiresAt, userID, RefreshTokenPAT, hash, nil, metadata)
	return err
}

// LockPATByHash finds a PAT by its hash, FOR SHARE: a revocation waits for a
// sign-in in progress, and the session it starts then goes with the PAT.
func LockPATByHash(tx *gorm.DB, hash string) (*PersonalAccessToken, error) {
	p, err := scanPAT(queryRow(tx, `SELECT id, created_at, expires_at, user_id, metadata FROM auth.refresh_tokens
WHERE refresh_token_hash = $1 AND type = $2 FOR SHARE`, hash, RefreshTokenPAT))
	if err != nil {
		return nil, noRows(err)
	}
	return &p, nil
}

// ListPATs returns a user's PATs, newest first.
func ListPATs(db *gorm.DB, userID uuid.UUID) ([]PersonalAccessToken, error) {
	return queryAll(db, scanPAT, `SELECT id, created_at, expires_at, user_id, metadata FROM auth.refresh_tokens
WHERE user_id = $1 AND type = $2 ORDER BY created_at DESC, id`, userID, RefreshTokenPAT)
}

func scanPAT(row Scanner) (p PersonalAccessToken, err error) {
	return p, row.Scan(&p.ID, &p.CreatedAt, &p.ExpiresAt, &p.UserID, &p.Metadata)
}

// DeletePAT deletes one of the user's PATs; sessions started with it go by cascade.
func DeletePAT(db *gorm.DB, userID, id uuid.UUID) (int64, error) {
	return exec(db, `DELETE FROM auth.refresh_tokens WHERE id = $1 AND user_id = $2 AND type = $3`, id, userID, RefreshTokenPAT)
}

// DeleteUserPATs deletes every PAT of the user (their sessions go by
// cascade) and returns their ids.
func DeleteUserPATs(db *gorm.DB, userID uuid.UUID) ([]uuid.UUID, error) {
	return queryAll(db, func(row Scanner) (id uuid.UUID, err error) { return id, row.Scan(&id) },
		`DELETE FROM auth.refresh_tokens WHERE user_id = $1 AND type = $2 RETURNING id`, userID, RefreshTokenPAT)
}

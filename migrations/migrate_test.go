package migrations_test

import (
	"context"
	"io"
	"log/slog"
	"sort"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

	"github.com/hasura-auth-go/auth/migrations"
	"github.com/hasura-auth-go/auth/testsupport"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// freshDB creates an empty database dropped when the test ends.
func freshDB(t *testing.T) string {
	t.Helper()
	url, drop, err := testsupport.CreateDB(context.Background())
	require.NoError(t, err)
	t.Cleanup(drop)
	return url
}

// open is one server instance's connection pool; closed before the database is dropped.
func open(t *testing.T, url string) *gorm.DB { return testsupport.OpenGorm(t, url) }

func versions(t *testing.T) []string {
	t.Helper()
	all, err := migrations.All()
	require.NoError(t, err)
	require.NotEmpty(t, all)
	out := make([]string, len(all))
	for i, m := range all {
		out[i] = m.Version
	}
	return out
}

func recorded(t *testing.T, db *gorm.DB) []string {
	t.Helper()
	return query(t, db, "SELECT version FROM "+migrations.Table+" ORDER BY version")
}

func query(t *testing.T, db *gorm.DB, query string, args ...any) []string {
	t.Helper()
	var v []string
	require.NoError(t, db.Raw(query, args...).Scan(&v).Error)
	return v
}

// tables of schema auth that hasura-auth has and Hasura's metadata tracks.
var hasuraAuthTables = []string{
	"users", "refresh_tokens", "refresh_token_types", "roles", "user_roles",
	"providers", "user_providers", "user_security_keys",
}

func TestAllOrderedAndNamed(t *testing.T) {
	v := versions(t)
	assert.True(t, sort.StringsAreSorted(v), "%v", v)
	assert.Equal(t, "0001_auth_schema", v[0])
	seen := map[string]bool{}
	for _, x := range v {
		assert.False(t, seen[x], "duplicate version %s", x)
		seen[x] = true
	}
}

func TestUpOnEmptyDatabase(t *testing.T) {
	ctx := context.Background()
	db := open(t, freshDB(t))

	applied, err := migrations.Up(ctx, db, quiet)
	require.NoError(t, err)
	assert.Equal(t, versions(t), applied)
	assert.Equal(t, versions(t), recorded(t, db))

	tables := query(t, db, `SELECT table_name FROM information_schema.tables
		WHERE table_schema = 'auth' AND table_type = 'BASE TABLE'`)
	for _, name := range hasuraAuthTables {
		assert.Contains(t, tables, name)
	}
	assert.Contains(t, tables, "schema_migrations")
	assert.Contains(t, tables, "hasura_auth_go_migrations")
	assert.Equal(t, []string{"18 false"}, query(t, db, `SELECT version || ' ' || dirty FROM auth.schema_migrations`),
		"golang-migrate's table at hasura-auth's last step, for a later hasura-auth")

	exts := query(t, db, `SELECT extname FROM pg_extension`)
	assert.Contains(t, exts, "citext")
	assert.Contains(t, exts, "pgcrypto")

	assert.Subset(t, query(t, db, `SELECT role FROM auth.roles`), []string{"user", "anonymous", "me"})
	assert.ElementsMatch(t, []string{"regular", "pat"}, query(t, db, `SELECT value FROM auth.refresh_token_types`))

	t.Run("second Up applies nothing", func(t *testing.T) {
		again, err := migrations.Up(ctx, db, quiet)
		require.NoError(t, err)
		assert.Empty(t, again)
		assert.Equal(t, versions(t), recorded(t, db))
		var n int64
		require.NoError(t, db.Raw(`SELECT count(*) FROM auth.roles WHERE role IN ('user','anonymous','me')`).Scan(&n).Error)
		assert.EqualValues(t, 3, n, "seeds not duplicated")
	})

	t.Run("users columns match hasura-auth", func(t *testing.T) {
		type col struct {
			ColumnName string
			UDTName    string `gorm:"column:udt_name"`
			IsNullable string
		}
		var cols []col
		require.NoError(t, db.Raw(`SELECT column_name, udt_name, is_nullable FROM information_schema.columns
			WHERE table_schema = 'auth' AND table_name = 'users' ORDER BY ordinal_position`).Scan(&cols).Error)
		got := map[string]col{}
		var names []string
		for _, c := range cols {
			got[c.ColumnName] = c
			names = append(names, c.ColumnName)
		}
		assert.ElementsMatch(t, []string{
			"id", "created_at", "updated_at", "last_seen", "disabled", "display_name", "avatar_url",
			"locale", "email", "phone_number", "password_hash", "email_verified", "phone_number_verified",
			"new_email", "otp_method_last_used", "otp_hash", "otp_hash_expires_at", "default_role",
			"is_anonymous", "totp_secret", "active_mfa_type", "ticket", "ticket_expires_at", "metadata",
			"webauthn_current_challenge",
		}, names)
		for name, udt := range map[string]string{
			"id": "uuid", "email": "citext", "new_email": "citext", "metadata": "jsonb", // udt of a domain: its base type
			"created_at": "timestamptz", "disabled": "bool", "is_anonymous": "bool", "default_role": "text",
		} {
			assert.Equal(t, udt, got[name].UDTName, "type of users.%s", name)
		}
		assert.Equal(t, "NO", got["id"].IsNullable)
		assert.Equal(t, "YES", got["email"].IsNullable, "phone-only and anonymous users have no email")
		assert.Equal(t, "YES", got["password_hash"].IsNullable)
	})

	t.Run("other tables have hasura-auth's columns", func(t *testing.T) {
		for table, want := range map[string][]string{
			"refresh_tokens":      {"id", "created_at", "expires_at", "user_id", "metadata", "type", "refresh_token_hash"},
			"refresh_token_types": {"value", "comment"},
			"roles":               {"role"},
			"user_roles":          {"id", "created_at", "user_id", "role"},
			"providers":           {"id"},
			"user_providers":      {"id", "user_id", "provider_id", "provider_user_id", "access_token", "refresh_token"},
			"user_security_keys":  {"id", "user_id", "credential_id", "credential_public_key", "counter", "transports", "nickname"},
		} {
			got := query(t, db, `SELECT column_name FROM information_schema.columns
				WHERE table_schema = 'auth' AND table_name = ?`, table)
			assert.Subset(t, got, want, "columns of auth.%s", table)
		}
	})

	t.Run("constraints", func(t *testing.T) {
		tx := db.Begin()
		defer tx.Rollback()
		var uid string
		require.NoError(t, tx.Raw(`INSERT INTO auth.users (locale, email) VALUES ('en', 'A@Example.com') RETURNING id`).Scan(&uid).Error)

		sp := func(name string, stmt string, args ...any) error {
			require.NoError(t, tx.SavePoint(name).Error)
			err := tx.Exec(stmt, args...).Error
			if err != nil {
				require.NoError(t, tx.RollbackTo(name).Error)
			}
			return err
		}
		assert.Error(t, sp("dup_email", `INSERT INTO auth.users (locale, email) VALUES ('en', 'a@example.COM')`), "email is citext unique")
		assert.Error(t, sp("bad_role", `INSERT INTO auth.users (locale, default_role) VALUES ('en', 'nope')`), "default_role references roles")
		assert.Error(t, sp("bad_mfa", `UPDATE auth.users SET active_mfa_type = 'sms2' WHERE id = ?`, uid))
		assert.NoError(t, sp("mfa", `UPDATE auth.users SET active_mfa_type = 'totp' WHERE id = ?`, uid))
		assert.NoError(t, sp("ur", `INSERT INTO auth.user_roles (user_id, role) VALUES (?, 'me')`, uid))
		assert.Error(t, sp("ur_dup", `INSERT INTO auth.user_roles (user_id, role) VALUES (?, 'me')`, uid), "unique(user_id, role)")
		assert.Error(t, sp("rt_type", `INSERT INTO auth.refresh_tokens (user_id, expires_at, type) VALUES (?, now(), 'other')`, uid))
		assert.NoError(t, sp("rt", `INSERT INTO auth.refresh_tokens (user_id, expires_at, refresh_token_hash) VALUES (?, now() + interval '1 day', 'h')`, uid))
		assert.NoError(t, sp("up", `INSERT INTO auth.user_providers (user_id, provider_id, provider_user_id, access_token) VALUES (?, 'github', '42', 'x')`, uid))
		var uid2 string
		require.NoError(t, tx.Raw(`INSERT INTO auth.users (locale, phone_number) VALUES ('en', '+15550000') RETURNING id`).Scan(&uid2).Error)
		assert.Error(t, sp("up_dup", `INSERT INTO auth.user_providers (user_id, provider_id, provider_user_id, access_token)
			VALUES (?, 'github', '42', 'x')`, uid2), "provider_user_id unique per provider")
		assert.NoError(t, sp("up_other", `INSERT INTO auth.user_providers (user_id, provider_id, provider_user_id, access_token)
			VALUES (?, 'google', '42', 'x')`, uid2), "same provider_user_id at another provider")
		assert.NoError(t, sp("sk", `INSERT INTO auth.user_security_keys (user_id, credential_id) VALUES (?, 'cred')`, uid))
		assert.Error(t, sp("sk_dup", `INSERT INTO auth.user_security_keys (user_id, credential_id) VALUES (?, 'cred')`, uid2), "credential_id unique")

		require.NoError(t, tx.Exec(`DELETE FROM auth.users WHERE id = ?`, uid).Error)
		var n int64
		require.NoError(t, tx.Raw(`SELECT (SELECT count(*) FROM auth.refresh_tokens WHERE user_id = ?) + (SELECT count(*) FROM auth.user_roles WHERE user_id = ?)
			+ (SELECT count(*) FROM auth.user_providers WHERE user_id = ?) + (SELECT count(*) FROM auth.user_security_keys WHERE user_id = ?)`,
			uid, uid, uid, uid).Scan(&n).Error)
		assert.Zero(t, n, "deleting a user cascades to its sessions, roles and providers")
	})
}

// Two (here four) instances starting together: each waits its turn on the
// advisory lock; every version is applied exactly once.
func TestUpConcurrent(t *testing.T) {
	ctx := context.Background()
	url := freshDB(t)
	const n = 4
	dbs := make([]*gorm.DB, n)
	for i := range dbs {
		dbs[i] = open(t, url) // separate pools, like separate processes
	}

	var wg sync.WaitGroup
	results := make([][]string, n)
	errs := make([]error, n)
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			results[i], errs[i] = migrations.Up(ctx, dbs[i], quiet)
		}()
	}
	close(start)
	wg.Wait()

	count := map[string]int{}
	for i := range n {
		require.NoError(t, errs[i], "instance %d", i)
		for _, v := range results[i] {
			count[v]++
		}
	}
	for _, v := range versions(t) {
		assert.Equal(t, 1, count[v], "version %s applied by exactly one instance", v)
	}
	assert.Len(t, count, len(versions(t)))
	assert.Equal(t, versions(t), recorded(t, dbs[0]))
}

// Migration 0105 widens auth.users.locale; a view of the operator's naming
// the column blocks that, and must not block the server's start (the rest
// of 0105 still applies; docs/migrating-from-hasura-auth.md says what to do).
func TestLocaleWideningAroundAView(t *testing.T) {
	ctx := context.Background()
	db := open(t, freshDB(t))
	_, err := migrations.Up(ctx, db, quiet)
	require.NoError(t, err)
	width := func() []string {
		return query(t, db, `SELECT character_maximum_length::text FROM information_schema.columns
			WHERE table_schema = 'auth' AND table_name = 'users' AND column_name = 'locale'`)
	}
	require.Equal(t, []string{"3"}, width())

	// As before 0105, with a view on the column.
	for _, stmt := range []string{
		`DELETE FROM ` + migrations.Table + ` WHERE version LIKE '0105%'`,
		`ALTER TABLE auth.users ALTER COLUMN locale TYPE varchar(2)`,
		`ALTER TABLE auth.user_providers DROP COLUMN access_token_expires_at, DROP COLUMN refresh_token_hash`,
		`CREATE VIEW public.user_locales AS SELECT id, locale FROM auth.users`,
	} {
		require.NoError(t, db.Exec(stmt).Error, stmt)
	}
	applied, err := migrations.Up(ctx, db, quiet)
	require.NoError(t, err)
	require.Len(t, applied, 1)
	require.Equal(t, []string{"2"}, width(), "the view keeps the column as it was")
	require.Len(t, query(t, db, `SELECT column_name FROM information_schema.columns
		WHERE table_schema = 'auth' AND table_name = 'user_providers' AND column_name IN ('access_token_expires_at', 'refresh_token_hash')`), 2,
		"the rest of 0105 applied")
}

package migrations_test

import (
	"context"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gorm.io/gorm"

	"github.com/hasura-auth-go/auth/migrations"
	"github.com/hasura-auth-go/auth/testsupport"
)

// golangMigrateTable is auth.schema_migrations as golang-migrate writes it,
// definition and rows.
func golangMigrateTable(t *testing.T, db *gorm.DB) []string {
	t.Helper()
	return query(t, db, `SELECT 'columns ' || string_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod) || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END, ', ' ORDER BY a.attnum)
		FROM pg_attribute a WHERE a.attrelid = 'auth.schema_migrations'::regclass AND a.attnum > 0 AND NOT a.attisdropped
		UNION ALL SELECT 'constraint ' || conname || ' ' || pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = 'auth.schema_migrations'::regclass
		UNION ALL SELECT 'row ' || version || ' ' || dirty FROM auth.schema_migrations`)
}

var hasuraAuthState = []string{
	"columns version bigint not null, dirty boolean not null",
	"constraint schema_migrations_pkey PRIMARY KEY (version)",
	"row 18 false",
}

type migrationRecord struct {
	Version string
	Adopted bool
}

func records(t *testing.T, db *gorm.DB) []migrationRecord {
	t.Helper()
	var out []migrationRecord
	require.NoError(t, db.Raw("SELECT version, adopted FROM "+migrations.Table+" ORDER BY version").Scan(&out).Error)
	return out
}

// The database hasura-auth (838f397, step 18) leaves, with its rows: Up
// adopts it, records its own bookkeeping in its own table, leaves
// golang-migrate's table exactly as it was, changes hasura-auth's objects
// only by additions, and keeps every row.
func TestUpAdoptsHasuraAuthDatabase(t *testing.T) {
	ctx := context.Background()
	url := testsupport.LoadHasuraAuthFixture(t)
	db := open(t, url)
	before := testsupport.NormaliseSchema(t, testsupport.DumpSchema(t, url, "auth"))
	rowsBefore := query(t, db, `SELECT u::text FROM auth.users u ORDER BY id`)
	tokensBefore := query(t, db, `SELECT r::text FROM (SELECT id, created_at, expires_at, user_id, metadata, type, refresh_token_hash FROM auth.refresh_tokens ORDER BY id) r`)
	require.Len(t, rowsBefore, 3)
	require.Len(t, tokensBefore, 5)

	applied, err := migrations.Up(ctx, db, quiet)
	require.NoError(t, err)
	assert.Equal(t, versions(t), applied)
	recs := records(t, db)
	require.Len(t, recs, len(versions(t)))
	for _, r := range recs {
		assert.Equal(t, r.Version == migrations.Baseline, r.Adopted, "%s: only the baseline is adopted, the rest applied", r.Version)
	}
	assert.Equal(t, hasuraAuthState, golangMigrateTable(t, db), "golang-migrate's table untouched")

	after := testsupport.NormaliseSchema(t, testsupport.DumpSchema(t, url, "auth"))
	assert.Empty(t, diffSchemas(before, after), "only declared additions to hasura-auth's schema")
	// hasura-auth's comments stay its own words: adoption rewrites nothing.
	for k, o := range before {
		if o.Kind == "comment" {
			assert.Contains(t, after, k)
		}
	}
	assert.Equal(t, rowsBefore, query(t, db, `SELECT u::text FROM auth.users u ORDER BY id`), "users untouched")
	assert.Equal(t, tokensBefore, query(t, db, `SELECT r::text FROM (SELECT id, created_at, expires_at, user_id, metadata, type, refresh_token_hash FROM auth.refresh_tokens ORDER BY id) r`))

	again, err := migrations.Up(ctx, db, quiet)
	require.NoError(t, err)
	assert.Empty(t, again)
	assert.Equal(t, hasuraAuthState, golangMigrateTable(t, db))
}

// A fresh install has hasura-auth's schema exactly, plus the declared
// additions: the comparison of a normalised pg_dump with the fixture's.
func TestFreshInstallHasHasuraAuthSchema(t *testing.T) {
	fixture := testsupport.NormaliseSchema(t, testsupport.DumpSchema(t, testsupport.LoadHasuraAuthFixture(t), "auth"))
	url := freshDB(t)
	_, err := migrations.Up(context.Background(), open(t, url), quiet)
	require.NoError(t, err)
	fresh := testsupport.NormaliseSchema(t, testsupport.DumpSchema(t, url, "auth"))
	problems := diffSchemas(fixture, fresh)
	assert.Empty(t, problems, "\n%s", strings.Join(problems, "\n"))
	for _, k := range []string{"domain auth.email", "table auth.provider_requests", "column auth.users.email",
		"index auth.refresh_tokens.refresh_tokens_refresh_token_hash_expires_at_user_id_idx"} {
		assert.Contains(t, fixture, k, "the normaliser sees hasura-auth's objects")
	}
	assert.NotContains(t, fixture, "constraint auth.user_providers.user_providers_user_id_provider_id_key", "hasura-auth's step 17 dropped it")
}

// The normaliser itself: comment text and function bodies are ignored,
// everything else compared; undeclared additions and changes are reported.
func TestDiffSchemas(t *testing.T) {
	const want = `CREATE TABLE auth.users (
    id uuid NOT NULL,
    email text
);
COMMENT ON TABLE auth.users IS 'theirs; with a semicolon';
CREATE FUNCTION auth.f() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
  RETURN NEW;
END;
$$;
CREATE INDEX i ON auth.users USING btree (email);
`
	got := strings.NewReplacer("theirs; with a semicolon", "ours", "RETURN NEW;", "NEW.x := 1; RETURN NEW;").Replace(want)
	require.Empty(t, diffSchemas(testsupport.NormaliseSchema(t, want), withAdditions(t, got)))

	changed := strings.Replace(got, "email text", "email text NOT NULL", 1) + "CREATE INDEX j ON auth.users USING btree (id);\n"
	problems := diffSchemas(testsupport.NormaliseSchema(t, want), withAdditions(t, changed))
	require.Len(t, problems, 2, "%v", problems)
	assert.Contains(t, problems[0], "column auth.users.email")
	assert.Contains(t, problems[1], "index auth.users.j")

	added := strings.Replace(got, "email text\n", "email text,\n    plan text\n", 1)
	problems = diffSchemas(testsupport.NormaliseSchema(t, want), withAdditions(t, added))
	assert.Contains(t, strings.Join(problems, "\n"), "column auth.users.plan", "a new column on auth.users is never allowed")
}

// withAdditions is got plus every declared addition (so that the "declared
// addition absent" check stays quiet in TestDiffSchemas).
func withAdditions(t *testing.T, got string) map[string]testsupport.SchemaObject {
	t.Helper()
	m := testsupport.NormaliseSchema(t, got)
	for _, a := range ourAdditions {
		kind, rest, _ := strings.Cut(a, " ")
		if kind == "table" {
			m[a] = testsupport.SchemaObject{Kind: "table", Table: rest}
			continue
		}
		o := testsupport.SchemaObject{Kind: kind, Name: rest}
		if kind != "function" {
			i := strings.LastIndex(rest, ".")
			o.Table, o.Name = rest[:i], rest[i+1:]
		}
		m[o.Key()] = o
	}
	return m
}

// A database an earlier release of this server created: its bookkeeping in
// auth.schema_migrations (version text, applied_at), emails as citext,
// generated constraint names. Up moves the records to its own table, leaves
// golang-migrate's table as hasura-auth would, brings the schema to what a
// fresh install has, and keeps the rows.
func TestUpUpgradesLegacyInstall(t *testing.T) {
	ctx := context.Background()
	url := freshDB(t)
	db := open(t, url)
	legacy, err := os.ReadFile("testdata/legacy_0001_auth_schema.sql")
	require.NoError(t, err)
	all, err := migrations.All()
	require.NoError(t, err)
	require.NoError(t, db.Exec(`CREATE SCHEMA auth; CREATE TABLE auth.schema_migrations (version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`).Error)
	var legacyVersions []string
	for _, m := range all {
		if m.Version > "0009_user_notify" {
			break
		}
		sql := m.SQL
		if m.Version == migrations.Baseline {
			sql = string(legacy)
		}
		require.NoError(t, db.Exec(sql).Error, m.Version)
		require.NoError(t, db.Exec(`INSERT INTO auth.schema_migrations (version) VALUES (?)`, m.Version).Error)
		legacyVersions = append(legacyVersions, m.Version)
	}
	var uid string
	require.NoError(t, db.Raw(`INSERT INTO auth.users (locale, email, display_name) VALUES ('en', 'Old.User@Example.com', 'Old') RETURNING id`).Scan(&uid).Error)
	require.NoError(t, db.Exec(`INSERT INTO auth.user_roles (user_id, role) VALUES (?, 'me')`, uid).Error)
	require.NoError(t, db.Exec(`INSERT INTO auth.refresh_tokens (user_id, expires_at, refresh_token_hash) VALUES (?, now() + interval '1 day', 'h1')`, uid).Error)
	appliedAt := query(t, db, `SELECT applied_at::text FROM auth.schema_migrations ORDER BY version`)

	applied, err := migrations.Up(ctx, db, quiet)
	require.NoError(t, err)
	assert.Equal(t, versions(t)[len(legacyVersions):], applied, "only the new migrations run")
	recs := records(t, db)
	require.Len(t, recs, len(versions(t)))
	for _, r := range recs {
		assert.False(t, r.Adopted, r.Version)
	}
	assert.Equal(t, appliedAt, query(t, db, `SELECT applied_at::text FROM `+migrations.Table+` WHERE version <= '0009_user_notify' ORDER BY version`), "records moved with their dates")
	assert.Equal(t, hasuraAuthState, golangMigrateTable(t, db), "auth.schema_migrations is golang-migrate's now")

	fresh := freshDB(t)
	_, err = migrations.Up(ctx, open(t, fresh), quiet)
	require.NoError(t, err)
	problems := diffSchemas(testsupport.NormaliseSchema(t, testsupport.DumpSchema(t, fresh, "auth")), testsupport.NormaliseSchema(t, testsupport.DumpSchema(t, url, "auth")))
	assert.Empty(t, problems, "an upgraded install has a fresh install's schema:\n%s", strings.Join(problems, "\n"))

	assert.Equal(t, []string{"Old.User@Example.com Old"}, query(t, db, `SELECT email || ' ' || display_name FROM auth.users`))
	assert.Equal(t, []string{"me"}, query(t, db, `SELECT role FROM auth.user_roles WHERE user_id = ?`, uid))
	assert.Equal(t, []string{"h1"}, query(t, db, `SELECT refresh_token_hash FROM auth.refresh_tokens WHERE user_id = ?`, uid))

	again, err := migrations.Up(ctx, db, quiet)
	require.NoError(t, err)
	assert.Empty(t, again)
}

// A legacy install whose users include an address the auth.email domain
// refuses still starts; the column stays citext.
func TestUpUpgradesLegacyInstallWithOddEmail(t *testing.T) {
	url := freshDB(t)
	db := open(t, url)
	legacy, err := os.ReadFile("testdata/legacy_0001_auth_schema.sql")
	require.NoError(t, err)
	require.NoError(t, db.Exec(`CREATE SCHEMA auth; CREATE TABLE auth.schema_migrations (version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`).Error)
	require.NoError(t, db.Exec(string(legacy)).Error)
	require.NoError(t, db.Exec(`INSERT INTO auth.schema_migrations (version) VALUES (?)`, migrations.Baseline).Error)
	require.NoError(t, db.Exec(`INSERT INTO auth.users (locale, email) VALUES ('en', 'no-at-sign')`).Error)

	_, err = migrations.Up(context.Background(), db, quiet)
	require.NoError(t, err)
	assert.Equal(t, []string{"citext"}, query(t, db, `SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 'auth.users'::regclass AND attname = 'email'`))
	assert.Equal(t, hasuraAuthState, golangMigrateTable(t, db))
}

// Databases Up cannot place are refused with a message that says what to do,
// and nothing is written.
func TestUpRefuses(t *testing.T) {
	for _, tc := range []struct {
		name, setup, want string
	}{
		{"hasura-auth half-way through a step",
			`CREATE SCHEMA auth; CREATE TABLE auth.users (id uuid); CREATE TABLE auth.schema_migrations (version bigint NOT NULL PRIMARY KEY, dirty boolean NOT NULL); INSERT INTO auth.schema_migrations VALUES (18, true)`,
			"dirty"},
		{"an older hasura-auth",
			`CREATE SCHEMA auth; CREATE TABLE auth.users (id uuid); CREATE TABLE auth.schema_migrations (version bigint NOT NULL PRIMARY KEY, dirty boolean NOT NULL); INSERT INTO auth.schema_migrations VALUES (15, false)`,
			"step 15; this server needs step 18"},
		{"hasura-auth's Node.js releases",
			`CREATE SCHEMA auth; CREATE TABLE auth.users (id uuid); CREATE TABLE auth.migrations (id int)`,
			"Node.js"},
		{"tables without records",
			`CREATE SCHEMA auth; CREATE TABLE auth.users (id uuid)`,
			"no migration records"},
		{"an unknown auth.schema_migrations",
			`CREATE SCHEMA auth; CREATE TABLE auth.schema_migrations (id serial, name text)`,
			"neither golang-migrate"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db := open(t, freshDB(t))
			require.NoError(t, db.Exec(tc.setup).Error)
			_, err := migrations.Up(context.Background(), db, quiet)
			require.ErrorContains(t, err, tc.want)
			assert.Equal(t, []string{"false"}, query(t, db, `SELECT (to_regclass('`+migrations.Table+`') IS NOT NULL)::text`), "nothing written")
		})
	}
}

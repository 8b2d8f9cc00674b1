// Package migrations applies the embedded, versioned SQL files that create
// schema auth. Every instance runs Up at start; an advisory lock makes
// concurrent starts take turns, and each run is one transaction.
//
// Bookkeeping lives in auth.hasura_auth_go_migrations. auth.schema_migrations
// belongs to golang-migrate, which hasura-auth uses: this package reads it to
// recognise a database hasura-auth created and never writes it, except that
// the first migration creates it, at hasura-auth's last step, on an empty
// database, so that hasura-auth can take over such a database too.
package migrations

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"sort"
	"strings"

	"gorm.io/gorm"
)

//go:embed sql/*.sql
var files embed.FS

// lockKey is an arbitrary constant shared by every instance of this server.
const lockKey int64 = 0x4a75746841757468 // "JuthAuth"

// Table is this server's bookkeeping table.
const Table = "auth.hasura_auth_go_migrations"

// Baseline is the migration that writes hasura-auth's schema; on a database
// hasura-auth created it is recorded as adopted instead of run.
const Baseline = "0001_auth_schema"

// HasuraAuthVersion is hasura-auth's last golang-migrate step (838f397, the
// last commit before its repository was archived): the schema Baseline writes.
const HasuraAuthVersion = 18

// Migration is one embedded SQL file; Version is its file name without .sql.
type Migration struct {
	Version string
	SQL     string
}

// All returns the embedded migrations in order.
func All() ([]Migration, error) {
	names, err := fs.Glob(files, "sql/*.sql")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	out := make([]Migration, 0, len(names))
	for _, n := range names {
		b, err := files.ReadFile(n)
		if err != nil {
			return nil, err
		}
		v := strings.TrimSuffix(strings.TrimPrefix(n, "sql/"), ".sql")
		out = append(out, Migration{Version: v, SQL: string(b)})
	}
	return out, nil
}

// Up applies every migration not yet recorded and returns the versions it
// applied (an adopted Baseline included).
func Up(ctx context.Context, db *gorm.DB, log *slog.Logger) ([]string, error) {
	all, err := All()
	if err != nil {
		return nil, fmt.Errorf("read embedded migrations: %w", err)
	}
	var applied, notes []string
	adopted := ""
	err = db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		// xact lock: released by commit or rollback, so a crash cannot leave it held.
		if err := tx.Exec("SELECT pg_advisory_xact_lock(?)", lockKey).Error; err != nil {
			return fmt.Errorf("take migration lock: %w", err)
		}
		st, err := inspect(tx)
		if err != nil {
			return err
		}
		adopt, n, err := st.prepare(tx)
		if err != nil {
			return err
		}
		notes = n
		done, err := recorded(tx)
		if err != nil {
			return err
		}
		for _, m := range all {
			if done[m.Version] {
				continue
			}
			if m.Version == Baseline && adopt {
				if err := record(tx, m.Version, true); err != nil {
					return err
				}
				applied, adopted = append(applied, m.Version), m.Version
				continue
			}
			if err := tx.Exec(m.SQL).Error; err != nil {
				return fmt.Errorf("apply migration %s: %w", m.Version, err)
			}
			if err := record(tx, m.Version, false); err != nil {
				return err
			}
			applied = append(applied, m.Version)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, n := range notes {
		log.Info(n)
	}
	for _, v := range applied {
		if v == adopted {
			log.Info("adopted migration: hasura-auth made this schema already", "version", v)
			continue
		}
		log.Info("applied migration", "version", v)
	}
	return applied, nil
}

// state is what a database holds before Up touches it.
type state struct {
	ours          bool   // auth.hasura_auth_go_migrations exists
	schemaMigs    string // shape of auth.schema_migrations: "", "golang-migrate", "legacy" (ours of old), "other"
	usersExist    bool
	nodeMigration bool // auth.migrations: hasura-auth's Node.js versions kept their state there
}

func inspect(tx *gorm.DB) (*state, error) {
	var row struct {
		Ours, Users, Node bool
		Cols              string
	}
	err := tx.Raw(`SELECT
  to_regclass('auth.hasura_auth_go_migrations') IS NOT NULL AS ours,
  to_regclass('auth.users') IS NOT NULL AS users,
  to_regclass('auth.migrations') IS NOT NULL AS node,
  coalesce((SELECT string_agg(a.attname || ' ' || format_type(a.atttypid, a.atttypmod), ', ' ORDER BY a.attnum)
            FROM pg_attribute a WHERE a.attrelid = to_regclass('auth.schema_migrations') AND a.attnum > 0 AND NOT a.attisdropped), '') AS cols`).
		Scan(&row).Error
	if err != nil {
		return nil, fmt.Errorf("inspect schema auth: %w", err)
	}
	st := &state{ours: row.Ours, usersExist: row.Users, nodeMigration: row.Node}
	switch row.Cols {
	case "":
	case "version bigint, dirty boolean":
		st.schemaMigs = "golang-migrate"
	case "version text, applied_at timestamp with time zone":
		st.schemaMigs = "legacy"
	default:
		st.schemaMigs = "other"
	}
	return st, nil
}

// prepare makes the bookkeeping table ready and says whether Baseline is to
// be adopted rather than run. It refuses databases it cannot place.
func (st *state) prepare(tx *gorm.DB) (adopt bool, notes []string, err error) {
	switch st.schemaMigs {
	case "legacy":
		// This server's earlier releases kept their versions in golang-migrate's
		// table name, where hasura-auth would trip over them: move them.
		if err := createTable(tx); err != nil {
			return false, nil, err
		}
		if err := tx.Exec(`INSERT INTO ` + Table + ` (version, applied_at)
SELECT version, applied_at FROM auth.schema_migrations ON CONFLICT (version) DO NOTHING`).Error; err != nil {
			return false, nil, fmt.Errorf("move migration records: %w", err)
		}
		if err := tx.Exec(`DROP TABLE auth.schema_migrations`).Error; err != nil {
			return false, nil, fmt.Errorf("drop old migration table: %w", err)
		}
		return false, []string{"migration records moved from auth.schema_migrations to " + Table + "; auth.schema_migrations is golang-migrate's again"}, nil
	case "other":
		return false, nil, errors.New("auth.schema_migrations has columns neither golang-migrate (hasura-auth) nor this server writes: refusing to guess what created this schema")
	case "golang-migrate":
		var gm struct {
			Version int64
			Dirty   bool
			Rows    int
		}
		if err := tx.Raw(`SELECT coalesce(max(version), 0) AS version, coalesce(bool_or(dirty), false) AS dirty, count(*) AS rows FROM auth.schema_migrations`).Scan(&gm).Error; err != nil {
			return false, nil, fmt.Errorf("read hasura-auth's migration state: %w", err)
		}
		switch {
		case gm.Rows == 0 && !st.usersExist:
			return false, nil, errors.New("auth.schema_migrations is empty and schema auth has no users table: hasura-auth never finished its first step here; drop schema auth (it holds nothing) or start hasura-auth once")
		case gm.Dirty:
			return false, nil, fmt.Errorf("auth.schema_migrations says hasura-auth's step %d failed half-way (dirty): repair it as hasura-auth's documentation says, then start again", gm.Version)
		case gm.Version < HasuraAuthVersion:
			return false, nil, fmt.Errorf("auth.schema_migrations is at hasura-auth's step %d; this server needs step %d (hasura-auth's last release): start that hasura-auth release once on this database, then switch", gm.Version, HasuraAuthVersion)
		}
		if err := createTable(tx); err != nil {
			return false, nil, err
		}
		if gm.Version > HasuraAuthVersion {
			notes = append(notes, fmt.Sprintf("auth.schema_migrations is at step %d, past hasura-auth's last known step %d: continuing", gm.Version, HasuraAuthVersion))
		}
		return true, notes, nil
	}
	// No golang-migrate table.
	if st.ours {
		return false, nil, nil
	}
	if st.usersExist {
		if st.nodeMigration {
			return false, nil, errors.New("schema auth was made by hasura-auth's Node.js releases (auth.migrations): start hasura-auth's last Go release once on this database to bring it to step 18, then switch")
		}
		return false, nil, errors.New("schema auth already has tables but no migration records (neither hasura-auth's auth.schema_migrations nor " + Table + "): refusing to guess what created it")
	}
	return false, nil, createTable(tx)
}

func createTable(tx *gorm.DB) error {
	if err := tx.Exec(`CREATE SCHEMA IF NOT EXISTS auth;
CREATE TABLE IF NOT EXISTS ` + Table + ` (
  version text PRIMARY KEY,
  applied_at timestamptz NOT NULL DEFAULT now(),
  adopted boolean NOT NULL DEFAULT false
);
COMMENT ON TABLE ` + Table + ` IS 'Migrations of hasura-auth-go applied to this database; adopted: the database already had it (made by hasura-auth).'`).Error; err != nil {
		return fmt.Errorf("create migrations table: %w", err)
	}
	return nil
}

func recorded(tx *gorm.DB) (map[string]bool, error) {
	var done []string
	if err := tx.Raw("SELECT version FROM " + Table).Scan(&done).Error; err != nil {
		return nil, fmt.Errorf("read applied migrations: %w", err)
	}
	seen := make(map[string]bool, len(done))
	for _, v := range done {
		seen[v] = true
	}
	return seen, nil
}

func record(tx *gorm.DB, version string, adopted bool) error {
	if err := tx.Exec("INSERT INTO "+Table+" (version, adopted) VALUES (?, ?)", version, adopted).Error; err != nil {
		return fmt.Errorf("record migration %s: %w", version, err)
	}
	return nil
}

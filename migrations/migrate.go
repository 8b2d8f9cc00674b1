// Package migrations applies the embedded, versioned SQL files that create
// schema auth. Every instance runs Up at start; an advisory lock makes
// concurrent starts take turns, and each run is one transaction.
package migrations

import (
	"context"
	"embed"
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

// Up applies every migration not yet recorded in auth.schema_migrations and
// returns the versions it applied.
func Up(ctx context.Context, db *gorm.DB, log *slog.Logger) ([]string, error) {
	all, err := All()
	if err != nil {
		return nil, fmt.Errorf("read embedded migrations: %w", err)
	}
	var applied []string
	err = db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		// xact lock: released by commit or rollback, so a crash cannot leave it held.
		if err := tx.Exec("SELECT pg_advisory_xact_lock(?)", lockKey).Error; err != nil {
			return fmt.Errorf("take migration lock: %w", err)
		}
		if err := tx.Exec(`CREATE SCHEMA IF NOT EXISTS auth;
CREATE TABLE IF NOT EXISTS auth.schema_migrations (
  version text PRIMARY KEY,
  applied_at timestamptz NOT NULL DEFAULT now()
)`).Error; err != nil {
			return fmt.Errorf("create migrations table: %w", err)
		}
		var done []string
		if err := tx.Raw("SELECT version FROM auth.schema_migrations").Scan(&done).Error; err != nil {
			return fmt.Errorf("read applied migrations: %w", err)
		}
		seen := make(map[string]bool, len(done))
		for _, v := range done {
			seen[v] = true
		}
		for _, m := range all {
			if seen[m.Version] {
				continue
			}
			if err := tx.Exec(m.SQL).Error; err != nil {
				return fmt.Errorf("apply migration %s: %w", m.Version, err)
			}
			if err := tx.Exec("INSERT INTO auth.schema_migrations (version) VALUES (?)", m.Version).Error; err != nil {
				return fmt.Errorf("record migration %s: %w", m.Version, err)
			}
			applied = append(applied, m.Version)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, v := range applied {
		log.Info("applied migration", "version", v)
	}
	return applied, nil
}

package testsupport

import (
	"context"
	"log/slog"
	"testing"

	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/hasura-auth-go/auth/migrations"
)

// OpenGorm is a connection pool to dbURL of the test's own, closed when the
// test ends (before a database made by CreateDB is dropped, when the test
// registered that drop first).
func OpenGorm(t testing.TB, dbURL string) *gorm.DB {
	t.Helper()
	return openGorm(t, dbURL, &gorm.Config{Logger: logger.Discard})
}

func openGorm(t testing.TB, dbURL string, cfg *gorm.Config) *gorm.DB {
	t.Helper()
	db, err := gorm.Open(postgres.Open(dbURL), cfg)
	if err != nil {
		t.Fatal(err)
	}
	sqlDB, err := db.DB()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sqlDB.Close() })
	return db
}

// MigratedDB is a throwaway database (CreateDB) with the auth schema
// migrated in, and a pool to it; both go when the test ends.
func MigratedDB(t testing.TB) *gorm.DB {
	t.Helper()
	ctx := context.Background()
	url, drop, err := CreateDB(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(drop) // registered first: runs after the pool is closed
	db := openGorm(t, url, &gorm.Config{Logger: logger.Discard, TranslateError: true})
	if _, err := migrations.Up(ctx, db, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatal(err)
	}
	return db
}

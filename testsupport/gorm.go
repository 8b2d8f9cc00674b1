package testsupport

import (
	"testing"

	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"
)

// OpenGorm is a connection pool to dbURL of the test's own, closed when the
// test ends (before a database made by CreateDB is dropped, when the test
// registered that drop first).
func OpenGorm(t testing.TB, dbURL string) *gorm.DB {
	t.Helper()
	db, err := gorm.Open(postgres.Open(dbURL), &gorm.Config{Logger: logger.Discard})
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

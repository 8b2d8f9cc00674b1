package server

import (
	"context"
	"fmt"
	"log/slog"

	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/hasura-auth-go/auth/config"
	"github.com/hasura-auth-go/auth/migrations"
)

// migrate applies the migrations over POSTGRES_MIGRATIONS_CONNECTION when it
// is set (a direct connection past a pooler, or a role that owns schema
// auth), else over the server's own pool.
func migrate(ctx context.Context, cfg *config.Config, db *gorm.DB, log *slog.Logger) error {
	if cfg.MigrationsDatabaseURL == "" || cfg.MigrationsDatabaseURL == cfg.DatabaseURL {
		_, err := migrations.Up(ctx, db, log)
		return err
	}
	mdb, err := gorm.Open(postgres.Open(cfg.MigrationsDatabaseURL), &gorm.Config{Logger: logger.Discard})
	if err != nil {
		return fmt.Errorf("POSTGRES_MIGRATIONS_CONNECTION: %w", err)
	}
	sqlDB, err := mdb.DB()
	if err != nil {
		return err
	}
	defer sqlDB.Close()
	sqlDB.SetMaxOpenConns(1)
	if _, err := migrations.Up(ctx, mdb, log); err != nil {
		return fmt.Errorf("over POSTGRES_MIGRATIONS_CONNECTION: %w", err)
	}
	return nil
}

// Package server assembles the application: database, migrations, services
// and the HTTP router. main and the tests build it the same way.
package server

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/gin-gonic/gin"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/hasura-auth-go/auth/account"
	"github.com/hasura-auth-go/auth/config"
	"github.com/hasura-auth-go/auth/handlers"
	"github.com/hasura-auth-go/auth/migrations"
	"github.com/hasura-auth-go/auth/models"
	"github.com/hasura-auth-go/auth/session"
	"github.com/hasura-auth-go/auth/token"
)

// Server is the assembled application.
type Server struct {
	Config   *config.Config
	DB       *gorm.DB
	Tokens   *token.Service
	Sessions *session.Service
	Accounts *account.Service
	Router   *gin.Engine
}

// Options are the seams tests use.
type Options struct {
	Now func() time.Time // nil = time.Now
	Log *slog.Logger     // nil = slog.Default()
}

// OpenDB connects to PostgreSQL, retrying for cfg.DatabaseRetryFor. It says
// once that the database is unreachable (URL without password), not on every try.
func OpenDB(ctx context.Context, cfg *config.Config, log *slog.Logger) (*gorm.DB, error) {
	// Query errors are returned to and reported by the callers; GORM's own
	// log would print expected ones (a duplicate email) as noise.
	gormLog := logger.Discard
	deadline := time.Now().Add(cfg.DatabaseRetryFor)
	warned := false
	for {
		db, err := gorm.Open(postgres.Open(cfg.DatabaseURL), &gorm.Config{
			TranslateError:         true,
			Logger:                 gormLog,
			SkipDefaultTransaction: true,
		})
		if err == nil {
			var sqlDB interface{ PingContext(context.Context) error }
			if sqlDB, err = db.DB(); err == nil {
				err = sqlDB.PingContext(ctx)
			}
		}
		if err == nil {
			sqlDB, _ := db.DB()
			sqlDB.SetMaxOpenConns(cfg.DatabaseMaxOpenConns)
			sqlDB.SetMaxIdleConns(cfg.DatabaseMaxIdleConns)
			sqlDB.SetConnMaxIdleTime(5 * time.Minute)
			if warned {
				log.Info("database reachable", "url", cfg.RedactedDatabaseURL())
			}
			return db, nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return nil, fmt.Errorf("database %s unreachable after %s: %w", cfg.RedactedDatabaseURL(), cfg.DatabaseRetryFor, err)
		}
		if !warned {
			log.Warn("database unreachable, retrying", "url", cfg.RedactedDatabaseURL(), "for", cfg.DatabaseRetryFor.String(), "error", err.Error())
			warned = true
		}
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
	}
}

// New migrates the schema, seeds roles and builds the services and router.
func New(ctx context.Context, cfg *config.Config, db *gorm.DB, o Options) (*Server, error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	if _, err := migrations.Up(ctx, db, o.Log); err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	roles := append([]string{cfg.DefaultRole, "anonymous"}, cfg.DefaultAllowedRoles...)
	if err := models.UpsertRoles(ctx, db, roles); err != nil {
		return nil, fmt.Errorf("seed roles: %w", err)
	}
	tokens, err := token.New(ctx, token.Options{
		Secret:     cfg.JWTSecret,
		Issuer:     cfg.JWTIssuer,
		TTL:        cfg.AccessTokenTTL,
		JWKSMaxAge: cfg.JWKSMaxAge,
		JWKSURL:    cfg.ServerURL + cfg.APIPrefix + "/.well-known/jwks.json",
		Now:        o.Now,
		DB:         db,
		Log:        o.Log,
	})
	if err != nil {
		return nil, err
	}
	sessions := session.New(session.Options{
		DB: db, Tokens: tokens, Now: o.Now, TTL: cfg.RefreshTokenTTL, ReuseWindow: cfg.RefreshReuseWindow, Log: o.Log,
	})
	accounts, err := account.New(db, cfg, sessions, o.Log)
	if err != nil {
		return nil, err
	}
	router := handlers.NewRouter(handlers.Deps{
		Config: cfg, DB: db, Accounts: accounts, Sessions: sessions, Tokens: tokens, Log: o.Log,
	})
	return &Server{Config: cfg, DB: db, Tokens: tokens, Sessions: sessions, Accounts: accounts, Router: router}, nil
}

// Close releases the database pool.
func (s *Server) Close() error {
	sqlDB, err := s.DB.DB()
	if err != nil {
		return err
	}
	return sqlDB.Close()
}

// Package server assembles the application: database, migrations, services
// and the HTTP router. main and the tests build it the same way.
package server

import (
	"context"
	"crypto/x509"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/hasura-auth-go/auth/account"
	"github.com/hasura-auth-go/auth/analyze"
	"github.com/hasura-auth-go/auth/audit"
	"github.com/hasura-auth-go/auth/claims"
	"github.com/hasura-auth-go/auth/config"
	"github.com/hasura-auth-go/auth/handlers"
	"github.com/hasura-auth-go/auth/janitor"
	"github.com/hasura-auth-go/auth/mail"
	"github.com/hasura-auth-go/auth/metadata"
	"github.com/hasura-auth-go/auth/metrics"
	"github.com/hasura-auth-go/auth/models"
	"github.com/hasura-auth-go/auth/oidcprovider"
	"github.com/hasura-auth-go/auth/passkeys"
	"github.com/hasura-auth-go/auth/ratelimit"
	"github.com/hasura-auth-go/auth/session"
	"github.com/hasura-auth-go/auth/smsauth"
	"github.com/hasura-auth-go/auth/token"
)

// Server is the assembled application.
type Server struct {
	Config   *config.Config
	DB       *gorm.DB
	Tokens   *token.Service
	Sessions *session.Service
	Accounts *account.Service
	Mailer   *mail.Mailer // email flows; Close waits for mails still being sent
	Router   *gin.Engine
	Audit    *audit.Recorder    // queued audit events
	Janitor  *janitor.Janitor   // purges expired rows
	Metrics  *metrics.Metrics   // what /metrics publishes
	Limiter  *ratelimit.Limiter // nil unless AUTH_RATE_LIMIT_ENABLE

	stopMetadata func() // ends the background Hasura metadata apply
	stopJanitor  func()
	stopAnalyze  func()
	stopEpochs   func() // the sessions epoch LISTEN connection
	log          *slog.Logger
}

// Options are the seams tests use.
type Options struct {
	Now func() time.Time // nil = time.Now
	Log *slog.Logger     // nil = slog.Default()
	// SkipHasuraMetadata: do not apply metadata/ to Hasura even when
	// HASURA_GRAPHQL_GRAPHQL_URL and HASURA_GRAPHQL_ADMIN_SECRET are set
	// (tests that point those at a stub of their own).
	SkipHasuraMetadata bool
	// CIMDRootCAs verifies client metadata documents' hosts (the OpenID
	// Connect provider with CIMD); nil: the system's roots.
	CIMDRootCAs *x509.CertPool
	// SkipAnalyze: do not analyse the auth tables as they change even when
	// autovacuum is off (tests of how never-analysed tables are planned).
	SkipAnalyze bool
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
		dial, err := dialector(cfg)
		if err != nil {
			return nil, err
		}
		db, err := gorm.Open(dial, &gorm.Config{
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

// dialector opens the server's pool. Through a transaction-pooling proxy a
// statement prepared by name on one server connection is met by other
// clients of that connection, and missed by this client on the next one
// (pgx's default cache: "prepared statement stmtcache_… already exists"), so
// there queries describe and run the unnamed statement within one exchange,
// caching only descriptions (one round trip, as with named statements). A
// default_query_exec_mode in the URL wins.
func dialector(cfg *config.Config) (gorm.Dialector, error) {
	if !cfg.Pooled() {
		return postgres.Open(cfg.DatabaseURL), nil
	}
	pc, err := pgx.ParseConfig(cfg.DatabaseURL)
	if err != nil {
		return nil, fmt.Errorf("database URL: %w", err)
	}
	if u, err := url.Parse(cfg.DatabaseURL); err == nil && !u.Query().Has("default_query_exec_mode") {
		pc.DefaultQueryExecMode = pgx.QueryExecModeCacheDescribe
	}
	return postgres.New(postgres.Config{Conn: stdlib.OpenDB(*pc)}), nil
}

// New migrates the schema, seeds roles and builds the services and router.
func New(ctx context.Context, cfg *config.Config, db *gorm.DB, o Options) (*Server, error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
	for _, w := range cfg.Warnings {
		o.Log.Warn(w)
	}
	if err := migrate(ctx, cfg, db, o.Log); err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	roles := append([]string{cfg.DefaultRole, "anonymous"}, cfg.DefaultAllowedRoles...)
	if err := models.UpsertRoles(ctx, db, roles); err != nil {
		return nil, fmt.Errorf("seed roles: %w", err)
	}
	keyring, err := cfg.Keyring()
	if err != nil {
		return nil, err
	}
	customClaims, err := claims.New(ctx, cfg.CustomClaims(), claims.Options{DB: db, Log: o.Log})
	if err != nil {
		return nil, err
	}
	var claimsResolver token.ClaimsResolver // stays a nil interface when nothing is configured
	if customClaims != nil {
		claimsResolver = customClaims
	}
	tokens, err := token.New(ctx, token.Options{
		Claims:      claimsResolver,
		Algorithm:   cfg.JWTAlgorithm,
		RotateEvery: cfg.KeyRotationInterval,
		Keyring:     keyring,
		Secret:      cfg.JWTSecret,
		Issuer:      cfg.JWTIssuer,
		TTL:         cfg.AccessTokenTTL,
		JWKSMaxAge:  cfg.JWKSMaxAge,
		JWKSURL:     cfg.ServerURL + "/.well-known/jwks.json", // AUTH_SERVER_URL holds the prefix
		Now:         o.Now,
		DB:          db,
		Log:         o.Log,
	})
	if err != nil {
		return nil, err
	}
	// Audit events: the recorder stops in Close, before the pool.
	recorder, err := audit.NewRecorder(db, audit.Options{Now: o.Now, Log: o.Log})
	if err != nil {
		return nil, err
	}
	started := false
	defer func() {
		if !started {
			_ = recorder.Close(context.Background())
		}
	}()
	sessions, err := session.New(session.Options{
		DB: db, Tokens: tokens, Now: o.Now, TTL: cfg.RefreshTokenTTL, ReuseWindow: cfg.RefreshReuseWindow, Log: o.Log, Audit: recorder,
		PATMaxLifetime: cfg.PATMaxLifetime,
	})
	if err != nil {
		return nil, err
	}
	defer func() {
		if !started {
			sessions.Close() // its batch runners
		}
	}()
	mailer, err := newMailer(cfg, o.Log) // email flows (mail/, server/mail.go)
	if err != nil {
		return nil, err
	}
	accounts, err := account.New(account.Options{DB: db, Config: cfg, Sessions: sessions, Audit: recorder, Mailer: mailer,
		Pwned: pwnedPasswords(cfg), Now: o.Now, Log: o.Log})
	if err != nil {
		return nil, err
	}
	smsSignIn, err := smsauth.New(smsauth.Options{DB: db, Config: cfg, Accounts: accounts, Sessions: sessions, Audit: recorder,
		Now: o.Now, Log: o.Log})
	if err != nil {
		return nil, err
	}
	var flows *passkeys.Flows // the WebAuthn routes
	if cfg.WebAuthn.Enabled {
		flows, err = passkeys.New(passkeys.Options{DB: db, Config: cfg.WebAuthn, Accounts: accounts, Sessions: sessions, Audit: recorder, Now: o.Now})
		if err != nil {
			return nil, err
		}
	}
	socialSignIn, err := newSocial(cfg, db, accounts, sessions, recorder, o) // server/social.go
	if err != nil {
		return nil, err
	}
	jan := janitor.New(janitor.Options{
		DB: db, Now: o.Now, Log: o.Log, BatchSize: cfg.Operators.JanitorBatchSize,
		Interval: cfg.Operators.JanitorInterval, Retention: cfg.Operators.AuditLogRetention,
	})
	// Metrics and rate limits (server/hardening.go).
	m, limiter, err := newHardening(ctx, cfg, db, o)
	if err != nil {
		return nil, err
	}
	provider, err := newOIDCProvider(cfg, db, tokens, recorder, o)
	if err != nil {
		return nil, err
	}
	router, err := handlers.NewRouter(handlers.Options{
		Config: cfg, DB: db, Accounts: accounts, SMS: smsSignIn, Social: socialSignIn, Sessions: sessions, Tokens: tokens, Log: o.Log,
		Audit: recorder, Janitor: jan, Metrics: m, Limiter: limiter, Passkeys: flows, OIDC: provider,
	})
	if err != nil {
		if limiter != nil {
			_ = limiter.Close()
		}
		return nil, err
	}
	stopMetadata := startHasuraMetadata(ctx, cfg, o) // in the background: never delays serving
	stopJanitor := jan.Start(ctx)                    // ends with ctx (SIGTERM in main) or Close
	stopAnalyze := func() {}
	if !o.SkipAnalyze {
		stopAnalyze = analyze.Start(ctx, db, o.Log)
	}
	stopEpochs := func() {}
	if listenURL := cfg.ListenDatabaseURL(); listenURL != "" {
		stopEpochs = sessions.StartEpochListener(ctx, listenURL)
	} else {
		// LISTEN through a transaction pooler hears only what reaches the
		// server connection it happened to get: the caches stay off.
		o.Log.Warn("AUTH_DATABASE_POOLER=transaction without AUTH_DATABASE_DIRECT_URL: no LISTEN connection, so Bearer checks and GET /user ask the database on every request")
	}
	started = true
	return &Server{Config: cfg, DB: db, Tokens: tokens, Sessions: sessions, Accounts: accounts, Router: router,
		Audit: recorder, Janitor: jan, Mailer: mailer, stopMetadata: stopMetadata, stopJanitor: stopJanitor, stopAnalyze: stopAnalyze, stopEpochs: stopEpochs,
		Metrics: m, Limiter: limiter, log: o.Log}, nil
}

// MetricsHandler is what the listener of AUTH_METRICS_ADDR serves: GET
// /metrics and nothing else.
func (s *Server) MetricsHandler() http.Handler {
	return handlers.MetricsHandler(s.Config, s.Metrics, s.log)
}

// newOIDCProvider builds the OpenID Connect provider when
// AUTH_OAUTH2_PROVIDER_ENABLED; nil when it is off.
func newOIDCProvider(cfg *config.Config, db *gorm.DB, tokens *token.Service, recorder *audit.Recorder, o Options) (*oidcprovider.Service, error) {
	p := cfg.OAuth2Provider
	if !p.Enabled {
		return nil, nil
	}
	return oidcprovider.New(oidcprovider.Options{
		DB: db, Tokens: tokens, Issuer: cfg.ServerURL, LoginURL: p.LoginURL(cfg.ClientURL),
		AccessTokenTTL: p.AccessTokenTTL, RefreshTokenTTL: p.RefreshTokenTTL,
		CIMD: p.CIMDEnabled, CIMDAllowInsecure: p.CIMDAllowInsecureTransport, CIMDRootCAs: o.CIMDRootCAs,
		Now: o.Now, Log: o.Log, Audit: recorder,
	})
}

// Close releases the database pool.
func (s *Server) Close() error {
	if s.stopMetadata != nil {
		s.stopMetadata()
	}
	if s.stopJanitor != nil {
		s.stopJanitor()
	}
	if s.stopAnalyze != nil {
		s.stopAnalyze()
	}
	if s.stopEpochs != nil {
		s.stopEpochs()
	}
	if s.Audit != nil {
		// Write what is queued; a database that is gone must not hold up a stop.
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_ = s.Audit.Close(ctx)
		cancel()
	}
	if s.Mailer != nil {
		s.Mailer.Close() // background sends (password reset); each is bounded by its timeout
	}
	if s.Limiter != nil {
		_ = s.Limiter.Close() // the Redis client, when there is one
	}
	if s.Sessions != nil {
		s.Sessions.Close() // its batch runners, before the pool they use
	}
	sqlDB, err := s.DB.DB()
	if err != nil {
		return err
	}
	return sqlDB.Close()
}

// --- Hasura metadata ---

// startHasuraMetadata applies metadata/ through Hasura's metadata API in the
// background, retrying while Hasura starts (it often starts after us, and its
// JWKS fetch needs us up first), until ctx ends or the returned stop is called.
func startHasuraMetadata(ctx context.Context, cfg *config.Config, o Options) (stop func()) {
	if o.SkipHasuraMetadata {
		return func() {}
	}
	if cfg.HasuraGraphQLURL == "" || cfg.HasuraAdminSecret == "" {
		o.Log.Info("hasura metadata not applied: set HASURA_GRAPHQL_GRAPHQL_URL and HASURA_GRAPHQL_ADMIN_SECRET to apply it at start")
		return func() {}
	}
	sources, err := metadata.Load()
	if err != nil {
		o.Log.Error("hasura metadata not applied: embedded files invalid", "error", err.Error())
		return func() {}
	}
	client, err := metadata.NewClient(cfg.HasuraGraphQLURL, cfg.HasuraAdminSecret, metadata.ClientOptions{Log: o.Log})
	if err != nil {
		o.Log.Error("hasura metadata not applied", "error", err.Error())
		return func() {}
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		res, err := client.Apply(ctx, sources)
		attrs := []any{"endpoint", client.Endpoint(), "tracked", res.Tracked, "already_tracked", res.AlreadyTracked,
			"relationships_created", res.RelationshipsCreated, "relationships_existing", res.AlreadyExisted, "retries", res.Retries}
		switch {
		case err == nil:
			o.Log.Info("hasura metadata applied", attrs...)
		case ctx.Err() != nil:
			o.Log.Info("hasura metadata apply stopped before Hasura answered", attrs...)
		default:
			o.Log.Error("hasura metadata not fully applied", append(attrs, "skipped", res.Skipped, "error", err.Error())...)
		}
	}()
	return func() {
		cancel()
		<-done
	}
}

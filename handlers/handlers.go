// Package handlers is the HTTP layer: it binds requests, calls the account,
// session and token services, and writes the contract's JSON.
package handlers

import (
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"gorm.io/gorm"

	"github.com/hasura-auth-go/auth/account"
	"github.com/hasura-auth-go/auth/apierr"
	"github.com/hasura-auth-go/auth/audit"
	"github.com/hasura-auth-go/auth/config"
	"github.com/hasura-auth-go/auth/janitor"
	"github.com/hasura-auth-go/auth/logging"
	"github.com/hasura-auth-go/auth/metrics"
	"github.com/hasura-auth-go/auth/ratelimit"
	"github.com/hasura-auth-go/auth/session"
	"github.com/hasura-auth-go/auth/token"
)

// Handlers holds what the endpoints depend on.
type Handlers struct {
	cfg      *config.Config
	db       *gorm.DB
	accounts *account.Service
	sessions *session.Service
	tokens   *token.Service
	log      *slog.Logger
	audit    *audit.Recorder
	janitor  *janitor.Janitor

	limiter    *ratelimit.Limiter // nil: AUTH_RATE_LIMIT_ENABLE=false
	pacer      *ratelimit.Pacer
	metrics    *metrics.Metrics // nil: no /metrics
	corsPolicy corsPolicy
}

// Deps are the services the HTTP layer needs.
type Deps struct {
	Config   *config.Config
	DB       *gorm.DB // for the health check
	Accounts *account.Service
	Sessions *session.Service
	Tokens   *token.Service
	Log      *slog.Logger
	Audit    *audit.Recorder    // nil: queued audit events are dropped
	Janitor  *janitor.Janitor   // for POST /sessions/purge-expired
	Limiter  *ratelimit.Limiter // nil: no rate limits
	Metrics  *metrics.Metrics   // nil: no /metrics
}

const requestIDKey = "request_id"

// NewRouter mounts every route under AUTH_API_PREFIX.
func NewRouter(d Deps) *gin.Engine {
	h := &Handlers{cfg: d.Config, db: d.DB, accounts: d.Accounts, sessions: d.Sessions, tokens: d.Tokens, log: d.Log, audit: d.Audit, janitor: d.Janitor}
	h.limiter, h.metrics = d.Limiter, d.Metrics
	h.pacer, h.corsPolicy = ratelimit.NewPacer(pacingCeiling), newCORSPolicy(d.Config)
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.HandleMethodNotAllowed = true
	// c.ClientIP() is the socket's address unless it is one of
	// AUTH_TRUSTED_PROXIES; then X-Forwarded-For is read right to left up to
	// the first address that is not a trusted proxy. (gin trusts everyone by default.)
	r.ForwardedByClientIP = true
	r.RemoteIPHeaders = []string{"X-Forwarded-For"}
	if err := r.SetTrustedProxies(d.Config.TrustedProxies); err != nil {
		d.Log.Error("AUTH_TRUSTED_PROXIES not applied: trusting no proxy", "error", err.Error())
		_ = r.SetTrustedProxies(nil)
	}
	middleware := []gin.HandlerFunc{h.requestLog, h.observe, h.recover, h.cors, h.auditContext, h.bodyCap}
	if h.limiter != nil {
		middleware = append(middleware, h.rateLimit)
	}
	if check := h.turnstileCheck(); check != nil { // AUTH_TURNSTILE_SECRET (turnstile.go)
		middleware = append(middleware, check)
	}
	r.Use(append(middleware, h.holdAnswers, h.forgetProfiles)...)
	r.GET("/metrics", h.handle(h.serveMetrics)) // unprefixed, where scrapers look
	r.NoRoute(h.handle(func(*gin.Context) error { return apierr.New(apierr.RouteNotFound) }))
	r.NoMethod(h.handle(func(*gin.Context) error { return apierr.New(apierr.MethodNotAllowed) }))

	g := r.Group(d.Config.APIPrefix)
	g.GET("/healthz", h.handle(h.healthz))
	g.HEAD("/healthz", h.handle(h.healthz))
	if d.Config.APIPrefix != "" {
		// Orchestrators probe the bare path whatever the prefix.
		r.GET("/healthz", h.handle(h.healthz))
		r.HEAD("/healthz", h.handle(h.healthz))
	}
	g.GET("/version", h.handle(h.version))
	g.GET("/.well-known/jwks.json", h.handle(h.jwks))
	g.GET("/admin/keys", h.handle(h.listKeys))
	g.POST("/admin/keys/rotate", h.handle(h.rotateKeys))

	g.POST("/signup/email-password", h.handle(h.signUpEmailPassword))
	g.POST("/signin/email-password", h.handle(h.signInEmailPassword))
	g.POST("/signin/anonymous", h.handle(h.signInAnonymous))
	g.POST("/token", h.handle(h.refreshToken))
	g.POST("/token/verify", h.handle(h.verifyToken))
	g.POST("/signout", h.handle(h.signOut))
	g.GET("/user", h.handle(h.getUser))
	g.POST("/user/deanonymize", h.handle(h.deanonymize))

	// Email flows (email.go, password.go, passwordless.go).
	g.POST("/user/email/send-verification-email", h.handle(h.sendVerificationEmail))
	g.POST("/user/email/change", h.handle(h.changeEmail))
	g.POST("/user/password/reset", h.handle(h.sendPasswordResetEmail))
	g.POST("/user/password", h.handle(h.changePassword))
	g.POST("/signin/passwordless/email", h.handle(h.signInPasswordlessEmail))
	g.POST("/signin/otp/email", h.handle(h.signInOTPEmail))
	g.POST("/signin/otp/email/verify", h.handle(h.signInOTPEmailVerify))
	g.GET("/verify", h.handle(h.verifyTicket))

	// Second factor, personal access tokens, elevation (mfa.go, pat.go).
	g.GET("/mfa/totp/generate", h.handle(h.generateTOTP))
	g.POST("/user/mfa", h.handle(h.changeUserMFA))
	g.POST("/signin/mfa/totp", h.handle(h.signInMFATOTP))
	g.POST("/elevate/password", h.handle(h.elevatePassword))
	g.POST("/elevate/totp", h.handle(h.elevateTOTP))
	g.POST("/pat", h.handle(h.createPAT))
	g.GET("/pat", h.handle(h.listPATs))
	g.DELETE("/pat/:id", h.handle(h.revokePAT))
	g.POST("/signin/pat", h.handle(h.signInPAT))

	// Operators (issue 7): admin API and the purge for cron jobs (admin_users.go).
	g.POST("/sessions/purge-expired", h.handle(h.purgeExpired))
	g.GET("/admin/users", h.handle(h.adminListUsers))
	g.POST("/admin/users", h.handle(h.adminCreateUser))
	g.GET("/admin/users/:id", h.handle(h.adminGetUser))
	g.DELETE("/admin/users/:id", h.handle(h.adminDeleteUser))
	g.POST("/admin/users/:id/disable", h.handle(h.adminDisableUser))
	g.POST("/admin/users/:id/enable", h.handle(h.adminEnableUser))
	g.PUT("/admin/users/:id/roles", h.handle(h.adminSetRoles))
	g.POST("/admin/users/:id/signout", h.handle(h.adminSignOutAll))
	g.GET("/admin/audit-log", h.handle(h.adminAuditLog))
	return r
}

// requestLog tags each request with an id and logs one line per request:
// method, route, status and duration, never bodies or query strings.
// The id (the caller's X-Request-Id when it is a sane token, else a new one)
// goes into the request's context, so that service logs written with it name
// the request (logging.WithContext).
func (h *Handlers) requestLog(c *gin.Context) {
	start := time.Now()
	id := c.GetHeader("X-Request-Id")
	if !validRequestID(id) {
		var b [8]byte
		_, _ = rand.Read(b[:])
		id = hex.EncodeToString(b[:])
	}
	c.Set(requestIDKey, id)
	c.Request = c.Request.WithContext(logging.WithRequestID(c.Request.Context(), id))
	c.Header("X-Request-Id", id)
	// A proxy may add its hop as a second header line; gin reads only the
	// first, which the client wrote. Join them so the last hop is last.
	if xff := c.Request.Header.Values("X-Forwarded-For"); len(xff) > 1 {
		c.Request.Header.Set("X-Forwarded-For", strings.Join(xff, ", "))
	}
	c.Next()
	if !h.log.Enabled(c.Request.Context(), slog.LevelInfo) {
		return // AUTH_LOG_LEVEL above info: not even the attributes (ClientIP parses headers)
	}
	h.log.LogAttrs(c.Request.Context(), slog.LevelInfo, "request",
		slog.String("request_id", id),
		slog.String("method", c.Request.Method),
		slog.String("path", c.Request.URL.Path),
		slog.Int("status", c.Writer.Status()),
		slog.Duration("duration", time.Since(start)),
		slog.String("client_ip", c.ClientIP()))
}

// validRequestID: at most 64 visible ASCII characters, nothing a log or
// header could be confused by.
func validRequestID(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for i := 0; i < len(id); i++ {
		if id[i] <= ' ' || id[i] > '~' || id[i] == '"' || id[i] == '\\' {
			return false
		}
	}
	return true
}

// recover answers a panic with the contract's 500 and logs it.
func (h *Handlers) recover(c *gin.Context) {
	defer func() {
		if p := recover(); p != nil {
			if p == http.ErrAbortHandler {
				panic(p)
			}
			h.log.Error("panic while serving request", "request_id", requestID(c), "panic", p)
			h.writeError(c, apierr.New(apierr.InternalServerError))
		}
	}()
	c.Next()
}

// bearer returns the verified caller of a Bearer-authenticated request.
func (h *Handlers) bearer(c *gin.Context) (*token.Verified, error) {
	raw, ok := bearerToken(c.GetHeader("Authorization"))
	if !ok {
		return nil, apierr.New(apierr.Unauthorized)
	}
	return h.verifyAccess(c, raw)
}

// verifyAccess checks an access token's signature and claims, then that its
// user exists and its sessions were not revoked after it was issued (one
// indexed lookup: session/epoch.go).
func (h *Handlers) verifyAccess(c *gin.Context, raw string) (*token.Verified, error) {
	v, err := h.tokens.Verify(raw)
	if err != nil {
		return nil, err
	}
	if err := h.sessions.CheckAccess(c.Request.Context(), v); err != nil {
		return nil, err
	}
	return v, nil
}

// bearerToken accepts exactly "Bearer <token>", as Hasura does.
func bearerToken(header string) (string, bool) {
	parts := strings.Split(header, " ")
	if len(parts) != 2 || !strings.EqualFold(parts[0], "Bearer") || parts[1] == "" {
		return "", false
	}
	return parts[1], true
}

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
	"github.com/hasura-auth-go/auth/config"
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
}

// Deps are the services the HTTP layer needs.
type Deps struct {
	Config   *config.Config
	DB       *gorm.DB // for the health check
	Accounts *account.Service
	Sessions *session.Service
	Tokens   *token.Service
	Log      *slog.Logger
}

const requestIDKey = "request_id"

// NewRouter mounts every route under AUTH_API_PREFIX.
func NewRouter(d Deps) *gin.Engine {
	h := &Handlers{cfg: d.Config, db: d.DB, accounts: d.Accounts, sessions: d.Sessions, tokens: d.Tokens, log: d.Log}
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.HandleMethodNotAllowed = true
	r.Use(h.requestLog, h.recover, h.cors)
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
	return r
}

// requestLog tags each request with an id and logs one line per request:
// method, route, status and duration, never bodies or query strings.
func (h *Handlers) requestLog(c *gin.Context) {
	start := time.Now()
	id := c.GetHeader("X-Request-Id")
	if id == "" || len(id) > 64 {
		var b [8]byte
		_, _ = rand.Read(b[:])
		id = hex.EncodeToString(b[:])
	}
	c.Set(requestIDKey, id)
	c.Header("X-Request-Id", id)
	c.Next()
	h.log.LogAttrs(c.Request.Context(), slog.LevelInfo, "request",
		slog.String("request_id", id),
		slog.String("method", c.Request.Method),
		slog.String("path", c.Request.URL.Path),
		slog.Int("status", c.Writer.Status()),
		slog.Duration("duration", time.Since(start)))
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

// cors lets browser apps call the server with credentials. Origins are
// reflected; an allow-list comes with the hardening work.
func (h *Handlers) cors(c *gin.Context) {
	origin := c.GetHeader("Origin")
	if origin == "" {
		c.Next()
		return
	}
	hd := c.Writer.Header()
	hd.Add("Vary", "Origin")
	hd.Set("Access-Control-Allow-Origin", origin)
	hd.Set("Access-Control-Allow-Credentials", "true")
	if c.Request.Method == http.MethodOptions && c.GetHeader("Access-Control-Request-Method") != "" {
		hd.Set("Access-Control-Allow-Methods", "GET, HEAD, POST, DELETE, OPTIONS")
		if req := c.GetHeader("Access-Control-Request-Headers"); req != "" {
			hd.Set("Access-Control-Allow-Headers", req)
		}
		hd.Set("Access-Control-Max-Age", "86400")
		c.AbortWithStatus(http.StatusNoContent)
		return
	}
	c.Next()
}

// bearer returns the verified caller of a Bearer-authenticated request.
func (h *Handlers) bearer(c *gin.Context) (*token.Verified, error) {
	raw, ok := bearerToken(c.GetHeader("Authorization"))
	if !ok {
		return nil, apierr.New(apierr.Unauthorized)
	}
	return h.tokens.Verify(raw)
}

// bearerToken accepts exactly "Bearer <token>", as Hasura does.
func bearerToken(header string) (string, bool) {
	parts := strings.Split(header, " ")
	if len(parts) != 2 || !strings.EqualFold(parts[0], "Bearer") || parts[1] == "" {
		return "", false
	}
	return parts[1], true
}

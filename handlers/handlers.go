// Package handlers is the HTTP layer: it binds requests, calls the account,
// session and token services, and writes the contract's JSON.
package handlers

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gin-gonic/gin"
	"gorm.io/gorm"

	"github.com/hasura-auth-go/auth/account"
	"github.com/hasura-auth-go/auth/api"
	"github.com/hasura-auth-go/auth/apierr"
	"github.com/hasura-auth-go/auth/audit"
	"github.com/hasura-auth-go/auth/config"
	"github.com/hasura-auth-go/auth/janitor"
	"github.com/hasura-auth-go/auth/logging"
	"github.com/hasura-auth-go/auth/metrics"
	"github.com/hasura-auth-go/auth/oidcprovider"
	"github.com/hasura-auth-go/auth/passkeys"
	"github.com/hasura-auth-go/auth/ratelimit"
	"github.com/hasura-auth-go/auth/session"
	"github.com/hasura-auth-go/auth/smsauth"
	"github.com/hasura-auth-go/auth/social"
	"github.com/hasura-auth-go/auth/token"
)

// Handlers holds what the endpoints depend on.
type Handlers struct {
	cfg      *config.Config
	db       *gorm.DB
	accounts *account.Service
	sms      *smsauth.Service
	social   *social.Service
	sessions *session.Service
	tokens   *token.Service
	log      *slog.Logger
	audit    *audit.Recorder
	janitor  *janitor.Janitor
	passkeys *passkeys.Flows       // nil: AUTH_WEBAUTHN_ENABLED=false
	oidc     *oidcprovider.Service // nil: AUTH_OAUTH2_PROVIDER_ENABLED=false

	limiter    *ratelimit.Limiter // nil: AUTH_RATE_LIMIT_ENABLE=false
	pacer      *ratelimit.Pacer
	metrics    *metrics.Metrics // nil: no /metrics
	corsPolicy corsPolicy
	openapi    *api.Document // GET /openapi.yaml, /openapi.json
	// captcha checks routes declared Captcha; nil: no check configured.
	// A verifier (Turnstile) is one assignment in NewRouter.
	captcha func(c *gin.Context) error
}

// Options are the services the HTTP layer needs.
type Options struct {
	Config   *config.Config
	DB       *gorm.DB // for the health check
	Accounts *account.Service
	SMS      *smsauth.Service // sign-in by SMS (answers disabled-endpoint when off)
	Social   *social.Service  // sign-in with providers
	Sessions *session.Service
	Tokens   *token.Service
	Log      *slog.Logger
	Audit    *audit.Recorder       // PATs, admin key rotation, sign-in outcomes
	Janitor  *janitor.Janitor      // for POST /sessions/purge-expired
	Passkeys *passkeys.Flows       // the WebAuthn routes; nil: they answer disabled-endpoint
	Limiter  *ratelimit.Limiter    // nil: no rate limits
	Metrics  *metrics.Metrics      // nil: no /metrics
	OIDC     *oidcprovider.Service // nil: the OpenID Connect provider is off
}

// NewRouter mounts every route of the route table (routes.go) with the
// middleware its traits ask for (mount.go), and derives the OpenAPI
// document it serves from the same table (openapi.go).
func NewRouter(o Options) (*gin.Engine, error) {
	h := &Handlers{cfg: o.Config, db: o.DB, accounts: o.Accounts, sms: o.SMS, social: o.Social, sessions: o.Sessions, tokens: o.Tokens, log: o.Log, audit: o.Audit, janitor: o.Janitor}
	h.passkeys = o.Passkeys
	h.limiter, h.metrics, h.oidc = o.Limiter, o.Metrics, o.OIDC
	h.pacer, h.corsPolicy = ratelimit.NewPacer(pacingCeiling), newCORSPolicy(o.Config)
	if o.Audit == nil || o.SMS == nil {
		return nil, errors.New("handlers: an audit recorder and the SMS sign-in are required")
	}
	if o.Social == nil {
		return nil, errors.New("handlers: the provider sign-in service is required")
	}
	if err := h.buildOpenAPI(routes); err != nil {
		return nil, fmt.Errorf("the OpenAPI document: %w", err)
	}
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.HandleMethodNotAllowed = true
	// c.ClientIP() is the socket's address unless it is one of
	// AUTH_TRUSTED_PROXIES; then X-Forwarded-For is read right to left up to
	// the first address that is not a trusted proxy. (gin trusts everyone by default.)
	r.ForwardedByClientIP = true
	r.RemoteIPHeaders = []string{"X-Forwarded-For"}
	if err := r.SetTrustedProxies(o.Config.TrustedProxies); err != nil {
		o.Log.Error("AUTH_TRUSTED_PROXIES not applied: trusting no proxy", "error", err.Error())
		_ = r.SetTrustedProxies(nil)
	}
	r.Use(h.requestLog, h.observe, h.recover, h.cors, h.bodyCap)
	unmatched := func(code string) gin.HandlerFunc {
		return func(c *gin.Context) {
			if h.limitUnmatched(c) {
				h.writeError(c, apierr.New(code))
			}
		}
	}
	h.captcha = h.turnstileCheck()
	r.NoRoute(unmatched(apierr.RouteNotFound))
	r.NoMethod(unmatched(apierr.MethodNotAllowed))
	h.mount(r, routes)
	return r, nil
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
	// ClientIP honours AUTH_TRUSTED_PROXIES (set on the router), as rate limits do.
	ip := c.ClientIP()
	// The request id (for log lines) and the caller's details (for the
	// services that record audit events, package audit) travel in the
	// request context, set once: each WithContext copies the request.
	ctx := logging.WithRequestID(c.Request.Context(), id)
	ctx = audit.WithRequest(ctx, audit.Request{IP: ip, UserAgent: c.Request.UserAgent(), RequestID: id})
	c.Request = c.Request.WithContext(ctx)
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
		slog.String("method", methodLabel(c.Request.Method)),
		slog.String("route", routeLabel(c)),
		slog.String("path", clip(c.Request.URL.Path, maxLoggedPath)),
		slog.Int("status", c.Writer.Status()),
		slog.Duration("duration", time.Since(start)),
		slog.String("client_ip", ip))
}

// methodLabel is the request's method for metrics and logs: one of the
// standard methods, else OTHER. A method is any token the client likes (30 KB
// of them fit in a request line); as a label each would be a new series.
func methodLabel(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace:
		return m
	}
	return "OTHER"
}

// routeLabel is the matched route template, or "unmatched": raw paths would
// make one series per scanner probe.
func routeLabel(c *gin.Context) string {
	if r := c.FullPath(); r != "" {
		return r
	}
	return "unmatched"
}

// maxLoggedPath bounds the path the request log repeats (a 404's path helps
// find a misconfigured client; a 60 KB one only fills the logs).
const maxLoggedPath = 256

// clip cuts s to at most n bytes, on a rune boundary, marking the cut.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
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

package handlers

import (
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/hasura-auth-go/auth/apierr"
	"github.com/hasura-auth-go/auth/config"
	"github.com/hasura-auth-go/auth/metrics"
	"github.com/hasura-auth-go/auth/session"
)

// observe feeds /metrics: every answer by route template and status, refused
// sign-ins by error code, and detected refresh-token replays.
func (h *Handlers) observe(c *gin.Context) {
	if h.metrics == nil {
		c.Next()
		return
	}
	start := time.Now()
	c.Next()
	route := routeLabel(c)
	status := c.Writer.Status()
	h.metrics.ObserveRequest(methodLabel(c.Request.Method), route, status, time.Since(start))
	last := c.Errors.Last()
	if last == nil {
		return
	}
	if rt := routeOf(c); rt != nil && status >= 400 && status < 500 && strings.HasPrefix(rt.Path, "/signin") {
		h.metrics.SignInFailure(route, failureReason(apierr.As(last.Err).Code))
	}
	if errors.Is(last.Err, session.ErrReuseDetected) {
		h.metrics.RefreshReuse()
	}
}

// failureReason is the reason label of a refused sign-in: the codes an
// answer may conceal (they tell whether an account exists, is disabled or
// unverified) are one value, so that the series cannot tell what answers hide.
func failureReason(code string) string {
	if apierr.Concealable(code) {
		return "concealed"
	}
	return code
}

// MetricsHandler serves GET /metrics alone, for the listener of
// AUTH_METRICS_ADDR; AUTH_METRICS_TOKEN, when set, is needed there too.
func MetricsHandler(cfg *config.Config, m *metrics.Metrics, log *slog.Logger) http.Handler {
	h := &Handlers{cfg: cfg, log: log, metrics: m}
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.HandleMethodNotAllowed = true
	r.Use(h.recover)
	check := func(c *gin.Context) error {
		if cfg.MetricsToken == "" {
			return nil
		}
		return checkMetricsToken(cfg.MetricsToken, c.GetHeader("Authorization"))
	}
	r.GET("/metrics", h.guard(check), h.handle(h.serveMetrics))
	r.NoRoute(func(c *gin.Context) { h.writeError(c, apierr.New(apierr.RouteNotFound)) })
	r.NoMethod(func(c *gin.Context) { h.writeError(c, apierr.New(apierr.MethodNotAllowed)) })
	return r
}

// serveMetrics is GET /metrics on the API port (only with AUTH_METRICS_TOKEN: access.go).
func (h *Handlers) serveMetrics(c *gin.Context) error {
	if h.metrics == nil {
		return apierr.New(apierr.RouteNotFound)
	}
	h.metrics.Handler().ServeHTTP(c.Writer, c.Request)
	return nil
}

package handlers

import (
	"crypto/sha256"
	"crypto/subtle"
	"errors"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/hasura-auth-go/auth/apierr"
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
	route := c.FullPath()
	if route == "" {
		route = "unmatched" // raw paths would make one series per scanner probe
	}
	status := c.Writer.Status()
	h.metrics.ObserveRequest(c.Request.Method, route, status, time.Since(start))
	last := c.Errors.Last()
	if last == nil {
		return
	}
	if path, _ := h.routePath(c); status >= 400 && status < 500 && strings.HasPrefix(path, "/signin") {
		h.metrics.SignInFailure(route, apierr.As(last.Err).Code)
	}
	if errors.Is(last.Err, session.ErrReuseDetected) {
		h.metrics.RefreshReuse()
	}
}

// serveMetrics is GET /metrics, behind AUTH_METRICS_TOKEN when set.
func (h *Handlers) serveMetrics(c *gin.Context) error {
	if h.metrics == nil {
		return apierr.New(apierr.RouteNotFound)
	}
	if h.cfg.MetricsToken != "" {
		raw, _ := bearerToken(c.GetHeader("Authorization"))
		got, want := sha256.Sum256([]byte(raw)), sha256.Sum256([]byte(h.cfg.MetricsToken))
		if subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
			return apierr.Newf(apierr.Unauthorized, "Send AUTH_METRICS_TOKEN as Authorization: Bearer <token>")
		}
	}
	h.metrics.Handler().ServeHTTP(c.Writer, c.Request)
	return nil
}

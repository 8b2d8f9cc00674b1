package handlers

import (
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
	route := routeLabel(c)
	status := c.Writer.Status()
	h.metrics.ObserveRequest(methodLabel(c.Request.Method), route, status, time.Since(start))
	last := c.Errors.Last()
	if last == nil {
		return
	}
	if rt := routeOf(c); rt != nil && status >= 400 && status < 500 && strings.HasPrefix(rt.Path, "/signin") {
		h.metrics.SignInFailure(route, apierr.As(last.Err).Code)
	}
	if errors.Is(last.Err, session.ErrReuseDetected) {
		h.metrics.RefreshReuse()
	}
}

// serveMetrics is GET /metrics (behind AUTH_METRICS_TOKEN when set: access.go).
func (h *Handlers) serveMetrics(c *gin.Context) error {
	if h.metrics == nil {
		return apierr.New(apierr.RouteNotFound)
	}
	h.metrics.Handler().ServeHTTP(c.Writer, c.Request)
	return nil
}

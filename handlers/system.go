package handlers

import (
	"fmt"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/hasura-auth-go/auth/apierr"
)

// healthz answers OK only while the database answers.
func (h *Handlers) healthz(c *gin.Context) error {
	sqlDB, err := h.db.DB()
	if err == nil {
		err = sqlDB.PingContext(c.Request.Context())
	}
	if err != nil {
		e := apierr.Internal(fmt.Errorf("health check: %w", err))
		e.Status, e.Message = http.StatusServiceUnavailable, "Database unavailable"
		return e
	}
	c.JSON(http.StatusOK, "OK")
	return nil
}

func (h *Handlers) version(c *gin.Context) error {
	c.JSON(http.StatusOK, gin.H{"version": h.cfg.Version})
	return nil
}

// jwks publishes the verification keys with a max-age, because Hasura
// refetches only as Cache-Control allows.
func (h *Handlers) jwks(c *gin.Context) error {
	body, etag, maxAge := h.tokens.JWKS()
	c.Header("Cache-Control", fmt.Sprintf("public, max-age=%d", int(maxAge.Seconds())))
	c.Header("ETag", etag)
	if c.GetHeader("If-None-Match") == etag {
		c.Status(http.StatusNotModified)
		return nil
	}
	c.Data(http.StatusOK, "application/json; charset=utf-8", body)
	return nil
}

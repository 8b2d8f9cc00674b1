package handlers

import (
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/hasura-auth-go/auth/apierr"
	"github.com/hasura-auth-go/auth/turnstile"
)

// turnstileCheck is the Cloudflare Turnstile gate of AUTH_TURNSTILE_SECRET on
// the routes turnstile.Protected names; nil when no secret is set. A request
// without a passed challenge is refused before its body is read.
func (h *Handlers) turnstileCheck() gin.HandlerFunc {
	if h.cfg.TurnstileSecret == "" {
		return nil
	}
	v := turnstile.New(h.cfg.TurnstileSecret, h.cfg.TurnstileVerifyURL, turnstile.Options{})
	return func(c *gin.Context) {
		path, ok := h.routePath(c)
		if !ok || !turnstile.Protected(path) || c.Request.Method == http.MethodOptions {
			c.Next()
			return
		}
		err := v.Verify(c.Request.Context(), c.GetHeader(turnstile.Header), c.ClientIP())
		switch {
		case err == nil:
			c.Next()
		case errors.Is(err, turnstile.ErrUnavailable):
			e := apierr.Newf(apierr.ServiceUnavailable, "The Cloudflare Turnstile challenge could not be verified; try again shortly")
			e.Cause = err
			h.writeError(c, e)
		default:
			e := apierr.New(apierr.TurnstileFailed)
			e.Cause = err
			h.writeError(c, e)
		}
	}
}

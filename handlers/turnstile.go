package handlers

import (
	"errors"

	"github.com/gin-gonic/gin"

	"github.com/hasura-auth-go/auth/apierr"
	"github.com/hasura-auth-go/auth/turnstile"
)

// turnstileCheck is the captcha check of routes declared Captcha: the
// Cloudflare Turnstile answer of AUTH_TURNSTILE_SECRET, read from the header
// nhost's client sends. Nil when no secret is set. It runs before the body
// is read.
func (h *Handlers) turnstileCheck() func(*gin.Context) error {
	if h.cfg.TurnstileSecret == "" {
		return nil
	}
	v := turnstile.New(h.cfg.TurnstileSecret, h.cfg.TurnstileVerifyURL, turnstile.Options{})
	return func(c *gin.Context) error {
		err := v.Verify(c.Request.Context(), c.GetHeader(turnstile.Header), c.ClientIP())
		switch {
		case err == nil:
			return nil
		case errors.Is(err, turnstile.ErrUnavailable):
			e := apierr.Newf(apierr.ServiceUnavailable, "The Cloudflare Turnstile challenge could not be verified; try again shortly")
			e.Cause = err
			return e
		default:
			e := apierr.New(apierr.TurnstileFailed)
			e.Cause = err
			return e
		}
	}
}

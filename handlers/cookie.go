package handlers

import (
	"net/http"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/hasura-auth-go/auth/apierr"
)

// Cookie mode (AUTH_REFRESH_TOKEN_COOKIE): every answer that hands out a
// refresh token (writeSession) also sets it as an httpOnly cookie; /token
// and /signout read it when the body has none. The cookie is
// Secure (but on http://localhost), SameSite=Lax and sent only to the auth
// routes (Path = AUTH_API_PREFIX).

// RefreshTokenCookie is the cookie's name.
const RefreshTokenCookie = "auth_refresh_token"

func (h *Handlers) cookiePath() string {
	if h.cfg.APIPrefix == "" {
		return "/"
	}
	return h.cfg.APIPrefix
}

func (h *Handlers) setRefreshCookie(c *gin.Context, tok string, maxAge time.Duration) {
	http.SetCookie(c.Writer, &http.Cookie{
		Name: RefreshTokenCookie, Value: tok, Path: h.cookiePath(),
		MaxAge: int(maxAge.Seconds()), HttpOnly: true, Secure: h.cfg.CookieSecure(), SameSite: http.SameSiteLaxMode,
	})
}

func (h *Handlers) clearRefreshCookie(c *gin.Context) {
	if h.cfg.RefreshTokenCookie {
		h.setRefreshCookie(c, "", -time.Second) // MaxAge<0: Max-Age=0, delete now
	}
}

// refreshTokenFromCookie returns the cookie's refresh token ("" without
// one). A request it authenticates must pass the CSRF check: the cookie is
// sent by the browser on its own, so the page that caused the request must
// be one we trust.
func (h *Handlers) refreshTokenFromCookie(c *gin.Context) (string, error) {
	if !h.cfg.RefreshTokenCookie {
		return "", nil
	}
	ck, err := c.Request.Cookie(RefreshTokenCookie)
	if err != nil || ck.Value == "" {
		return "", nil
	}
	if err := h.checkCookieCaller(c); err != nil {
		return "", err
	}
	if _, err := uuid.Parse(ck.Value); err != nil {
		h.clearRefreshCookie(c)
		return "", apierr.New(apierr.InvalidRefreshToken)
	}
	return ck.Value, nil
}

// checkCookieCaller is the CSRF check. Browsers send Origin with every
// cross-origin request and every POST; it must be trusted (listed in
// AUTH_CORS_ALLOWED_ORIGINS, or this server). Without Origin the caller is
// not a modern browser page, and X-Requested-With proves it is no form
// either: a page on another origin cannot send that header without a
// preflight, which CORS refuses.
func (h *Handlers) checkCookieCaller(c *gin.Context) error {
	if origin := c.GetHeader("Origin"); origin != "" {
		if h.corsPolicy.trusted(origin) {
			return nil
		}
		return apierr.New(apierr.ForbiddenOrigin)
	}
	if c.GetHeader("X-Requested-With") != "" {
		return nil
	}
	return apierr.New(apierr.ForbiddenOrigin)
}

// originMaySetCookie guards against login CSRF: a page we do not trust must
// not plant a session (possibly the attacker's own) in the user's browser.
func (h *Handlers) originMaySetCookie(c *gin.Context) bool {
	origin := c.GetHeader("Origin")
	return origin == "" || h.corsPolicy.trusted(origin)
}

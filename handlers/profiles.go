package handlers

import (
	"net/http"

	"github.com/gin-gonic/gin"
)

// keepsProfiles are the POST routes known to leave every existing user's
// GET /user answer as it was: they create users or sessions, or touch only
// columns GET /user does not show (last_seen). They run on every page load
// of an app, so they must not empty the profile cache; any other route that
// may write does (a new route is safe until it is listed here).
var keepsProfiles = map[string]bool{
	"/token":                 true,
	"/token/verify":          true,
	"/signout":               true,
	"/signin/email-password": true,
	"/signin/anonymous":      true,
	"/signup/email-password": true,
	"/signin/pat":            true,
	"/signin/mfa/totp":       true,
	"/elevate/password":      true,
	"/elevate/totp":          true,
}

// forgetProfiles empties the profile cache after a request that may have
// changed a user, once its handler has returned (the change committed) and
// before its answer is sent: the handlers' answers are small, so net/http
// (or holdAnswers, outside this) still holds them. The caller's next GET
// /user then reads the database. Changes made elsewhere reach the cache by
// notification (account.Service.Profile).
func (h *Handlers) forgetProfiles(c *gin.Context) {
	c.Next()
	if c.FullPath() == "" {
		return // no route: nothing was written (probes must not empty the cache)
	}
	switch c.Request.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		// GET /verify follows an email link: it verifies or changes an address.
		if path, _ := h.routePath(c); path != "/verify" {
			return
		}
	default:
		if path, ok := h.routePath(c); ok && keepsProfiles[path] {
			return
		}
	}
	h.accounts.ForgetProfiles()
}

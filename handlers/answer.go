package handlers

import (
	"fmt"
	"net/http"
	"net/url"

	"github.com/gin-gonic/gin"

	"github.com/hasura-auth-go/auth/apierr"
	"github.com/hasura-auth-go/auth/session"
)

// redirect is where a redirecting route sends the browser: a target already
// checked against the allowed URLs, and what to add to its query.
type redirect struct {
	target string
	query  url.Values
}

// writeSession answers the session a service issued, in the form the
// route declares (Route.Session), and in cookie mode also sets its refresh
// token as the cookie. issued is nil when the flow issues none yet (email
// verification pending: {"session": null}). Redirecting routes pass to;
// the others nil.
func (h *Handlers) writeSession(c *gin.Context, issued *session.Issued, to *redirect) error {
	rt := routeOf(c)
	form := NoSession
	if rt != nil {
		form = rt.Session
	}
	if (form == SessionInRedirect) != (to != nil) || form == NoSession {
		return apierr.Internal(fmt.Errorf("route %s %s hands out a session its row declares as %d", c.Request.Method, c.FullPath(), form))
	}
	if issued != nil && h.cfg.RefreshTokenCookie && h.originMaySetCookie(c) {
		h.setRefreshCookie(c, issued.RefreshToken, h.cfg.RefreshTokenTTL)
	}
	switch form {
	case SessionInBody:
		h.writeJSON(c, http.StatusOK, SessionPayload{Session: sessionJSON(issued)})
	case SessionAsBody:
		h.writeJSON(c, http.StatusOK, sessionJSON(issued))
	case SessionInRedirect:
		q := url.Values{"refreshToken": {issued.RefreshToken}}
		for k, v := range to.query {
			q[k] = v
		}
		return h.redirectWith(c, to.target, q)
	}
	return nil
}

// redirectWith sends a 302 to target with params added to its query.
func (h *Handlers) redirectWith(c *gin.Context, target string, params url.Values) error {
	u, err := url.Parse(target) // already checked against the allowed URLs
	if err != nil {
		return apierr.New(apierr.RedirectToNotAllowed)
	}
	q := u.Query()
	for k, vs := range params {
		q[k] = vs
	}
	u.RawQuery = q.Encode()
	h.found(c, u.String())
	return nil
}

// found answers 302 to location.
func (h *Handlers) found(c *gin.Context, location string) {
	// The Location may carry a refresh token (or a provider's state): keep
	// it out of caches and of the next page's Referer.
	c.Header("Cache-Control", "no-store")
	c.Header("Referrer-Policy", "no-referrer")
	// No body: the contract declares none (http.Redirect would write HTML).
	c.Header("Location", location)
	c.Status(http.StatusFound)
	c.Writer.WriteHeaderNow()
}

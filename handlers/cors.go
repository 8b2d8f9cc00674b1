package handlers

import (
	"net/http"
	"net/url"

	"github.com/gin-gonic/gin"

	"github.com/hasura-auth-go/auth/config"
)

// corsPolicy decides which browser origins may call the server
// (AUTH_CORS_ALLOWED_ORIGINS):
//
//   - a list: those origins, with credentials; "*" in it adds every other
//     origin, without credentials.
//   - empty, cookie mode off: every origin, with credentials, as before: the
//     nhost client keeps working from any front end, and no cookie authenticates.
//   - empty, cookie mode on: only AUTH_CLIENT_URL's origin. A cookie that
//     authenticates must not be usable from any site that asks.
type corsPolicy struct {
	listed         map[string]bool // with credentials
	any            bool            // every other origin too
	anyCredentials bool            // ... with credentials (empty list, no cookie mode)
	self           string          // AUTH_SERVER_URL's origin: same-origin calls
}

func newCORSPolicy(cfg *config.Config) corsPolicy {
	p := corsPolicy{listed: map[string]bool{}, self: originOf(cfg.ServerURL)}
	switch {
	case len(cfg.CORSAllowedOrigins) > 0:
		for _, o := range cfg.CORSAllowedOrigins {
			if o == "*" {
				p.any = true
			} else {
				p.listed[o] = true
			}
		}
	case cfg.RefreshTokenCookie:
		if o := originOf(cfg.ClientURL); o != "" {
			p.listed[o] = true
		}
	default:
		p.any, p.anyCredentials = true, true
	}
	return p
}

func originOf(rawURL string) string {
	if rawURL == "" {
		return ""
	}
	u, err := url.Parse(rawURL)
	if err != nil || u.Host == "" {
		return ""
	}
	o, err := config.NormalizeOrigin(u.Scheme + "://" + u.Host)
	if err != nil {
		return ""
	}
	return o
}

// allow says whether origin may read answers, and with credentials.
func (p corsPolicy) allow(origin string) (ok, credentials bool) {
	if p.listed[origin] {
		return true, true
	}
	if p.any {
		return true, p.anyCredentials
	}
	return false, false
}

// trusted: origins whose pages may make cookie-authenticated calls: the
// listed ones and the server's own, never "any".
func (p corsPolicy) trusted(origin string) bool {
	return p.listed[origin] || (origin == p.self && p.self != "")
}

// cors answers preflights and adds the CORS headers for allowed origins;
// other origins get none, so browsers keep their pages from reading answers.
func (h *Handlers) cors(c *gin.Context) {
	hd := c.Writer.Header()
	hd.Add("Vary", "Origin") // answers differ by origin: caches must keep them apart
	origin := c.GetHeader("Origin")
	if origin == "" {
		c.Next()
		return
	}
	ok, credentials := h.corsPolicy.allow(origin)
	if ok {
		hd.Set("Access-Control-Allow-Origin", origin)
		if credentials {
			hd.Set("Access-Control-Allow-Credentials", "true")
		}
		hd.Set("Access-Control-Expose-Headers", "Retry-After, X-Request-Id")
	}
	if c.Request.Method == http.MethodOptions && c.GetHeader("Access-Control-Request-Method") != "" {
		if ok {
			hd.Set("Access-Control-Allow-Methods", "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS")
			if req := c.GetHeader("Access-Control-Request-Headers"); req != "" {
				hd.Set("Access-Control-Allow-Headers", req)
			}
			hd.Set("Access-Control-Max-Age", "86400")
		}
		c.AbortWithStatus(http.StatusNoContent)
		return
	}
	c.Next()
}

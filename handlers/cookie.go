package handlers

import (
	"bytes"
	"encoding/json"
	"mime"
	"net/http"
	"net/url"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/google/uuid"

	"github.com/hasura-auth-go/auth/apierr"
)

// Cookie mode (AUTH_REFRESH_TOKEN_COOKIE): every answer that hands out a
// refresh token, whichever endpoint wrote it, also sets it as an httpOnly
// cookie; /token and /signout read it when the body has none. The cookie is
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

// bufferedWriter holds an answer until the middleware releases it, so that
// a cookie can still be added and the answer held back (pacing).
type bufferedWriter struct {
	gin.ResponseWriter
	status int
	body   bytes.Buffer
}

func (w *bufferedWriter) WriteHeader(code int) {
	if code > 0 {
		w.status = code
	}
}
func (w *bufferedWriter) WriteHeaderNow()                   {}
func (w *bufferedWriter) Write(b []byte) (int, error)       { return w.body.Write(b) }
func (w *bufferedWriter) WriteString(s string) (int, error) { return w.body.WriteString(s) }
func (w *bufferedWriter) Status() int                       { return w.status }
func (w *bufferedWriter) Size() int                         { return w.body.Len() }
func (w *bufferedWriter) Written() bool                     { return w.body.Len() > 0 }
func (w *bufferedWriter) Flush()                            {}
func (w *bufferedWriter) Pusher() http.Pusher               { return nil }
func (w *bufferedWriter) release(to gin.ResponseWriter) error {
	to.WriteHeader(w.status)
	if w.body.Len() == 0 {
		to.WriteHeaderNow()
		return nil
	}
	_, err := to.Write(w.body.Bytes())
	return err
}

// holdAnswers buffers the answers of paced routes and, in cookie mode, of
// every route, then sets the refresh cookie and paces before releasing them.
func (h *Handlers) holdAnswers(c *gin.Context) {
	path, ok := h.routePath(c)
	paced := ok && pacedRoutes[path]
	if !paced && (!h.cfg.RefreshTokenCookie || !ok || path == "/healthz" || path == "/.well-known/jwks.json") {
		c.Next()
		return
	}
	started := time.Now()
	orig := c.Writer
	w := &bufferedWriter{ResponseWriter: orig, status: orig.Status()}
	c.Writer = w
	// On a panic the held answer is dropped: recover writes the 500.
	defer func() { c.Writer = orig }()
	c.Next()
	if h.cfg.RefreshTokenCookie {
		if tok := issuedRefreshToken(w.status, w.Header(), w.body.Bytes()); tok != "" && h.originMaySetCookie(c) {
			h.setRefreshCookie(c, tok, h.cfg.RefreshTokenTTL)
		}
	}
	if paced {
		h.pace(c, started, w.status)
	}
	if err := w.release(orig); err != nil {
		h.log.DebugContext(c.Request.Context(), "answer not delivered", "error", err.Error())
	}
}

// originMaySetCookie guards against login CSRF: a page we do not trust must
// not plant a session (possibly the attacker's own) in the user's browser.
func (h *Handlers) originMaySetCookie(c *gin.Context) bool {
	origin := c.GetHeader("Origin")
	return origin == "" || h.corsPolicy.trusted(origin)
}

// issuedRefreshToken finds a refresh token handed out by an answer: a
// Session ({"refreshToken"}), a SessionPayload ({"session": {…}}), or a
// redirect carrying ?refreshToken= (email links, OAuth).
func issuedRefreshToken(status int, hd http.Header, body []byte) string {
	switch {
	case status >= 300 && status < 400:
		u, err := url.Parse(hd.Get("Location"))
		if err != nil {
			return ""
		}
		return validToken(u.Query().Get("refreshToken"))
	case status == http.StatusOK:
		if mt, _, _ := mime.ParseMediaType(hd.Get("Content-Type")); mt != "application/json" || !bytes.Contains(body, []byte(`"refreshToken"`)) {
			return ""
		}
		var v struct {
			RefreshToken string `json:"refreshToken"`
			Session      *struct {
				RefreshToken string `json:"refreshToken"`
			} `json:"session"`
		}
		if json.Unmarshal(body, &v) != nil {
			return ""
		}
		if v.Session != nil {
			return validToken(v.Session.RefreshToken)
		}
		return validToken(v.RefreshToken)
	}
	return ""
}

func validToken(s string) string {
	if _, err := uuid.Parse(s); err != nil {
		return ""
	}
	return s
}

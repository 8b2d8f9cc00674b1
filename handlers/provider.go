package handlers

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/hasura-auth-go/auth/account"
	"github.com/hasura-auth-go/auth/apierr"
	"github.com/hasura-auth-go/auth/audit"
	"github.com/hasura-auth-go/auth/oauth/providers"
	"github.com/hasura-auth-go/auth/social"
)

// Sign-in with OAuth and OpenID Connect providers (package social): the
// browser's way through the provider, and ID tokens from native apps.

// ProviderBindingCookie binds a provider sign-in to the browser that began
// it (AUTH_PROVIDER_STATE_COOKIE).
const ProviderBindingCookie = "auth_provider_binding"

// providerCookiePath is where the binding cookie is sent: the provider
// routes as the browser sees them, under AUTH_SERVER_URL (a proxy in front
// may put them under another path than AUTH_API_PREFIX).
func (h *Handlers) providerCookiePath() string {
	path := ""
	if u, err := url.Parse(h.cfg.ServerURL); err == nil {
		path = strings.TrimRight(u.Path, "/")
	}
	return path + "/signin/provider"
}

// setProviderBinding sets the binding cookie. The callback of a provider
// that posts its answer (Apple's form_post) is a cross-site POST, which
// carries only SameSite=None cookies, and those must be Secure; on plain
// http (a developer's localhost) Lax is all a browser accepts.
func (h *Handlers) setProviderBinding(c *gin.Context, value string) {
	secure := h.cfg.CookieSecure()
	same := http.SameSiteLaxMode
	if secure {
		same = http.SameSiteNoneMode
	}
	http.SetCookie(c.Writer, &http.Cookie{
		Name: ProviderBindingCookie, Value: value, Path: h.providerCookiePath(),
		MaxAge: int(social.RequestTTL.Seconds()), HttpOnly: true, Secure: secure, SameSite: same,
	})
}

// providerBinding is the browser's binding cookie, "" when absent or not
// one of ours.
func providerBinding(c *gin.Context) string {
	ck, err := c.Request.Cookie(ProviderBindingCookie)
	if err != nil || len(ck.Value) != 43 || strings.Trim(ck.Value, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") != "" {
		return ""
	}
	return ck.Value
}

// signInProvider: GET /signin/provider/{provider}. A redirectTo that is not
// allowed is answered in JSON, never redirected to; every other failure is
// a 302 to redirectTo with error and errorDescription, as in hasura-auth.
func (h *Handlers) signInProvider(c *gin.Context) error {
	q := c.Request.URL.Query()
	target, err := h.accounts.CheckRedirect(q.Get("redirectTo"))
	if err != nil {
		return err
	}
	in, err := h.providerStartRequest(c, q)
	if err != nil {
		return h.redirectError(c, target, err, nil)
	}
	in.Options.RedirectTo = target
	started, err := h.social.Start(c.Request.Context(), in)
	if err != nil {
		return h.redirectError(c, target, err, nil)
	}
	if started.Binding != "" {
		h.setProviderBinding(c, started.Binding)
	}
	h.found(c, started.URL)
	return nil
}

// providerStartRequest reads the query of GET /signin/provider/{provider}:
// the sign-up options, and connect, the access token of a signed-in user
// who links the provider account (elevated when AUTH_REQUIRE_ELEVATED_CLAIM
// asks, as /link/idtoken).
func (h *Handlers) providerStartRequest(c *gin.Context, q url.Values) (social.StartRequest, error) {
	in := social.StartRequest{Provider: c.Param("provider"), Binding: providerBinding(c), State: q.Get("state"),
		// providerSpecificParams: an object in style form, explode true,
		// so its properties are the query's own parameters.
		Specific: providers.Specific{Connection: q.Get("connection"), Organization: q.Get("organization")}}
	o := &in.Options
	for _, v := range q["allowedRoles"] { // style form, explode false: one comma-separated value
		for _, r := range strings.Split(v, ",") {
			if r = strings.TrimSpace(r); r != "" {
				o.AllowedRoles = append(o.AllowedRoles, r)
			}
		}
	}
	o.DefaultRole, o.DisplayName, o.Locale = q.Get("defaultRole"), q.Get("displayName"), q.Get("locale")
	if m := q.Get("metadata"); m != "" {
		if err := json.Unmarshal([]byte(m), &o.Metadata); err != nil || o.Metadata == nil {
			return in, apierr.Invalid(`"metadata" must be a JSON object`)
		}
	}
	if raw := q.Get("connect"); raw != "" {
		v, err := h.verifyAccess(c, raw)
		if err != nil {
			e := apierr.Invalid(`"connect" must be a valid access token of the signed-in user`)
			e.Cause = err
			return in, e
		}
		if err := h.requireElevated(c, v); err != nil {
			return in, err
		}
		in.ConnectUserID = &v.UserID
	}
	return in, nil
}

// signInProviderCallback: GET and POST /signin/provider/{provider}/callback,
// where the provider sends the browser back (POST for response_mode=form_post,
// as Apple does). Every outcome is a 302: to the request's redirectTo with
// refreshToken, or with error and errorDescription (to AUTH_CLIENT_URL when
// the request is unknown; in JSON when that is not set either).
func (h *Handlers) signInProviderCallback(c *gin.Context) error {
	params := c.Request.URL.Query()
	if c.Request.Method == http.MethodPost {
		if err := c.Request.ParseForm(); err != nil {
			return apierr.Invalid("The callback's form could not be read")
		}
		params = c.Request.PostForm
	}
	name := c.Param("provider")
	f, err := h.social.Callback(c.Request.Context(), name, providers.ParseCallback(params), providerBinding(c))
	if !f.Connected && f.MFATicket == "" {
		h.auditProvider(c, "provider/"+name, &f.Outcome, err)
	}
	switch {
	case err != nil && f.RedirectTo == "":
		return err
	case err != nil:
		return h.redirectError(c, f.RedirectTo, err, f.ProviderError)
	case f.MFATicket != "": // the app continues with POST /signin/mfa/totp
		return h.redirectWith(c, f.RedirectTo, url.Values{"mfaTicket": {f.MFATicket}})
	case f.Session == nil: // connected, or the address must be verified first
		return h.redirectWith(c, f.RedirectTo, nil)
	}
	return h.writeSession(c, f.Session, &redirect{target: f.RedirectTo})
}

// auditProvider records a provider sign-in or sign-up.
func (h *Handlers) auditProvider(c *gin.Context, method string, o *social.Outcome, err error) {
	kind := audit.SignIn
	if o.NewUser {
		kind = audit.SignUp
	}
	h.auditSignIn(c, kind, method, o.Email, o.Session, err)
}

// idTokenRequest is the contract's SignInIdTokenRequest (and, without
// options, LinkIdTokenRequest).
type idTokenRequest struct {
	Provider string                 `json:"provider"`
	IDToken  string                 `json:"idToken"`
	Nonce    string                 `json:"nonce"`
	Options  *account.SignUpOptions `json:"options"`
}

// signInIDToken: POST /signin/idtoken.
func (h *Handlers) signInIDToken(c *gin.Context) error {
	var req idTokenRequest
	if err := h.bindJSON(c, &req, false); err != nil {
		return err
	}
	out, err := h.social.SignInIDToken(c.Request.Context(), social.IDToken{
		Provider: req.Provider, IDToken: req.IDToken, Nonce: req.Nonce, Options: req.Options})
	if out == nil {
		out = &social.Outcome{}
	}
	if out.MFATicket == "" {
		h.auditProvider(c, "idtoken/"+req.Provider, out, err)
	}
	if err != nil {
		return err
	}
	if out.MFATicket != "" {
		// As password sign-in answers a user with TOTP.
		c.JSON(http.StatusOK, signInEmailPasswordResponse{MFA: &mfaChallenge{Ticket: out.MFATicket}})
		return nil
	}
	return h.writeSession(c, out.Session, nil)
}

// linkIDTokenRequest is the contract's LinkIdTokenRequest.
type linkIDTokenRequest struct {
	Provider string `json:"provider"`
	IDToken  string `json:"idToken"`
	Nonce    string `json:"nonce"`
}

// linkIDToken: POST /link/idtoken (elevated when the mode asks).
func (h *Handlers) linkIDToken(c *gin.Context) error {
	var req linkIDTokenRequest
	if err := h.bindJSON(c, &req, false); err != nil {
		return err
	}
	err := h.social.LinkIDToken(c.Request.Context(), caller(c).UserID,
		social.IDToken{Provider: req.Provider, IDToken: req.IDToken, Nonce: req.Nonce})
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, "OK")
	return nil
}

// redirectError sends the browser to target with the error's code and
// message (concealed when AUTH_CONCEAL_ERRORS says) in error and
// errorDescription, and extra.
func (h *Handlers) redirectError(c *gin.Context, target string, err error, extra url.Values) error {
	_ = c.Error(err) // for /metrics, as writeError
	e := apierr.As(err)
	if h.cfg.ConcealErrors {
		e = apierr.Conceal(e)
	}
	if e.Status >= 500 {
		h.log.Error("request failed", "request_id", requestID(c), "path", c.FullPath(), "error", err)
	} else if e.Cause != nil {
		h.log.Debug("request refused", "request_id", requestID(c), "code", e.Code, "cause", e.Cause)
	}
	q := url.Values{"error": {e.Code}, "errorDescription": {e.Message}}
	for k, v := range extra {
		q[k] = v
	}
	return h.redirectWith(c, target, q)
}

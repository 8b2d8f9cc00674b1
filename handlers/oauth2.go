package handlers

import (
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/hasura-auth-go/auth/apierr"
	"github.com/hasura-auth-go/auth/oidcprovider"
)

// The OpenID Connect provider (package oidcprovider), nhost's /oauth2/*
// API. Its routes answer errors as RFC 6749 does (oauth2Error), except the
// two the application's login UI calls, which answer nhost's ErrorResponse.

// oauth2ErrorBody is nhost's OAuth2ErrorResponse.
type oauth2ErrorBody struct {
	Error       string `json:"error"`
	Description string `json:"error_description,omitempty"`
}

// oauth2Error is the Route.Errors of the provider's routes: OAuth codes go
// out as they are; the server's own (a rate limit, a body too large) in
// RFC 6749's snake_case, with the RFC's names for internal errors.
func oauth2Error(e *apierr.Error) (int, any) {
	code := e.Code
	switch code {
	case apierr.InternalServerError:
		code = "server_error"
	case apierr.ServiceUnavailable:
		code = "temporarily_unavailable"
	default:
		code = strings.ReplaceAll(code, "-", "_")
	}
	return e.Status, oauth2ErrorBody{Error: code, Description: e.Message}
}

// provider is the OpenID Connect provider, or the refusal when it is off.
func (h *Handlers) provider() (*oidcprovider.Service, error) {
	if h.oidc == nil {
		return nil, apierr.Newf(apierr.DisabledEndpoint, "The OpenID Connect provider is off: set AUTH_OAUTH2_PROVIDER_ENABLED=true")
	}
	return h.oidc, nil
}

// oauth2Discovery: GET /.well-known/openid-configuration and
// /.well-known/oauth-authorization-server.
func (h *Handlers) oauth2Discovery(c *gin.Context) error {
	p, err := h.provider()
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, p.Discovery())
	return nil
}

// oauth2JWKS: GET /oauth2/jwks, the same key set as /.well-known/jwks.json.
func (h *Handlers) oauth2JWKS(c *gin.Context) error {
	if _, err := h.provider(); err != nil {
		return err
	}
	return h.jwks(c)
}

// oauth2Authorize: GET (query) and POST (form) /oauth2/authorize.
func (h *Handlers) oauth2Authorize(c *gin.Context) error {
	p, err := h.provider()
	if err != nil {
		return err
	}
	params := c.Request.URL.Query()
	if c.Request.Method == http.MethodPost {
		if params, err = h.oauth2Form(c); err != nil {
			return err
		}
	}
	req, err := oidcprovider.ParseAuthorizeRequest(params)
	if err != nil {
		return err
	}
	to, err := p.Authorize(c.Request.Context(), req)
	if err != nil {
		return err
	}
	c.Redirect(http.StatusFound, to)
	return nil
}

// oauth2LoginGet: GET /oauth2/login?request_id= for the login UI.
func (h *Handlers) oauth2LoginGet(c *gin.Context) error {
	p, err := h.provider()
	if err != nil {
		return err
	}
	id, err := oidcprovider.ParseRequestID(c.Query("request_id"))
	if err != nil {
		return err
	}
	r, err := p.LoginRequest(c.Request.Context(), id)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, r)
	return nil
}

type oauth2LoginRequest struct {
	RequestID string `json:"requestId"`
}

type oauth2LoginResponse struct {
	RedirectURI string `json:"redirectUri"`
}

// oauth2LoginPost: POST /oauth2/login (Bearer): the signed-in user consents.
func (h *Handlers) oauth2LoginPost(c *gin.Context) error {
	p, err := h.provider()
	if err != nil {
		return err
	}
	var body oauth2LoginRequest
	if err := h.bindJSON(c, &body, false); err != nil {
		return err
	}
	id, err := oidcprovider.ParseRequestID(body.RequestID)
	if err != nil {
		return err
	}
	to, err := p.CompleteLogin(c.Request.Context(), id, caller(c).UserID)
	if err != nil {
		return err
	}
	c.JSON(http.StatusOK, oauth2LoginResponse{RedirectURI: to})
	return nil
}

// oauth2Token: POST /oauth2/token.
func (h *Handlers) oauth2Token(c *gin.Context) error {
	return h.oauth2ClientEndpoint(c, func(p *oidcprovider.Service, form url.Values, cc oidcprovider.ClientCredentials) (any, error) {
		return p.Token(c.Request.Context(), form, cc)
	})
}

// oauth2Introspect: POST /oauth2/introspect.
func (h *Handlers) oauth2Introspect(c *gin.Context) error {
	return h.oauth2ClientEndpoint(c, func(p *oidcprovider.Service, form url.Values, cc oidcprovider.ClientCredentials) (any, error) {
		return p.Introspect(c.Request.Context(), form, cc)
	})
}

// oauth2Revoke: POST /oauth2/revoke; 200 with no body (RFC 7009 2.2).
func (h *Handlers) oauth2Revoke(c *gin.Context) error {
	return h.oauth2ClientEndpoint(c, func(p *oidcprovider.Service, form url.Values, cc oidcprovider.ClientCredentials) (any, error) {
		return nil, p.Revoke(c.Request.Context(), form, cc)
	})
}

// oauth2ClientEndpoint runs an endpoint an application's server calls with
// its credentials; a nil answer is 200 with no body. Nothing is cached.
func (h *Handlers) oauth2ClientEndpoint(c *gin.Context, serve func(*oidcprovider.Service, url.Values, oidcprovider.ClientCredentials) (any, error)) error {
	p, form, cc, err := h.oauth2ClientRequest(c)
	if err != nil {
		return err
	}
	out, err := serve(p, form, cc)
	if err != nil {
		return h.oauth2ClientError(c, cc, err)
	}
	noStore(c)
	if out == nil {
		c.Status(http.StatusOK)
		return nil
	}
	c.JSON(http.StatusOK, out)
	return nil
}

// oauth2UserInfo: GET and POST /oauth2/userinfo (OAuth2Bearer).
func (h *Handlers) oauth2UserInfo(c *gin.Context) error {
	claims, err := h.oidc.UserInfo(c.Request.Context(), oauth2Caller(c))
	if err != nil {
		return bearerChallenge(c, err)
	}
	noStore(c)
	c.JSON(http.StatusOK, claims)
	return nil
}

const oauth2CallerKey = "oauth2_caller"

// requireOAuth2Bearer admits a request carrying an access token this
// provider issued to an application, and keeps it for the handler.
func (h *Handlers) requireOAuth2Bearer(c *gin.Context) {
	p, err := h.provider()
	if err != nil {
		h.writeError(c, err)
		return
	}
	raw, ok := bearerToken(c.GetHeader("Authorization"))
	if !ok {
		c.Header("WWW-Authenticate", `Bearer realm="oauth2"`)
		h.writeError(c, apierr.Newf(apierr.OAuthInvalidToken, "Send the access token as Authorization: Bearer <token>"))
		return
	}
	at, err := p.VerifyAccessToken(c.Request.Context(), raw)
	if err != nil {
		h.writeError(c, bearerChallenge(c, err))
		return
	}
	c.Set(oauth2CallerKey, at)
	c.Next()
}

func oauth2Caller(c *gin.Context) *oidcprovider.AccessToken {
	v, _ := c.Get(oauth2CallerKey)
	return v.(*oidcprovider.AccessToken)
}

// bearerChallenge adds RFC 6750's WWW-Authenticate to a refusal of an access token.
func bearerChallenge(c *gin.Context, err error) error {
	var e *apierr.Error
	if errors.As(err, &e) && (e.Code == apierr.OAuthInvalidToken || e.Code == apierr.OAuthInsufficientScope) {
		c.Header("WWW-Authenticate", fmt.Sprintf(`Bearer realm="oauth2", error=%q`, e.Code))
	}
	return err
}

// oauth2ClientRequest reads what a client's server sends to the token,
// introspection and revocation endpoints: the form and its credentials.
func (h *Handlers) oauth2ClientRequest(c *gin.Context) (*oidcprovider.Service, url.Values, oidcprovider.ClientCredentials, error) {
	var cc oidcprovider.ClientCredentials
	p, err := h.provider()
	if err != nil {
		return nil, nil, cc, err
	}
	form, err := h.oauth2Form(c)
	if err != nil {
		return nil, nil, cc, err
	}
	cc, err = oidcprovider.ParseClientCredentials(c.GetHeader("Authorization"), form)
	if err != nil {
		return nil, nil, cc, h.oauth2ClientError(c, cc, err)
	}
	return p, form, cc, nil
}

// oauth2ClientError: a client that tried HTTP Basic and failed is told how
// to authenticate (RFC 6749 section 5.2).
func (h *Handlers) oauth2ClientError(c *gin.Context, cc oidcprovider.ClientCredentials, err error) error {
	var e *apierr.Error
	if cc.Basic && errors.As(err, &e) && e.Code == apierr.OAuthInvalidClient {
		c.Header("WWW-Authenticate", `Basic realm="oauth2"`)
	}
	return err
}

// oauth2Form reads an application/x-www-form-urlencoded body (within the
// body cap); the query string does not count.
func (h *Handlers) oauth2Form(c *gin.Context) (url.Values, error) {
	if mt, _, err := mime.ParseMediaType(c.ContentType()); err != nil || mt != "application/x-www-form-urlencoded" {
		return nil, apierr.Newf(apierr.OAuthInvalidRequest, "Content-Type must be application/x-www-form-urlencoded")
	}
	if err := c.Request.ParseForm(); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return nil, apierr.Newf(apierr.OAuthInvalidRequest, fmt.Sprintf("The request body is larger than %d bytes", tooBig.Limit))
		}
		return nil, apierr.Newf(apierr.OAuthInvalidRequest, "The request body is not a valid form")
	}
	return c.Request.PostForm, nil
}

// noStore: token responses must not be cached (RFC 6749 section 5.1).
func noStore(c *gin.Context) {
	c.Header("Cache-Control", "no-store")
	c.Header("Pragma", "no-cache")
}

package oidcprovider

import (
	"context"
	"errors"
	"net/url"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/google/uuid"

	"github.com/hasura-auth-go/auth/apierr"
	"github.com/hasura-auth-go/auth/models"
)

// maxParam bounds every parameter of the OAuth requests: URLs and opaque
// values are far shorter in practice, and the rows that keep them stay small.
const maxParam = 2048

// AuthorizeRequest is an authorization request (RFC 6749 section 4.1.1,
// OpenID Connect Core 3.1.2.1) as read from the query (GET) or form (POST).
type AuthorizeRequest struct {
	ClientID, RedirectURI                 string
	ResponseType, Scope                   string
	State, Nonce                          string
	CodeChallenge, CodeChallengeMethod    string
	Resource, Prompt, Request, RequestURI string

	// problem is what was wrong with the other parameters: reported to the
	// redirect URI once it is known to be the client's (RFC 6749 4.1.2.1).
	problem error
}

// ParseAuthorizeRequest reads an authorization request. Its error means the
// client or redirect URI cannot be trusted, so it is shown to the user and
// never sent to the redirect URI; problems with the other parameters are
// kept for Authorize to send there. A parameter given twice is a problem
// (RFC 6749 section 3.1); one given empty counts as absent.
func ParseAuthorizeRequest(q url.Values) (*AuthorizeRequest, error) {
	r := &AuthorizeRequest{}
	var err error
	if r.ClientID, err = param(q, "client_id"); err != nil {
		return nil, err
	}
	if r.ClientID == "" {
		return nil, apierr.Newf(apierr.OAuthInvalidRequest, "client_id is required")
	}
	if r.RedirectURI, err = param(q, "redirect_uri"); err != nil {
		return nil, err
	}
	if r.RedirectURI == "" {
		return nil, apierr.Newf(apierr.OAuthInvalidRequest, "redirect_uri is required")
	}
	for _, p := range []struct {
		name string
		dst  *string
	}{
		{"response_type", &r.ResponseType}, {"scope", &r.Scope}, {"state", &r.State}, {"nonce", &r.Nonce},
		{"code_challenge", &r.CodeChallenge}, {"code_challenge_method", &r.CodeChallengeMethod},
		{"resource", &r.Resource}, {"prompt", &r.Prompt}, {"request", &r.Request}, {"request_uri", &r.RequestURI},
	} {
		v, err := param(q, p.name)
		if err != nil && r.problem == nil {
			r.problem = err
		}
		*p.dst = v
	}
	return r, nil
}

// param reads one parameter of an OAuth request: at most once, bounded, UTF-8.
func param(q url.Values, name string) (string, error) {
	vs := q[name]
	switch {
	case len(vs) == 0:
		return "", nil
	case len(vs) > 1:
		return "", apierr.Newf(apierr.OAuthInvalidRequest, name+" is given more than once")
	case len(vs[0]) > maxParam:
		return "", apierr.Newf(apierr.OAuthInvalidRequest, name+" is too long")
	case !utf8.ValidString(vs[0]):
		return "", apierr.Newf(apierr.OAuthInvalidRequest, name+" is not valid UTF-8")
	case hasControl(vs[0]):
		return "", apierr.Newf(apierr.OAuthInvalidRequest, name+" contains a control character")
	}
	return vs[0], nil
}

// hasControl: no parameter of RFC 6749 or OpenID Connect allows control
// characters (client_id and state are VSCHAR), and PostgreSQL's text cannot
// hold NUL: refused here rather than failing a query.
func hasControl(s string) bool {
	return strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f })
}

// Authorize validates an authorization request, stores it and returns where
// to send the user: the login URL with the request's id, or the client's
// redirect URI with the error. An error means the client or redirect URI is
// wrong: answer it to the user agent, never redirect.
func (s *Service) Authorize(ctx context.Context, r *AuthorizeRequest) (string, error) {
	client, err := s.client(ctx, r.ClientID)
	if err != nil {
		return "", err
	}
	// Exact string match: no prefix, no normalisation (RFC 9700 4.1.3).
	if !slices.Contains(client.RedirectURIs, r.RedirectURI) {
		return "", apierr.Newf(apierr.OAuthInvalidRequest, "redirect_uri is not one of this client's redirect URIs")
	}
	req, err := s.validate(client, r)
	if err != nil {
		return s.errorRedirect(r, err)
	}
	if err := models.InsertOAuth2AuthRequest(s.db.WithContext(ctx), req); err != nil {
		return s.errorRedirect(r, err)
	}
	u := *s.loginURL
	q := u.Query()
	q.Set("request_id", req.ID.String())
	if r.Prompt != "" {
		q.Set("prompt", r.Prompt)
	}
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// validate checks the parameters besides client and redirect URI and
// returns the request to store.
func (s *Service) validate(client *models.OAuth2Client, r *AuthorizeRequest) (*models.OAuth2AuthRequest, error) {
	switch {
	case r.problem != nil:
		return nil, r.problem
	case r.Request != "":
		return nil, apierr.New(apierr.OAuthRequestNotSupported)
	case r.RequestURI != "":
		return nil, apierr.New(apierr.OAuthRequestURINotSupported)
	case r.ResponseType == "":
		return nil, apierr.Newf(apierr.OAuthInvalidRequest, "response_type is required")
	case r.ResponseType != "code":
		return nil, apierr.New(apierr.OAuthUnsupportedResponseType)
	}
	scopes, err := parseScope(r.Scope)
	if err != nil {
		return nil, err
	}
	if len(scopes) == 0 {
		scopes = []string{ScopeOpenID}
	}
	if err := allowedScopes(scopes, client.Scopes); err != nil {
		return nil, err
	}
	if err := checkChallenge(client, r.CodeChallenge, r.CodeChallengeMethod); err != nil {
		return nil, err
	}
	if err := checkPrompt(r.Prompt); err != nil {
		return nil, err
	}
	if r.Resource != "" {
		// RFC 8707 section 2: an absolute URI without a fragment.
		u, err := url.Parse(r.Resource)
		if err != nil || !u.IsAbs() || u.Fragment != "" || strings.Contains(r.Resource, "#") {
			return nil, apierr.New(apierr.OAuthInvalidTarget)
		}
	}
	now := s.now()
	req := &models.OAuth2AuthRequest{
		ClientID: client.ClientID, Scopes: scopes, RedirectURI: r.RedirectURI, ResponseType: r.ResponseType,
		State: optional(r.State), Nonce: optional(r.Nonce), Resource: optional(r.Resource),
		CodeChallenge: optional(r.CodeChallenge), CodeChallengeMethod: optional(r.CodeChallengeMethod),
		CreatedAt: now, ExpiresAt: now.Add(AuthRequestTTL),
	}
	return req, nil
}

// checkChallenge applies PKCE's rules at the authorization endpoint: S256
// only (RFC 9700 2.1.1), and required of public clients.
func checkChallenge(client *models.OAuth2Client, challenge, method string) error {
	if challenge == "" {
		if method != "" {
			return apierr.Newf(apierr.OAuthInvalidRequest, "code_challenge_method without code_challenge")
		}
		if client.Public() {
			return apierr.Newf(apierr.OAuthInvalidRequest, "A public client must use PKCE: send code_challenge with code_challenge_method=S256")
		}
		return nil
	}
	if method != "S256" {
		// An absent method means plain (RFC 7636 4.3).
		return apierr.Newf(apierr.OAuthInvalidRequest, "code_challenge_method must be S256 (plain is not allowed)")
	}
	// BASE64URL(SHA256(verifier)) is 43 characters.
	if len(challenge) != 43 || !isBase64URL(challenge) {
		return apierr.Newf(apierr.OAuthInvalidRequest, "code_challenge must be the 43-character base64url S256 hash of the code verifier")
	}
	return nil
}

// checkPrompt: the values OpenID Connect defines; none stands alone.
func checkPrompt(raw string) error {
	if raw == "" {
		return nil
	}
	values := strings.Fields(raw)
	for _, v := range values {
		if !slices.Contains([]string{"none", "login", "consent", "select_account"}, v) {
			return apierr.Newf(apierr.OAuthInvalidRequest, "Unknown prompt value "+quote(v))
		}
	}
	if slices.Contains(values, "none") && len(values) > 1 {
		return apierr.Newf(apierr.OAuthInvalidRequest, "prompt=none cannot be combined with other values")
	}
	return nil
}

func isBase64URL(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

func optional(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// errorRedirect sends an error to the client's (verified) redirect URI, with
// its state and our issuer (RFC 9207). An internal error is logged and sent
// as server_error without its cause.
func (s *Service) errorRedirect(r *AuthorizeRequest, err error) (string, error) {
	var e *apierr.Error
	if !errors.As(err, &e) || e.Status >= 500 {
		s.log.Error("authorization request failed", "client_id", r.ClientID, "error", err)
		e = &apierr.Error{Code: "server_error", Message: "The request could not be handled; try again"}
	}
	u, perr := url.Parse(r.RedirectURI)
	if perr != nil {
		return "", e
	}
	q := u.Query()
	q.Set("error", e.Code)
	q.Set("error_description", e.Message)
	if r.State != "" {
		q.Set("state", r.State)
	}
	q.Set("iss", s.issuer)
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// LoginRequest is what the login UI shows of a pending authorization
// request (nhost's OAuth2LoginResponse).
type LoginRequest struct {
	RequestID   uuid.UUID `json:"requestId"`
	ClientID    string    `json:"clientId"`
	Scopes      []string  `json:"scopes"`
	RedirectURI string    `json:"redirectUri"`
}

package handlers_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"
	"golang.org/x/oauth2"
)

// The OpenID Connect provider (/oauth2/*) seen by applications: a real
// relying party (golang.org/x/oauth2 and go-oidc) against the server over
// HTTP, then the conformance rules one by one (oauth2_conformance_test.go).

// providerConfig turns the provider on; the login UI is under AUTH_CLIENT_URL.
var providerConfig = map[string]string{
	"AUTH_OAUTH2_PROVIDER_ENABLED": "true",
	"AUTH_SERVER_URL":              authURL + "/v1",
}

const rpRedirect = "https://rp.example.com/callback"

func oidcProviderEnv(t testing.TB, overrides map[string]string) *env {
	t.Helper()
	return newEnv(t, merge(providerConfig, overrides))
}

// oauthClient is a registered application.
type oauthClient struct {
	id, secret string // secret "": a public client
}

// registerClient inserts a client as an operator does through Hasura (the
// secret as a bcrypt hash); scopes "" keeps the column's default (all).
func (e *env) registerClient(public bool, scopes string, redirects ...string) oauthClient {
	e.t.Helper()
	if len(redirects) == 0 {
		redirects = []string{rpRedirect}
	}
	var c oauthClient
	var hash *string
	if !public {
		c.secret = randomString(24)
		h, err := bcrypt.GenerateFromPassword([]byte(c.secret), bcrypt.MinCost)
		require.NoError(e.t, err)
		s := string(h)
		hash = &s
	}
	q := `INSERT INTO auth.oauth2_clients (client_secret_hash, redirect_uris) VALUES (?, string_to_array(?, ' ')) RETURNING client_id`
	args := []any{hash, strings.Join(redirects, " ")}
	if scopes != "" {
		q = `INSERT INTO auth.oauth2_clients (client_secret_hash, redirect_uris, scopes) VALUES (?, string_to_array(?, ' '), string_to_array(?, ' ')) RETURNING client_id`
		args = append(args, scopes)
	}
	require.NoError(e.t, e.db().Raw(q, args...).Scan(&c.id).Error)
	require.True(e.t, strings.HasPrefix(c.id, "nhoa_"), "nhost's client id format: %s", c.id)
	return c
}

func randomString(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// authzParams is an authorization request of c with PKCE, state and nonce.
type authzParams struct {
	values   url.Values
	verifier string
}

func newAuthz(c oauthClient, scope string) authzParams {
	v := oauth2.GenerateVerifier()
	return authzParams{verifier: v, values: url.Values{
		"client_id": {c.id}, "redirect_uri": {rpRedirect}, "response_type": {"code"}, "scope": {scope},
		"state": {"st-" + randomString(6)}, "nonce": {"n-" + randomString(6)},
		"code_challenge": {oauth2.S256ChallengeFromVerifier(v)}, "code_challenge_method": {"S256"},
	}}
}

// authorize sends the request and returns the request_id the login URL got.
func (e *env) authorize(p authzParams) string {
	e.t.Helper()
	r := e.do("GET", "/v1/oauth2/authorize?"+p.values.Encode(), nil)
	require.Equal(e.t, 302, r.Status, "%s", r.Body)
	loc, err := url.Parse(r.Header.Get("Location"))
	require.NoError(e.t, err)
	require.Equal(e.t, "https://app.example.com/oauth2/login", loc.Scheme+"://"+loc.Host+loc.Path, "AUTH_CLIENT_URL/oauth2/login: %s", loc)
	id := loc.Query().Get("request_id")
	require.NotEmpty(e.t, id, "%s", loc)
	return id
}

// consent completes a request as the login UI does, returning the redirect.
func (e *env) consent(requestID, access string) *url.URL {
	e.t.Helper()
	r := e.do("POST", "/v1/oauth2/login", map[string]any{"requestId": requestID}, bearer(access))
	require.Equal(e.t, 200, r.Status, "%s", r.Body)
	var body struct{ RedirectURI string }
	r.decode(e.t, &body)
	u, err := url.Parse(body.RedirectURI)
	require.NoError(e.t, err)
	return u
}

// authzCode runs authorize → consent for user and returns the code.
func (e *env) authzCode(p authzParams, user sessionBody) string {
	e.t.Helper()
	back := e.consent(e.authorize(p), user.AccessToken)
	require.Equal(e.t, p.values.Get("state"), back.Query().Get("state"))
	return back.Query().Get("code")
}

// form posts an application/x-www-form-urlencoded body.
func (e *env) form(path string, v url.Values, headers ...header) *response {
	e.t.Helper()
	return e.do("POST", path, v.Encode(), append([]header{{"Content-Type", "application/x-www-form-urlencoded"}}, headers...)...)
}

// exchange trades a code for tokens (client_secret_post for confidential clients).
func (e *env) exchange(c oauthClient, code, verifier string) *response {
	e.t.Helper()
	v := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {rpRedirect}, "client_id": {c.id}}
	if verifier != "" {
		v.Set("code_verifier", verifier)
	}
	if c.secret != "" {
		v.Set("client_secret", c.secret)
	}
	return e.form("/v1/oauth2/token", v)
}

type tokenBody struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int64  `json:"expires_in"`
	RefreshToken string `json:"refresh_token"`
	IDToken      string `json:"id_token"`
	Scope        string `json:"scope"`
}

func (e *env) mustExchange(c oauthClient, code, verifier string) tokenBody {
	e.t.Helper()
	r := e.exchange(c, code, verifier)
	require.Equal(e.t, 200, r.Status, "%s", r.Body)
	require.Equal(e.t, "no-store", r.Header.Get("Cache-Control"))
	var tb tokenBody
	r.decode(e.t, &tb)
	return tb
}

// grant runs the whole flow for user and returns c's tokens.
func (e *env) grant(c oauthClient, user sessionBody, scope string) tokenBody {
	e.t.Helper()
	p := newAuthz(c, scope)
	return e.mustExchange(c, e.authzCode(p, user), p.verifier)
}

// refreshGrant refreshes with c's credentials.
func (e *env) refreshGrant(c oauthClient, refresh string, extra url.Values) *response {
	e.t.Helper()
	v := url.Values{"grant_type": {"refresh_token"}, "refresh_token": {refresh}, "client_id": {c.id}}
	if c.secret != "" {
		v.Set("client_secret", c.secret)
	}
	for k, vs := range extra {
		v[k] = vs
	}
	return e.form("/v1/oauth2/token", v)
}

// clientCall posts a token to /oauth2/introspect or /oauth2/revoke as c.
func (e *env) clientCall(path string, c oauthClient, tok string) *response {
	e.t.Helper()
	v := url.Values{"token": {tok}, "client_id": {c.id}}
	if c.secret != "" {
		v.Set("client_secret", c.secret)
	}
	return e.form(path, v)
}

func (e *env) introspect(c oauthClient, tok string) map[string]any {
	e.t.Helper()
	r := e.clientCall("/v1/oauth2/introspect", c, tok)
	require.Equal(e.t, 200, r.Status, "%s", r.Body)
	var out map[string]any
	r.decode(e.t, &out)
	return out
}

// oauthError checks an RFC 6749 error answer.
func oauthError(t testing.TB, r *response, status int, code string) {
	t.Helper()
	require.Equal(t, status, r.Status, "%s", r.Body)
	var body map[string]any
	r.decode(t, &body)
	require.Equal(t, code, body["error"], "%s", r.Body)
	require.NotEmpty(t, body["error_description"])
	require.Len(t, body, 2, "only error and error_description: %s", r.Body)
}

// claimsOf reads a JWT's payload without verifying it (the tests verify
// separately).
func claimsOf(t testing.TB, jwt string) map[string]any {
	t.Helper()
	parts := strings.Split(jwt, ".")
	require.Len(t, parts, 3)
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	require.NoError(t, err)
	var c map[string]any
	require.NoError(t, json.Unmarshal(raw, &c))
	return c
}

// serveProvider starts the server over real HTTP on a port chosen first, so
// that AUTH_SERVER_URL (the issuer) is the address relying parties use.
func serveProvider(t *testing.T, overrides map[string]string) (*env, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	base := "http://" + ln.Addr().String()
	e := newEnv(t, merge(providerConfig, merge(map[string]string{"AUTH_SERVER_URL": base + "/v1"}, overrides)))
	srv := httptest.NewUnstartedServer(e.srv.Router)
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
	return e, base + "/v1"
}

// A relying party does discovery, the code flow with PKCE through the login
// step, verifies the ID token against /oauth2/jwks, calls userinfo,
// refreshes, introspects and revokes, for each algorithm of generated keys.
func TestOIDCRelyingParty(t *testing.T) {
	for _, alg := range []string{"EdDSA", "ES256", "RS256", "PS256"} {
		t.Run(alg, func(t *testing.T) {
			e, issuer := serveProvider(t, map[string]string{"AUTH_JWT_ALGORITHM": alg, "HASURA_GRAPHQL_DATABASE_URL": ownDB(t)})
			browser := &http.Client{Timeout: 10 * time.Second,
				CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			ctx := oidc.ClientContext(context.Background(), browser)
			provider, err := oidc.NewProvider(ctx, issuer) // checks that the document's issuer is issuer
			require.NoError(t, err)
			var meta struct {
				JWKS  string   `json:"jwks_uri"`
				Algs  []string `json:"id_token_signing_alg_values_supported"`
				Intro string   `json:"introspection_endpoint"`
				Rev   string   `json:"revocation_endpoint"`
			}
			require.NoError(t, provider.Claims(&meta))
			require.Equal(t, issuer+"/oauth2/jwks", meta.JWKS)
			require.Equal(t, []string{alg}, meta.Algs)

			client := e.registerClient(false, "")
			conf := oauth2.Config{ClientID: client.id, ClientSecret: client.secret, Endpoint: provider.Endpoint(),
				RedirectURL: rpRedirect, Scopes: []string{oidc.ScopeOpenID, "profile", "email", "graphql"}}
			addr := email(t)
			user := e.signUp(addr, map[string]any{"displayName": "Ada"})

			verifier, state, nonce := oauth2.GenerateVerifier(), "state-"+randomString(8), "nonce-"+randomString(8)
			authURL := conf.AuthCodeURL(state, oauth2.S256ChallengeOption(verifier), oidc.Nonce(nonce))
			resp, err := browser.Get(authURL)
			require.NoError(t, err)
			resp.Body.Close()
			require.Equal(t, 302, resp.StatusCode)
			loc, err := url.Parse(resp.Header.Get("Location"))
			require.NoError(t, err)
			requestID := loc.Query().Get("request_id")

			// The login UI shows the request, then completes it for the signed-in user.
			r := e.do("GET", "/v1/oauth2/login?request_id="+requestID, nil)
			require.Equal(t, 200, r.Status, "%s", r.Body)
			require.JSONEq(t, `{"requestId":"`+requestID+`","clientId":"`+client.id+`","scopes":["openid","profile","email","graphql"],"redirectUri":"`+rpRedirect+`"}`, string(r.Body))
			back := e.consent(requestID, user.AccessToken)
			require.Equal(t, state, back.Query().Get("state"))
			require.Equal(t, issuer, back.Query().Get("iss"), "RFC 9207")

			tok, err := conf.Exchange(ctx, back.Query().Get("code"), oauth2.VerifierOption(verifier))
			require.NoError(t, err)
			rawID, _ := tok.Extra("id_token").(string)
			idToken, err := provider.Verifier(&oidc.Config{ClientID: client.id}).Verify(ctx, rawID)
			require.NoError(t, err, "the ID token verifies against /oauth2/jwks")
			require.Equal(t, nonce, idToken.Nonce)
			require.Equal(t, user.User.ID, idToken.Subject)
			require.NoError(t, idToken.VerifyAccessToken(tok.AccessToken), "at_hash")
			var idClaims struct {
				Azp           string `json:"azp"`
				Email         string `json:"email"`
				EmailVerified bool   `json:"email_verified"`
				Name          string `json:"name"`
			}
			require.NoError(t, idToken.Claims(&idClaims))
			require.Equal(t, client.id, idClaims.Azp)
			require.Equal(t, addr, idClaims.Email)
			require.Equal(t, "Ada", idClaims.Name)

			// The access token carries Hasura's claims (graphql scope): Hasura accepts it.
			hc := e.hasuraClaims(tok.AccessToken)
			require.Equal(t, user.User.ID, hc.SessionVariables["x-hasura-user-id"])
			require.Equal(t, "at+jwt", jwtHeader(t, tok.AccessToken)["typ"])
			// ... but the auth API does not: it is the application's, not a session.
			require.Equal(t, 401, e.do("GET", "/v1/user", nil, bearer(tok.AccessToken)).Status)

			info, err := provider.UserInfo(ctx, oauth2.StaticTokenSource(tok))
			require.NoError(t, err)
			require.Equal(t, user.User.ID, info.Subject)
			require.Equal(t, addr, info.Email)

			// Refresh: the token source refreshes an expired token, rotating it.
			expired := *tok
			expired.Expiry = time.Now().Add(-time.Minute)
			fresh, err := conf.TokenSource(ctx, &expired).Token()
			require.NoError(t, err)
			require.NotEqual(t, tok.RefreshToken, fresh.RefreshToken, "rotated")
			require.NotEqual(t, tok.AccessToken, fresh.AccessToken)
			refreshedID, err := provider.Verifier(&oidc.Config{ClientID: client.id}).Verify(ctx, fresh.Extra("id_token").(string))
			require.NoError(t, err)
			require.Empty(t, refreshedID.Nonce, "no nonce on refresh")

			// Introspection and revocation over HTTP, with HTTP Basic client authentication.
			post := func(endpoint, token string) *http.Response {
				req, err := http.NewRequest("POST", endpoint, strings.NewReader(url.Values{"token": {token}}.Encode()))
				require.NoError(t, err)
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				req.SetBasicAuth(url.QueryEscape(client.id), url.QueryEscape(client.secret))
				resp, err := http.DefaultClient.Do(req)
				require.NoError(t, err)
				t.Cleanup(func() { resp.Body.Close() })
				return resp
			}
			active := func(token string) bool {
				resp := post(meta.Intro, token)
				require.Equal(t, 200, resp.StatusCode)
				var out struct {
					Active    bool   `json:"active"`
					TokenType string `json:"token_type"`
					ClientID  string `json:"client_id"`
				}
				require.NoError(t, json.NewDecoder(resp.Body).Decode(&out))
				if out.Active {
					require.Equal(t, client.id, out.ClientID)
				}
				return out.Active
			}
			require.True(t, active(fresh.RefreshToken))
			require.True(t, active(fresh.AccessToken))
			require.False(t, active(tok.RefreshToken), "the rotated token is no longer active")

			require.Equal(t, 200, post(meta.Rev, fresh.RefreshToken).StatusCode)
			require.False(t, active(fresh.RefreshToken))
			require.False(t, active(fresh.AccessToken), "revoking the grant ends its access tokens here")
			_, err = provider.UserInfo(ctx, oauth2.StaticTokenSource(fresh))
			require.Error(t, err)
			_, err = conf.TokenSource(ctx, &oauth2.Token{RefreshToken: fresh.RefreshToken, Expiry: time.Now().Add(-time.Minute)}).Token()
			require.ErrorContains(t, err, "invalid_grant")
		})
	}
}

func jwtHeader(t testing.TB, jwt string) map[string]any {
	t.Helper()
	raw, err := base64.RawURLEncoding.DecodeString(strings.Split(jwt, ".")[0])
	require.NoError(t, err)
	var h map[string]any
	require.NoError(t, json.Unmarshal(raw, &h))
	return h
}

// The janitor purges what the provider leaves behind once expired: pending
// requests, used codes, grants and their retired tokens.
func TestOAuth2JanitorPurges(t *testing.T) {
	e := oidcProviderEnv(t, map[string]string{"HASURA_GRAPHQL_DATABASE_URL": ownDB(t), "HASURA_GRAPHQL_ADMIN_SECRET": opsAdminSecret})
	c := e.registerClient(true, "")
	user := e.signUp(email(t), nil)
	tok := e.grant(c, user, "openid")             // a request, a used code, a grant
	r := e.refreshGrant(c, tok.RefreshToken, nil) // a retired token
	require.Equal(t, 200, r.Status, "%s", r.Body)
	e.authorize(newAuthz(c, "openid")) // a request never completed

	purge := func() int64 {
		r := e.do("POST", "/v1/sessions/purge-expired", nil, opsAdmin)
		require.Equal(t, 200, r.Status, "%s", r.Body)
		var res struct{ OAuth2 int64 }
		r.decode(t, &res)
		return res.OAuth2
	}
	e.clock.Advance(11 * time.Minute)
	require.Equal(t, int64(3), purge(), "the used code and the two requests")
	require.Equal(t, int64(1), e.countRows("oauth2_refresh_tokens", "client_id = ?", c.id), "the grant lives on")
	e.clock.Advance(30 * 24 * time.Hour)
	require.Equal(t, int64(2), purge(), "the grant and its retired token")
	for _, table := range []string{"oauth2_auth_requests", "oauth2_authorization_codes", "oauth2_refresh_tokens", "oauth2_refresh_token_history"} {
		require.Zero(t, e.countRows(table, "true"), table)
	}
}

package handlers_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/require"
)

// The rules of OpenID Connect and OAuth 2.0 that a conformance suite checks
// and that can be checked here, one table per endpoint: each refusal is a
// clear RFC 6749 error, and nothing is left half-written.

// countRows counts rows of an auth table matching where.
func (e *env) countRows(table, where string, args ...any) int64 {
	e.t.Helper()
	return e.count(`SELECT count(*) FROM auth.`+table+` WHERE `+where, args...)
}

func TestOAuth2AuthorizeRefusals(t *testing.T) {
	e := oidcProviderEnv(t, nil)
	public := e.registerClient(true, "")
	narrow := e.registerClient(true, "openid profile")
	const issuer = authURL + "/v1"
	cases := []struct {
		name   string
		client oauthClient
		mutate func(v url.Values)
		// status != 0: answered to the user agent; else sent to the redirect URI
		status int
		code   string
	}{
		{"unknown client", public, func(v url.Values) { v.Set("client_id", "nhoa_0000000000000000") }, 401, "invalid_client"},
		{"no client_id", public, func(v url.Values) { v.Del("client_id") }, 400, "invalid_request"},
		{"client_id twice", public, func(v url.Values) { v.Add("client_id", public.id) }, 400, "invalid_request"},
		{"no redirect_uri", public, func(v url.Values) { v.Del("redirect_uri") }, 400, "invalid_request"},
		{"redirect URI with a trailing slash", public, func(v url.Values) { v.Set("redirect_uri", rpRedirect+"/") }, 400, "invalid_request"},
		{"redirect URI with a query added", public, func(v url.Values) { v.Set("redirect_uri", rpRedirect+"?next=/") }, 400, "invalid_request"},
		{"redirect URI under the registered one", public, func(v url.Values) { v.Set("redirect_uri", rpRedirect+"/evil") }, 400, "invalid_request"},
		{"redirect URI in other case", public, func(v url.Values) { v.Set("redirect_uri", strings.ToUpper(rpRedirect)) }, 400, "invalid_request"},
		{"redirect URI over http", public, func(v url.Values) { v.Set("redirect_uri", strings.Replace(rpRedirect, "https", "http", 1)) }, 400, "invalid_request"},
		{"no response_type", public, func(v url.Values) { v.Del("response_type") }, 0, "invalid_request"},
		{"implicit flow", public, func(v url.Values) { v.Set("response_type", "token") }, 0, "unsupported_response_type"},
		{"hybrid flow", public, func(v url.Values) { v.Set("response_type", "code id_token") }, 0, "unsupported_response_type"},
		{"unknown scope", public, func(v url.Values) { v.Set("scope", "openid admin") }, 0, "invalid_scope"},
		{"scope the client may not have", narrow, func(v url.Values) { v.Set("scope", "openid email") }, 0, "invalid_scope"},
		{"public client without PKCE", public, func(v url.Values) { v.Del("code_challenge"); v.Del("code_challenge_method") }, 0, "invalid_request"},
		{"plain PKCE", public, func(v url.Values) { v.Set("code_challenge_method", "plain") }, 0, "invalid_request"},
		{"PKCE without a method (plain)", public, func(v url.Values) { v.Del("code_challenge_method") }, 0, "invalid_request"},
		{"a challenge that is no S256 hash", public, func(v url.Values) { v.Set("code_challenge", "short") }, 0, "invalid_request"},
		{"nonce twice", public, func(v url.Values) { v.Add("nonce", "again") }, 0, "invalid_request"},
		{"a request object", public, func(v url.Values) { v.Set("request", "eyJhbGciOiJub25lIn0.e30.") }, 0, "request_not_supported"},
		{"a request_uri", public, func(v url.Values) { v.Set("request_uri", "https://rp.example.com/req") }, 0, "request_uri_not_supported"},
		{"prompt=none with login", public, func(v url.Values) { v.Set("prompt", "none login") }, 0, "invalid_request"},
		{"unknown prompt", public, func(v url.Values) { v.Set("prompt", "always") }, 0, "invalid_request"},
		{"resource with a fragment", public, func(v url.Values) { v.Set("resource", "https://api.example.com/#x") }, 0, "invalid_target"},
		{"relative resource", public, func(v url.Values) { v.Set("resource", "/api") }, 0, "invalid_target"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e.t = t
			p := newAuthz(tc.client, "openid")
			tc.mutate(p.values)
			before := e.countRows("oauth2_auth_requests", "client_id = ?", tc.client.id)
			for _, method := range []string{"GET", "POST"} {
				var r *response
				if method == "GET" {
					r = e.do("GET", "/v1/oauth2/authorize?"+p.values.Encode(), nil)
				} else {
					r = e.form("/v1/oauth2/authorize", p.values)
				}
				if tc.status != 0 {
					oauthError(t, r, tc.status, tc.code)
					require.Empty(t, r.Header.Get("Location"), "never sent to an unverified redirect URI")
				} else {
					require.Equal(t, 302, r.Status, "%s", r.Body)
					loc, err := url.Parse(r.Header.Get("Location"))
					require.NoError(t, err)
					require.Equal(t, rpRedirect, loc.Scheme+"://"+loc.Host+loc.Path)
					q := loc.Query()
					require.Equal(t, tc.code, q.Get("error"), "%s", loc)
					require.NotEmpty(t, q.Get("error_description"))
					require.Equal(t, issuer, q.Get("iss"), "RFC 9207")
					require.Empty(t, q.Get("code"))
					if len(p.values["state"]) == 1 {
						require.Equal(t, p.values.Get("state"), q.Get("state"))
					}
				}
			}
			require.Equal(t, before, e.countRows("oauth2_auth_requests", "client_id = ?", tc.client.id), "nothing stored")
		})
	}

	// What is accepted: a confidential client may skip PKCE; no scope means openid.
	t.Run("accepted", func(t *testing.T) {
		e.t = t
		conf := e.registerClient(false, "")
		p := newAuthz(conf, "")
		p.values.Del("code_challenge")
		p.values.Del("code_challenge_method")
		p.values.Set("prompt", "consent")
		r := e.do("GET", "/v1/oauth2/authorize?"+p.values.Encode(), nil)
		require.Equal(t, 302, r.Status, "%s", r.Body)
		loc, _ := url.Parse(r.Header.Get("Location"))
		require.Equal(t, "consent", loc.Query().Get("prompt"), "prompt reaches the login UI")
		lr := e.do("GET", "/v1/oauth2/login?request_id="+loc.Query().Get("request_id"), nil)
		require.Equal(t, 200, lr.Status)
		require.Contains(t, string(lr.Body), `"scopes":["openid"]`)
	})
}

// The login step answers nhost's ErrorResponse.
func TestOAuth2LoginStep(t *testing.T) {
	e := oidcProviderEnv(t, nil)
	c := e.registerClient(true, "")
	user := e.signUp(email(t), nil)

	r := e.do("GET", "/v1/oauth2/login?request_id=not-a-uuid", nil)
	require.Equal(t, 400, r.Status)
	require.Equal(t, "invalid-request", r.errorCode(t))
	r = e.do("GET", "/v1/oauth2/login?request_id=6f3b8a52-2d8e-4a4a-9d55-6a7b3c1e0f11", nil)
	require.Equal(t, 400, r.Status)
	require.Equal(t, "invalid-request", r.errorCode(t))

	id := e.authorize(newAuthz(c, "openid"))
	require.Equal(t, 401, e.do("POST", "/v1/oauth2/login", map[string]any{"requestId": id}).Status, "the user's session token is required")
	anon := e.anonymous()
	r = e.do("POST", "/v1/oauth2/login", map[string]any{"requestId": id}, bearer(anon.AccessToken))
	require.Equal(t, 403, r.Status)
	require.Equal(t, "forbidden-anonymous", r.errorCode(t))
	e.consent(id, user.AccessToken)
	r = e.do("POST", "/v1/oauth2/login", map[string]any{"requestId": id}, bearer(user.AccessToken))
	require.Equal(t, 400, r.Status, "a request is completed once")
	require.Equal(t, "invalid-request", r.errorCode(t))
	require.Equal(t, int64(1), e.countRows("oauth2_authorization_codes", "auth_request_id = ?", id))

	// A request not completed within ten minutes expires.
	late := e.authorize(newAuthz(c, "openid"))
	e.clock.Advance(10*time.Minute + time.Second)
	require.Equal(t, 400, e.do("GET", "/v1/oauth2/login?request_id="+late, nil).Status)
	r = e.do("POST", "/v1/oauth2/login", map[string]any{"requestId": late}, bearer(e.signIn(user.User.Email).AccessToken))
	require.Equal(t, 400, r.Status)
	require.Contains(t, string(r.Body), "expired")
}

func TestOAuth2CodeExchangeRefusals(t *testing.T) {
	e := oidcProviderEnv(t, nil)
	user := e.signUp(email(t), nil)
	conf := e.registerClient(false, "")
	public := e.registerClient(true, "")
	other := e.registerClient(false, "")
	type request struct {
		values  url.Values
		headers []header
	}
	good := func(c oauthClient, code, verifier string) request {
		v := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {rpRedirect}, "code_verifier": {verifier}, "client_id": {c.id}}
		if c.secret != "" {
			v.Set("client_secret", c.secret)
		}
		return request{values: v}
	}
	cases := []struct {
		name   string
		client oauthClient
		change func(r *request)
		status int
		code   string
		burns  bool // the code is taken: even the right request fails afterwards
	}{
		{"wrong redirect_uri", conf, func(r *request) { r.values.Set("redirect_uri", rpRedirect+"/other") }, 400, "invalid_grant", true},
		{"no redirect_uri", conf, func(r *request) { r.values.Del("redirect_uri") }, 400, "invalid_request", false},
		{"wrong code_verifier", public, func(r *request) { r.values.Set("code_verifier", oauth2Verifier()) }, 400, "invalid_grant", true},
		{"no code_verifier", public, func(r *request) { r.values.Del("code_verifier") }, 400, "invalid_grant", true},
		{"a code_verifier too short", public, func(r *request) { r.values.Set("code_verifier", "abc") }, 400, "invalid_grant", true},
		{"unknown code", conf, func(r *request) { r.values.Set("code", "not-a-code") }, 400, "invalid_grant", false},
		{"another client's code", conf, func(r *request) {
			r.values.Set("client_id", other.id)
			r.values.Set("client_secret", other.secret)
		}, 400, "invalid_grant", true},
		{"unknown client", conf, func(r *request) { r.values.Set("client_id", "nhoa_ffffffffffffffff") }, 401, "invalid_client", false},
		{"wrong secret", conf, func(r *request) { r.values.Set("client_secret", "not-the-secret") }, 401, "invalid_client", false},
		{"wrong secret, HTTP Basic", conf, func(r *request) {
			r.values.Del("client_secret")
			r.values.Del("client_id")
			r.headers = append(r.headers, header{"Authorization", basicAuth(oauthClient{id: conf.id, secret: "wrong"})})
		}, 401, "invalid_client", false},
		{"no secret from a confidential client", conf, func(r *request) { r.values.Del("client_secret") }, 401, "invalid_client", false},
		{"a secret from a public client", public, func(r *request) { r.values.Set("client_secret", "anything") }, 401, "invalid_client", false},
		{"no client at all", conf, func(r *request) { r.values.Del("client_id"); r.values.Del("client_secret") }, 401, "invalid_client", false},
		{"two authentication methods", conf, func(r *request) {
			r.headers = append(r.headers, header{"Authorization", basicAuth(conf)})
		}, 400, "invalid_request", false},
		{"code twice in the body", conf, func(r *request) { r.values.Add("code", "x") }, 400, "invalid_request", false},
		{"no grant_type", conf, func(r *request) { r.values.Del("grant_type") }, 400, "invalid_request", false},
		{"password grant", conf, func(r *request) { r.values.Set("grant_type", "password") }, 400, "unsupported_grant_type", false},
		{"client credentials grant", conf, func(r *request) { r.values.Set("grant_type", "client_credentials") }, 400, "unsupported_grant_type", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e.t = t
			p := newAuthz(tc.client, "openid")
			if tc.client.secret != "" {
				// A confidential client without PKCE: a verifier would be refused.
				p.values.Del("code_challenge")
				p.values.Del("code_challenge_method")
				p.verifier = ""
			}
			code := e.authzCode(p, user)
			req := good(tc.client, code, p.verifier)
			if p.verifier == "" {
				req.values.Del("code_verifier")
			}
			tc.change(&req)
			r := e.form("/v1/oauth2/token", req.values, req.headers...)
			oauthError(t, r, tc.status, tc.code)
			if tc.name == "wrong secret, HTTP Basic" {
				require.Contains(t, r.Header.Get("WWW-Authenticate"), "Basic")
			}
			require.Zero(t, e.countRows("oauth2_refresh_tokens", "user_id = ?", user.User.ID), "nothing issued")

			r = e.exchange(tc.client, code, p.verifier)
			if tc.burns {
				oauthError(t, r, 400, "invalid_grant")
			} else {
				require.Equal(t, 200, r.Status, "the code was not taken: %s", r.Body)
				_, err := e.db().Raw(`DELETE FROM auth.oauth2_refresh_tokens WHERE user_id = ?`, user.User.ID).Rows()
				require.NoError(t, err)
			}
		})
	}

	t.Run("a confidential client's code with a verifier it never challenged", func(t *testing.T) {
		e.t = t
		p := newAuthz(conf, "openid")
		p.values.Del("code_challenge")
		p.values.Del("code_challenge_method")
		oauthError(t, e.exchange(conf, e.authzCode(p, user), oauth2Verifier()), 400, "invalid_grant")
	})
	t.Run("not a form", func(t *testing.T) {
		e.t = t
		oauthError(t, e.do("POST", "/v1/oauth2/token", map[string]any{"grant_type": "authorization_code"}), 400, "invalid_request")
	})
}

func oauth2Verifier() string { return strings.Repeat("v", 20) + randomString(24) }

// A code is exchanged once, within five minutes; a second exchange revokes
// what the first gave (RFC 6749 4.1.2).
func TestOAuth2CodeSingleUseAndShortLived(t *testing.T) {
	e := oidcProviderEnv(t, nil)
	c := e.registerClient(true, "")
	user := e.signUp(email(t), nil)

	p := newAuthz(c, "openid")
	code := e.authzCode(p, user)
	first := e.mustExchange(c, code, p.verifier)
	require.Equal(t, 200, e.do("GET", "/v1/oauth2/userinfo", nil, bearer(first.AccessToken)).Status)
	oauthError(t, e.exchange(c, code, p.verifier), 400, "invalid_grant")
	oauthError(t, e.refreshGrant(c, first.RefreshToken, nil), 400, "invalid_grant")
	r := e.do("GET", "/v1/oauth2/userinfo", nil, bearer(first.AccessToken))
	oauthError(t, r, 401, "invalid_token")
	require.Contains(t, r.Header.Get("WWW-Authenticate"), `error="invalid_token"`)

	p = newAuthz(c, "openid")
	code = e.authzCode(p, user)
	e.clock.Advance(5*time.Minute + time.Second)
	oauthError(t, e.exchange(c, code, p.verifier), 400, "invalid_grant")
	require.Zero(t, e.countRows("oauth2_refresh_tokens", "user_id = ?", user.User.ID))
}

// The ID token: nonce echoed, iss, aud and azp right, at_hash, auth_time,
// and only the claims the scopes grant.
func TestOAuth2IDTokenClaims(t *testing.T) {
	e := oidcProviderEnv(t, nil)
	c := e.registerClient(true, "")
	addr := email(t)
	user := e.signUp(addr, map[string]any{"displayName": "Grace", "locale": "fr"})

	p := newAuthz(c, "openid profile")
	tok := e.mustExchange(c, e.authzCode(p, user), p.verifier)
	require.Equal(t, "Bearer", tok.TokenType)
	require.Equal(t, int64(900), tok.ExpiresIn)
	require.Equal(t, "openid profile", tok.Scope)
	id := claimsOf(t, tok.IDToken)
	require.Equal(t, p.values.Get("nonce"), id["nonce"])
	require.Equal(t, authURL+"/v1", id["iss"])
	require.Equal(t, c.id, id["aud"])
	require.Equal(t, c.id, id["azp"])
	require.Equal(t, user.User.ID, id["sub"])
	require.Equal(t, float64(900), id["exp"].(float64)-id["iat"].(float64))
	require.Equal(t, float64(e.clock.Now().Unix()), id["auth_time"])
	require.NotEmpty(t, id["at_hash"])
	require.Equal(t, "Grace", id["name"])
	require.Equal(t, "fr", id["locale"])
	require.NotContains(t, id, "email", "no email scope")
	require.NotContains(t, id, "phone_number")
	require.Equal(t, "JWT", jwtHeader(t, tok.IDToken)["typ"])

	access := claimsOf(t, tok.AccessToken)
	require.Equal(t, c.id, access["client_id"])
	require.Equal(t, c.id, access["aud"])
	require.NotContains(t, access, "https://hasura.io/jwt/claims", "no graphql scope: nothing for Hasura")

	r := e.do("POST", "/v1/oauth2/userinfo", nil, bearer(tok.AccessToken))
	require.Equal(t, 200, r.Status, "%s", r.Body)
	var avatar string
	require.NoError(t, e.db().Raw(`SELECT avatar_url FROM auth.users WHERE id = ?`, user.User.ID).Scan(&avatar).Error)
	want := map[string]any{"sub": user.User.ID, "name": "Grace", "locale": "fr"}
	if avatar != "" {
		want["picture"] = avatar
	}
	var got map[string]any
	r.decode(t, &got)
	require.Equal(t, want, got)

	// Without openid: an access token and no ID token; userinfo is not for it.
	p = newAuthz(c, "email")
	tok = e.mustExchange(c, e.authzCode(p, user), p.verifier)
	require.Empty(t, tok.IDToken)
	r = e.do("GET", "/v1/oauth2/userinfo", nil, bearer(tok.AccessToken))
	oauthError(t, r, 403, "insufficient_scope")
}

// Refresh tokens rotate; a used one replayed revokes the whole grant.
func TestOAuth2RefreshRotationAndReuse(t *testing.T) {
	e := oidcProviderEnv(t, map[string]string{"HASURA_GRAPHQL_ADMIN_SECRET": opsAdminSecret})
	c := e.registerClient(false, "")
	other := e.registerClient(false, "")
	addr := email(t)
	user := e.signUp(addr, nil)
	grant := func() tokenBody { return e.grant(c, user, "openid profile email") }

	first := grant()
	r := e.refreshGrant(c, first.RefreshToken, nil)
	require.Equal(t, 200, r.Status, "%s", r.Body)
	var second tokenBody
	r.decode(t, &second)
	require.NotEqual(t, first.RefreshToken, second.RefreshToken)
	require.Equal(t, "openid profile email", second.Scope)

	// Another client cannot use it, and does not end it.
	oauthError(t, e.refreshGrant(other, second.RefreshToken, nil), 400, "invalid_grant")
	oauthError(t, e.refreshGrant(other, first.RefreshToken, nil), 400, "invalid_grant")
	require.Equal(t, true, e.introspect(c, second.RefreshToken)["active"])

	// The rotated token replayed: the grant is gone, with every token of it.
	oauthError(t, e.refreshGrant(c, first.RefreshToken, nil), 400, "invalid_grant")
	oauthError(t, e.refreshGrant(c, second.RefreshToken, nil), 400, "invalid_grant")
	oauthError(t, e.do("GET", "/v1/oauth2/userinfo", nil, bearer(second.AccessToken)), 401, "invalid_token")
	require.Equal(t, map[string]any{"active": false}, e.introspect(c, second.AccessToken))
	require.Zero(t, e.countRows("oauth2_refresh_tokens", "user_id = ?", user.User.ID))
	ev := e.auditLog("userId=" + user.User.ID + "&event=refresh-token-reuse")
	require.Len(t, ev, 1)
	require.Equal(t, c.id, ev[0].Metadata["clientId"])

	// A narrower scope on refresh, never a wider one.
	g := grant()
	r = e.refreshGrant(c, g.RefreshToken, url.Values{"scope": {"openid"}})
	require.Equal(t, 200, r.Status, "%s", r.Body)
	var narrowed tokenBody
	r.decode(t, &narrowed)
	require.Equal(t, "openid", narrowed.Scope)
	require.NotContains(t, claimsOf(t, narrowed.IDToken), "email")
	oauthError(t, e.refreshGrant(c, narrowed.RefreshToken, url.Values{"scope": {"openid graphql"}}), 400, "invalid_scope")

	// A disabled user's grants stop working.
	g = grant()
	require.NoError(t, e.db().Exec(`UPDATE auth.users SET disabled = true WHERE id = ?`, user.User.ID).Error)
	oauthError(t, e.refreshGrant(c, g.RefreshToken, nil), 400, "invalid_grant")
	require.NoError(t, e.db().Exec(`UPDATE auth.users SET disabled = false WHERE id = ?`, user.User.ID).Error)
	// Disabling ended the user's access tokens (migration 0103, by the
	// database's clock): sign in again, after it.
	e.clock.Advance(time.Second + max(0, time.Since(e.clock.Now())))
	user = e.signIn(addr)

	// An unused grant expires.
	g = grant()
	e.clock.Advance(30*24*time.Hour + time.Second)
	oauthError(t, e.refreshGrant(c, g.RefreshToken, nil), 400, "invalid_grant")
	require.Equal(t, map[string]any{"active": false}, e.introspect(c, g.RefreshToken))
}

func TestOAuth2RevocationAndIntrospection(t *testing.T) {
	e := oidcProviderEnv(t, nil)
	c := e.registerClient(false, "")
	other := e.registerClient(false, "")
	public := e.registerClient(true, "")
	user := e.signUp(email(t), nil)
	grant := func() tokenBody { return e.grant(c, user, "openid") }

	tok := grant()
	in := e.introspect(c, tok.AccessToken)
	require.Equal(t, true, in["active"])
	require.Equal(t, "access_token", in["token_type"])
	require.Equal(t, user.User.ID, in["sub"])
	require.Equal(t, "openid", in["scope"])
	require.Equal(t, authURL+"/v1", in["iss"])
	in = e.introspect(other, tok.RefreshToken) // any confidential client may ask
	require.Equal(t, "refresh_token", in["token_type"])
	require.Equal(t, c.id, in["client_id"])
	require.Equal(t, map[string]any{"active": false}, e.introspect(c, tok.IDToken), "an ID token is no access token")
	require.Equal(t, map[string]any{"active": false}, e.introspect(c, "nonsense"))
	oauthError(t, e.clientCall("/v1/oauth2/introspect", public, tok.AccessToken), 401, "invalid_client")
	oauthError(t, e.form("/v1/oauth2/introspect", url.Values{"client_id": {c.id}, "client_secret": {c.secret}}), 400, "invalid_request")

	// Another client's revocation does nothing; the owner's ends the grant.
	r := e.clientCall("/v1/oauth2/revoke", other, tok.RefreshToken)
	require.Equal(t, 200, r.Status)
	require.Empty(t, r.Body)
	require.Equal(t, true, e.introspect(c, tok.RefreshToken)["active"])
	require.Equal(t, 200, e.clientCall("/v1/oauth2/revoke", c, tok.RefreshToken).Status)
	require.Equal(t, map[string]any{"active": false}, e.introspect(c, tok.RefreshToken))
	require.Equal(t, map[string]any{"active": false}, e.introspect(c, tok.AccessToken))
	oauthError(t, e.do("GET", "/v1/oauth2/userinfo", nil, bearer(tok.AccessToken)), 401, "invalid_token")
	require.Equal(t, 200, e.clientCall("/v1/oauth2/revoke", c, tok.RefreshToken).Status, "again: no error")

	// Revoking an access token revokes its grant.
	tok = grant()
	require.Equal(t, 200, e.clientCall("/v1/oauth2/revoke", c, tok.AccessToken).Status)
	oauthError(t, e.refreshGrant(c, tok.RefreshToken, nil), 400, "invalid_grant")

	// Revocation needs the client's credentials.
	tok = grant()
	oauthError(t, e.clientCall("/v1/oauth2/revoke", oauthClient{id: c.id, secret: "wrong"}, tok.RefreshToken), 401, "invalid_client")
	require.Equal(t, true, e.introspect(c, tok.RefreshToken)["active"])
}

// Tokens that are not this provider's access tokens, however close, are
// refused: no other algorithm, no key but the published ones, no other type.
func TestOAuth2AlgorithmDowngradeAndForgery(t *testing.T) {
	e := oidcProviderEnv(t, nil)
	c := e.registerClient(true, "")
	conf := e.registerClient(false, "")
	user := e.signUp(email(t), nil)
	tok := e.grant(c, user, "openid")
	hdr, payload := jwtHeader(t, tok.AccessToken), claimsOf(t, tok.AccessToken)
	kid, _ := hdr["kid"].(string)

	b64 := func(v any) string {
		raw, err := json.Marshal(v)
		require.NoError(t, err)
		return base64.RawURLEncoding.EncodeToString(raw)
	}
	sign := func(method jwt.SigningMethod, key any, header map[string]any, claims map[string]any) string {
		tk := jwt.NewWithClaims(method, jwt.MapClaims(claims))
		for k, v := range header {
			tk.Header[k] = v
		}
		s, err := tk.SignedString(key)
		require.NoError(t, err)
		return s
	}
	_, attacker, err := ed25519.GenerateKey(rand.Reader)
	require.NoError(t, err)
	var published struct{ Keys []jose.JSONWebKey }
	r := e.do("GET", "/v1/oauth2/jwks", nil)
	require.Equal(t, 200, r.Status)
	r.decode(t, &published)
	require.NotEmpty(t, published.Keys)
	pub := published.Keys[0].Key.(ed25519.PublicKey)
	tampered := map[string]any{}
	for k, v := range payload {
		tampered[k] = v
	}
	tampered["sub"] = "00000000-0000-0000-0000-000000000001"
	parts := strings.Split(tok.AccessToken, ".")
	at := map[string]any{"typ": "at+jwt", "kid": kid}

	forged := map[string]string{
		"alg none":                        b64(map[string]any{"alg": "none", "typ": "at+jwt", "kid": kid}) + "." + parts[1] + ".",
		"HS256 keyed with the public key": sign(jwt.SigningMethodHS256, []byte(pub), at, payload),
		"another key under the same kid":  sign(jwt.SigningMethodEdDSA, attacker, at, payload),
		"the attacker's key embedded": sign(jwt.SigningMethodEdDSA, attacker,
			map[string]any{"typ": "at+jwt", "kid": kid, "jwk": jose.JSONWebKey{Key: attacker.Public()}}, payload),
		"payload changed":                  parts[0] + "." + b64(tampered) + "." + parts[2],
		"an ID token":                      tok.IDToken,
		"a session's access token":         user.AccessToken,
		"typ changed, signature kept":      b64(map[string]any{"alg": hdr["alg"], "typ": "JWT", "kid": kid}) + "." + parts[1] + "." + parts[2],
		"two signatures (JSON serialized)": `{"payload":"` + parts[1] + `","signatures":[]}`,
	}
	for name, raw := range forged {
		t.Run(name, func(t *testing.T) {
			e.t = t
			r := e.do("GET", "/v1/oauth2/userinfo", nil, bearer(raw))
			oauthError(t, r, 401, "invalid_token")
			require.Equal(t, map[string]any{"active": false}, e.introspect(conf, raw))
		})
	}

	t.Run("expired", func(t *testing.T) {
		e.t = t
		e.clock.Advance(900 * time.Second)
		oauthError(t, e.do("GET", "/v1/oauth2/userinfo", nil, bearer(tok.AccessToken)), 401, "invalid_token")
	})
}

// Off, every route of the provider says so, in its own error shape.
func TestOAuth2ProviderOff(t *testing.T) {
	e := newEnv(t, nil)
	for _, rq := range []struct{ method, path string }{
		{"GET", "/v1/.well-known/openid-configuration"}, {"GET", "/v1/.well-known/oauth-authorization-server"},
		{"GET", "/v1/oauth2/jwks"}, {"GET", "/v1/oauth2/authorize?client_id=x"}, {"POST", "/v1/oauth2/authorize"},
		{"POST", "/v1/oauth2/token"}, {"POST", "/v1/oauth2/introspect"}, {"POST", "/v1/oauth2/revoke"},
		{"GET", "/v1/oauth2/userinfo"}, {"POST", "/v1/oauth2/userinfo"},
	} {
		r := e.form(rq.path, url.Values{})
		if rq.method == "GET" {
			r = e.do("GET", rq.path, nil)
		}
		oauthError(t, r, 409, "disabled_endpoint")
	}
	r := e.do("GET", "/v1/oauth2/login?request_id=6f3b8a52-2d8e-4a4a-9d55-6a7b3c1e0f11", nil)
	require.Equal(t, 409, r.Status)
	require.Equal(t, "disabled-endpoint", r.errorCode(t))
}

// Middleware refusals take the RFC 6749 shape too: nhost's rate limit of
// applications' servers.
func TestOAuth2ServerRateLimit(t *testing.T) {
	e := oidcProviderEnv(t, map[string]string{"AUTH_RATE_LIMIT_ENABLE": "true", "AUTH_RATE_LIMIT_OAUTH2_SERVER_BURST": "2"})
	c := e.registerClient(false, "")
	for range 2 {
		oauthError(t, e.clientCall("/v1/oauth2/introspect", c, ""), 400, "invalid_request")
	}
	r := e.clientCall("/v1/oauth2/token", c, "")
	oauthError(t, r, 429, "too_many_requests")
	require.NotEmpty(t, r.Header.Get("Retry-After"))
	require.Equal(t, 200, e.do("GET", "/v1/.well-known/openid-configuration", nil).Status, "discovery is not an application server's call")
}

package handlers_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hasura-auth-go/auth/config"
)

func refreshCookie(t *testing.T, r *response) *http.Cookie {
	t.Helper()
	for _, c := range (&http.Response{Header: r.Header}).Cookies() {
		if c.Name == "auth_refresh_token" {
			return c
		}
	}
	return nil
}

func cookie(tok string) header { return header{"Cookie", "auth_refresh_token=" + tok} }

var (
	xhr        = header{"X-Requested-With", "XMLHttpRequest"}
	appOrigin  = header{"Origin", "https://app.example.com"} // AUTH_CLIENT_URL in baseConfig
	evilOrigin = header{"Origin", "https://evil.example.net"}
)

func TestRefreshTokenCookie(t *testing.T) {
	e := newEnv(t, map[string]string{"AUTH_REFRESH_TOKEN_COOKIE": "true"})
	addr := email(t)

	r := e.do("POST", "/v1/signup/email-password", map[string]any{"email": addr, "password": password})
	require.Equal(t, 200, r.Status, "%s", r.Body)
	var up struct{ Session sessionBody }
	r.decode(t, &up)
	c := refreshCookie(t, r)
	require.NotNil(t, c, "sign-up sets the cookie")
	require.Equal(t, up.Session.RefreshToken, c.Value, "and still returns the token in the body")
	require.True(t, c.HttpOnly)
	require.False(t, c.Secure, "http://localhost: no Secure, or the browser would drop it")
	require.Equal(t, http.SameSiteLaxMode, c.SameSite)
	require.Equal(t, "/v1", c.Path, "sent only to the auth routes")
	require.Equal(t, 2592000, c.MaxAge)

	r = e.do("POST", "/v1/signin/email-password", map[string]any{"email": addr, "password": password}, appOrigin)
	require.Equal(t, 200, r.Status)
	signedIn := refreshCookie(t, r)
	require.NotNil(t, signedIn)

	// /token reads the cookie when the body has none, and sets the rotated one.
	r = e.do("POST", "/v1/token", nil, cookie(signedIn.Value), xhr)
	require.Equal(t, 200, r.Status, "%s", r.Body)
	var s sessionBody
	r.decode(t, &s)
	rotated := refreshCookie(t, r)
	require.NotNil(t, rotated)
	require.Equal(t, s.RefreshToken, rotated.Value)
	require.NotEqual(t, signedIn.Value, rotated.Value)

	// CSRF: a cookie-authenticated call needs a trusted Origin or X-Requested-With.
	for name, hs := range map[string][]header{
		"no Origin, no X-Requested-With":               {cookie(rotated.Value)},
		"untrusted Origin":                             {cookie(rotated.Value), evilOrigin},
		"untrusted Origin, even with X-Requested-With": {cookie(rotated.Value), evilOrigin, xhr},
		"null Origin":                                  {cookie(rotated.Value), header{"Origin", "null"}},
	} {
		r = e.do("POST", "/v1/token", nil, hs...)
		require.Equal(t, 403, r.Status, "%s: %s", name, r.Body)
		require.Equal(t, "forbidden-origin", r.errorCode(t))
		require.Nil(t, refreshCookie(t, r))
	}
	r = e.do("POST", "/v1/token", nil, cookie(rotated.Value), appOrigin)
	require.Equal(t, 200, r.Status, "AUTH_CLIENT_URL's origin is trusted: %s", r.Body)
	current := refreshCookie(t, r).Value
	r = e.do("POST", "/v1/token", nil, cookie(current), header{"Origin", "http://localhost:4000"})
	require.Equal(t, 200, r.Status, "so is the server's own: %s", r.Body)
	current = refreshCookie(t, r).Value

	// A token in the body needs no CSRF check: a foreign page cannot know it.
	r = e.do("POST", "/v1/token", map[string]string{"refreshToken": current}, evilOrigin)
	require.Equal(t, 200, r.Status, "%s", r.Body)
	require.Nil(t, refreshCookie(t, r), "but an untrusted page does not get the cookie set (login CSRF)")
	r.decode(t, &s)
	current = s.RefreshToken

	// Sign-in from an untrusted page: the answer, no cookie.
	r = e.do("POST", "/v1/signin/email-password", map[string]any{"email": addr, "password": password}, evilOrigin)
	require.Equal(t, 200, r.Status)
	require.Nil(t, refreshCookie(t, r))

	// A broken or dead cookie is cleared.
	r = e.do("POST", "/v1/token", nil, cookie("not-a-uuid"), xhr)
	require.Equal(t, 401, r.Status)
	require.Equal(t, "invalid-refresh-token", r.errorCode(t))
	require.Equal(t, -1, refreshCookie(t, r).MaxAge, "Max-Age=0: delete")

	// /signout ends the cookie's session and clears it.
	r = e.do("POST", "/v1/signout", nil, cookie(current), xhr)
	require.Equal(t, 200, r.Status, "%s", r.Body)
	require.Equal(t, -1, refreshCookie(t, r).MaxAge)
	r = e.do("POST", "/v1/token", nil, cookie(current), xhr)
	require.Equal(t, 401, r.Status)
	require.Equal(t, -1, refreshCookie(t, r).MaxAge)

	// Without a cookie the body is still required.
	r = e.do("POST", "/v1/token", nil, xhr)
	require.Equal(t, 400, r.Status)
}

func TestRefreshTokenCookieSecureAndOff(t *testing.T) {
	e := newEnv(t, map[string]string{"AUTH_REFRESH_TOKEN_COOKIE": "true", "AUTH_SERVER_URL": "https://auth.example.com"})
	r := e.do("POST", "/v1/signup/email-password", map[string]any{"email": email(t), "password": password})
	require.Equal(t, 200, r.Status)
	require.True(t, refreshCookie(t, r).Secure)

	_, err := config.Load("", map[string]string{"AUTH_REFRESH_TOKEN_COOKIE": "true", "AUTH_SERVER_URL": "http://auth.example.com"})
	require.ErrorContains(t, err, "AUTH_REFRESH_TOKEN_COOKIE: needs an https:// AUTH_SERVER_URL")

	off := newEnv(t, nil)
	s := off.signUp(email(t), nil)
	r = off.do("POST", "/v1/signin/email-password", map[string]any{"email": s.User.Email, "password": password})
	require.Equal(t, 200, r.Status)
	require.Nil(t, refreshCookie(t, r), "cookie mode is off by default")
	r = off.do("POST", "/v1/token", nil, cookie(s.RefreshToken), xhr)
	require.Equal(t, 400, r.Status, "and a cookie is never read: %s", r.Body)
}

func TestCORS(t *testing.T) {
	type want struct {
		allowed, credentials bool
	}
	check := func(t *testing.T, e *env, origin string, w want) {
		t.Helper()
		r := e.do("GET", "/v1/version", nil, header{"Origin", origin})
		require.Equal(t, 200, r.Status)
		require.Contains(t, r.Header.Values("Vary"), "Origin")
		if !w.allowed {
			require.Empty(t, r.Header.Get("Access-Control-Allow-Origin"), origin)
		} else {
			require.Equal(t, origin, r.Header.Get("Access-Control-Allow-Origin"), origin)
		}
		if w.credentials {
			require.Equal(t, "true", r.Header.Get("Access-Control-Allow-Credentials"), origin)
		} else {
			require.Empty(t, r.Header.Get("Access-Control-Allow-Credentials"), origin)
		}
		pre := e.do("OPTIONS", "/v1/signin/email-password", nil, header{"Origin", origin},
			header{"Access-Control-Request-Method", "POST"}, header{"Access-Control-Request-Headers", "content-type"})
		require.Equal(t, 204, pre.Status)
		if w.allowed {
			require.Contains(t, pre.Header.Get("Access-Control-Allow-Methods"), "POST")
			require.Equal(t, "content-type", pre.Header.Get("Access-Control-Allow-Headers"))
		} else {
			require.Empty(t, pre.Header.Get("Access-Control-Allow-Origin"))
			require.Empty(t, pre.Header.Get("Access-Control-Allow-Methods"))
		}
	}
	t.Run("empty list: every origin, as hasura-auth", func(t *testing.T) {
		e := newEnv(t, nil)
		check(t, e, "https://anything.example.org", want{true, true})
	})
	t.Run("list", func(t *testing.T) {
		e := newEnv(t, map[string]string{"AUTH_CORS_ALLOWED_ORIGINS": "https://App.Example.com/, https://admin.example.com:8443, http://localhost:3000"})
		check(t, e, "https://app.example.com", want{true, true})
		check(t, e, "https://admin.example.com:8443", want{true, true})
		check(t, e, "http://localhost:3000", want{true, true})
		check(t, e, "https://admin.example.com", want{false, false})
		check(t, e, "https://evil.example.net", want{false, false})
		check(t, e, "null", want{false, false})
	})
	t.Run("star: every origin, credentials only for the listed", func(t *testing.T) {
		e := newEnv(t, map[string]string{"AUTH_CORS_ALLOWED_ORIGINS": "https://app.example.com,*"})
		check(t, e, "https://app.example.com", want{true, true})
		check(t, e, "https://other.example.org", want{true, false})
	})
	t.Run("cookie mode, empty list: AUTH_CLIENT_URL's origin", func(t *testing.T) {
		e := newEnv(t, map[string]string{"AUTH_REFRESH_TOKEN_COOKIE": "true"})
		check(t, e, "https://app.example.com", want{true, true})
		check(t, e, "https://evil.example.net", want{false, false})
	})
	t.Run("429 answers are readable by allowed pages", func(t *testing.T) {
		e := newEnv(t, rateLimited("", nil))
		var r *response
		for range 4 {
			r = e.wrongPassword(email(t), appOrigin)
		}
		require.Equal(t, 429, r.Status)
		require.Equal(t, "https://app.example.com", r.Header.Get("Access-Control-Allow-Origin"))
		require.Contains(t, r.Header.Get("Access-Control-Expose-Headers"), "Retry-After")
	})
	for _, bad := range []string{"https://app.example.com/path", "app.example.com", "ftp://x.example.com", "https://u:p@x.example.com"} {
		_, err := config.Load("", map[string]string{"AUTH_CORS_ALLOWED_ORIGINS": bad})
		require.ErrorContains(t, err, "AUTH_CORS_ALLOWED_ORIGINS", bad)
	}
}

package handlers_test

import (
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/oauth2-proxy/mockoidc"
	"github.com/stretchr/testify/require"

	"github.com/hasura-auth-go/auth/oauth/providertest"
)

// Sign-in with providers, end to end: the server listens on a real port
// (providers send the browser back to it), each provider is a server of its
// own on another port (mockoidc, a real OpenID provider, and
// oauth/providertest's GitHub, Google and Apple), and a browser (an HTTP
// client that keeps cookies and follows redirects, and submits Apple's
// form_post page) goes from GET /signin/provider/{provider} through the
// provider back to the app.

// appURL is the app (AUTH_CLIENT_URL); the browser stops when sent there.
const appURL = "https://app.example.com"

// providerEnv is a server reachable over HTTP, on a database of its own (so
// rows can be counted), with every kind of provider enabled.
type providerEnv struct {
	*env
	base                  string // http://127.0.0.1:port, without the /v1 prefix
	github, google, apple *providertest.Provider
	op                    *mockoidc.MockOIDC
}

// idTokenAudience is the client id of "the app" whose ID tokens
// /signin/idtoken accepts.
const idTokenAudience = "native-app"

func newProviderEnv(t *testing.T, overrides map[string]string) *providerEnv {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	pe := &providerEnv{base: "http://" + ln.Addr().String(),
		github: providertest.Start(t, providertest.GitHub), google: providertest.Start(t, providertest.Google),
		apple: providertest.Start(t, providertest.Apple), op: startMockOIDC(t)}
	vals := map[string]string{
		"HASURA_GRAPHQL_DATABASE_URL":      ownDB(t),
		"AUTH_SERVER_URL":                  pe.base + "/v1",
		"AUTH_PROVIDER_OIDC_ENABLED":       "true",
		"AUTH_PROVIDER_OIDC_ISSUER":        pe.op.Issuer(),
		"AUTH_PROVIDER_OIDC_CLIENT_ID":     pe.op.ClientID,
		"AUTH_PROVIDER_OIDC_CLIENT_SECRET": pe.op.ClientSecret,
		"AUTH_PROVIDER_GOOGLE_AUDIENCE":    idTokenAudience,
		"AUTH_PROVIDER_APPLE_AUDIENCE":     idTokenAudience,
		"HASURA_GRAPHQL_ADMIN_SECRET":      opsAdminSecret,
	}
	for _, p := range []*providertest.Provider{pe.github, pe.google, pe.apple} {
		for k, v := range p.Env() {
			vals[k] = v
		}
	}
	for k, v := range overrides {
		vals[k] = v
	}
	pe.env = newEnv(t, vals)
	for _, p := range []*providertest.Provider{pe.github, pe.google, pe.apple} {
		p.SetClock(pe.clock.Now)
	}
	ts := httptest.NewUnstartedServer(pe.srv.Router)
	_ = ts.Listener.Close()
	ts.Listener = ln
	ts.Start()
	t.Cleanup(ts.Close)
	return pe
}

func startMockOIDC(t *testing.T) *mockoidc.MockOIDC {
	t.Helper()
	m, err := mockoidc.NewServer(nil)
	require.NoError(t, err)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	require.NoError(t, m.Start(ln, nil))
	t.Cleanup(func() { _ = m.Shutdown() })
	return m
}

// startURL is GET /signin/provider/{provider} with query.
func (pe *providerEnv) startURL(provider string, query url.Values) string {
	return pe.base + "/v1/signin/provider/" + provider + "?" + query.Encode()
}

// rows counts what a sign-in writes.
type rows struct{ users, links, sessions, requests int64 }

func (pe *providerEnv) rows() rows {
	pe.t.Helper()
	var r rows
	require.NoError(pe.t, pe.db().Raw(`SELECT (SELECT count(*) FROM auth.users), (SELECT count(*) FROM auth.user_providers),
  (SELECT count(*) FROM auth.refresh_tokens), (SELECT count(*) FROM auth.provider_requests)`).Row().
		Scan(&r.users, &r.links, &r.sessions, &r.requests))
	return r
}

// link is a row of auth.user_providers.
type linkRow struct {
	UserID, ProviderUserID, AccessToken string
	RefreshToken                        *string
}

func (pe *providerEnv) link(provider, providerUserID string) *linkRow {
	pe.t.Helper()
	var l []linkRow
	require.NoError(pe.t, pe.db().Raw(`SELECT user_id::text AS user_id, provider_user_id, access_token, refresh_token
  FROM auth.user_providers WHERE provider_id = ? AND provider_user_id = ?`, provider, providerUserID).Scan(&l).Error)
	if len(l) == 0 {
		return nil
	}
	return &l[0]
}

// browser keeps cookies and follows redirects until it is sent to the app.
type browser struct {
	t      *testing.T
	client *http.Client
}

func newBrowser(t *testing.T) *browser {
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	return &browser{t: t, client: &http.Client{Jar: jar, Timeout: 20 * time.Second,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if strings.HasPrefix(req.URL.String(), appURL) {
				return http.ErrUseLastResponse // the app is not served here: this is where a sign-in lands
			}
			if len(via) > 10 {
				return errors.New("too many redirects")
			}
			return nil
		}}}
}

// landing is where the browser ended: the app with the server's query, or
// an answer that is no redirect (a JSON error).
type landing struct {
	status int
	to     *url.URL // the app URL redirected to; nil when none
	body   []byte
}

func (l *landing) query() url.Values {
	if l.to == nil {
		return nil
	}
	return l.to.Query()
}

// refreshToken requires a landing with a session.
func (l *landing) refreshToken(t *testing.T) string {
	t.Helper()
	require.Equal(t, http.StatusFound, l.status, "%s", l.body)
	require.NotNil(t, l.to)
	require.Empty(t, l.query().Get("error"), "landed at %s", l.to)
	tok := l.query().Get("refreshToken")
	require.NotEmpty(t, tok, "landed at %s without a refresh token", l.to)
	return tok
}

// requireError requires a redirect to the app with error=code.
func (l *landing) requireError(t *testing.T, code string) {
	t.Helper()
	require.Equal(t, http.StatusFound, l.status, "%s", l.body)
	require.NotNil(t, l.to)
	require.Equal(t, code, l.query().Get("error"), "landed at %s", l.to)
	require.NotEmpty(t, l.query().Get("errorDescription"))
	require.Empty(t, l.query().Get("refreshToken"))
}

var (
	formPage  = regexp.MustCompile(`<form method="post" action="([^"]+)">`)
	formInput = regexp.MustCompile(`<input type="hidden" name="([^"]+)" value="([^"]*)"/>`)
)

// visit goes to raw and on until the app (or an answer that is no
// redirect), submitting a form_post page as a browser runs its script.
func (b *browser) visit(raw string) *landing {
	b.t.Helper()
	resp, err := b.client.Get(raw)
	require.NoError(b.t, err)
	return b.land(resp)
}

func (b *browser) land(resp *http.Response) *landing {
	b.t.Helper()
	body, err := io.ReadAll(resp.Body)
	_ = resp.Body.Close()
	require.NoError(b.t, err)
	if m := formPage.FindSubmatch(body); resp.StatusCode == http.StatusOK && m != nil {
		form := url.Values{}
		for _, in := range formInput.FindAllSubmatch(body, -1) {
			form.Set(unescapeHTML(string(in[1])), unescapeHTML(string(in[2])))
		}
		next, err := b.client.PostForm(unescapeHTML(string(m[1])), form)
		require.NoError(b.t, err)
		return b.land(next)
	}
	l := &landing{status: resp.StatusCode, body: body}
	if resp.StatusCode == http.StatusFound {
		l.to, err = url.Parse(resp.Header.Get("Location"))
		require.NoError(b.t, err)
	}
	return l
}

func unescapeHTML(s string) string {
	return strings.NewReplacer("&amp;", "&", "&lt;", "<", "&gt;", ">", "&#34;", `"`, "&#39;", "'", "&quot;", `"`).Replace(s)
}

// stopAtProvider starts a sign-in and returns the provider's authorization
// URL without going there (the browser keeps the binding cookie).
func (b *browser) stopAtProvider(start string) string {
	b.t.Helper()
	c := *b.client
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := c.Get(start)
	require.NoError(b.t, err)
	_ = resp.Body.Close()
	require.Equal(b.t, http.StatusFound, resp.StatusCode)
	return resp.Header.Get("Location")
}

// callbackURL goes to the provider's authorization URL and returns where
// the provider sends the browser back (not following it).
func callbackURL(t *testing.T, authorize string) string {
	t.Helper()
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Get(authorize)
	require.NoError(t, err)
	_ = resp.Body.Close()
	require.Equal(t, http.StatusFound, resp.StatusCode)
	return resp.Header.Get("Location")
}

// TestProviderBrowserDance: the whole dance against a real OpenID provider:
// start → provider → callback → redirectTo?refreshToken=… → POST /token,
// with the options of the start applied to the new user, and a second
// sign-in finding the same user.
func TestProviderBrowserDance(t *testing.T) {
	pe := newProviderEnv(t, nil)
	pe.op.QueueUser(&mockoidc.MockUser{Subject: "oidc-jane", Email: "jane@corp.example.com", EmailVerified: true,
		PreferredUsername: "jane"})
	b := newBrowser(t)
	start := pe.startURL("oidc", url.Values{
		"redirectTo":   {appURL + "/signed-in?tab=2"},
		"allowedRoles": {"me,user,editor"},
		"defaultRole":  {"editor"},
		"locale":       {"fr"},
		"displayName":  {"Jane D."},
		"metadata":     {`{"plan":"pro","seats":3}`},
	})
	l := b.visit(start)
	rt := l.refreshToken(t)
	require.Equal(t, "/signed-in", l.to.Path, "the request's redirectTo")
	require.Equal(t, "2", l.query().Get("tab"), "its own query kept")

	s := pe.mustRefresh(rt)
	claims := pe.hasuraClaims(s.AccessToken)
	require.Equal(t, "editor", claims.DefaultRole)
	require.ElementsMatch(t, []string{"me", "user", "editor"}, claims.AllowedRoles)
	require.Equal(t, s.User.ID, claims.SessionVariables["x-hasura-user-id"])
	u := pe.getUser(s.AccessToken)
	require.Equal(t, "jane@corp.example.com", u.Email)
	require.True(t, u.EmailVerified)
	require.Equal(t, "Jane D.", u.DisplayName)
	require.Equal(t, "fr", u.Locale)
	require.Equal(t, map[string]any{"plan": "pro", "seats": float64(3)}, u.Metadata)
	l1 := pe.link("oidc", "oidc-jane")
	require.NotNil(t, l1)
	require.Equal(t, s.User.ID, l1.UserID)
	require.Equal(t, "unset", l1.AccessToken, "without AUTH_ENCRYPTION_KEY the provider's tokens are not kept")
	require.Nil(t, l1.RefreshToken)
	before := pe.rows()
	require.Equal(t, rows{users: 1, links: 1, sessions: 1, requests: 0}, before, "the request is gone once used")

	// Signing in again: the same user, a new session, nothing else.
	pe.op.QueueUser(&mockoidc.MockUser{Subject: "oidc-jane", Email: "jane@corp.example.com", EmailVerified: true})
	s2 := pe.mustRefresh(b.visit(pe.startURL("oidc", url.Values{"redirectTo": {appURL}})).refreshToken(t))
	require.Equal(t, s.User.ID, s2.User.ID)
	require.Equal(t, rows{users: 1, links: 1, sessions: 2}, pe.rows())

	events := pe.auditLog("userId=" + s.User.ID)
	require.Len(t, events, 2)
	require.Equal(t, "sign-up", events[0].Event)
	require.Equal(t, "provider/oidc", events[0].Metadata["method"])
	require.Equal(t, "sign-in", events[1].Event)
}

// TestProviderSignInEachProvider: GitHub, Google and Apple (form_post), each
// through its local server, map their account onto the new user.
func TestProviderSignInEachProvider(t *testing.T) {
	pe := newProviderEnv(t, nil)
	cases := []struct {
		name     string
		p        *providertest.Provider
		account  providertest.Account
		wantName string
	}{
		{"github", pe.github, providertest.Account{ID: "4242", Email: "octo@example.com", Verified: true, Name: "Octo Cat",
			Picture: "https://avatars.example.com/octo.png"}, "Octo Cat"},
		{"google", pe.google, providertest.Account{ID: "1098765", Email: "goo@example.com", Verified: true, Name: "Goo Gle",
			Picture: "https://lh3.example.com/goo.jpg", Locale: "fr-FR"}, "Goo Gle"},
		{"apple", pe.apple, providertest.Account{ID: "001234.abcdef", Email: "x7@privaterelay.appleid.com", Verified: true,
			Name: "Ann Apple"}, "Ann Apple"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			pe.t = t
			tc.p.Next(tc.account)
			s := pe.mustRefresh(newBrowser(t).visit(pe.startURL(tc.name, nil)).refreshToken(t))
			u := pe.getUser(s.AccessToken)
			require.Equal(t, tc.account.Email, u.Email)
			require.True(t, u.EmailVerified)
			require.Equal(t, tc.wantName, u.DisplayName)
			var avatar string
			require.NoError(t, pe.db().Raw(`SELECT avatar_url FROM auth.users WHERE id = ?`, s.User.ID).Row().Scan(&avatar))
			if tc.account.Picture != "" {
				require.Equal(t, tc.account.Picture, avatar)
			}
			if tc.name == "google" {
				require.Equal(t, "fr", u.Locale, "the provider's locale when allowed and no option names one")
			}
			l := pe.link(tc.name, tc.account.ID)
			require.NotNil(t, l)
			require.Equal(t, s.User.ID, l.UserID)
		})
	}
}

// TestProviderTokensSealed: with AUTH_ENCRYPTION_KEY the request's secrets
// and the provider's tokens are stored sealed.
func TestProviderTokensSealed(t *testing.T) {
	pe := newProviderEnv(t, map[string]string{"AUTH_ENCRYPTION_KEY": strings.Repeat("ab", 32)})
	pe.github.Next(providertest.Account{ID: "77", Email: "sealed@example.com", Verified: true, Name: "Sealed"})
	b := newBrowser(t)
	authorize := b.stopAtProvider(pe.startURL("github", nil))
	var options string
	require.NoError(t, pe.db().Raw(`SELECT options::text FROM auth.provider_requests`).Row().Scan(&options))
	require.Contains(t, options, `"pending": "enc:v1:`, "the PKCE verifier is sealed")
	require.NotContains(t, options, authorizeParam(t, authorize, "state"), "the state is not stored")
	b.visit(authorize).refreshToken(t)
	l := pe.link("github", "77")
	require.True(t, strings.HasPrefix(l.AccessToken, "enc:v1:"), l.AccessToken)
	require.NotNil(t, l.RefreshToken)
	require.True(t, strings.HasPrefix(*l.RefreshToken, "enc:v1:"))
}

func authorizeParam(t *testing.T, raw, name string) string {
	t.Helper()
	u, err := url.Parse(raw)
	require.NoError(t, err)
	v := u.Query().Get(name)
	require.NotEmpty(t, v, "%s has no %s", raw, name)
	return v
}

// TestProviderRefusals: every bad callback or start is a clear error (a
// redirect with error and errorDescription, or JSON where there is nowhere
// to redirect to) and writes nothing.
func TestProviderRefusals(t *testing.T) {
	pe := newProviderEnv(t, nil)
	octo := providertest.Account{ID: "1", Email: "octo@example.com", Verified: true, Name: "Octo"}
	cases := []struct {
		name string
		run  func(t *testing.T) *landing
		want string // the error code of the redirect; "" for a JSON answer
		json string // the error code of a JSON answer
	}{
		{name: "forged state", want: "invalid-state", run: func(t *testing.T) *landing {
			return newBrowser(t).visit(pe.base + "/v1/signin/provider/github/callback?code=abc&state=forged")
		}},
		{name: "no state", want: "invalid-state", run: func(t *testing.T) *landing {
			return newBrowser(t).visit(pe.base + "/v1/signin/provider/github/callback?code=abc")
		}},
		{name: "replayed state", want: "invalid-state", run: func(t *testing.T) *landing {
			pe.github.Next(octo)
			b := newBrowser(t)
			back := callbackURL(t, b.stopAtProvider(pe.startURL("github", nil)))
			b.visit(back).refreshToken(t)
			pe.deleteUsers(t)
			return b.visit(back)
		}},
		{name: "expired request", want: "invalid-state", run: func(t *testing.T) *landing {
			pe.github.Next(octo)
			b := newBrowser(t)
			back := callbackURL(t, b.stopAtProvider(pe.startURL("github", nil)))
			pe.clock.Advance(11 * time.Minute)
			return b.visit(back)
		}},
		{name: "callback in another browser", want: "invalid-state", run: func(t *testing.T) *landing {
			pe.github.Next(octo)
			back := callbackURL(t, newBrowser(t).stopAtProvider(pe.startURL("github", nil)))
			return newBrowser(t).visit(back)
		}},
		{name: "state of another provider", want: "invalid-state", run: func(t *testing.T) *landing {
			pe.github.Next(octo)
			b := newBrowser(t)
			back := callbackURL(t, b.stopAtProvider(pe.startURL("github", nil)))
			return b.visit(strings.Replace(back, "/provider/github/", "/provider/google/", 1))
		}},
		{name: "a code for another client", want: "oauth-token-echange-failed", run: func(t *testing.T) *landing {
			b := newBrowser(t)
			authorize := b.stopAtProvider(pe.startURL("github", nil))
			code := pe.github.CodeFor("attackers-client", "https://attacker.example.com/callback", octo)
			return b.visit(pe.base + "/v1/signin/provider/github/callback?" +
				url.Values{"state": {authorizeParam(t, authorize, "state")}, "code": {code}}.Encode())
		}},
		{name: "consent denied", want: "oauth-provider-error", run: func(t *testing.T) *landing {
			pe.github.DenyNext()
			l := newBrowser(t).visit(pe.startURL("github", nil))
			require.Equal(t, "access_denied", l.query().Get("provider_error"))
			require.Equal(t, "The user denied the request", l.query().Get("provider_error_description"))
			return l
		}},
		{name: "consent denied at Apple (form_post)", want: "oauth-provider-error", run: func(t *testing.T) *landing {
			pe.apple.DenyNext()
			return newBrowser(t).visit(pe.startURL("apple", nil))
		}},
		{name: "provider 5xx at the token endpoint", want: "oauth-token-echange-failed", run: func(t *testing.T) *landing {
			pe.github.Next(octo)
			pe.github.FailTokens(http.StatusServiceUnavailable)
			defer pe.github.FailTokens(0)
			return newBrowser(t).visit(pe.startURL("github", nil))
		}},
		{name: "OpenID provider 5xx at the token endpoint", want: "oauth-token-echange-failed", run: func(t *testing.T) *landing {
			b := newBrowser(t)
			back := callbackURL(t, b.stopAtProvider(pe.startURL("oidc", nil)))
			pe.op.QueueError(&mockoidc.ServerError{Code: http.StatusInternalServerError, Error: mockoidc.InternalServerError})
			return b.visit(back)
		}},
		{name: "ID token of the code exchange signed by another key", want: "oauth-token-echange-failed", run: func(t *testing.T) *landing {
			// The server trusts Apple's keys for Google: Google's ID token
			// is signed by a key it does not know.
			other := newProviderEnv(t, map[string]string{"AUTH_PROVIDER_GOOGLE_JWKS_URL": pe.apple.URL() + "/jwks"})
			other.google.Next(octo)
			l := newBrowser(t).visit(other.startURL("google", nil))
			require.Equal(t, rows{}, other.rows())
			return l
		}},
		{name: "provider not enabled", want: "disabled-endpoint", run: func(t *testing.T) *landing {
			return newBrowser(t).visit(pe.startURL("twitch", nil))
		}},
		{name: "a role the options may not give", want: "role-not-allowed", run: func(t *testing.T) *landing {
			return newBrowser(t).visit(pe.startURL("github", url.Values{"allowedRoles": {"admin"}}))
		}},
		{name: "metadata that is not an object", want: "invalid-request", run: func(t *testing.T) *landing {
			return newBrowser(t).visit(pe.startURL("github", url.Values{"metadata": {"[1,2]"}}))
		}},
		{name: "connect with a forged access token", want: "invalid-request", run: func(t *testing.T) *landing {
			return newBrowser(t).visit(pe.startURL("github", url.Values{"connect": {"eyJhbGciOiJub25lIn0.e30."}}))
		}},
		{name: "redirectTo off the allow-list", json: "redirectTo-not-allowed", run: func(t *testing.T) *landing {
			return newBrowser(t).visit(pe.startURL("github", url.Values{"redirectTo": {"https://evil.example.net/x"}}))
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			pe.t = t
			pe.deleteUsers(t)
			before := pe.rows()
			l := tc.run(t)
			if tc.json != "" {
				require.Equal(t, http.StatusBadRequest, l.status, "%s", l.body)
				require.Equal(t, tc.json, (&response{Status: l.status, Body: l.body}).errorCode(t))
			} else {
				l.requireError(t, tc.want)
			}
			after := pe.rows()
			after.requests = before.requests // a request is consumed by its callback, used or not
			require.Equal(t, before, after, "nothing written")
		})
	}
}

// deleteUsers empties the database's users (and so their links and
// sessions) and requests, for a case that counts rows.
func (pe *providerEnv) deleteUsers(t *testing.T) {
	t.Helper()
	require.NoError(t, pe.db().Exec(`DELETE FROM auth.users`).Error)
	require.NoError(t, pe.db().Exec(`DELETE FROM auth.provider_requests`).Error)
}

package handlers_test

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/stretchr/testify/require"

	"github.com/hasura-auth-go/auth/mail/mailtest"
	"github.com/hasura-auth-go/auth/oauth/providertest"
)

// existingUser creates a user with a password through the admin API.
func (pe *providerEnv) existingUser(t *testing.T, addr string, verified, disabled bool) string {
	t.Helper()
	r := pe.do("POST", "/v1/admin/users", map[string]any{"email": addr, "password": password, "emailVerified": verified,
		"disabled": disabled}, opsAdmin)
	require.Equal(t, 200, r.Status, "%s", r.Body)
	var u struct{ ID string }
	r.decode(t, &u)
	return u.ID
}

// The linking rule (package social): a provider account links to the user
// with its address only when the provider vouches for the address and the
// user's own address is verified; disabled users, sign-up switched off and
// blocked domains are refused as in hasura-auth.
func TestProviderLinkingRules(t *testing.T) {
	cases := []struct {
		name      string
		env       map[string]string
		existing  func(t *testing.T, pe *providerEnv, addr string) string // the user already there ("" none)
		verified  bool                                                    // the provider vouches for the address
		wantError string                                                  // "" : a session
		wantUser  string                                                  // "existing", "new" or "none"
	}{
		{name: "verified address, verified user: linked", verified: true, wantUser: "existing",
			existing: func(t *testing.T, pe *providerEnv, addr string) string { return pe.existingUser(t, addr, true, false) }},
		{name: "address the provider does not vouch for: refused", verified: false, wantError: "email-already-in-use", wantUser: "none",
			existing: func(t *testing.T, pe *providerEnv, addr string) string { return pe.existingUser(t, addr, true, false) }},
		{name: "user whose address is not verified: refused", verified: true, wantError: "unverified-user", wantUser: "none",
			existing: func(t *testing.T, pe *providerEnv, addr string) string { return pe.existingUser(t, addr, false, false) }},
		{name: "disabled user: refused", verified: true, wantError: "disabled-user", wantUser: "none",
			existing: func(t *testing.T, pe *providerEnv, addr string) string { return pe.existingUser(t, addr, true, true) }},
		{name: "no user, unverified address: a new user", verified: false, wantUser: "new"},
		{name: "sign-up disabled", verified: true, env: map[string]string{"AUTH_DISABLE_SIGNUP": "true"},
			wantError: "signup-disabled", wantUser: "none"},
		{name: "sign-up disabled, existing user still signs in", verified: true, env: map[string]string{"AUTH_DISABLE_SIGNUP": "true"},
			wantUser: "existing",
			existing: func(t *testing.T, pe *providerEnv, addr string) string { return pe.existingUser(t, addr, true, false) }},
		{name: "blocked email domain", verified: true, env: map[string]string{"AUTH_ACCESS_CONTROL_BLOCKED_EMAIL_DOMAINS": "example.org"},
			wantError: "invalid-email-password", wantUser: "none"},
		{name: "new users disabled: created disabled", verified: true, env: map[string]string{"AUTH_DISABLE_NEW_USERS": "true"},
			wantError: "disabled-user", wantUser: "new"},
		{name: "concealed errors", verified: false, env: map[string]string{"AUTH_CONCEAL_ERRORS": "true"},
			wantError: "invalid-request", wantUser: "none",
			existing: func(t *testing.T, pe *providerEnv, addr string) string { return pe.existingUser(t, addr, true, false) }},
	}
	envs := map[string]*providerEnv{} // one server per configuration, for the whole test
	parent := t
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			key := fmt.Sprint(tc.env)
			pe, ok := envs[key]
			if !ok {
				pe = newProviderEnv(parent, tc.env)
				envs[key] = pe
			}
			pe.t = t
			addr, id := fmt.Sprintf("dana%d@example.org", i), strconv.Itoa(5150+i)
			existing := ""
			if tc.existing != nil {
				existing = tc.existing(t, pe, addr)
			}
			before := pe.rows()
			pe.github.Next(providertest.Account{ID: id, Email: addr, Verified: tc.verified, Name: "Dana"})
			l := newBrowser(t).visit(pe.startURL("github", nil))
			link := pe.link("github", id)
			switch {
			case tc.wantError == "":
				s := pe.mustRefresh(l.refreshToken(t))
				require.NotNil(t, link)
				require.Equal(t, s.User.ID, link.UserID)
				if tc.wantUser == "existing" {
					require.Equal(t, existing, s.User.ID)
					events := pe.auditLog("userId=" + existing)
					require.Contains(t, eventNames(events), "provider-linked")
				} else {
					require.NotEqual(t, existing, s.User.ID)
					require.Equal(t, before.users+1, pe.rows().users)
				}
			default:
				l.requireError(t, tc.wantError)
				after := pe.rows()
				if tc.wantUser == "new" {
					require.Equal(t, before.users+1, after.users)
					require.NotNil(t, link)
					var disabled bool
					require.NoError(t, pe.db().Raw(`SELECT disabled FROM auth.users WHERE id = ?`, link.UserID).Row().Scan(&disabled))
					require.True(t, disabled)
					return
				}
				require.Nil(t, link, "not linked")
				require.Equal(t, before, after, "nothing written")
			}
		})
	}
}

func eventNames(events []auditRow) []string {
	var out []string
	for _, e := range events {
		out = append(out, e.Event)
	}
	return out
}

// A new user whose address the provider does not vouch for, with
// AUTH_EMAIL_SIGNIN_EMAIL_VERIFIED_REQUIRED: created with the verification
// mail and no session yet, as a password sign-up.
func TestProviderNewUserVerifiesEmail(t *testing.T) {
	smtp := mailtest.Start(t)
	pe := newProviderEnv(t, map[string]string{
		"AUTH_EMAIL_SIGNIN_EMAIL_VERIFIED_REQUIRED": "true",
		"AUTH_SMTP_HOST": smtp.Host, "AUTH_SMTP_PORT": smtp.PortString(), "AUTH_SMTP_SENDER": "auth@example.com",
	})
	const addr = "unsure@example.com"
	pe.github.Next(providertest.Account{ID: "808", Email: addr, Verified: false, Name: "Unsure"})
	l := newBrowser(t).visit(pe.startURL("github", url.Values{"redirectTo": {appURL + "/welcome"}}))
	require.Equal(t, http.StatusFound, l.status)
	require.Equal(t, "/welcome", l.to.Path)
	require.Empty(t, l.query().Get("refreshToken"))
	require.Empty(t, l.query().Get("error"))
	link := pe.link("github", "808")
	require.NotNil(t, link)
	require.Equal(t, rows{users: 1, links: 1}, pe.rows())

	// Signing in with the provider again is refused until the link is followed.
	pe.github.Next(providertest.Account{ID: "808", Email: addr, Verified: false})
	newBrowser(t).visit(pe.startURL("github", nil)).requireError(t, "unverified-user")
	verify := pe.followLinkAt(smtp.Wait(t, addr, 1).Link())
	require.Equal(t, http.StatusFound, verify.Status)
	pe.github.Next(providertest.Account{ID: "808", Email: addr, Verified: false})
	s := pe.mustRefresh(newBrowser(t).visit(pe.startURL("github", nil)).refreshToken(t))
	require.Equal(t, link.UserID, s.User.ID)
}

// followLinkAt opens an email link through the router.
func (pe *providerEnv) followLinkAt(link string) *response {
	pe.t.Helper()
	path, ok := strings.CutPrefix(link, pe.base)
	require.True(pe.t, ok, "link %q", link)
	return pe.do("GET", path, nil)
}

// connect links a provider account to the signed-in user who started the
// request, whatever its address.
func TestProviderConnect(t *testing.T) {
	pe := newProviderEnv(t, nil)
	owner := pe.signUp("owner@example.com", nil)
	pe.github.Next(providertest.Account{ID: "31337", Email: "someone-else@example.net", Verified: false, Name: "Other"})
	l := newBrowser(t).visit(pe.startURL("github", url.Values{"connect": {owner.AccessToken}, "redirectTo": {appURL + "/linked"}}))
	require.Equal(t, http.StatusFound, l.status, "%s", l.body)
	require.Equal(t, "/linked", l.to.Path)
	require.Empty(t, l.query().Get("error"))
	require.Empty(t, l.query().Get("refreshToken"), "a connect hands out no session")
	link := pe.link("github", "31337")
	require.NotNil(t, link)
	require.Equal(t, owner.User.ID, link.UserID)
	require.Contains(t, eventNames(pe.auditLog("userId="+owner.User.ID)), "provider-linked")

	// The provider account now signs in its owner.
	pe.github.Next(providertest.Account{ID: "31337", Email: "someone-else@example.net"})
	s := pe.mustRefresh(newBrowser(t).visit(pe.startURL("github", nil)).refreshToken(t))
	require.Equal(t, owner.User.ID, s.User.ID)

	// Connecting it again to its owner is fine; to someone else it is refused.
	pe.github.Next(providertest.Account{ID: "31337"})
	l = newBrowser(t).visit(pe.startURL("github", url.Values{"connect": {owner.AccessToken}}))
	require.Empty(t, l.query().Get("error"))
	other := pe.signUp("other@example.com", nil)
	before := pe.rows()
	pe.github.Next(providertest.Account{ID: "31337"})
	newBrowser(t).visit(pe.startURL("github", url.Values{"connect": {other.AccessToken}})).requireError(t, "provider-account-already-linked")
	require.Equal(t, owner.User.ID, pe.link("github", "31337").UserID)
	require.Equal(t, before, pe.rows())

	// A user disabled between the start and the callback is not linked.
	pe.github.Next(providertest.Account{ID: "999"})
	b := newBrowser(t)
	back := callbackURL(t, b.stopAtProvider(pe.startURL("github", url.Values{"connect": {other.AccessToken}})))
	r := pe.do("POST", "/v1/admin/users/"+other.User.ID+"/disable", nil, opsAdmin)
	require.Equal(t, 200, r.Status)
	b.visit(back).requireError(t, "disabled-user")
	require.Nil(t, pe.link("github", "999"))
}

// Under AUTH_REQUIRE_ELEVATED_CLAIM=required, connect and /link/idtoken
// need an elevated token: linking adds a way into the account.
func TestProviderLinkNeedsElevation(t *testing.T) {
	pe := newProviderEnv(t, map[string]string{"AUTH_REQUIRE_ELEVATED_CLAIM": "required"})
	u := pe.signUp("elevate-me@example.com", nil)
	newBrowser(t).visit(pe.startURL("github", url.Values{"connect": {u.AccessToken}})).requireError(t, "elevated-claim-required")
	require.Zero(t, pe.rows().requests)
	tok := pe.google.IDToken(providertest.Account{ID: "g-1"}, idTokenAudience, nil)
	r := pe.do("POST", "/v1/link/idtoken", map[string]any{"provider": "google", "idToken": tok}, bearer(u.AccessToken))
	requireRefused(t, r)

	elevated := pe.mustElevate("password", u.AccessToken, map[string]any{"password": password})
	r = pe.do("POST", "/v1/link/idtoken", map[string]any{"provider": "google", "idToken": tok}, bearer(elevated.AccessToken))
	require.Equal(t, 200, r.Status, "%s", r.Body)
	require.JSONEq(t, `"OK"`, string(r.Body))
	pe.github.Next(providertest.Account{ID: "2002"})
	l := newBrowser(t).visit(pe.startURL("github", url.Values{"connect": {elevated.AccessToken}}))
	require.Equal(t, http.StatusFound, l.status, "%s", l.body)
	require.Empty(t, l.query().Get("error"), "%s", l.to)
	require.Equal(t, u.User.ID, pe.link("github", "2002").UserID)
}

// otherKey signs like a provider with a key nobody trusts, under the
// provider's key id.
func otherKey(t *testing.T, kid string, c jwt.MapClaims) string {
	t.Helper()
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	require.NoError(t, err)
	tok := jwt.NewWithClaims(jwt.SigningMethodRS256, c)
	tok.Header["kid"] = kid
	s, err := tok.SignedString(k)
	require.NoError(t, err)
	return s
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func unsignedToken(c jwt.MapClaims) string {
	enc := func(v any) string {
		b, _ := json.Marshal(v)
		return base64.RawURLEncoding.EncodeToString(b)
	}
	return enc(map[string]string{"alg": "none", "typ": "JWT"}) + "." + enc(c) + "."
}

// POST /signin/idtoken: Google's, Apple's and the OpenID provider's ID
// tokens sign in with the linking rule of the redirect flow; every bad
// token is a 400 that writes nothing.
func TestSignInIDToken(t *testing.T) {
	pe := newProviderEnv(t, nil)
	const nonce = "client-raw-nonce"
	hashed := sha256Hex(nonce)
	kate := providertest.Account{ID: "g-kate", Email: "kate@example.com", Verified: true, Name: "Kate"}

	signIn := func(body map[string]any) *response {
		t.Helper()
		return pe.do("POST", "/v1/signin/idtoken", body)
	}
	r := signIn(map[string]any{"provider": "google", "idToken": pe.google.IDToken(kate, idTokenAudience, map[string]any{"nonce": hashed}),
		"nonce": nonce, "options": map[string]any{"locale": "fr", "metadata": map[string]any{"from": "ios"}}})
	require.Equal(t, 200, r.Status, "%s", r.Body)
	contract(t, "/signin/idtoken", "POST", r)
	var p struct{ Session *sessionBody }
	r.decode(t, &p)
	require.NotNil(t, p.Session)
	require.Equal(t, "kate@example.com", p.Session.User.Email)
	require.Equal(t, "fr", p.Session.User.Locale)
	require.Equal(t, "Kate", p.Session.User.DisplayName)
	require.Equal(t, p.Session.User.ID, pe.link("google", "g-kate").UserID)

	// The same Google account through the browser finds the same user.
	pe.google.Next(kate)
	s := pe.mustRefresh(newBrowser(t).visit(pe.startURL("google", nil)).refreshToken(t))
	require.Equal(t, p.Session.User.ID, s.User.ID)

	// Apple (its email_verified is a string) and the OpenID provider.
	r = signIn(map[string]any{"provider": "apple", "idToken": pe.apple.IDToken(providertest.Account{ID: "a-1", Email: "a1@privaterelay.appleid.com",
		Verified: true}, idTokenAudience, nil)})
	require.Equal(t, 200, r.Status, "%s", r.Body)
	r.decode(t, &p)
	require.True(t, p.Session.User.EmailVerified)
	opToken, err := pe.op.Keypair.SignJWT(jwt.MapClaims{"iss": pe.op.Issuer(), "aud": pe.op.ClientID, "sub": "op-1",
		"email": "op1@corp.example.com", "email_verified": true, "iat": time.Now().Unix(), "exp": time.Now().Add(time.Hour).Unix()})
	require.NoError(t, err)
	r = signIn(map[string]any{"provider": "oidc", "idToken": opToken})
	require.Equal(t, 200, r.Status, "%s", r.Body)

	good := func(edit func(c map[string]any)) string {
		c := map[string]any{"nonce": hashed}
		if edit != nil {
			edit(c)
		}
		return pe.google.IDToken(providertest.Account{ID: "g-bad", Email: "bad@example.com", Verified: true}, idTokenAudience, c)
	}
	now := pe.clock.Now()
	base := jwt.MapClaims{"iss": "https://accounts.google.com", "aud": idTokenAudience, "sub": "g-bad", "nonce": hashed,
		"iat": now.Unix(), "exp": now.Add(time.Hour).Unix()}
	bad := []struct {
		name   string
		body   map[string]any
		status int
		code   string
	}{
		{"signed by another key", map[string]any{"provider": "google", "idToken": otherKey(t, "google-key", base), "nonce": nonce}, 400, "invalid-request"},
		{"wrong audience", map[string]any{"provider": "google", "idToken": good(func(c map[string]any) { c["aud"] = "someone-else" }), "nonce": nonce}, 400, "invalid-request"},
		{"expired", map[string]any{"provider": "google", "idToken": good(func(c map[string]any) { c["exp"] = now.Add(-time.Minute).Unix() }), "nonce": nonce}, 400, "invalid-request"},
		{"alg none", map[string]any{"provider": "google", "idToken": unsignedToken(base), "nonce": nonce}, 400, "invalid-request"},
		{"nonce of another sign-in", map[string]any{"provider": "google", "idToken": good(nil), "nonce": "another"}, 400, "invalid-request"},
		{"nonce missing", map[string]any{"provider": "google", "idToken": good(nil)}, 400, "invalid-request"},
		{"another issuer", map[string]any{"provider": "google", "idToken": good(func(c map[string]any) { c["iss"] = "https://evil.example.com" }), "nonce": nonce}, 400, "invalid-request"},
		{"Google's token given as Apple's", map[string]any{"provider": "apple", "idToken": good(nil), "nonce": nonce}, 400, "invalid-request"},
		{"garbage", map[string]any{"provider": "google", "idToken": "not-a-token"}, 400, "invalid-request"},
		{"no token", map[string]any{"provider": "google"}, 400, "invalid-request"},
		{"unknown provider", map[string]any{"provider": "github", "idToken": good(nil)}, 400, "invalid-request"},
		{"unknown field", map[string]any{"provider": "google", "idToken": good(nil), "nonce": nonce, "extra": 1}, 400, "invalid-request"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			before := pe.rows()
			r := pe.do("POST", "/v1/signin/idtoken", tc.body)
			require.Equal(t, tc.status, r.Status, "%s", r.Body)
			require.Equal(t, tc.code, r.errorCode(t))
			contract(t, "/signin/idtoken", "POST", r)
			require.Equal(t, before, pe.rows(), "nothing written")
		})
	}

	t.Run("provider without an audience", func(t *testing.T) {
		off := newProviderEnv(t, map[string]string{"AUTH_PROVIDER_APPLE_AUDIENCE": ""})
		r := off.do("POST", "/v1/signin/idtoken", map[string]any{"provider": "apple",
			"idToken": off.apple.IDToken(providertest.Account{ID: "x"}, idTokenAudience, nil)})
		require.Equal(t, 409, r.Status, "%s", r.Body)
		require.Equal(t, "disabled-endpoint", r.errorCode(t))
	})
}

// POST /link/idtoken links the token's account to the caller.
func TestLinkIDToken(t *testing.T) {
	pe := newProviderEnv(t, nil)
	u := pe.signUp("linker@example.com", nil)
	tok := func(id string) string {
		return pe.google.IDToken(providertest.Account{ID: id, Email: "whoever@example.net"}, idTokenAudience, nil)
	}
	r := pe.do("POST", "/v1/link/idtoken", map[string]any{"provider": "google", "idToken": tok("g-link")}, bearer(u.AccessToken))
	require.Equal(t, 200, r.Status, "%s", r.Body)
	contract(t, "/link/idtoken", "POST", r)
	require.Equal(t, u.User.ID, pe.link("google", "g-link").UserID)

	// The linked account signs its user in.
	r = pe.do("POST", "/v1/signin/idtoken", map[string]any{"provider": "google", "idToken": tok("g-link")})
	require.Equal(t, 200, r.Status, "%s", r.Body)
	var p struct{ Session *sessionBody }
	r.decode(t, &p)
	require.Equal(t, u.User.ID, p.Session.User.ID)

	other := pe.signUp("other-linker@example.com", nil)
	for name, c := range map[string]struct {
		body   map[string]any
		hdr    []header
		status int
		code   string
	}{
		"linked to another user": {map[string]any{"provider": "google", "idToken": tok("g-link")}, []header{bearer(other.AccessToken)}, 400, "provider-account-already-linked"},
		"bad token":              {map[string]any{"provider": "google", "idToken": "x.y.z"}, []header{bearer(other.AccessToken)}, 400, "invalid-request"},
		"no access token":        {map[string]any{"provider": "google", "idToken": tok("g-3")}, nil, 401, "unauthorized"},
	} {
		t.Run(name, func(t *testing.T) {
			before := pe.rows()
			r := pe.do("POST", "/v1/link/idtoken", c.body, c.hdr...)
			require.Equal(t, c.status, r.Status, "%s", r.Body)
			require.Equal(t, c.code, r.errorCode(t))
			require.Equal(t, before, pe.rows())
		})
	}
	require.Equal(t, u.User.ID, pe.link("google", "g-link").UserID)
}

// The binding cookie: HttpOnly, on the provider routes as the browser sees
// them (AUTH_SERVER_URL's path), Secure and SameSite=None on https so that
// Apple's cross-site form_post carries it.
func TestProviderBindingCookie(t *testing.T) {
	pe := newProviderEnv(t, nil)
	https := newEnv(t, merge(pe.github.Env(), map[string]string{"AUTH_SERVER_URL": "https://example.com/auth/v1"}))
	for name, tc := range map[string]struct {
		e      *env
		secure bool
		same   http.SameSite
		path   string
	}{
		"http://127.0.0.1":    {pe.env, false, http.SameSiteLaxMode, "/v1/signin/provider"},
		"https behind a path": {https, true, http.SameSiteNoneMode, "/auth/v1/signin/provider"},
	} {
		t.Run(name, func(t *testing.T) {
			r := tc.e.do("GET", "/v1/signin/provider/github", nil)
			require.Equal(t, 302, r.Status, "%s", r.Body)
			require.Equal(t, "no-store", r.Header.Get("Cache-Control"))
			cookies := (&http.Response{Header: r.Header}).Cookies()
			require.Len(t, cookies, 1)
			c := cookies[0]
			require.Equal(t, "auth_provider_binding", c.Name)
			require.True(t, c.HttpOnly)
			require.Equal(t, tc.secure, c.Secure)
			require.Equal(t, tc.same, c.SameSite)
			require.Equal(t, tc.path, c.Path)
			require.Equal(t, 600, c.MaxAge)
		})
	}

	t.Run("off: hasura-auth's behaviour", func(t *testing.T) {
		off := newProviderEnv(t, map[string]string{"AUTH_PROVIDER_STATE_COOKIE": "false"})
		off.github.Next(providertest.Account{ID: "1", Email: "x@example.com", Verified: true})
		back := callbackURL(t, newBrowser(t).stopAtProvider(off.startURL("github", nil)))
		newBrowser(t).visit(back).refreshToken(t)
	})
}

// Without AUTH_CLIENT_URL a callback whose request is unknown has nowhere
// to send the browser: its error is JSON.
func TestProviderCallbackWithoutClientURL(t *testing.T) {
	pe := newProviderEnv(t, map[string]string{"AUTH_CLIENT_URL": ""})
	r := pe.do("GET", "/v1/signin/provider/github/callback?state=forged&code=x", nil)
	require.Equal(t, 400, r.Status, "%s", r.Body)
	require.Equal(t, "invalid-state", r.errorCode(t))
	contract(t, "/signin/provider/{provider}/callback", "GET", r)
}

package handlers_test

import (
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"

	"github.com/hasura-auth-go/auth/handlers"
	"github.com/hasura-auth-go/auth/webauthn/webauthntest"
)

// Security keys and passkeys through the routes, with a software
// authenticator on the page of AUTH_CLIENT_URL (baseConfig), whose host is
// the default RP ID.

const (
	passkeyOrigin = "https://app.example.com"
	passkeyRPID   = "app.example.com"
)

var passkeysOn = map[string]string{"AUTH_WEBAUTHN_ENABLED": "true"}

func newKey() *webauthntest.Key { return webauthntest.NewKey(passkeyRPID, passkeyOrigin) }

func create(t testing.TB, k *webauthntest.Key, options []byte) json.RawMessage {
	t.Helper()
	cred, err := k.Create(options)
	require.NoError(t, err)
	return cred
}

func get(t testing.TB, k *webauthntest.Key, options []byte) json.RawMessage {
	t.Helper()
	cred, err := k.Get(options)
	require.NoError(t, err)
	return cred
}

// webauthnOptions posts to a begin route and returns the options answered.
func (e *env) webauthnOptions(path string, body any, headers ...header) []byte {
	e.t.Helper()
	r := e.do("POST", path, body, headers...)
	require.Equal(e.t, 200, r.Status, "%s", r.Body)
	return r.Body
}

// passkeySignUp signs addr up with k and returns the verify answer.
func (e *env) passkeySignUp(addr string, k *webauthntest.Key) *response {
	e.t.Helper()
	opts := e.webauthnOptions("/v1/signup/webauthn", map[string]any{"email": addr})
	return e.do("POST", "/v1/signup/webauthn/verify", map[string]any{"credential": create(e.t, k, opts)})
}

func sessionOf(t testing.TB, r *response) sessionBody {
	t.Helper()
	require.Equal(t, 200, r.Status, "%s", r.Body)
	var p struct{ Session *sessionBody }
	r.decode(t, &p)
	require.NotNil(t, p.Session, "%s", r.Body)
	return *p.Session
}

// passkeySignIn signs in with k: by email, or discoverably when email is "".
func (e *env) passkeySignIn(email string, k *webauthntest.Key) *response {
	e.t.Helper()
	var body any
	if email != "" {
		body = map[string]any{"email": email}
	}
	opts := e.webauthnOptions("/v1/signin/webauthn", body)
	return e.do("POST", "/v1/signin/webauthn/verify", map[string]any{"credential": get(e.t, k, opts)})
}

// addKey registers k on the account of access.
func (e *env) addKey(access string, k *webauthntest.Key, nickname string) *response {
	e.t.Helper()
	r := e.do("POST", "/v1/user/webauthn/add", nil, bearer(access))
	if r.Status != 200 {
		return r
	}
	return e.do("POST", "/v1/user/webauthn/verify", map[string]any{"credential": create(e.t, k, r.Body), "nickname": nickname}, bearer(access))
}

// passkeyElevate proves k for the holder of access.
func (e *env) passkeyElevate(access string, k *webauthntest.Key) *response {
	e.t.Helper()
	opts := e.webauthnOptions("/v1/elevate/webauthn", nil, bearer(access))
	return e.do("POST", "/v1/elevate/webauthn/verify", map[string]any{"credential": get(e.t, k, opts)}, bearer(access))
}

type securityKeyBody struct {
	ID           string     `json:"id"`
	Nickname     *string    `json:"nickname"`
	CredentialID string     `json:"credentialId"`
	Transports   []string   `json:"transports"`
	CreatedAt    *time.Time `json:"createdAt"`
	LastUsedAt   *time.Time `json:"lastUsedAt"`
	Synced       *bool      `json:"synced"`
}

func (e *env) securityKeys(access string) []securityKeyBody {
	e.t.Helper()
	r := e.do("GET", "/v1/user/webauthn/keys", nil, bearer(access))
	require.Equal(e.t, 200, r.Status, "%s", r.Body)
	var keys []securityKeyBody
	r.decode(e.t, &keys)
	return keys
}

// userWithKey is a verified user with a password, signed in, holding a key.
func (w *walker) userWithKey() (walkUser, *webauthntest.Key) {
	w.t.Helper()
	u := w.user(true)
	k := newKey()
	r := w.e.addKey(u.access, k, "")
	require.Equal(w.t, 200, r.Status, "%s", r.Body)
	return u, k
}

// passkeyState is what a refused ceremony must leave as it was: users,
// sessions, keys with their counters and details, used challenges.
func (e *env) passkeyState() string {
	e.t.Helper()
	var s string
	require.NoError(e.t, e.db().Raw(`SELECT concat_ws(' | ',
  (SELECT count(*) FROM auth.users),
  (SELECT count(*) FROM auth.refresh_tokens),
  (SELECT coalesce(string_agg(user_id || ':' || credential_id || '=' || counter || '/' || coalesce(nickname, ''), ',' ORDER BY credential_id), '')
     FROM auth.user_security_keys),
  (SELECT coalesce(string_agg(key_id || '@' || coalesce(last_used_at::text, ''), ',' ORDER BY key_id), '') FROM auth.webauthn_key_details),
  (SELECT count(*) FROM auth.webauthn_challenges WHERE consumed_at IS NOT NULL))`).Scan(&s).Error)
	return s
}

func TestPasskeyRoutesDisabled(t *testing.T) {
	e := newEnv(t, nil)
	s := e.signUp(email(t), nil)
	n := 0
	for _, rt := range handlers.Routes() {
		if !strings.Contains(rt.Path, "/webauthn") {
			continue
		}
		n++
		path := "/v1" + strings.Replace(rt.Path, ":id", uuid.NewString(), 1)
		r := e.do(rt.Method, path, map[string]any{}, bearer(s.AccessToken))
		require.Equal(t, 409, r.Status, "%s %s: %s", rt.Method, path, r.Body)
		require.Equal(t, "disabled-endpoint", r.errorCode(t))
	}
	require.Equal(t, 11, n, "nhost's eight and our three")
}

// A whole life with a passkey: sign up, sign in by email and without one,
// elevate, manage keys; every answer as the contract says.
func TestPasskeyJourney(t *testing.T) {
	e := opsEnv(t, merge(passkeysOn, map[string]string{"AUTH_REQUIRE_ELEVATED_CLAIM": "required"}))
	addr := email(t)
	k := newKey()

	// Sign-up: the options, then the verify step with options that replace
	// the begun ones member by member.
	r := e.do("POST", "/v1/signup/webauthn", map[string]any{"email": addr,
		"options": map[string]any{"displayName": "Ada", "locale": "fr", "metadata": map[string]any{"plan": "pro"}}})
	require.Equal(t, 200, r.Status, "%s", r.Body)
	contract(t, "/signup/webauthn", "POST", r)
	var creation struct {
		RP   struct{ ID, Name string }
		User struct {
			ID          string `json:"id"`
			Name        string `json:"name"`
			DisplayName string `json:"displayName"`
		}
		Timeout int
	}
	r.decode(t, &creation)
	require.Equal(t, passkeyRPID, creation.RP.ID, "AUTH_CLIENT_URL's host")
	require.Equal(t, addr, creation.User.Name)
	require.Equal(t, "Ada", creation.User.DisplayName)
	require.Equal(t, 60000, creation.Timeout)
	require.Zero(t, e.count(`SELECT count(*) FROM auth.users WHERE email = ?`, addr), "no user before the verify step")

	r = e.do("POST", "/v1/signup/webauthn/verify", map[string]any{"credential": create(t, k, r.Body), "nickname": "Phone",
		"options": map[string]any{"locale": "en"}})
	contract(t, "/signup/webauthn/verify", "POST", r)
	up := sessionOf(t, r)
	require.Equal(t, creation.User.ID, up.User.ID, "the user has the id the key was registered for")
	require.Equal(t, addr, up.User.Email)
	require.Equal(t, "Ada", up.User.DisplayName)
	require.Equal(t, "en", up.User.Locale, "the verify step's locale")
	require.Equal(t, map[string]any{"plan": "pro"}, up.User.Metadata)
	require.NotContains(t, e.hasuraClaims(up.AccessToken).SessionVariables, elevatedClaim, "a sign-up elevates nothing")
	require.Equal(t, 1, int(e.count(`SELECT count(*) FROM auth.user_security_keys WHERE user_id = ? AND credential_id = ? AND nickname = 'Phone'`,
		up.User.ID, k.ID())))

	// Sign-in by email: the user's key is offered.
	r = e.do("POST", "/v1/signin/webauthn", map[string]any{"email": addr})
	require.Equal(t, 200, r.Status, "%s", r.Body)
	contract(t, "/signin/webauthn", "POST", r)
	var request struct {
		AllowCredentials []struct{ ID string } `json:"allowCredentials"`
	}
	r.decode(t, &request)
	require.Len(t, request.AllowCredentials, 1)
	require.Equal(t, k.ID(), request.AllowCredentials[0].ID)
	k.Cred.Counter = 1
	r = e.do("POST", "/v1/signin/webauthn/verify", map[string]any{"credential": get(t, k, r.Body), "email": addr})
	contract(t, "/signin/webauthn/verify", "POST", r)
	in := sessionOf(t, r)
	require.Equal(t, up.User.ID, in.User.ID)
	require.Equal(t, up.User.ID, e.hasuraClaims(in.AccessToken).SessionVariables[elevatedClaim], "a key was just proved")

	// Sign-in with no email: any passkey of the site may answer.
	r = e.do("POST", "/v1/signin/webauthn", nil)
	require.Equal(t, 200, r.Status, "%s", r.Body)
	var discoverable map[string]any
	r.decode(t, &discoverable)
	require.Nil(t, discoverable["allowCredentials"])
	k.Cred.Counter = 2
	require.Equal(t, up.User.ID, sessionOf(t, e.do("POST", "/v1/signin/webauthn/verify", map[string]any{"credential": get(t, k, r.Body)})).User.ID)

	// Elevation: a refreshed token is not elevated; the key elevates it, and
	// AUTH_REQUIRE_ELEVATED_CLAIM=required lets the elevated token make a PAT.
	plain := e.mustRefresh(in.RefreshToken)
	exp := e.clock.Now().Add(24 * time.Hour)
	requireRefused(t, e.createPAT(plain.AccessToken, exp, nil))
	r = e.do("POST", "/v1/elevate/webauthn", nil, bearer(plain.AccessToken))
	require.Equal(t, 200, r.Status, "%s", r.Body)
	contract(t, "/elevate/webauthn", "POST", r)
	k.Cred.Counter = 3
	r = e.do("POST", "/v1/elevate/webauthn/verify", map[string]any{"credential": get(t, k, r.Body)}, bearer(plain.AccessToken))
	contract(t, "/elevate/webauthn/verify", "POST", r)
	el := sessionOf(t, r)
	require.Equal(t, up.User.ID, e.hasuraClaims(el.AccessToken).SessionVariables[elevatedClaim])
	require.Equal(t, 200, e.createPAT(el.AccessToken, exp, nil).Status)
	require.EqualValues(t, 3, e.count(`SELECT counter FROM auth.user_security_keys WHERE credential_id = ?`, k.ID()))

	// Keys: list, add (elevation needed: the user has a key), rename, remove.
	keys := e.securityKeys(plain.AccessToken)
	require.Len(t, keys, 1)
	first := keys[0]
	require.Equal(t, "Phone", *first.Nickname)
	require.Equal(t, k.ID(), first.CredentialID)
	require.Equal(t, []string{}, first.Transports)
	require.NotNil(t, first.CreatedAt)
	require.Equal(t, e.clock.Now().UTC(), first.LastUsedAt.UTC())
	require.Equal(t, false, *first.Synced)

	second := newKey()
	requireRefused(t, e.addKey(plain.AccessToken, second, "YubiKey"))
	r = e.addKey(el.AccessToken, second, " YubiKey ")
	require.Equal(t, 200, r.Status, "%s", r.Body)
	contract(t, "/user/webauthn/verify", "POST", r)
	var added struct{ ID, Nickname string }
	r.decode(t, &added)
	require.Equal(t, "YubiKey", added.Nickname)
	require.Len(t, e.securityKeys(plain.AccessToken), 2)
	k.Cred.Counter = 4
	require.Equal(t, 200, e.passkeySignIn(addr, second).Status, "either key signs in")

	r = e.do("PATCH", "/v1/user/webauthn/keys/"+first.ID, map[string]any{"nickname": "Old phone"}, bearer(plain.AccessToken))
	require.Equal(t, 200, r.Status, "%s", r.Body)
	var renamed securityKeyBody
	r.decode(t, &renamed)
	require.Equal(t, "Old phone", *renamed.Nickname)
	r = e.do("PATCH", "/v1/user/webauthn/keys/"+first.ID, map[string]any{"nickname": ""}, bearer(plain.AccessToken))
	require.Equal(t, 200, r.Status, "%s", r.Body)
	r.decode(t, &renamed)
	require.Nil(t, renamed.Nickname, "an empty nickname removes it")

	requireRefused(t, e.do("DELETE", "/v1/user/webauthn/keys/"+added.ID, nil, bearer(plain.AccessToken)))
	r = e.do("DELETE", "/v1/user/webauthn/keys/"+added.ID, nil, bearer(el.AccessToken))
	require.Equal(t, 200, r.Status, "%s", r.Body)
	require.Equal(t, `"OK"`, string(r.Body))
	r = e.passkeySignIn(addr, second)
	require.Equal(t, 400, r.Status, "a removed key no longer signs in: %s", r.Body)

	r = e.do("DELETE", "/v1/user/webauthn/keys/"+first.ID, nil, bearer(el.AccessToken))
	require.Equal(t, 400, r.Status, "%s", r.Body)
	require.Contains(t, r.errorMessage(t), "last security key of an account without a password")
	require.Len(t, e.securityKeys(plain.AccessToken), 1)

	other := sessionOf(t, e.passkeySignUp(email(t), newKey()))
	otherKey := e.securityKeys(other.AccessToken)[0].ID
	for _, r := range []*response{
		e.do("PATCH", "/v1/user/webauthn/keys/"+otherKey, map[string]any{"nickname": "mine"}, bearer(plain.AccessToken)),
		e.do("DELETE", "/v1/user/webauthn/keys/"+otherKey, nil, bearer(el.AccessToken)),
		e.do("DELETE", "/v1/user/webauthn/keys/not-a-uuid", nil, bearer(el.AccessToken)),
	} {
		require.Equal(t, 400, r.Status, "another user's key is no key of the caller: %s", r.Body)
		require.Equal(t, "invalid-request", r.errorCode(t))
	}
	require.Len(t, e.securityKeys(other.AccessToken), 1)

	events := map[string]int{}
	for _, row := range e.auditLog("userId=" + up.User.ID) {
		events[strings.TrimSpace(row.Event+" "+str(row.Metadata["method"]))]++
	}
	require.Equal(t, map[string]int{"sign-up webauthn": 1, "sign-in webauthn": 3, "security-key-added": 1,
		"security-key-renamed": 2, "security-key-removed": 1, "pat-created": 1}, events)
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

// errorMessage returns the "message" of an error body.
func (r *response) errorMessage(t testing.TB) string {
	t.Helper()
	var e struct{ Message string }
	r.decode(t, &e)
	return e.Message
}

func (e *env) count(query string, args ...any) int64 {
	e.t.Helper()
	var n int64
	require.NoError(e.t, e.db().Raw(query, args...).Scan(&n).Error)
	return n
}

// What every sign-up checks, checked before the authenticator is asked;
// each refusal writes nothing.
func TestPasskeySignUpChecks(t *testing.T) {
	e := newEnv(t, merge(passkeysOn, map[string]string{
		"HASURA_GRAPHQL_DATABASE_URL":               ownDB(t),
		"AUTH_ACCESS_CONTROL_BLOCKED_EMAIL_DOMAINS": "blocked.example",
	}))
	taken := email(t)
	sessionOf(t, e.passkeySignUp(taken, newKey()))
	closed := newEnv(t, merge(passkeysOn, map[string]string{"AUTH_DISABLE_SIGNUP": "true"}))

	cases := []struct {
		name       string
		env        *env
		body       any
		status     int
		code, says string
	}{
		{"sign-up disabled", closed, map[string]any{"email": email(t)}, 403, "signup-disabled", ""},
		{"no email", e, map[string]any{}, 400, "invalid-request", `"email" is required`},
		{"not an email", e, map[string]any{"email": "ada"}, 400, "invalid-request", "valid email"},
		{"blocked domain", e, map[string]any{"email": "eve@blocked.example"}, 401, "invalid-email-password", ""},
		{"email in use", e, map[string]any{"email": taken}, 409, "email-already-in-use", ""},
		{"role not allowed", e, map[string]any{"email": email(t), "options": map[string]any{"allowedRoles": []string{"admin"}}}, 400, "role-not-allowed", ""},
		{"locale not allowed", e, map[string]any{"email": email(t), "options": map[string]any{"locale": "de"}}, 400, "locale-not-allowed", ""},
		{"redirect not allowed", e, map[string]any{"email": email(t), "options": map[string]any{"redirectTo": "https://evil.example.net"}}, 400, "redirectTo-not-allowed", ""},
		{"unknown option", e, map[string]any{"email": email(t), "options": map[string]any{"colour": "red"}}, 400, "invalid-request", `unknown field "colour"`},
		{"options not an object", e, map[string]any{"email": email(t), "options": []string{"x"}}, 400, "invalid-request", `"options"`},
		{"unknown field", e, map[string]any{"email": email(t), "password": "x"}, 400, "invalid-request", "Unknown field"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.env.t = t
			before := tc.env.count(`SELECT count(*) FROM auth.webauthn_challenges`)
			r := tc.env.do("POST", "/v1/signup/webauthn", tc.body)
			require.Equal(t, tc.status, r.Status, "%s", r.Body)
			require.Equal(t, tc.code, r.errorCode(t))
			require.Contains(t, r.errorMessage(t), tc.says)
			contract(t, "/signup/webauthn", "POST", r)
			require.Equal(t, before, tc.env.count(`SELECT count(*) FROM auth.webauthn_challenges`), "no ceremony begun")
		})
	}
	e.t = t

	// Checked again at the verify step: the email was taken meanwhile.
	addr := email(t)
	opts := e.webauthnOptions("/v1/signup/webauthn", map[string]any{"email": addr})
	sessionOf(t, e.passkeySignUp(addr, newKey()))
	before := e.passkeyState()
	r := e.do("POST", "/v1/signup/webauthn/verify", map[string]any{"credential": create(t, newKey(), opts)})
	require.Equal(t, 409, r.Status, "%s", r.Body)
	require.Equal(t, "email-already-in-use", r.errorCode(t))
	require.Equal(t, before, e.passkeyState(), "nothing written, the challenge not used")

	// The verify step's options are checked as the begin step's; a refusal
	// leaves the challenge usable.
	addr = email(t)
	k := newKey()
	cred := create(t, k, e.webauthnOptions("/v1/signup/webauthn", map[string]any{"email": addr}))
	before = e.passkeyState()
	r = e.do("POST", "/v1/signup/webauthn/verify", map[string]any{"credential": cred, "options": map[string]any{"locale": "de"}})
	require.Equal(t, 400, r.Status, "%s", r.Body)
	require.Equal(t, "locale-not-allowed", r.errorCode(t))
	require.Equal(t, before, e.passkeyState())
	r = e.do("POST", "/v1/signup/webauthn/verify", map[string]any{"credential": cred, "nickname": strings.Repeat("n", 101)})
	require.Equal(t, 400, r.Status, "%s", r.Body)
	require.Contains(t, r.errorMessage(t), "Nickname is longer than 100 characters")
	require.Equal(t, before, e.passkeyState())
	require.Equal(t, addr, sessionOf(t, e.do("POST", "/v1/signup/webauthn/verify", map[string]any{"credential": cred})).User.Email)
}

// With email verification required, the verify step answers no session and
// mails the link, which signs the user in; the key works from then on. A
// mail that cannot leave undoes the sign-up, key and all.
func TestPasskeySignUpVerifiesEmail(t *testing.T) {
	e, smtp := newMailEnv(t, merge(passkeysOn, map[string]string{"AUTH_EMAIL_SIGNIN_EMAIL_VERIFIED_REQUIRED": "true"}))
	addr := email(t)
	k := newKey()
	r := e.passkeySignUp(addr, k)
	require.Equal(t, 200, r.Status, "%s", r.Body)
	require.JSONEq(t, `{"session":null}`, string(r.Body))
	r = e.do("POST", "/v1/signin/webauthn", map[string]any{"email": addr})
	require.Equal(t, 401, r.Status, "%s", r.Body)
	require.Equal(t, "unverified-user", r.errorCode(t))
	r = e.do("POST", "/v1/signin/webauthn/verify", map[string]any{"credential": get(t, k, e.webauthnOptions("/v1/signin/webauthn", nil))})
	require.Equal(t, 401, r.Status, "without email as well: %s", r.Body)
	require.Equal(t, "unverified-user", r.errorCode(t))

	e.srv.Mailer.Close()
	msgs := smtp.To(addr)
	require.Len(t, msgs, 1)
	r = e.followLink(msgs[0].Link())
	require.Equal(t, 302, r.Status)
	require.Contains(t, r.Header.Get("Location"), "refreshToken=", "signed in by the link")
	require.Equal(t, 200, e.passkeySignIn(addr, k).Status)

	smtp.SetFailing(true)
	lost := email(t)
	before := e.passkeyState()
	opts := e.webauthnOptions("/v1/signup/webauthn", map[string]any{"email": lost})
	r = e.do("POST", "/v1/signup/webauthn/verify", map[string]any{"credential": create(t, newKey(), opts)})
	require.Equal(t, 500, r.Status, "%s", r.Body)
	require.Contains(t, r.errorMessage(t), "could not be sent")
	require.Zero(t, e.count(`SELECT count(*) FROM auth.users WHERE email = ?`, lost))
	require.Equal(t, strings.SplitN(before, " | ", 5)[2], strings.SplitN(e.passkeyState(), " | ", 5)[2], "no key left behind")

	// AUTH_DISABLE_NEW_USERS: created, disabled, no session.
	off := newEnv(t, merge(passkeysOn, map[string]string{"AUTH_DISABLE_NEW_USERS": "true"}))
	addr = email(t)
	r = off.passkeySignUp(addr, newKey())
	require.Equal(t, 200, r.Status, "%s", r.Body)
	require.JSONEq(t, `{"session":null}`, string(r.Body))
	require.EqualValues(t, 1, off.count(`SELECT count(*) FROM auth.users WHERE email = ? AND disabled`, addr))
}

// The refusals of the issue, through the routes: each a clear 4xx, and
// nothing written (no user, session, key, counter or used challenge).
func TestPasskeyRefusals(t *testing.T) {
	e := opsEnv(t, merge(passkeysOn, map[string]string{"HASURA_GRAPHQL_DATABASE_URL": ownDB(t)}))
	ada, bob := email(t), email(t)
	adaKey, bobKey := newKey(), newKey()
	adaSession := sessionOf(t, e.passkeySignUp(ada, adaKey))
	bobSession := sessionOf(t, e.passkeySignUp(bob, bobKey))
	elsewhere := func(rpID, origin string) *webauthntest.Key { return webauthntest.NewKey(rpID, origin) }
	type req struct {
		path   string
		body   any
		access string
	}
	signUpWith := func(k *webauthntest.Key) req {
		opts := e.webauthnOptions("/v1/signup/webauthn", map[string]any{"email": email(t)})
		return req{path: "/v1/signup/webauthn/verify", body: map[string]any{"credential": create(t, k, opts)}}
	}
	signInWith := func(email string, k *webauthntest.Key) req {
		opts := e.webauthnOptions("/v1/signin/webauthn", map[string]any{"email": email})
		return req{path: "/v1/signin/webauthn/verify", body: map[string]any{"credential": get(t, k, opts)}}
	}
	// sameHandle is a key on the page answering as adaKey's authenticator
	// would for Ada, with a credential nobody registered.
	sameHandle := func() *webauthntest.Key {
		k := newKey()
		k.Auth.Options.UserHandle = adaKey.Auth.Options.UserHandle
		return k
	}
	cases := []struct {
		name   string
		setup  func() req
		status int
		code   string
		says   string
	}{
		{"sign-up on another origin", func() req { return signUpWith(elsewhere(passkeyRPID, "https://app.example.com.evil.net")) },
			400, "invalid-request", "origin that is not allowed"},
		{"sign-up for another RP ID", func() req { return signUpWith(elsewhere("evil.net", passkeyOrigin)) },
			400, "invalid-request", "another relying party"},
		{"sign-in on another origin", func() req {
			k := *adaKey
			k.RP.Origin = "https://evil.net"
			return signInWith(ada, &k)
		}, 400, "invalid-request", "origin that is not allowed"},
		{"sign-in for another RP ID", func() req {
			k := *adaKey
			k.RP.ID = "evil.net"
			return signInWith(ada, &k)
		}, 400, "invalid-request", "another relying party"},
		{"replayed challenge", func() req {
			rq := signInWith(ada, adaKey)
			require.Equal(t, 200, e.do("POST", rq.path, rq.body).Status)
			return rq
		}, 400, "invalid-request", "already used"},
		{"expired challenge", func() req {
			rq := signInWith(ada, adaKey)
			e.clock.Advance(61 * time.Second)
			return rq
		}, 400, "invalid-request", "expired"},
		{"counter went backwards", func() req {
			adaKey.Cred.Counter = 5
			require.Equal(t, 200, e.passkeySignIn(ada, adaKey).Status)
			adaKey.Cred.Counter = 3
			return signInWith(ada, adaKey)
		}, 400, "invalid-request", "counter went backwards"},
		{"another user's key, signing in by email", func() req { return signInWith(ada, bobKey) },
			400, "invalid-request", "not one of this account's"},
		{"another user's key, elevating", func() req {
			opts := e.webauthnOptions("/v1/elevate/webauthn", nil, bearer(adaSession.AccessToken))
			return req{path: "/v1/elevate/webauthn/verify", body: map[string]any{"credential": get(t, bobKey, opts)}, access: adaSession.AccessToken}
		}, 400, "invalid-request", "not one of this account's"},
		{"another user's challenge, elevating", func() req {
			opts := e.webauthnOptions("/v1/elevate/webauthn", nil, bearer(bobSession.AccessToken))
			return req{path: "/v1/elevate/webauthn/verify", body: map[string]any{"credential": get(t, adaKey, opts)}, access: adaSession.AccessToken}
		}, 400, "invalid-request", "another ceremony or another user"},
		{"a sign-in challenge to add a key", func() req {
			opts := e.webauthnOptions("/v1/signin/webauthn", nil)
			return req{path: "/v1/user/webauthn/verify", body: map[string]any{"credential": get(t, adaKey, opts)}, access: adaSession.AccessToken}
		}, 400, "invalid-request", "well-formed"},
		{"adding a key registered to another user", func() req {
			opts := e.webauthnOptions("/v1/user/webauthn/add", nil, bearer(adaSession.AccessToken))
			k := *bobKey // the authenticator keeps the handle it registers for; Bob's must stay his
			return req{path: "/v1/user/webauthn/verify", body: map[string]any{"credential": create(t, &k, opts)}, access: adaSession.AccessToken}
		}, 400, "invalid-request", "already registered"},
		{"a key nobody registered", func() req {
			opts := e.webauthnOptions("/v1/signin/webauthn", nil)
			return req{path: "/v1/signin/webauthn/verify", body: map[string]any{"credential": get(t, sameHandle(), opts)}}
		}, 400, "invalid-request", "No account has this security key"},
		{"malformed attestation", func() req {
			cred := create(t, newKey(), e.webauthnOptions("/v1/signup/webauthn", map[string]any{"email": email(t)}))
			var m map[string]any
			require.NoError(t, json.Unmarshal(cred, &m))
			m["response"].(map[string]any)["attestationObject"] = base64.RawURLEncoding.EncodeToString([]byte("\xa3not cbor"))
			return req{path: "/v1/signup/webauthn/verify", body: map[string]any{"credential": m}}
		}, 400, "invalid-request", "well-formed"},
		{"credential not a WebAuthn response", func() req {
			return req{path: "/v1/signin/webauthn/verify", body: map[string]any{"credential": map[string]any{"id": "x"}}}
		}, 400, "invalid-request", "well-formed"},
		{"no credential", func() req { return req{path: "/v1/signin/webauthn/verify", body: map[string]any{}} },
			400, "invalid-request", `"credential" is required`},
		{"unknown email", func() req { return req{path: "/v1/signin/webauthn", body: map[string]any{"email": email(t)}} },
			401, "invalid-email-password", ""},
		{"a user without keys", func() req {
			addr := email(t)
			e.signUp(addr, nil)
			return req{path: "/v1/signin/webauthn", body: map[string]any{"email": addr}}
		}, 400, "invalid-request", "no security key"},
		{"a disabled user, by email", func() req {
			require.Equal(t, 200, e.do("POST", "/v1/admin/users/"+bobSession.User.ID+"/disable", nil, opsAdmin).Status)
			return req{path: "/v1/signin/webauthn", body: map[string]any{"email": bob}}
		}, 401, "disabled-user", ""},
		{"a disabled user, without email", func() req {
			opts := e.webauthnOptions("/v1/signin/webauthn", nil)
			return req{path: "/v1/signin/webauthn/verify", body: map[string]any{"credential": get(t, bobKey, opts)}}
		}, 401, "disabled-user", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e.t = t
			rq := tc.setup()
			before := e.passkeyState()
			var hs []header
			if rq.access != "" {
				hs = append(hs, bearer(rq.access))
			}
			r := e.do("POST", rq.path, rq.body, hs...)
			require.Equal(t, tc.status, r.Status, "%s", r.Body)
			require.Equal(t, tc.code, r.errorCode(t))
			require.Contains(t, r.errorMessage(t), tc.says)
			require.Equal(t, before, e.passkeyState(), "nothing written")
			contract(t, strings.TrimPrefix(rq.path, "/v1"), "POST", r)
		})
	}
	e.t = t

	// The regression is audited with what was presented and stored.
	var found bool
	for _, row := range e.auditLog("event=security-key-counter-regression") {
		if row.UserID != nil && *row.UserID == adaSession.User.ID {
			found = true
			require.EqualValues(t, 5, row.Metadata["stored"])
			require.EqualValues(t, 3, row.Metadata["presented"])
			require.Equal(t, "sign-in", row.Metadata["ceremony"])
		}
	}
	require.True(t, found, "counter regression audited")
	// Failed ceremonies are sign-in failures with the reason; malformed
	// input is none.
	reasons := map[string]bool{}
	for _, row := range e.auditLog("event=sign-in-failed") {
		require.Equal(t, "webauthn", row.Metadata["method"])
		reasons[str(row.Metadata["reason"])] = true
	}
	for _, want := range []string{"wrong-origin", "wrong-rp-id", "challenge-replayed", "challenge-expired",
		"credential-of-another-user", "unknown-credential", "user-not-found", "disabled-user", "counter-regression"} {
		require.True(t, reasons[want], "%s audited; got %v", want, reasons)
	}
	require.False(t, reasons["malformed-credential"])
}

// Adding a key needs elevation as nhost asks it: under required, a user's
// first key does not; once a user has a key (or TOTP), recommended asks
// elevation of every sensitive action, as required does.
func TestPasskeyElevationRules(t *testing.T) {
	exp := func(e *env) time.Time { return e.clock.Now().Add(24 * time.Hour) }
	// plainUser is a password user with a token that is not elevated.
	plainUser := func(e *env) (sessionBody, string) {
		addr := email(e.t)
		e.signUp(addr, nil)
		return e.mustRefresh(e.signIn(addr).RefreshToken), addr
	}

	t.Run("required", func(t *testing.T) {
		e := newEnv(t, merge(passkeysOn, map[string]string{"AUTH_REQUIRE_ELEVATED_CLAIM": "required"}))
		s, _ := plainUser(e)
		requireRefused(t, e.createPAT(s.AccessToken, exp(e), nil))
		k := newKey()
		r := e.addKey(s.AccessToken, k, "first")
		require.Equal(t, 200, r.Status, "the first key needs no elevation: %s", r.Body)
		requireRefused(t, e.addKey(s.AccessToken, newKey(), "second"))
		el := sessionOf(t, e.passkeyElevate(s.AccessToken, k))
		require.Equal(t, 200, e.addKey(el.AccessToken, newKey(), "second").Status)
		require.Equal(t, 200, e.createPAT(el.AccessToken, exp(e), nil).Status)
	})
	t.Run("recommended", func(t *testing.T) {
		e := newEnv(t, merge(passkeysOn, map[string]string{"AUTH_REQUIRE_ELEVATED_CLAIM": "recommended"}))
		s, _ := plainUser(e)
		require.Equal(t, 200, e.createPAT(s.AccessToken, exp(e), nil).Status, "no second factor: no elevation")
		k := newKey()
		require.Equal(t, 200, e.addKey(s.AccessToken, k, "").Status)
		requireRefused(t, e.createPAT(s.AccessToken, exp(e), nil))
		requireRefused(t, e.addKey(s.AccessToken, newKey(), ""))
		el := sessionOf(t, e.passkeyElevate(s.AccessToken, k))
		require.Equal(t, 200, e.createPAT(el.AccessToken, exp(e), nil).Status)
	})
	t.Run("disabled", func(t *testing.T) {
		e := newEnv(t, passkeysOn)
		s, _ := plainUser(e)
		require.Equal(t, 200, e.addKey(s.AccessToken, newKey(), "").Status)
		require.Equal(t, 200, e.addKey(s.AccessToken, newKey(), "").Status)
		require.Equal(t, 200, e.createPAT(s.AccessToken, exp(e), nil).Status)
	})
	t.Run("anonymous users add no key", func(t *testing.T) {
		e := newEnv(t, passkeysOn)
		r := e.do("POST", "/v1/user/webauthn/add", nil, bearer(e.anonymous().AccessToken))
		require.Equal(t, 403, r.Status, "%s", r.Body)
		require.Equal(t, "forbidden-anonymous", r.errorCode(t))
	})
}

// Unfinished ceremonies are purged once expired, with the other expired rows.
func TestPasskeyChallengesPurged(t *testing.T) {
	const hook = "purge-webhook-key-0123456789"
	e := newEnv(t, merge(passkeysOn, map[string]string{"HASURA_GRAPHQL_DATABASE_URL": ownDB(t), "AUTH_WEBHOOK_KEY": hook}))
	e.webauthnOptions("/v1/signup/webauthn", map[string]any{"email": email(t)})
	e.webauthnOptions("/v1/signin/webauthn", nil)
	r := e.do("POST", "/v1/sessions/purge-expired", nil, header{"X-Webhook-Key", hook})
	require.Equal(t, 200, r.Status, "%s", r.Body)
	require.Contains(t, string(r.Body), `"webauthnChallenges":0`)
	e.clock.Advance(61 * time.Second)
	r = e.do("POST", "/v1/sessions/purge-expired", nil, header{"X-Webhook-Key", hook})
	require.Contains(t, string(r.Body), `"webauthnChallenges":2`)
	require.Zero(t, e.count(`SELECT count(*) FROM auth.webauthn_challenges`))
}

// A key registered under hasura-auth (its row as hasura-auth writes it: no
// counter, no transports, no details; the user handle the id's text) signs
// in here by email and without one.
func TestPasskeyOfHasuraAuth(t *testing.T) {
	e := newEnv(t, passkeysOn)
	addr := email(t)
	s := e.signUp(addr, nil)
	k := newKey()
	k.Auth.Options.UserHandle = []byte(s.User.ID) // what older clients stored
	require.NoError(t, e.db().Exec(`INSERT INTO auth.user_security_keys (user_id, credential_id, credential_public_key, nickname)
VALUES (?, ?, ?, 'iPhone')`, s.User.ID, k.ID(), k.Cred.Key.AttestationData()).Error)
	require.Equal(t, s.User.ID, sessionOf(t, e.passkeySignIn(addr, k)).User.ID)
	require.Equal(t, s.User.ID, sessionOf(t, e.passkeySignIn("", k)).User.ID)
	keys := e.securityKeys(s.AccessToken)
	require.Len(t, keys, 1)
	require.Equal(t, "iPhone", *keys[0].Nickname)
	require.Nil(t, keys[0].CreatedAt, "registered elsewhere: age unknown")
	require.NotNil(t, keys[0].LastUsedAt)
}

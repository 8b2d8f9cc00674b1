package handlers_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hasura-auth-go/auth/models"
)

func TestGetUser(t *testing.T) {
	e := newEnv(t, nil)
	addr := email(t)
	s := e.signUp(addr, map[string]any{"metadata": map[string]any{"a": 1.0}})
	r := e.do("GET", "/v1/user", nil, bearer(s.AccessToken))
	require.Equal(t, 200, r.Status, "%s", r.Body)
	contract(t, "/user", "get", r)
	var u userBody
	r.decode(t, &u)
	require.Equal(t, s.User.ID, u.ID)
	require.Equal(t, addr, u.Email)
	require.Equal(t, map[string]any{"a": 1.0}, u.Metadata)
	require.ElementsMatch(t, []string{"me", "user", "editor"}, u.Roles)

	cases := []struct {
		name    string
		headers []header
		advance time.Duration
	}{
		{"no header", nil, 0},
		{"basic auth", []header{{"Authorization", "Basic dXNlcjpwYXNz"}}, 0},
		{"three words", []header{{"Authorization", "Bearer " + s.AccessToken + " extra"}}, 0},
		{"expired", []header{bearer(s.AccessToken)}, 15 * time.Minute},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e.clock.Advance(tc.advance)
			r := e.do("GET", "/v1/user", nil, tc.headers...)
			require.Equal(t, 401, r.Status, "%s", r.Body)
			require.Equal(t, "unauthorized", r.errorCode(t))
		})
	}
}

func TestAnonymousSignIn(t *testing.T) {
	e := newEnv(t, nil)
	// The nhost client sends the JSON content type and no body at all.
	for _, body := range []any{nil, "", map[string]any{"displayName": "Guest", "locale": "fr", "metadata": map[string]any{"k": "v"}}} {
		r := e.do("POST", "/v1/signin/anonymous", body, header{"Content-Type", "application/json"})
		require.Equal(t, 200, r.Status, "%s", r.Body)
		contract(t, "/signin/anonymous", "post", r)
		var p struct{ Session sessionBody }
		r.decode(t, &p)
		require.True(t, p.Session.User.IsAnonymous)
		require.Equal(t, "anonymous", p.Session.User.DefaultRole)
		require.Equal(t, []string{"anonymous"}, p.Session.User.Roles)
		c := e.hasuraClaims(p.Session.AccessToken)
		require.Equal(t, "true", c.SessionVariables["x-hasura-user-is-anonymous"])
		require.Equal(t, "anonymous", c.DefaultRole)
		require.Equal(t, []string{"anonymous"}, c.AllowedRoles)
		e.mustRefresh(p.Session.RefreshToken)
	}

	cases := []struct {
		name   string
		config map[string]string
		body   any
		status int
		code   string
	}{
		{"disabled", map[string]string{"AUTH_ANONYMOUS_USERS_ENABLED": "false"}, nil, 409, "disabled-endpoint"},
		{"locale not allowed", nil, map[string]any{"locale": "de"}, 400, "locale-not-allowed"},
		{"unknown field", nil, map[string]any{"email": "a@example.com"}, 400, "invalid-request"},
		{"malformed", nil, `{"displayName":`, 400, "invalid-request"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			env := e
			if tc.config != nil {
				env = newEnv(t, tc.config)
			}
			r := env.do("POST", "/v1/signin/anonymous", tc.body)
			require.Equal(t, tc.status, r.Status, "%s", r.Body)
			require.Equal(t, tc.code, r.errorCode(t))
		})
	}
}

func (e *env) anonymous() sessionBody {
	e.t.Helper()
	r := e.do("POST", "/v1/signin/anonymous", nil)
	require.Equal(e.t, 200, r.Status, "%s", r.Body)
	var p struct{ Session sessionBody }
	r.decode(e.t, &p)
	return p.Session
}

func TestDeanonymize(t *testing.T) {
	e := newEnv(t, nil)
	anon := e.anonymous()
	addr := email(t)
	r := e.do("POST", "/v1/user/deanonymize", map[string]any{
		"signInMethod": "email-password", "email": addr, "password": password,
		"options": map[string]any{"displayName": "Real Name"},
	}, bearer(anon.AccessToken))
	require.Equal(t, 200, r.Status, "%s", r.Body)
	contract(t, "/user/deanonymize", "post", r)

	// The anonymous session ends: its tokens carry the anonymous role.
	require.Equal(t, 401, e.refresh(anon.RefreshToken).Status)
	r = e.do("POST", "/v1/signin/email-password", map[string]any{"email": addr, "password": password})
	require.Equal(t, 200, r.Status, "%s", r.Body)
	var p struct{ Session sessionBody }
	r.decode(t, &p)
	require.Equal(t, anon.User.ID, p.Session.User.ID, "same user id")
	require.False(t, p.Session.User.IsAnonymous)
	require.Equal(t, "Real Name", p.Session.User.DisplayName)
	require.Equal(t, "user", p.Session.User.DefaultRole)
	require.ElementsMatch(t, []string{"me", "user", "editor"}, p.Session.User.Roles)
	c := e.hasuraClaims(p.Session.AccessToken)
	require.Equal(t, "false", c.SessionVariables["x-hasura-user-is-anonymous"])
	require.Equal(t, "user", c.DefaultRole)
}

func TestDeanonymizeErrors(t *testing.T) {
	e := newEnv(t, nil)
	regular := e.signUp(email(t), nil)
	taken := regular.User.Email
	anon := e.anonymous()
	good := func(addr string) map[string]any {
		return map[string]any{"signInMethod": "email-password", "email": addr, "password": password}
	}
	cases := []struct {
		name    string
		body    any
		headers []header
		status  int
		code    string
	}{
		{"no bearer", good("x-" + taken), nil, 401, "unauthorized"},
		{"not anonymous", good("y-" + taken), []header{bearer(regular.AccessToken)}, 400, "user-not-anonymous"},
		{"email in use", good(taken), []header{bearer(anon.AccessToken)}, 409, "email-already-in-use"},
		{"password too short", map[string]any{"signInMethod": "email-password", "email": "z-" + taken, "password": "short"}, []header{bearer(anon.AccessToken)}, 400, "password-too-short"},
		{"missing method", map[string]any{"email": "z-" + taken, "password": password}, []header{bearer(anon.AccessToken)}, 400, "invalid-request"},
		{"unknown method", map[string]any{"signInMethod": "sms", "email": "z-" + taken, "password": password}, []header{bearer(anon.AccessToken)}, 400, "invalid-request"},
		{"invalid email", good("nope"), []header{bearer(anon.AccessToken)}, 400, "invalid-request"},
		{"role not allowed", map[string]any{"signInMethod": "email-password", "email": "z-" + taken, "password": password, "options": map[string]any{"allowedRoles": []string{"admin"}}}, []header{bearer(anon.AccessToken)}, 400, "role-not-allowed"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do("POST", "/v1/user/deanonymize", tc.body, tc.headers...)
			require.Equal(t, tc.status, r.Status, "%s", r.Body)
			require.Equal(t, tc.code, r.errorCode(t))
			contract(t, "/user/deanonymize", "post", r)
		})
	}
	// Nothing changed for the anonymous user.
	u, err := models.FindUserByID(e.db(), mustUUID(t, anon.User.ID))
	require.NoError(t, err)
	require.True(t, u.IsAnonymous)
	require.Nil(t, u.Email)
	e.mustRefresh(anon.RefreshToken)
}

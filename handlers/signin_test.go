package handlers_test

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/hasura-auth-go/auth/models"
)

func TestSignIn(t *testing.T) {
	e := newEnv(t, nil)
	addr := email(t)
	up := e.signUp(addr, nil)
	r := e.do("POST", "/v1/signin/email-password", map[string]any{"email": addr, "password": password})
	require.Equal(t, 200, r.Status, "%s", r.Body)
	contract(t, "/signin/email-password", "post", r)
	var p struct{ Session sessionBody }
	r.decode(t, &p)
	require.Equal(t, up.User.ID, p.Session.User.ID)
	require.NotEqual(t, up.RefreshTokenID, p.Session.RefreshTokenID, "each sign-in is a new session")
	c := e.hasuraClaims(p.Session.AccessToken)
	require.Equal(t, up.User.ID, c.SessionVariables["x-hasura-user-id"])

	var u models.User
	require.NoError(t, e.db().Where("id = ?", up.User.ID).Take(&u).Error)
	require.NotNil(t, u.LastSeen)
}

func TestSignInErrors(t *testing.T) {
	e := newEnv(t, nil)
	ok := email(t)
	e.signUp(ok, nil)
	disabled := "disabled-" + email(t)
	e.signUp(disabled, nil)
	require.NoError(t, e.db().Model(&models.User{}).Where("email = ?", disabled).Update("disabled", true).Error)
	unverified := "unverified-" + email(t)
	e.signUp(unverified, nil)
	strict := newEnv(t, map[string]string{"AUTH_EMAIL_SIGNIN_EMAIL_VERIFIED_REQUIRED": "true"})
	conceal := newEnv(t, map[string]string{"AUTH_CONCEAL_ERRORS": "true"})

	cases := []struct {
		name   string
		e      *env
		body   any
		status int
		code   string
	}{
		{"wrong password", e, map[string]any{"email": ok, "password": "wrong password"}, 401, "invalid-email-password"},
		{"unknown email", e, map[string]any{"email": "nobody-" + ok, "password": password}, 401, "invalid-email-password"},
		{"disabled user", e, map[string]any{"email": disabled, "password": password}, 401, "disabled-user"},
		{"disabled user wrong password", e, map[string]any{"email": disabled, "password": "wrong password"}, 401, "invalid-email-password"},
		{"unverified user", strict, map[string]any{"email": unverified, "password": password}, 401, "unverified-user"},
		{"concealed disabled user", conceal, map[string]any{"email": disabled, "password": password}, 400, "invalid-request"},
		{"concealed wrong password", conceal, map[string]any{"email": ok, "password": "wrong password"}, 400, "invalid-request"},
		{"invalid email", e, map[string]any{"email": "nope", "password": password}, 400, "invalid-request"},
		{"missing password", e, map[string]any{"email": ok}, 400, "invalid-request"},
		{"password too long", e, map[string]any{"email": ok, "password": string(make([]byte, 51))}, 400, "invalid-request"},
		{"unknown field", e, `{"email": "a@example.com", "password": "x", "remember": true}`, 400, "invalid-request"},
		{"malformed", e, `{`, 400, "invalid-request"},
		{"null body", e, `null`, 400, "invalid-request"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var before int64
			require.NoError(t, tc.e.db().Model(&models.RefreshToken{}).Count(&before).Error)
			r := tc.e.do("POST", "/v1/signin/email-password", tc.body)
			require.Equal(t, tc.status, r.Status, "%s", r.Body)
			require.Equal(t, tc.code, r.errorCode(t))
			contract(t, "/signin/email-password", "post", r)
			var after int64
			require.NoError(t, tc.e.db().Model(&models.RefreshToken{}).Count(&after).Error)
			require.Equal(t, before, after)
		})
	}
}

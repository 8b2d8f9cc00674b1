package handlers_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

const elevatedClaim = "x-hasura-auth-elevated"

// requireRefused checks a 403 elevated-claim-required. The code is nhost's
// but not in the contract's enum, so only the ErrorResponse shape is checked.
func requireRefused(t *testing.T, r *response) {
	t.Helper()
	require.Equal(t, 403, r.Status, "%s", r.Body)
	require.Equal(t, "elevated-claim-required", r.errorCode(t))
}

func (e *env) signIn(addr string) sessionBody {
	e.t.Helper()
	r := e.do("POST", "/v1/signin/email-password", map[string]any{"email": addr, "password": password})
	require.Equal(e.t, 200, r.Status, "%s", r.Body)
	var p struct{ Session *sessionBody }
	r.decode(e.t, &p)
	require.NotNil(e.t, p.Session, "%s", r.Body)
	return *p.Session
}

func (e *env) elevate(kind, access string, body map[string]any) *response {
	e.t.Helper()
	return e.do("POST", "/v1/elevate/"+kind, body, bearer(access))
}

func (e *env) mustElevate(kind, access string, body map[string]any) sessionBody {
	e.t.Helper()
	r := e.elevate(kind, access, body)
	require.Equal(e.t, 200, r.Status, "%s", r.Body)
	var p struct{ Session *sessionBody }
	r.decode(e.t, &p)
	require.NotNil(e.t, p.Session)
	require.Equal(e.t, p.Session.User.ID, e.hasuraClaims(p.Session.AccessToken).SessionVariables[elevatedClaim])
	return *p.Session
}

// Which access tokens carry x-hasura-auth-elevated: those issued right after
// a credential was proved, never refreshed ones.
func TestElevatedClaimOnTokens(t *testing.T) {
	e := newEnv(t, nil)
	addr := email(t)
	up := e.signUp(addr, nil)
	require.NotContains(t, e.hasuraClaims(up.AccessToken).SessionVariables, elevatedClaim, "sign-up proves nothing")

	in := e.signIn(addr)
	c := e.hasuraClaims(in.AccessToken)
	require.Equal(t, up.User.ID, c.SessionVariables[elevatedClaim], "a password sign-in elevates")

	e.clock.Advance(time.Minute)
	refreshed := e.mustRefresh(in.RefreshToken)
	require.NotContains(t, e.hasuraClaims(refreshed.AccessToken).SessionVariables, elevatedClaim, "refresh drops it")
	require.NotContains(t, e.hasuraClaims(e.anonymous().AccessToken).SessionVariables, elevatedClaim)

	// Explicit re-authentication: a new session, elevated.
	el := e.mustElevate("password", refreshed.AccessToken, map[string]any{"password": password})
	require.NotEqual(t, refreshed.RefreshTokenID, el.RefreshTokenID)
	e.mustRefresh(refreshed.RefreshToken) // the old session lives on
}

func TestElevatedRequired(t *testing.T) {
	e := newEnv(t, merge(mfaConfig, map[string]string{
		"AUTH_REQUIRE_ELEVATED_CLAIM": "required",
		// longer than the elevation's 15 minutes, to see it lapse on a live token
		"AUTH_ACCESS_TOKEN_EXPIRES_IN": "3600",
	}))
	addr := email(t)
	up := e.signUp(addr, nil)
	exp := e.clock.Now().Add(24 * time.Hour)

	// Sensitive endpoints refuse a token that is not elevated.
	requireRefused(t, e.createPAT(up.AccessToken, exp, nil))
	secret := e.generateTOTP(up.AccessToken) // harmless: not active until a code activates it
	requireRefused(t, e.do("POST", "/v1/user/mfa", map[string]any{"code": e.code(secret), "activeMfaType": "totp"}, bearer(up.AccessToken)))
	require.Nil(t, e.user(up.User.ID).ActiveMFAType)

	// A fresh password sign-in is elevated.
	in := e.signIn(addr)
	e.mustCreatePAT(in.AccessToken, exp, nil)
	r := e.do("POST", "/v1/user/mfa", map[string]any{"code": e.code(secret), "activeMfaType": "totp"}, bearer(in.AccessToken))
	require.Equal(t, 200, r.Status, "%s", r.Body)
	e.nextStep()

	// Elevation lapses 15 minutes after the token's issue, live token or not.
	e.clock.Advance(15*time.Minute + time.Second)
	requireRefused(t, e.createPAT(in.AccessToken, exp, nil))

	// With TOTP active only a code elevates; the password alone is refused.
	r = e.elevate("password", in.AccessToken, map[string]any{"password": password})
	require.Equal(t, 400, r.Status, "%s", r.Body)
	require.Equal(t, "invalid-request", r.errorCode(t))
	el := e.mustElevate("totp", in.AccessToken, map[string]any{"otp": e.code(secret)})
	e.mustCreatePAT(el.AccessToken, exp, nil)
	// The code was used: the same one again does not elevate.
	r = e.elevate("totp", in.AccessToken, map[string]any{"otp": e.code(secret)})
	require.Equal(t, 401, r.Status)
	require.Equal(t, "invalid-totp", r.errorCode(t))

	// A refreshed token is not elevated; deactivating needs none (the code is the proof).
	refreshed := e.mustRefresh(el.RefreshToken)
	requireRefused(t, e.createPAT(refreshed.AccessToken, exp, nil))
	e.nextStep()
	r = e.do("POST", "/v1/user/mfa", map[string]any{"code": e.code(secret), "activeMfaType": ""}, bearer(refreshed.AccessToken))
	require.Equal(t, 200, r.Status, "%s", r.Body)

	// Without TOTP the password elevates again.
	el = e.mustElevate("password", refreshed.AccessToken, map[string]any{"password": password})
	e.mustCreatePAT(el.AccessToken, exp, nil)

	// A PAT's sessions are never elevated, so a PAT cannot mint PATs.
	p := e.mustCreatePAT(el.AccessToken, exp, nil)
	requireRefused(t, e.createPAT(e.mustSignInPAT(p.PersonalAccessToken).AccessToken, exp, nil))
}

func TestElevatedRecommended(t *testing.T) {
	e := newEnv(t, merge(mfaConfig, map[string]string{"AUTH_REQUIRE_ELEVATED_CLAIM": "recommended"}))
	addr := email(t)
	up := e.signUp(addr, nil)
	exp := e.clock.Now().Add(24 * time.Hour)

	// No second factor: nothing to ask for, PAT or TOTP activation alike.
	e.mustCreatePAT(up.AccessToken, exp, nil)
	secret := e.enableTOTP(up.AccessToken)

	// With TOTP active the user must elevate, with a code.
	e.clock.Advance(time.Minute)
	refreshed := e.mustRefresh(up.RefreshToken)
	requireRefused(t, e.createPAT(refreshed.AccessToken, exp, nil))
	el := e.mustElevate("totp", refreshed.AccessToken, map[string]any{"otp": e.code(secret)})
	e.mustCreatePAT(el.AccessToken, exp, nil)
	// A TOTP sign-in is elevated too.
	e.nextStep()
	s := e.mustSignInTOTP(e.mfaTicket(addr), e.code(secret))
	e.mustCreatePAT(s.AccessToken, exp, nil)
}

func TestElevatedDisabledAllowsAnyToken(t *testing.T) {
	e := newEnv(t, map[string]string{"AUTH_REQUIRE_ELEVATED_CLAIM": "disabled"})
	up := e.signUp(email(t), nil)
	e.clock.Advance(time.Minute)
	refreshed := e.mustRefresh(up.RefreshToken)
	e.mustCreatePAT(refreshed.AccessToken, e.clock.Now().Add(time.Hour), nil)
}

func TestElevateErrors(t *testing.T) {
	e := newEnv(t, mfaConfig)
	plain := e.signUp(email(t), nil)
	withTOTP := e.signUp(email(t), nil)
	e.enableTOTP(withTOTP.AccessToken)
	anon := e.anonymous()
	disabled := e.signUp(email(t), nil)
	require.NoError(t, e.db().Exec("UPDATE auth.users SET disabled = true WHERE id = ?", disabled.User.ID).Error)

	cases := []struct {
		name    string
		kind    string
		access  string
		body    any
		status  int
		code    string
		noToken bool
	}{
		{"password: no bearer", "password", "", map[string]any{"password": password}, 401, "unauthorized", true},
		{"password: missing", "password", plain.AccessToken, map[string]any{}, 400, "invalid-request", false},
		{"password: too long", "password", plain.AccessToken, map[string]any{"password": string(make([]byte, 51))}, 400, "invalid-request", false},
		{"password: unknown field", "password", plain.AccessToken, map[string]any{"password": password, "otp": "1"}, 400, "invalid-request", false},
		{"password: wrong", "password", plain.AccessToken, map[string]any{"password": "wrong password"}, 401, "invalid-email-password", false},
		{"password: anonymous", "password", anon.AccessToken, map[string]any{"password": password}, 403, "forbidden-anonymous", false},
		{"password: disabled user", "password", disabled.AccessToken, map[string]any{"password": password}, 401, "disabled-user", false},
		{"password: totp active", "password", withTOTP.AccessToken, map[string]any{"password": password}, 400, "invalid-request", false},
		{"totp: no bearer", "totp", "", map[string]any{"otp": "123456"}, 401, "unauthorized", true},
		{"totp: missing", "totp", withTOTP.AccessToken, map[string]any{}, 400, "invalid-request", false},
		{"totp: no totp", "totp", plain.AccessToken, map[string]any{"otp": "123456"}, 401, "disabled-mfa-totp", false},
		{"totp: wrong", "totp", withTOTP.AccessToken, map[string]any{"otp": "1234567"}, 401, "invalid-totp", false},
		{"totp: disabled user", "totp", disabled.AccessToken, map[string]any{"otp": "123456"}, 401, "disabled-user", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var hs []header
			if !c.noToken {
				hs = append(hs, bearer(c.access))
			}
			r := e.do("POST", "/v1/elevate/"+c.kind, c.body, hs...)
			require.Equal(t, c.status, r.Status, "%s", r.Body)
			require.Equal(t, c.code, r.errorCode(t))
		})
	}
}

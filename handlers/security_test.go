package handlers_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hasura-auth-go/auth/apitest"
	"github.com/hasura-auth-go/auth/oauth/providertest"
)

// Security round 2 (issue 20): each test here failed on the code before it.

// bearerRoutes are routes of ours that act on the caller's account with an
// access token; a disabled or deleted user's token must open none of them.
var bearerRoutes = []struct{ method, path string }{
	{"GET", "/v1/user"},
	{"POST", "/v1/token/verify"},
	{"GET", "/v1/pat"},
	{"GET", "/v1/mfa/totp/generate"},
}

// requireCutWithin polls every Bearer route with access until each answers
// 401, failing if one still answers otherwise after within.
func (e *env) requireCutWithin(access string, within time.Duration) {
	e.t.Helper()
	deadline := time.Now().Add(within)
	for _, rt := range bearerRoutes {
		for {
			r := e.do(rt.method, rt.path, nil, bearer(access))
			if r.Status == 401 {
				break
			}
			require.True(e.t, time.Now().Before(deadline), "%s %s still answers %d after %s: %s", rt.method, rt.path, r.Status, within, r.Body)
			time.Sleep(10 * time.Millisecond)
		}
	}
}

// Finding 5: disabling or deleting a user with plain SQL (as nhost users do
// through Hasura) cuts their access tokens on every route within a second,
// whether the instance's caches were warm or the LISTEN connection answers.
func TestDisabledOrDeletedBySQLCutsAccessTokens(t *testing.T) {
	e := newEnv(t, map[string]string{"AUTH_MFA_ENABLED": "true"})
	e.waitForNotifications()
	for _, tc := range []struct {
		name string
		sql  string
	}{
		{"disabled", `UPDATE auth.users SET disabled = true WHERE id = ?`},
		{"deleted", `DELETE FROM auth.users WHERE id = ?`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e.t = t
			s := e.signUp(email(t), nil)
			for _, rt := range bearerRoutes {
				// Twice: the second answer comes from the warm caches.
				for range 2 {
					r := e.do(rt.method, rt.path, nil, bearer(s.AccessToken))
					require.Equal(t, 200, r.Status, "%s %s before: %s", rt.method, rt.path, r.Body)
				}
			}
			require.NoError(t, e.db().Exec(tc.sql, s.User.ID).Error)
			e.requireCutWithin(s.AccessToken, time.Second)
		})
	}
}

// Finding 5: a user disabled with SQL and enabled again does not get the
// access tokens of before back: disabling moved the sessions epoch.
func TestReenabledUserKeepsOldTokensRefused(t *testing.T) {
	e := newEnv(t, nil)
	e.waitForNotifications()
	s := e.signUp(email(t), nil)
	require.Equal(t, 200, e.getUserStatus(s.AccessToken))
	require.NoError(t, e.db().Exec(`UPDATE auth.users SET disabled = true WHERE id = ?`, s.User.ID).Error)
	require.NoError(t, e.db().Exec(`UPDATE auth.users SET disabled = false WHERE id = ?`, s.User.ID).Error)
	e.requireCutWithin(s.AccessToken, time.Second)
}

// mfaUser signs up a user with TOTP active; returns the address and secret.
func (e *env) mfaUser() (string, string) {
	e.t.Helper()
	addr := email(e.t)
	s := e.signUp(addr, nil)
	return addr, e.enableTOTP(s.AccessToken)
}

// requireMFARedirect checks a /verify answer sends the app on with an MFA
// ticket and no session, and completes the sign-in with the code.
func (e *env) requireMFARedirect(r *response, linkType, secret string) sessionBody {
	e.t.Helper()
	q := redirect(e.t, r).Query()
	require.Empty(e.t, q.Get("refreshToken"), "no session without the second factor")
	require.Empty(e.t, q.Get("error"), "%v", q)
	require.Equal(e.t, linkType, q.Get("type"))
	ticket := q.Get("mfaTicket")
	require.Regexp(e.t, `^mfaTotp:[0-9a-f-]{36}$`, ticket)
	e.nextStep()
	return e.mustSignInTOTP(ticket, e.code(secret))
}

// Finding 1: for a user with TOTP active, no email flow hands out a session
// without the code: links redirect with mfaTicket, codes answer the mfa
// challenge password sign-in answers; the ticket completes as usual.
func TestEmailFlowsAskForTheSecondFactor(t *testing.T) {
	e, smtp := newMailEnv(t, merge(mfaConfig, map[string]string{
		"AUTH_EMAIL_PASSWORDLESS_ENABLED": "true", "AUTH_OTP_EMAIL_ENABLED": "true"}))
	e.t = t

	t.Run("magic link", func(t *testing.T) {
		e.t = t
		addr, secret := e.mfaUser()
		require.Equal(t, 200, e.magicLink(addr, nil).Status)
		s := e.requireMFARedirect(e.followLink(smtp.Wait(t, addr, 1).Link()), "signinPasswordless", secret)
		require.Equal(t, addr, s.User.Email)
	})
	t.Run("password reset link", func(t *testing.T) {
		e.t = t
		addr, secret := e.mfaUser()
		require.Equal(t, 200, e.resetPassword(addr, nil).Status)
		s := e.requireMFARedirect(e.followLink(smtp.Wait(t, addr, 1).Link()), "passwordReset", secret)
		require.Equal(t, 200, e.changePassword(map[string]any{"newPassword": newPassword}, bearer(s.AccessToken)).Status)
	})
	t.Run("email code", func(t *testing.T) {
		e.t = t
		addr, secret := e.mfaUser()
		require.Equal(t, 200, e.otpRequest(addr).Status)
		r := e.do("POST", "/v1/signin/otp/email/verify", map[string]any{"email": addr, "otp": smtp.Wait(t, addr, 1).Header.Get("X-Ticket")})
		require.Equal(t, 200, r.Status, "%s", r.Body)
		// The answer of password sign-in to a user with TOTP.
		apitest.Require(t, "SignInEmailPasswordResponse", r.Body)
		var p struct {
			Session *sessionBody
			MFA     *struct{ Ticket string }
		}
		r.decode(t, &p)
		require.Nil(t, p.Session, "%s", r.Body)
		require.NotNil(t, p.MFA, "%s", r.Body)
		e.nextStep()
		s := e.mustSignInTOTP(p.MFA.Ticket, e.code(secret))
		require.Equal(t, addr, s.User.Email)
	})
}

// Finding 1: AUTH_MFA_SKIP_FOR_PASSWORDLESS=true keeps hasura-auth's way.
func TestMFASkipForPasswordlessKeepsHasuraAuthsWay(t *testing.T) {
	e, smtp := newMailEnv(t, merge(mfaConfig, map[string]string{
		"AUTH_EMAIL_PASSWORDLESS_ENABLED": "true", "AUTH_MFA_SKIP_FOR_PASSWORDLESS": "true"}))
	addr, _ := e.mfaUser()
	require.Equal(t, 200, e.magicLink(addr, nil).Status)
	q := redirect(t, e.followLink(smtp.Wait(t, addr, 1).Link())).Query()
	require.Empty(t, q.Get("mfaTicket"))
	require.Equal(t, addr, e.mustRefresh(q.Get("refreshToken")).User.Email)
}

// Finding 1: a provider account that vouches for a TOTP user's address (so
// whoever reads the mailbox can make one) signs in only with the code too.
func TestProviderSignInAsksForTheSecondFactor(t *testing.T) {
	pe := newProviderEnv(t, mfaConfig)
	addr := "tess@example.org"
	pe.existingUser(t, addr, true, false)
	secret := pe.enableTOTP(pe.signIn(addr).AccessToken)
	pe.github.Next(providertest.Account{ID: "7001", Email: addr, Verified: true, Name: "Tess"})
	l := newBrowser(t).visit(pe.startURL("github", nil))
	require.Equal(t, 302, l.status, "%s", l.body)
	require.Empty(t, l.query().Get("refreshToken"), "landed at %s", l.to)
	ticket := l.query().Get("mfaTicket")
	require.Regexp(t, `^mfaTotp:[0-9a-f-]{36}$`, ticket, "landed at %s", l.to)
	pe.nextStep()
	require.Equal(t, addr, pe.mustSignInTOTP(ticket, pe.code(secret)).User.Email)
}

// Finding 8: a PAT lives at most AUTH_PAT_MAX_LIFETIME (a year by default).
func TestPATLifetimeIsBounded(t *testing.T) {
	cases := []struct {
		name    string
		env     map[string]string
		expires time.Duration
		status  int
	}{
		{"9999-12-31", nil, time.Until(time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)), 400},
		{"a year and a day", nil, 366 * 24 * time.Hour, 400},
		{"just under a year", nil, 8759 * time.Hour, 200},
		{"over a setting of 1h", map[string]string{"AUTH_PAT_MAX_LIFETIME": "1h"}, 2 * time.Hour, 400},
		{"within a setting of 1h", map[string]string{"AUTH_PAT_MAX_LIFETIME": "1h"}, 30 * time.Minute, 200},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, c.env)
			s := e.signUp(email(t), nil)
			r := e.createPAT(s.AccessToken, e.clock.Now().Add(c.expires), nil)
			require.Equal(t, c.status, r.Status, "%s", r.Body)
			if c.status == 400 {
				require.Equal(t, "pat-lifetime-exceeded", r.errorCode(t))
			}
		})
	}
}

// patSessions creates a PAT for s and signs in with it twice (one session
// refreshed, so both a first and a refreshed access token are checked).
func (e *env) patSessions(s sessionBody) (patBody, []string) {
	e.t.Helper()
	p := e.mustCreatePAT(s.AccessToken, e.clock.Now().Add(24*time.Hour), nil)
	a := e.mustSignInPAT(p.PersonalAccessToken)
	b := e.mustSignInPAT(p.PersonalAccessToken)
	refreshed := e.mustRefresh(b.RefreshToken)
	tokens := []string{a.AccessToken, refreshed.AccessToken}
	for _, tok := range tokens {
		require.Equal(e.t, 200, e.getUserStatus(tok))
		require.Equal(e.t, 200, e.getUserStatus(tok), "from the warm caches")
	}
	return p, tokens
}

// Finding 8: revoking a PAT (DELETE /pat/{id}, or a deletion by SQL), or a
// password reset or change, cuts the access tokens its sessions were
// issued within a second; the user's other tokens are untouched.
func TestRevokedPATsAccessTokensDie(t *testing.T) {
	e, smtp := newMailEnv(t, nil)
	e.waitForNotifications()
	cases := []struct {
		name   string
		revoke func(t *testing.T, addr string, s sessionBody, p patBody)
	}{
		{"DELETE /pat/{id}", func(t *testing.T, _ string, s sessionBody, p patBody) {
			r := e.do("DELETE", "/v1/pat/"+p.ID, nil, bearer(s.AccessToken))
			require.Equal(t, 200, r.Status, "%s", r.Body)
		}},
		{"deleted by SQL", func(t *testing.T, _ string, _ sessionBody, p patBody) {
			require.NoError(t, e.db().Exec(`DELETE FROM auth.refresh_tokens WHERE id = ?`, p.ID).Error)
		}},
		{"password change", func(t *testing.T, _ string, s sessionBody, _ patBody) {
			require.Equal(t, 200, e.changePassword(map[string]any{"newPassword": newPassword}, bearer(s.AccessToken)).Status)
		}},
		{"password reset", func(t *testing.T, addr string, _ sessionBody, _ patBody) {
			require.Equal(t, 200, e.resetPassword(addr, nil).Status)
			ticket := smtp.Wait(t, addr, 1).Header.Get("X-Ticket")
			require.Equal(t, 200, e.changePassword(map[string]any{"newPassword": newPassword, "ticket": ticket}).Status)
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e.t = t
			addr := email(t)
			s := e.signUp(addr, nil)
			p, tokens := e.patSessions(s)
			c.revoke(t, addr, s, p)
			for _, tok := range tokens {
				e.requireCutWithin(tok, time.Second)
			}
			require.Equal(t, "invalid-pat", e.signInPAT(p.PersonalAccessToken).errorCode(t))
			require.Equal(t, 200, e.getUserStatus(s.AccessToken), "the user's own access token")
		})
	}
}

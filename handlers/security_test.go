package handlers_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
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

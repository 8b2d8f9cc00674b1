package handlers_test

import (
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// Refreshes and anonymous sign-ins that arrive together share statements
// (session/batched.go). Every caller must still get its own session and
// user, never a neighbour's, and every chain must go on from its own token.
func TestConcurrentRefreshesOfManySessionsStayApart(t *testing.T) {
	e := newEnv(t, nil)
	const users, rounds = 24, 4
	sessions := make([]sessionBody, users)
	for i := range sessions {
		sessions[i] = e.signUp(email(t), nil)
	}
	for range rounds {
		results := concurrently(users, func(i int) *response {
			return e.do("POST", "/v1/token", map[string]any{"refreshToken": sessions[i].RefreshToken})
		})
		for i, r := range results {
			require.Equal(t, 200, r.Status, "%s", r.Body)
			var next sessionBody
			r.decode(t, &next)
			require.Equal(t, sessions[i].RefreshTokenID, next.RefreshTokenID, "caller %d got another session", i)
			require.Equal(t, sessions[i].User.ID, next.User.ID, "caller %d got another user", i)
			require.Equal(t, sessions[i].User.ID, e.hasuraClaims(next.AccessToken).SessionVariables["x-hasura-user-id"])
			require.NotEqual(t, sessions[i].RefreshToken, next.RefreshToken)
			sessions[i] = next
		}
	}
	for _, s := range sessions {
		require.Equal(t, int64(1), e.liveSessions(s.User.ID))
	}
}

func TestConcurrentAnonymousSignInsAreDistinctUsers(t *testing.T) {
	e := newEnv(t, nil)
	const n = 40
	results := concurrently(n, func(int) *response { return e.do("POST", "/v1/signin/anonymous", nil) })
	seen := map[string]bool{}
	var mu sync.Mutex
	for _, r := range results {
		require.Equal(t, 200, r.Status, "%s", r.Body)
		var p struct{ Session sessionBody }
		r.decode(t, &p)
		s := p.Session
		mu.Lock()
		require.False(t, seen[s.User.ID], "two callers got one user")
		seen[s.User.ID] = true
		mu.Unlock()
		require.True(t, s.User.IsAnonymous)
		require.Equal(t, []string{"anonymous"}, s.User.Roles)
		require.Equal(t, s.User.ID, e.hasuraClaims(s.AccessToken).SessionVariables["x-hasura-user-id"])
		// The session is the user's own: it refreshes to the same user.
		next := e.mustRefresh(s.RefreshToken)
		require.Equal(t, s.User.ID, next.User.ID)
		require.Equal(t, s.RefreshTokenID, next.RefreshTokenID)
	}
	var rows struct{ Users, Roles, Sessions int64 }
	require.NoError(t, e.db().Raw(`SELECT
  (SELECT count(*) FROM auth.users WHERE is_anonymous) AS users,
  (SELECT count(*) FROM auth.user_roles r JOIN auth.users u ON u.id = r.user_id WHERE u.is_anonymous) AS roles,
  (SELECT count(*) FROM auth.refresh_tokens t JOIN auth.users u ON u.id = t.user_id WHERE u.is_anonymous) AS sessions`).Scan(&rows).Error)
	require.GreaterOrEqual(t, rows.Users, int64(n))
	require.Equal(t, rows.Users, rows.Roles, "one role row per anonymous user")
	require.Equal(t, rows.Users, rows.Sessions, "one session per anonymous user")
}

package handlers_test

import (
	"fmt"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hasura-auth-go/auth/testsupport"
)

// Two instances on one database, both through PgBouncer in transaction
// pooling (.ci/run's second pass). Concurrent sign-ups, sign-ins and
// refreshes spread over both never meet a statement another client
// prepared on the same server connection (pgx's default statement cache
// answered 500 to most of them there); the brute-force limit is counted
// across both (Redis); a key rotated on one is published, then signed
// with, by the other; a sign-out of all sessions on one reaches the
// other's cache through the direct LISTEN connection.
func TestInstancesThroughPgBouncer(t *testing.T) {
	pooler := testsupport.PoolerURL()
	if pooler == "" {
		t.Skip("needs TEST_PGBOUNCER_URL: .ci/run's PgBouncer pass")
	}
	const secret = "admin-secret-for-tests"
	o := rateLimited(uniquePrefix(t), map[string]string{
		"HASURA_GRAPHQL_DATABASE_URL":       ownDB(t), // keys rotate: not on the shared database
		"HASURA_GRAPHQL_ADMIN_SECRET":       secret,
		"AUTH_JWKS_MAX_AGE":                 "60",
		"AUTH_RATE_LIMIT_GLOBAL_BURST":      "100000",
		"AUTH_RATE_LIMIT_SIGNUPS_BURST":     "100000",
		"AUTH_RATE_LIMIT_BRUTE_FORCE_BURST": "3",
	})
	a := newEnv(t, o)
	b := secondInstance(t, a)
	pu, err := url.Parse(pooler)
	require.NoError(t, err)
	for _, e := range []*env{a, b} {
		require.True(t, e.srv.Config.Pooled())
		du, err := url.Parse(e.srv.Config.DatabaseURL)
		require.NoError(t, err)
		require.Equal(t, pu.Host, du.Host, "the server's pool goes through PgBouncer")
		e.waitForNotifications() // over AUTH_DATABASE_DIRECT_URL
	}

	t.Run("concurrent flows", func(t *testing.T) {
		const workers = 24
		var wg sync.WaitGroup
		errs := make(chan string, workers)
		for w := range workers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				on := []*env{a, b}
				ip := fromIP(fmt.Sprintf("198.51.100.%d", w+1))
				addr := fmt.Sprintf("pool-%d-%d@example.com", w, time.Now().UnixNano())
				check := func(r *response, what string) bool {
					if r.Status != 200 {
						errs <- fmt.Sprintf("worker %d, %s: %d %s", w, what, r.Status, r.Body)
						return false
					}
					return true
				}
				if !check(on[w%2].do("POST", "/v1/signup/email-password", map[string]any{"email": addr, "password": password}, ip), "sign-up") {
					return
				}
				r := on[(w+1)%2].do("POST", "/v1/signin/email-password", map[string]any{"email": addr, "password": password}, ip)
				if !check(r, "sign-in") {
					return
				}
				var p struct{ Session sessionBody }
				r.decode(t, &p)
				tok := p.Session.RefreshToken
				for i := range 8 {
					r := on[(w+i)%2].do("POST", "/v1/token", map[string]any{"refreshToken": tok}, ip)
					if !check(r, fmt.Sprintf("refresh %d", i)) {
						return
					}
					var s sessionBody
					r.decode(t, &s)
					tok = s.RefreshToken
					if !check(on[(w+i+1)%2].do("GET", "/v1/user", nil, bearer(s.AccessToken), ip), "GET /user") {
						return
					}
				}
				r = on[w%2].do("POST", "/v1/signin/anonymous", nil, ip)
				check(r, "anonymous sign-in")
			}()
		}
		wg.Wait()
		close(errs)
		for e := range errs {
			t.Error(e)
		}
	})

	t.Run("rate limits shared", func(t *testing.T) {
		attacker := fromIP("203.0.113.77")
		for i, e := range []*env{a, b, a} {
			require.Equal(t, 401, e.wrongPassword(email(t), attacker).Status, "attempt %d", i+1)
		}
		requireTooMany(t, b.wrongPassword(email(t), attacker), "100")
	})

	t.Run("key rotation reaches the other instance", func(t *testing.T) {
		r := a.do("POST", "/v1/admin/keys/rotate", map[string]any{"algorithm": "ES256"}, header{"X-Hasura-Admin-Secret", secret})
		require.Equal(t, 200, r.Status, "%s", r.Body)
		var k struct {
			KID         string
			ActivatesAt time.Time
		}
		r.decode(t, &k)
		a.clock.Advance(16 * time.Second) // b's reload period: max-age / 4 (the env's clock is shared)
		require.Contains(t, string(b.do("GET", "/v1/.well-known/jwks.json", nil).Body), k.KID, "published by b")
		a.clock.Advance(time.Until(k.ActivatesAt) + time.Second)
		s := b.signUp(email(t), nil)
		require.Contains(t, headerJSON(t, s.AccessToken), k.KID, "b signs with the key a created")
		a.requireAccess(s.AccessToken, 200)
	})

	t.Run("sign-out everywhere reaches the other cache", func(t *testing.T) {
		s := a.signUp(email(t), nil)
		b.requireAccess(s.AccessToken, 200) // cached on b
		a.clock.Advance(time.Second)
		require.Equal(t, 200, a.do("POST", "/v1/signout", map[string]any{"all": true}, bearer(s.AccessToken)).Status)
		deadline := time.Now().Add(5 * time.Second)
		for b.getUserStatus(s.AccessToken) != 401 {
			require.True(t, time.Now().Before(deadline), "instance b still accepts the revoked token")
			time.Sleep(10 * time.Millisecond)
		}
	})
}

// AUTH_DATABASE_POOLER=transaction without a direct URL: no LISTEN (through
// a transaction pooler it would hear only what reaches the server connection
// it happened to get), so the caches stay off and every Bearer check and
// GET /user asks the database: a change made behind the server's back,
// no listener to tell it, is seen at once. Runs in both passes (without a pooler
// the setting is only believed).
func TestPooledWithoutDirectURLCachesNothing(t *testing.T) {
	e := newEnv(t, map[string]string{
		"AUTH_DATABASE_POOLER":     "transaction",
		"AUTH_DATABASE_DIRECT_URL": "",
	})
	require.Empty(t, e.srv.Config.ListenDatabaseURL())
	require.Contains(t, e.logs.String(), "no LISTEN connection")
	s := e.signUp(email(t), map[string]any{"displayName": "Before"})
	require.Equal(t, "Before", e.getUser(s.AccessToken).DisplayName)
	time.Sleep(50 * time.Millisecond)
	require.False(t, e.srv.Sessions.NotificationsLive())
	require.NoError(t, e.db().Exec(`UPDATE auth.users SET display_name = 'After' WHERE id = ?`, s.User.ID).Error)
	require.Equal(t, "After", e.getUser(s.AccessToken).DisplayName)
	require.NoError(t, e.db().Exec(`DELETE FROM auth.users WHERE id = ?`, s.User.ID).Error)
	require.Equal(t, 401, e.getUserStatus(s.AccessToken))
}

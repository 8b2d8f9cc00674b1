package handlers_test

import (
	"encoding/json"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hasura-auth-go/auth/testsupport"
)

// The database stops in the middle of load (a cluster of the test's own, cut
// with pg_ctl stop -m immediate), then comes back. While it is down every
// request fails fast with 503 and the error JSON, never 500 and never a
// hang; nothing is half-written; once it is back the same server serves
// again without a restart.
func TestDatabaseStopsMidLoad(t *testing.T) {
	pg := testsupport.StartCluster(t)
	e := newEnv(t, map[string]string{
		"HASURA_GRAPHQL_DATABASE_URL":  pg.URL,
		"AUTH_DATABASE_MAX_OPEN_CONNS": "8",
		"AUTH_DATABASE_MAX_IDLE_CONNS": "8",
	})
	const workers = 6
	seeds := make([]sessionBody, workers) // a session per worker: rotations never race across workers
	for i := range seeds {
		seeds[i] = e.signUp(email(t), nil)
	}

	type outcome struct {
		kind    string // signup | refresh | user
		email   string
		status  int
		body    []byte
		retry   string // Retry-After
		elapsed time.Duration
		phase   int32 // 0 up, 1 down, 2 back
	}
	var (
		phase   atomic.Int32
		stop    atomic.Bool
		mu      sync.Mutex
		results []outcome
		wg      sync.WaitGroup
	)
	record := func(o outcome) {
		mu.Lock()
		results = append(results, o)
		mu.Unlock()
	}
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			seed := seeds[w]
			refresh := seed.RefreshToken
			for i := 0; !stop.Load(); i++ {
				p := phase.Load()
				start := time.Now()
				switch i % 3 {
				case 0:
					addr := fmt.Sprintf("fault-%d-%d-%d@example.com", w, i, time.Now().UnixNano())
					r := e.do("POST", "/v1/signup/email-password", map[string]any{"email": addr, "password": password})
					record(outcome{"signup", addr, r.Status, r.Body, r.Header.Get("Retry-After"), time.Since(start), p})
				case 1:
					r := e.do("POST", "/v1/token", map[string]any{"refreshToken": refresh})
					if r.Status == 200 {
						var s sessionBody
						if json.Unmarshal(r.Body, &s) == nil {
							refresh = s.RefreshToken
						}
					}
					record(outcome{"refresh", "", r.Status, r.Body, r.Header.Get("Retry-After"), time.Since(start), p})
				case 2:
					r := e.do("GET", "/v1/user", nil, bearer(seed.AccessToken))
					record(outcome{"user", "", r.Status, r.Body, r.Header.Get("Retry-After"), time.Since(start), p})
				}
				if p == 1 {
					time.Sleep(5 * time.Millisecond) // keep the down phase from spinning a core
				}
			}
		}()
	}
	// A refresh whose answer was lost (503 after the commit) is retried with
	// the same token: within the reuse window it yields the same new token.
	waitFor := func(what string, cond func() bool) {
		deadline := time.Now().Add(60 * time.Second)
		for !cond() {
			require.True(t, time.Now().Before(deadline), "timed out waiting for %s", what)
			time.Sleep(20 * time.Millisecond)
		}
	}
	count := func(p int32, status int) int {
		mu.Lock()
		defer mu.Unlock()
		n := 0
		for _, o := range results {
			if o.phase == p && (status == 0 || o.status == status) {
				n++
			}
		}
		return n
	}

	waitFor("load while up", func() bool { return count(0, 200) >= 30 })
	phase.Store(1)
	pg.Stop()
	waitFor("requests while down", func() bool { return count(1, 0) >= 60 })
	pg.Start()
	phase.Store(2)
	waitFor("recovery", func() bool {
		mu.Lock()
		defer mu.Unlock()
		for _, o := range results {
			if o.phase == 2 && o.kind == "signup" && o.status == 200 {
				return true
			}
		}
		return false
	})
	stop.Store(true)
	wg.Wait()

	byPhase := map[int32]map[int]int{0: {}, 1: {}, 2: {}}
	var slowest time.Duration
	for _, o := range results {
		byPhase[o.phase][o.status]++
		require.NotEqual(t, 500, o.status, "%s: %s", o.kind, o.body)
		if o.phase == 1 {
			// The stop raced with the first few of these; all the others failed.
			require.Contains(t, []int{200, 503}, o.status, "%s while down: %s", o.kind, o.body)
			if o.status == 503 {
				var body struct {
					Status  int
					Error   string
					Message string
				}
				require.NoError(t, json.Unmarshal(o.body, &body), "%s", o.body)
				require.Equal(t, 503, body.Status)
				require.Equal(t, "service-unavailable", body.Error)
				require.NotEmpty(t, body.Message)
				require.Equal(t, "1", o.retry, "Retry-After")
				require.NotContains(t, string(o.body), "127.0.0.1", "no internal detail")
				slowest = max(slowest, o.elapsed)
			}
		} else {
			require.Contains(t, []int{200, 503}, o.status, "%s: %s", o.kind, o.body)
		}
	}
	require.Positive(t, byPhase[1][503], "requests failed while down")
	require.Less(t, slowest, 2*time.Second, "failing requests fail fast")
	t.Logf("statuses by phase (up, down, back): %v; slowest 503 %s", byPhase, slowest)

	// No partial rows: every user has all its roles and its session (they are
	// written in one transaction), and every 200 sign-up is there.
	var partial int64
	require.NoError(t, e.db().Raw(`SELECT count(*) FROM auth.users u
WHERE (SELECT count(*) FROM auth.user_roles r WHERE r.user_id = u.id) <> ?
   OR NOT EXISTS (SELECT 1 FROM auth.refresh_tokens t WHERE t.user_id = u.id)`, len(e.srv.Config.DefaultAllowedRoles)).Scan(&partial).Error)
	require.Zero(t, partial, "users without all their roles or their session")
	var signedUp []string
	for _, o := range results {
		if o.kind == "signup" && o.status == 200 {
			signedUp = append(signedUp, o.email)
		}
	}
	var found int64
	require.NoError(t, e.db().Raw(`SELECT count(*) FROM auth.users WHERE email IN ?`, signedUp).Scan(&found).Error)
	require.Equal(t, int64(len(signedUp)), found, "every acknowledged sign-up was committed")

	// The same server, not restarted, serves every flow again.
	addr := email(t)
	s := e.signUp(addr, nil)
	s = e.mustRefresh(s.RefreshToken)
	require.Equal(t, 200, e.getUserStatus(s.AccessToken))
	require.Equal(t, 200, e.signInStatus(addr))
}

func (e *env) signInStatus(addr string) int {
	e.t.Helper()
	return e.do("POST", "/v1/signin/email-password", map[string]any{"email": addr, "password": password}).Status
}

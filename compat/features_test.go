package compat_test

import (
	"crypto/sha1" //nolint:gosec // the Pwned Passwords API is keyed by SHA-1
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hasura-auth-go/auth/testsupport"
)

// freshConfig is a server on an empty database of its own.
func freshConfig(t *testing.T, vals map[string]string) map[string]string {
	t.Helper()
	url, drop, err := testsupport.CreateDB(t.Context())
	require.NoError(t, err)
	t.Cleanup(drop)
	out := fixtureConfig(url)
	for k, v := range vals {
		out[k] = v
	}
	return out
}

// AUTH_PASSWORD_HIBP_ENABLED: passwords found in the range API are refused
// at sign-up, password change and deanonymize; only a 5-character prefix of
// the SHA-1 is sent; a service that cannot be reached refuses with 503.
func TestHIBPThroughTheServer(t *testing.T) {
	leaked := "password123"
	sum := sha1.Sum([]byte(leaked)) //nolint:gosec
	full := strings.ToUpper(hex.EncodeToString(sum[:]))
	var (
		mu    sync.Mutex
		asked []string
		down  atomic.Bool
	)
	api := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if down.Load() {
			http.Error(w, "unavailable", http.StatusServiceUnavailable)
			return
		}
		mu.Lock()
		asked = append(asked, r.URL.Path)
		mu.Unlock()
		if r.URL.Path == "/range/"+full[:5] {
			fmt.Fprintf(w, "%s:3861493\r\n", full[5:])
		}
		fmt.Fprint(w, strings.Repeat("0", 35)+":0\r\n")
	}))
	defer api.Close()
	h := start(t, freshConfig(t, map[string]string{"AUTH_PASSWORD_HIBP_ENABLED": "true", "AUTH_PASSWORD_HIBP_URL": api.URL}))

	r := h.do("POST", "/v1/signup/email-password", map[string]any{"email": "a@example.com", "password": leaked})
	assert.Equal(t, 400, r.Status, "%s", r.Body)
	assert.Equal(t, "password-in-hibp-database", r.code(t))
	assert.Empty(t, h.query(`SELECT id::text FROM auth.users WHERE email = 'a@example.com'`))
	s := h.sessionOf(h.do("POST", "/v1/signup/email-password", map[string]any{"email": "a@example.com", "password": "not in any breach 7f3a"}))
	assert.Equal(t, "password-in-hibp-database", h.do("POST", "/v1/user/password", map[string]any{"newPassword": leaked}, bearer(s.AccessToken)...).code(t))
	mu.Lock()
	defer mu.Unlock()
	for _, p := range asked {
		assert.Regexp(t, `^/range/[0-9A-F]{5}$`, p, "only the prefix leaves")
	}

	down.Store(true)
	r = h.do("POST", "/v1/signup/email-password", map[string]any{"email": "b@example.com", "password": "another fine password"})
	assert.Equal(t, 503, r.Status, "%s", r.Body)
	assert.Empty(t, h.query(`SELECT id::text FROM auth.users WHERE email = 'b@example.com'`))
	h.sessionOf(h.do("POST", "/v1/signin/email-password", map[string]any{"email": "a@example.com", "password": "not in any breach 7f3a"}))
}

// AUTH_TURNSTILE_SECRET: sign-ups need a passed challenge in hasura-auth's
// header; other routes do not.
func TestTurnstileThroughTheServer(t *testing.T) {
	var calls atomic.Int32
	siteverify := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		_ = r.ParseForm()
		ok := r.PostForm.Get("secret") == "0x4-test-secret" && r.PostForm.Get("response") == "passed-token"
		fmt.Fprintf(w, `{"success":%v,"error-codes":[]}`, ok)
	}))
	defer siteverify.Close()
	h := start(t, freshConfig(t, map[string]string{"AUTH_TURNSTILE_SECRET": "0x4-test-secret", "AUTH_TURNSTILE_VERIFY_URL": siteverify.URL}))
	body := map[string]any{"email": "t@example.com", "password": "turnstile-password"}

	r := h.do("POST", "/v1/signup/email-password", body)
	assert.Equal(t, 403, r.Status, "%s", r.Body)
	assert.Equal(t, "turnstile-failed", r.code(t))
	assert.Equal(t, "turnstile-failed", h.do("POST", "/v1/signup/email-password", body, "X-Cf-Turnstile-Response", "forged").code(t))
	assert.Empty(t, h.query(`SELECT id::text FROM auth.users WHERE email = 't@example.com'`))
	h.sessionOf(h.do("POST", "/v1/signup/email-password", body, "X-Cf-Turnstile-Response", "passed-token"))

	before := calls.Load()
	h.sessionOf(h.do("POST", "/v1/signin/email-password", body))
	assert.Equal(t, before, calls.Load(), "sign-in is not gated, as in hasura-auth")

	siteverify.Close()
	assert.Equal(t, 503, h.do("POST", "/v1/signup/email-password", map[string]any{"email": "u@example.com", "password": "turnstile-password"}, "X-Cf-Turnstile-Response", "passed-token").Status)
}

// AUTH_GRAVATAR_*: new users with an email get their Gravatar URL.
func TestGravatarThroughTheServer(t *testing.T) {
	on := start(t, freshConfig(t, map[string]string{"AUTH_GRAVATAR_DEFAULT": "identicon", "AUTH_GRAVATAR_RATING": "pg"}))
	s := on.sessionOf(on.do("POST", "/v1/signup/email-password", map[string]any{"email": "Legacy.User@Example.com", "password": "gravatar-password"}))
	assert.Equal(t, "https://www.gravatar.com/avatar/3f937a782374bafe4d85b605d55c8dc3?d=identicon&r=pg", s.User.AvatarURL, "MD5 of the lower-cased address")
	anon := on.sessionOf(on.do("POST", "/v1/signin/anonymous", map[string]any{}))
	assert.Empty(t, anon.User.AvatarURL, "no email, no Gravatar")

	off := start(t, freshConfig(t, map[string]string{"AUTH_GRAVATAR_ENABLED": "false"}))
	s = off.sessionOf(off.do("POST", "/v1/signup/email-password", map[string]any{"email": "x@example.com", "password": "gravatar-password"}))
	assert.Empty(t, s.User.AvatarURL)
}

// AUTH_RATE_LIMIT_MEMCACHE_SERVER: two instances share their limits through memcached.
func TestMemcachedSharedLimitsThroughTheServer(t *testing.T) {
	vals := freshConfig(t, map[string]string{
		"AUTH_RATE_LIMIT_ENABLE": "true", "AUTH_RATE_LIMIT_MEMCACHE_SERVER": "127.0.0.1:11211",
		"AUTH_RATE_LIMIT_MEMCACHE_PREFIX": fmt.Sprintf("compat-%d-", time.Now().UnixNano()), "AUTH_RATE_LIMIT_BRUTE_FORCE_BURST": "3",
	})
	a, b := start(t, vals), start(t, vals)
	statuses := []int{}
	for i := range 4 {
		h := a
		if i%2 == 1 {
			h = b
		}
		statuses = append(statuses, h.do("POST", "/v1/signin/email-password", map[string]any{"email": "rl@example.com", "password": "wrong-password"}).Status)
	}
	assert.Equal(t, []int{401, 401, 401, 429}, statuses, "the fourth attempt, on either instance, is over the shared burst of 3")
}

// POSTGRES_MIGRATIONS_CONNECTION: the migrations run over that URL, the
// server over its own.
func TestMigrationsConnection(t *testing.T) {
	served := freshConfig(t, nil)
	start(t, served) // the served database is migrated once, as usual
	other, drop, err := testsupport.CreateDB(t.Context())
	require.NoError(t, err)
	t.Cleanup(drop)
	served["POSTGRES_MIGRATIONS_CONNECTION"] = other
	h := start(t, served)
	assert.Equal(t, 200, h.do("GET", "/v1/healthz", nil).Status)

	db := testsupport.OpenGorm(t, other)
	var tables []string
	require.NoError(t, db.Raw(`SELECT table_name FROM information_schema.tables WHERE table_schema = 'auth' AND table_name IN ('users', 'hasura_auth_go_migrations') ORDER BY 1`).Scan(&tables).Error)
	assert.Equal(t, []string{"hasura_auth_go_migrations", "users"}, tables, "the migrations ran over POSTGRES_MIGRATIONS_CONNECTION")
}

// An AUTH_* variable nothing reads is named in a warning at start.
func TestUnknownVariableWarnedAtStart(t *testing.T) {
	h := start(t, freshConfig(t, map[string]string{"AUTH_ANONYMOUS_USER_ENABLED": "true"}))
	assert.Contains(t, h.logs.String(), "AUTH_ANONYMOUS_USER_ENABLED is set but nothing reads it")
	assert.Contains(t, h.logs.String(), "level=WARN")
}

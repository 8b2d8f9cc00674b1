package handlers_test

import (
	"fmt"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// rateLimited is the config of a server with a brute-force limit of 3 per
// 5 minutes (one attempt back every 100 s); with redisPrefix, in Redis.
func rateLimited(redisPrefix string, extra map[string]string) map[string]string {
	o := map[string]string{
		"AUTH_RATE_LIMIT_ENABLE":               "true",
		"AUTH_RATE_LIMIT_BRUTE_FORCE_BURST":    "3",
		"AUTH_RATE_LIMIT_BRUTE_FORCE_INTERVAL": "5m",
	}
	if redisPrefix != "" {
		o["AUTH_RATE_LIMIT_REDIS_URL"] = "redis://127.0.0.1:6379/0"
		o["AUTH_RATE_LIMIT_REDIS_PREFIX"] = redisPrefix
	}
	for k, v := range extra {
		o[k] = v
	}
	return o
}

// uniquePrefix keeps each test's Redis keys apart from every other run.
func uniquePrefix(t *testing.T) string {
	return fmt.Sprintf("test:%s:%d:", t.Name(), time.Now().UnixNano())
}

func (e *env) wrongPassword(addr string, from ...header) *response {
	e.t.Helper()
	return e.do("POST", "/v1/signin/email-password", map[string]any{"email": addr, "password": "not the password"}, from...)
}

func requireTooMany(t *testing.T, r *response, retryAfter string) {
	t.Helper()
	require.Equal(t, 429, r.Status, "%s", r.Body)
	require.Equal(t, "too-many-requests", r.errorCode(t))
	require.Equal(t, retryAfter, r.Header.Get("Retry-After"))
}

// The brute-force limit trips at the configured count per IP and per target
// email, counted across two server instances that share Redis.
func TestBruteForceLimitSharedThroughRedis(t *testing.T) {
	o := rateLimited(uniquePrefix(t), nil)
	a, b := newEnv(t, o), newEnv(t, o)
	// Each test server has its own clock, started from the wall clock: make
	// them agree, as NTP makes real instances agree.
	if d := b.clock.Now().Sub(a.clock.Now()); d > 0 {
		a.clock.Advance(d)
	} else {
		b.clock.Advance(-d)
	}
	instances := []*env{a, b, a, b}

	t.Run("per IP", func(t *testing.T) {
		attacker := fromIP("198.51.100.10")
		for i, e := range instances[:3] {
			// a new email each time: only the IP's bucket fills
			require.Equal(t, 401, e.wrongPassword(email(t), attacker).Status, "attempt %d", i+1)
		}
		requireTooMany(t, instances[3].wrongPassword(email(t), attacker), "100")
		requireTooMany(t, a.wrongPassword(email(t), attacker), "100")
		// the right password does not get through either: the limit comes first
		addr := email(t)
		b.signUp(addr, nil)
		r := a.do("POST", "/v1/signin/email-password", map[string]any{"email": addr, "password": password}, attacker)
		requireTooMany(t, r, "100")
		// other clients are not affected
		require.Equal(t, 401, b.wrongPassword(email(t), fromIP("198.51.100.11")).Status)
		// MFA codes and PATs are guesses too: the same bucket
		r = b.do("POST", "/v1/signin/pat", map[string]any{"personalAccessToken": "00000000-0000-4000-8000-000000000000"}, attacker)
		requireTooMany(t, r, "100")
		// routes outside the brute-force list are not limited by it
		require.Equal(t, 401, a.do("GET", "/v1/user", nil, attacker).Status)

		// one attempt comes back every interval/burst, on either instance
		a.clock.Advance(100 * time.Second)
		b.clock.Advance(100 * time.Second)
		require.Equal(t, 401, b.wrongPassword(email(t), attacker).Status)
		requireTooMany(t, a.wrongPassword(email(t), attacker), "100")
	})

	t.Run("per target email", func(t *testing.T) {
		victim := email(t)
		a.signUp(victim, nil)
		for i, e := range instances[:3] {
			// a new IP each time: only the account's failure count fills
			require.Equal(t, 401, e.wrongPassword(victim, fromIP(fmt.Sprintf("203.0.113.%d", i+1))).Status, "attempt %d", i+1)
		}
		// past the account's limit, the IPs that failed at it are refused, on either instance…
		requireTooMany(t, instances[3].wrongPassword(victim, fromIP("203.0.113.1")), "100")
		// (the address is the account: case and spaces do not make another bucket)
		requireTooMany(t, a.wrongPassword(strings.ToUpper(victim), fromIP("203.0.113.2")), "100")
		// …an IP that has not failed at it is not: that could be the owner
		require.Equal(t, 401, b.wrongPassword(victim, fromIP("203.0.113.50")).Status)
		requireTooMany(t, a.wrongPassword(victim, fromIP("203.0.113.50")), "100")
		// other accounts, from the same IP, are not affected
		require.Equal(t, 401, b.wrongPassword(email(t), fromIP("203.0.113.50")).Status)
	})
}

// Without Redis each instance counts on its own.
func TestBruteForceLimitInMemory(t *testing.T) {
	o := rateLimited("", nil)
	a, b := newEnv(t, o), newEnv(t, o)
	ip := fromIP("198.51.100.20")
	for range 3 {
		require.Equal(t, 401, a.wrongPassword(email(t), ip).Status)
	}
	requireTooMany(t, a.wrongPassword(email(t), ip), "100")
	require.Equal(t, 401, b.wrongPassword(email(t), ip).Status, "another instance has its own memory")

	// off by default
	off := newEnv(t, nil)
	for range 12 {
		require.Equal(t, 401, off.wrongPassword(email(t), ip).Status)
	}
}

// The client is the socket's address unless the socket is a trusted proxy;
// then X-Forwarded-For is read from the right up to the first untrusted hop.
func TestClientIPAndTrustedProxies(t *testing.T) {
	plain := newEnv(t, nil)
	proxied := newEnv(t, map[string]string{"AUTH_TRUSTED_PROXIES": "10.0.0.0/8, 192.168.1.1"})
	clientIP := regexp.MustCompile(`client_ip=(\S+)`)
	lastClientIP := func(e *env) string {
		m := clientIP.FindAllStringSubmatch(e.logs.String(), -1)
		require.NotEmpty(t, m)
		return m[len(m)-1][1]
	}
	xff := func(v string) header { return header{"X-Forwarded-For", v} }
	cases := []struct {
		name string
		e    *env
		from string
		xff  string
		want string
	}{
		{"no proxy configured: the header is ignored", plain, "198.51.100.7", "203.0.113.9", "198.51.100.7"},
		{"untrusted socket: the header is ignored", proxied, "198.51.100.7", "203.0.113.9", "198.51.100.7"},
		{"trusted proxy", proxied, "10.1.2.3", "203.0.113.9", "203.0.113.9"},
		{"client-written entries left of the real one", proxied, "10.1.2.3", "1.1.1.1, 6.6.6.6, 203.0.113.9", "203.0.113.9"},
		{"two trusted hops", proxied, "10.1.2.3", "6.6.6.6, 203.0.113.9, 192.168.1.1", "203.0.113.9"},
		{"garbage from the client", proxied, "10.1.2.3", "not-an-ip, 203.0.113.9", "203.0.113.9"},
		{"garbage as the last hop: the proxy is the client", proxied, "10.1.2.3", "203.0.113.9, bogus", "10.1.2.3"},
		{"IPv6", proxied, "10.1.2.3", "2001:db8::1", "2001:db8::1"},
	}
	for _, tc := range cases {
		r := tc.e.do("GET", "/v1/version", nil, fromIP(tc.from), xff(tc.xff))
		require.Equal(t, 200, r.Status)
		require.Equal(t, tc.want, lastClientIP(tc.e), tc.name)
	}

	// A proxy that adds its hop as a second header line.
	req := httptest.NewRequest("GET", "/v1/version", nil)
	req.RemoteAddr = "10.1.2.3:5555"
	req.Header.Add("X-Forwarded-For", "6.6.6.6")
	req.Header.Add("X-Forwarded-For", "203.0.113.9")
	proxied.srv.Router.ServeHTTP(httptest.NewRecorder(), req)
	require.Equal(t, "203.0.113.9", lastClientIP(proxied))

	// The limits key on that client: spoofed headers from an untrusted
	// socket all count against the socket.
	limited := newEnv(t, rateLimited("", map[string]string{"AUTH_TRUSTED_PROXIES": "10.0.0.0/8"}))
	for i := range 3 {
		require.Equal(t, 401, limited.wrongPassword(email(t), fromIP("198.51.100.30"), xff(fmt.Sprintf("203.0.113.%d", i))).Status)
	}
	requireTooMany(t, limited.wrongPassword(email(t), fromIP("198.51.100.30"), xff("203.0.113.99")), "100")
	// behind the trusted proxy, clients are told apart
	for i := range 3 {
		require.Equal(t, 401, limited.wrongPassword(email(t), fromIP("10.0.0.1"), xff("203.0.113.40")).Status, "attempt %d", i+1)
	}
	requireTooMany(t, limited.wrongPassword(email(t), fromIP("10.0.0.2"), xff("203.0.113.40")), "100")
	require.Equal(t, 401, limited.wrongPassword(email(t), fromIP("10.0.0.1"), xff("203.0.113.41")).Status)
}

// Bodies over AUTH_MAX_REQUEST_BODY_BYTES are refused on every route, with
// or without a declared length, before any work: 400 invalid-request, as
// the contract knows no 413.
func TestRequestBodyCap(t *testing.T) {
	e := newEnv(t, map[string]string{"AUTH_MAX_REQUEST_BODY_BYTES": "2048"})
	big := `{"email":"` + strings.Repeat("a", 4096) + `@example.com","password":"x"}`
	for _, path := range []string{"/v1/signin/email-password", "/v1/signup/email-password", "/v1/token", "/v1/signout", "/v1/version"} {
		r := e.do("POST", path, big)
		require.Equal(t, 400, r.Status, "%s, even a route that reads no body: %s", path, r.Body)
		require.Equal(t, "invalid-request", r.errorCode(t))
		require.Contains(t, string(r.Body), "larger than 2048 bytes")
	}
	// chunked: no Content-Length, the cap still holds
	req := httptest.NewRequest("POST", "/v1/signin/email-password", strings.NewReader(big))
	req.ContentLength = -1
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	e.srv.Router.ServeHTTP(rec, req)
	require.Equal(t, 400, rec.Code, "%s", rec.Body)
	require.Contains(t, rec.Body.String(), "larger than 2048 bytes")
	// rate limiting peeks at bodies: it must not lift the cap
	limited := newEnv(t, rateLimited("", map[string]string{"AUTH_MAX_REQUEST_BODY_BYTES": "2048"}))
	req = httptest.NewRequest("POST", "/v1/signin/email-password", strings.NewReader(big))
	req.ContentLength = -1
	req.Header.Set("Content-Type", "application/json")
	rec = httptest.NewRecorder()
	limited.srv.Router.ServeHTTP(rec, req)
	require.Equal(t, 400, rec.Code, "%s", rec.Body)
	require.Contains(t, rec.Body.String(), "larger than 2048 bytes")
}

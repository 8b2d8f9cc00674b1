package ratelimit

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// testRedisURL is the Redis every machine of ours runs (.ci/run starts it).
const testRedisURL = "redis://127.0.0.1:6379/0"

func newRedis(t *testing.T) *Redis {
	t.Helper()
	prefix := fmt.Sprintf("test:%s:%d:", t.Name(), time.Now().UnixNano()) // fresh keys per test
	s, err := NewRedis(testRedisURL, prefix, slog.New(slog.NewTextHandler(io.Discard, nil)))
	require.NoError(t, err)
	require.NoError(t, s.Ping(context.Background()), "Redis must run at 127.0.0.1:6379 (.ci/run starts it)")
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// testMemcacheServer is the memcached every machine of ours runs (.ci/run starts it).
const testMemcacheServer = "127.0.0.1:11211"

func newMemcache(t *testing.T) *Memcache {
	t.Helper()
	prefix := fmt.Sprintf("test:%d:%d:", len(t.Name()), time.Now().UnixNano()) // fresh keys per test
	s, err := NewMemcache(testMemcacheServer, prefix, slog.New(slog.NewTextHandler(io.Discard, nil)))
	require.NoError(t, err)
	require.NoError(t, s.Ping(context.Background()), "memcached must run at 127.0.0.1:11211 (.ci/run starts it)")
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// All stores implement the same bucket: Burst at once, then one every
// Interval/Burst, with Retry-After telling when.
func TestStoresAgree(t *testing.T) {
	for name, store := range map[string]Store{"memory": NewMemory(), "redis": newRedis(t), "memcached": newMemcache(t)} {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			r := Rule{Name: "bf", Burst: 3, Interval: 30 * time.Second} // one token per 10 s
			now := time.Unix(1_700_000_000, 0)
			for i := range 3 {
				ok, _, err := store.Take(ctx, r, "k", now)
				require.NoError(t, err)
				require.True(t, ok, "request %d is within the burst", i+1)
			}
			ok, retry, err := store.Peek(ctx, r, "k", now)
			require.NoError(t, err)
			require.False(t, ok, "Peek sees the empty bucket")
			require.Equal(t, 10*time.Second, retry)
			ok, _, err = store.Peek(ctx, r, "never-taken", now)
			require.NoError(t, err)
			require.True(t, ok)
			ok, retry, err = store.Take(ctx, r, "k", now)
			require.NoError(t, err)
			require.False(t, ok, "the request after the burst is refused")
			require.Equal(t, 10*time.Second, retry)

			// Refused requests do not push the refill further out.
			ok, retry, _ = store.Take(ctx, r, "k", now.Add(4*time.Second))
			require.False(t, ok)
			require.Equal(t, 6*time.Second, retry)

			ok, _, _ = store.Peek(ctx, r, "k", now.Add(10*time.Second))
			require.True(t, ok, "Peek sees the token back…")
			ok, _, _ = store.Take(ctx, r, "k", now.Add(10*time.Second))
			require.True(t, ok, "one token back after Interval/Burst (Peek took none)")
			ok, _, _ = store.Take(ctx, r, "k", now.Add(10*time.Second))
			require.False(t, ok)

			ok, _, _ = store.Take(ctx, r, "other", now)
			require.True(t, ok, "keys have their own buckets")
			ok, _, _ = store.Take(ctx, Rule{Name: "other-rule", Burst: 1, Interval: time.Minute}, "k", now)
			require.True(t, ok, "rules have their own buckets")
		})
	}
}

func TestMemoryForgetsIdleBuckets(t *testing.T) {
	m := NewMemory()
	r := Rule{Name: "g", Burst: 2, Interval: time.Minute}
	now := time.Unix(1_700_000_000, 0)
	for i := range 100 {
		_, _, _ = m.Take(context.Background(), r, fmt.Sprint(i), now)
	}
	require.Equal(t, 100, m.Len())
	_, _, _ = m.Take(context.Background(), r, "late", now.Add(2*time.Minute))
	require.Equal(t, 1, m.Len(), "refilled buckets are dropped; only the new one stays")
}

// With the shared store gone the limits still hold, per instance.
func TestSharedStoreDownFallsBackToMemory(t *testing.T) {
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	r, err := NewRedis("redis://127.0.0.1:1/0", "x:", quiet)
	require.NoError(t, err)
	m, err := NewMemcache("127.0.0.1:1", "x:", quiet)
	require.NoError(t, err)
	for name, s := range map[string]interface {
		Store
		SetOnError(func())
	}{"redis": r, "memcached": m} {
		t.Run(name, func(t *testing.T) {
			defer s.Close()
			fails := 0
			s.SetOnError(func() { fails++ })
			takeUntilRefused(t, s)
			require.Equal(t, 1, fails, "after a failure the store is left alone for a moment")
		})
	}
}

func takeUntilRefused(t *testing.T, s Store) {
	t.Helper()
	r := Rule{Name: "bf", Burst: 2, Interval: time.Minute}
	now := time.Now()
	for range 2 {
		ok, _, err := s.Take(context.Background(), r, "k", now)
		require.NoError(t, err)
		require.True(t, ok)
	}
	ok, retry, err := s.Take(context.Background(), r, "k", now)
	require.NoError(t, err)
	require.False(t, ok)
	require.Equal(t, 30*time.Second, retry)
}

// Instances sharing memcached count each other's requests exactly, however
// they interleave: compare-and-swap loses none.
func TestMemcacheConcurrentInstancesShareOneBucket(t *testing.T) {
	a := newMemcache(t)
	b, err := NewMemcache(testMemcacheServer, a.prefix, slog.New(slog.NewTextHandler(io.Discard, nil)))
	require.NoError(t, err)
	defer b.Close()
	r := Rule{Name: "g", Burst: 50, Interval: time.Hour}
	now := time.Now()
	var allowed atomic.Int64
	var wg sync.WaitGroup
	for i := range 8 {
		s := Store(a)
		if i%2 == 1 {
			s = b
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 20 {
				ok, _, err := s.Take(context.Background(), r, "hot", now)
				if err == nil && ok {
					allowed.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	require.LessOrEqual(t, allowed.Load(), int64(50), "never more than the burst across instances")
	require.GreaterOrEqual(t, allowed.Load(), int64(40), "contention refuses only a few beyond the burst's share")
}

// AUTH_RATE_LIMIT_EMAIL_IS_GLOBAL: one email bucket for every client.
func TestLimiterEmailGlobal(t *testing.T) {
	rules := Rules{
		Global: Rule{Burst: 100, Interval: time.Minute}, Email: Rule{Burst: 2, Interval: time.Hour},
		SMS: Rule{Burst: 2, Interval: time.Hour}, BruteForce: Rule{Burst: 3, Interval: 5 * time.Minute},
		Signups: Rule{Burst: 2, Interval: 5 * time.Minute},
	}
	now := time.Unix(1_700_000_000, 0)
	for global, wantRefused := range map[bool]bool{true: true, false: false} {
		rules.EmailGlobal = global
		l := New(NewMemory(), rules, func() time.Time { return now })
		var d *Denied
		for i := range 3 {
			d, _ = l.Check(context.Background(), Request{Class: Email, IP: netip.AddrFrom4([4]byte{198, 51, 100, byte(i)})})
		}
		require.Equal(t, wantRefused, d != nil, "global=%v: the third email request from a third IP", global)
		if d != nil {
			require.Equal(t, "email", d.Rule)
		}
	}
}

func TestLimiterRules(t *testing.T) {
	ip := netip.MustParseAddr("198.51.100.7")
	rules := Rules{
		Global:       Rule{Burst: 100, Interval: time.Minute},
		Email:        Rule{Burst: 2, Interval: time.Hour},
		SMS:          Rule{Burst: 2, Interval: time.Hour},
		BruteForce:   Rule{Burst: 3, Interval: 5 * time.Minute},
		Signups:      Rule{Burst: 2, Interval: 5 * time.Minute},
		OAuth2Server: Rule{Burst: 5, Interval: 5 * time.Minute},

		SignUpSendsEmail: true,
	}
	now := time.Unix(1_700_000_000, 0)
	clock := func() time.Time { return now }
	trips := func(l *Limiter, req Request) (int, string) {
		for i := 1; i <= 200; i++ {
			d, err := l.Check(context.Background(), req)
			require.NoError(t, err)
			if d != nil {
				return i, d.Rule
			}
		}
		return 0, ""
	}
	cases := []struct {
		name   string
		class  Class
		target string
		n      int
		rule   string
	}{
		{"sign-in", BruteForce, "", 4, "bruteforce"},
		{"sign-in, with a target", BruteForce, "a@example.com", 4, "bruteforce"},
		{"a code", BruteForce, "", 4, "bruteforce"},
		{"a global route", Global, "", 101, "global"},
		{"password reset", Email, "a@example.com", 3, "email"},
		{"magic link", Email, "", 3, "email"},
		{"sign-up mailing a verification link", SignUp | VerificationEmail, "", 3, "email"},
		{"SMS", SMS, "", 3, "sms"},
		{"sign-up", SignUp, "", 3, "signups"},
		{"an application's token request", OAuth2Server, "", 6, "oauth2-server"},
	}
	for _, tc := range cases {
		l := New(NewMemory(), rules, clock)
		n, rule := trips(l, Request{Class: tc.class, IP: ip, Target: tc.target})
		require.Equal(t, tc.n, n, tc.name)
		require.Equal(t, tc.rule, rule, tc.name)
	}

	// A verification link counts as email only when sign-ups must verify.
	noVerify := rules
	noVerify.SignUpSendsEmail = false
	n, rule := trips(New(NewMemory(), noVerify, clock), Request{Class: SignUp | VerificationEmail, IP: ip})
	require.Equal(t, 3, n)
	require.Equal(t, "signups", rule)

	// Per target email: attempts count per (account, IP); failures from
	// every IP together reach the account's limit, which then refuses the
	// IPs that failed and only challenges the others.
	l := New(NewMemory(), rules, clock)
	ctx := context.Background()
	for i := range 3 {
		req := Request{Class: BruteForce, IP: netip.AddrFrom4([4]byte{203, 0, 113, byte(i)}), Target: "Victim@Example.com "}
		d, err := l.Check(ctx, req)
		require.NoError(t, err)
		require.Nil(t, d)
		require.NoError(t, l.Failed(ctx, req))
	}
	d, _ := l.Check(ctx, Request{Class: BruteForce, IP: netip.MustParseAddr("203.0.113.99"), Target: "victim@example.com"})
	require.Equal(t, &Denied{Rule: AccountRule, RetryAfter: 100 * time.Second, Challenge: true, FailedHere: false}, d,
		"whatever the case of the address; an IP that has not failed may be let through")
	d, _ = l.Check(ctx, Request{Class: BruteForce, IP: netip.AddrFrom4([4]byte{203, 0, 113, 0}), Target: "victim@example.com"})
	require.Equal(t, &Denied{Rule: AccountRule, RetryAfter: 100 * time.Second, Challenge: true, FailedHere: true}, d)
	d, _ = l.Check(ctx, Request{Class: BruteForce, IP: netip.MustParseAddr("203.0.113.99"), Target: "other@example.com"})
	require.Nil(t, d)

	// Per target number: other IPs cannot keep texting one phone.
	l = New(NewMemory(), rules, clock)
	for i := range 2 {
		d, err := l.Check(context.Background(), Request{Class: SMS, IP: netip.AddrFrom4([4]byte{203, 0, 113, byte(i)}), Target: "+64211234567"})
		require.NoError(t, err)
		require.Nil(t, d)
	}
	d, _ = l.Check(context.Background(), Request{Class: SMS, IP: netip.MustParseAddr("203.0.113.99"), Target: "+64211234567"})
	require.NotNil(t, d, "the number's bucket is shared by every IP")
	require.Equal(t, "sms", d.Rule)
	d, _ = l.Check(context.Background(), Request{Class: SMS, IP: netip.MustParseAddr("203.0.113.99"), Target: "+64211234568"})
	require.Nil(t, d)

	// An IPv6 client is its /64.
	l = New(NewMemory(), rules, clock)
	for i := range 3 {
		d, _ := l.Check(context.Background(), Request{Class: BruteForce, IP: netip.MustParseAddr(fmt.Sprintf("2001:db8:1:2::%x", i+1))})
		require.Nil(t, d)
	}
	d, _ = l.Check(context.Background(), Request{Class: BruteForce, IP: netip.MustParseAddr("2001:db8:1:2:ffff::1")})
	require.NotNil(t, d)
	d, _ = l.Check(context.Background(), Request{Class: BruteForce, IP: netip.MustParseAddr("2001:db8:1:3::1")})
	require.Nil(t, d)
}

func TestRetryAfterSeconds(t *testing.T) {
	require.Equal(t, 1, RetryAfterSeconds(0))
	require.Equal(t, 1, RetryAfterSeconds(time.Millisecond))
	require.Equal(t, 30, RetryAfterSeconds(30*time.Second))
	require.Equal(t, 31, RetryAfterSeconds(30*time.Second+time.Microsecond))
}

// Package ratelimit counts requests per key in token buckets, in memory for
// one instance or in Redis for several, and decides which of hasura-auth's
// limits (global, email, SMS, brute force, sign-ups) a request counts against.
package ratelimit

import (
	"context"
	"math"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Rule is one limit: a bucket of Burst tokens, refilled at Burst per Interval.
type Rule struct {
	Name     string // names the bucket family in keys and metrics
	Burst    int
	Interval time.Duration
}

func (r Rule) every() time.Duration { return r.Interval / time.Duration(r.Burst) }

// Store takes one token from the bucket key of rule at now. When the bucket
// is empty nothing is taken and retryAfter says when a token will be there.
// Peek says the same without taking.
type Store interface {
	Take(ctx context.Context, r Rule, key string, now time.Time) (ok bool, retryAfter time.Duration, err error)
	Peek(ctx context.Context, r Rule, key string, now time.Time) (ok bool, retryAfter time.Duration, err error)
	Close() error
}

// Memory keeps buckets in this process (golang.org/x/time/rate).
type Memory struct {
	mu        sync.Mutex
	buckets   map[string]*rate.Limiter
	lastSweep time.Time
}

// NewMemory returns an empty in-memory store.
func NewMemory() *Memory { return &Memory{buckets: map[string]*rate.Limiter{}} }

// sweepEvery bounds how often full (idle) buckets are dropped; a full bucket
// is the same as a missing one, so dropping it forgets nothing.
const sweepEvery = time.Minute

// Take implements Store.
func (m *Memory) Take(_ context.Context, r Rule, key string, now time.Time) (bool, time.Duration, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if now.Sub(m.lastSweep) >= sweepEvery || now.Before(m.lastSweep) {
		m.sweep(now)
	}
	k := r.Name + "\x00" + key
	l, ok := m.buckets[k]
	if !ok {
		l = rate.NewLimiter(rate.Every(r.every()), r.Burst)
		m.buckets[k] = l
	}
	res := l.ReserveN(now, 1)
	if d := res.DelayFrom(now); !res.OK() || d > 0 {
		res.CancelAt(now) // a refused request does not use up the future
		// rate works in float seconds; round up to whole microseconds, as Redis does
		return false, (d + time.Microsecond - 1).Truncate(time.Microsecond), nil
	}
	return true, 0, nil
}

// Peek implements Store.
func (m *Memory) Peek(_ context.Context, r Rule, key string, now time.Time) (bool, time.Duration, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	l, ok := m.buckets[r.Name+"\x00"+key]
	if !ok {
		return true, 0, nil
	}
	if t := l.TokensAt(now); t < 1-1e-9 {
		d := time.Duration((1 - t) * float64(r.every()))
		return false, (d + time.Microsecond - 1).Truncate(time.Microsecond), nil
	}
	return true, 0, nil
}

func (m *Memory) sweep(now time.Time) {
	m.lastSweep = now
	for k, l := range m.buckets {
		if l.TokensAt(now) >= float64(l.Burst())-1e-9 {
			delete(m.buckets, k)
		}
	}
}

// Len is the number of buckets held (tests).
func (m *Memory) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.buckets)
}

// Close implements Store.
func (m *Memory) Close() error { return nil }

// RetryAfterSeconds is the Retry-After value for d: whole seconds, rounded
// up, at least 1 (0 would invite an immediate retry).
func RetryAfterSeconds(d time.Duration) int {
	s := int(math.Ceil(d.Seconds()))
	if s < 1 {
		return 1
	}
	return s
}

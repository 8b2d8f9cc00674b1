package ratelimit

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"
)

// gcraStep is one decision of the generic cell rate algorithm: the token
// bucket written as one timestamp per key, the theoretical arrival time (TAT)
// of the next request. A request is allowed while TAT - (burst-1)*every <= now;
// allowing it moves TAT on by every. Times are microseconds of the caller's
// clock. The shared stores (Redis, memcached) keep TAT under the bucket's key.
func gcraStep(tat, now, every, burst int64) (next int64, retryAfter int64) {
	if tat < now {
		tat = now
	}
	if allowAt := tat + every - burst*every; allowAt > now {
		return tat, allowAt - now
	}
	return tat + every, 0
}

// sharedFallback is what a shared store does when its server fails: limits
// are kept per instance, in memory, so an outage weakens them instead of
// turning them off or failing every request; the server is left alone for a
// moment, so one that hangs costs one timeout, not one per request.
type sharedFallback struct {
	what     string // "Redis", "memcached": for the log line
	fallback *Memory
	log      *slog.Logger
	lastWarn atomic.Int64 // unix seconds of the last warning
	// downUntil (unix nanoseconds, wall clock): bypass the server until then.
	downUntil atomic.Int64
	OnError   func() // counts fallbacks (metrics); may be nil
}

// retrySharedAfter is how long a failed shared store is bypassed.
const retrySharedAfter = 2 * time.Second

func newSharedFallback(what string, log *slog.Logger) sharedFallback {
	return sharedFallback{what: what, fallback: NewMemory(), log: log}
}

// SetOnError sets what counts fallbacks (metrics).
func (f *sharedFallback) SetOnError(fn func()) { f.OnError = fn }

// bypassed says whether the server is being left alone after a failure.
func (f *sharedFallback) bypassed() bool { return time.Now().UnixNano() < f.downUntil.Load() }

// gcraPeek is gcraStep's decision without the step.
func gcraPeek(tat, now, every, burst int64) (retryAfter int64) {
	_, retry := gcraStep(tat, now, every, burst)
	return retry
}

// failedPeek is failed for Peek.
func (f *sharedFallback) failedPeek(ctx context.Context, err error, r Rule, key string, now time.Time) (bool, time.Duration, error) {
	f.noteFailure(err)
	return f.fallback.Peek(ctx, r, key, now)
}

// failed records err and answers from memory instead.
func (f *sharedFallback) failed(ctx context.Context, err error, r Rule, key string, now time.Time) (bool, time.Duration, error) {
	f.noteFailure(err)
	return f.fallback.Take(ctx, r, key, now)
}

// noteFailure leaves the server alone for a moment, counts and warns.
func (f *sharedFallback) noteFailure(err error) {
	f.downUntil.Store(time.Now().Add(retrySharedAfter).UnixNano())
	if f.OnError != nil {
		f.OnError()
	}
	if t, last := time.Now().Unix(), f.lastWarn.Load(); t-last >= 60 && f.lastWarn.CompareAndSwap(last, t) {
		f.log.Warn("rate limit store unreachable: limiting per instance until "+f.what+" answers", "error", err.Error())
	}
}

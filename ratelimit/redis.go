package ratelimit

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// gcra is the generic cell rate algorithm, the token bucket above written as
// one timestamp per key: the theoretical arrival time (TAT) of the next
// request. A request is allowed while TAT - (burst-1)*every <= now. It runs
// as one script, so instances sharing Redis never race on a key. Times are
// microseconds from the caller's clock (the server's, injectable in tests).
var gcra = redis.NewScript(`
local now = tonumber(ARGV[1])
local every = tonumber(ARGV[2])
local burst = tonumber(ARGV[3])
local tat = tonumber(redis.call('GET', KEYS[1]) or ARGV[1])
if tat < now then tat = now end
local allow_at = tat + every - burst * every
if allow_at > now then
  return allow_at - now
end
redis.call('SET', KEYS[1], tat + every, 'PX', math.ceil((tat + every - now) / 1000))
return 0
`)

// Redis keeps buckets in Redis, shared by every instance using the same
// prefix. When Redis fails it falls back to in-memory buckets, so an outage
// of Redis weakens the limits to per instance instead of turning them off or
// failing every request.
type Redis struct {
	client   *redis.Client
	prefix   string
	fallback *Memory
	log      *slog.Logger
	lastWarn atomic.Int64 // unix seconds of the last "Redis failed" warning
	// downUntil (unix nanoseconds, wall clock): after a failure Redis is left
	// alone for a moment, so a Redis that hangs costs one timeout, not one per request.
	downUntil atomic.Int64
	OnError   func() // counts fallbacks (metrics); may be nil
}

// retryRedisAfter is how long a failed Redis is bypassed.
const retryRedisAfter = 2 * time.Second

var quietRedis sync.Once

// NewRedis connects lazily to url; every key starts with prefix.
func NewRedis(url, prefix string, log *slog.Logger) (*Redis, error) {
	opt, err := redis.ParseURL(url)
	if err != nil {
		return nil, fmt.Errorf("AUTH_RATE_LIMIT_REDIS_URL: %w", err)
	}
	// A limiter must not become the slow part of every request.
	opt.DialTimeout = 500 * time.Millisecond
	opt.ReadTimeout = 250 * time.Millisecond
	opt.WriteTimeout = 250 * time.Millisecond
	opt.MaxRetries = 1
	opt.DialerRetries = 1
	quietRedis.Do(func() {
		// go-redis logs dial failures on its own; ours says it once a minute.
		redis.SetLogger(discardLogger{})
	})
	return &Redis{client: redis.NewClient(opt), prefix: prefix, fallback: NewMemory(), log: log}, nil
}

// Ping checks that Redis answers (start-up warning only).
func (s *Redis) Ping(ctx context.Context) error { return s.client.Ping(ctx).Err() }

// Take implements Store.
func (s *Redis) Take(ctx context.Context, r Rule, key string, now time.Time) (bool, time.Duration, error) {
	if time.Now().UnixNano() < s.downUntil.Load() {
		return s.fallback.Take(ctx, r, key, now)
	}
	res, err := gcra.Run(ctx, s.client, []string{s.prefix + r.Name + ":" + key},
		now.UnixMicro(), max(r.every().Microseconds(), 1), r.Burst).Int64()
	if err != nil {
		s.downUntil.Store(time.Now().Add(retryRedisAfter).UnixNano())
		if s.OnError != nil {
			s.OnError()
		}
		if t, last := time.Now().Unix(), s.lastWarn.Load(); t-last >= 60 && s.lastWarn.CompareAndSwap(last, t) {
			s.log.Warn("rate limit store unreachable: limiting per instance until Redis answers", "error", err.Error())
		}
		return s.fallback.Take(ctx, r, key, now)
	}
	if res > 0 {
		return false, time.Duration(res) * time.Microsecond, nil
	}
	return true, 0, nil
}

// Close implements Store.
func (s *Redis) Close() error { return s.client.Close() }

type discardLogger struct{}

func (discardLogger) Printf(context.Context, string, ...any) {}

package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// gcra is gcraStep (shared.go) as one script, so instances sharing Redis
// never race on a key.
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
// prefix; when Redis fails, limits hold per instance (sharedFallback).
type Redis struct {
	sharedFallback
	client *redis.Client
	prefix string
}

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
	return &Redis{sharedFallback: newSharedFallback("Redis", log), client: redis.NewClient(opt), prefix: prefix}, nil
}

// Ping checks that Redis answers (start-up warning only).
func (s *Redis) Ping(ctx context.Context) error { return s.client.Ping(ctx).Err() }

// Take implements Store.
func (s *Redis) Take(ctx context.Context, r Rule, key string, now time.Time) (bool, time.Duration, error) {
	if s.bypassed() {
		return s.fallback.Take(ctx, r, key, now)
	}
	res, err := gcra.Run(ctx, s.client, []string{s.prefix + r.Name + ":" + key},
		now.UnixMicro(), max(r.every().Microseconds(), 1), r.Burst).Int64()
	if err != nil {
		return s.failed(ctx, err, r, key, now)
	}
	if res > 0 {
		return false, time.Duration(res) * time.Microsecond, nil
	}
	return true, 0, nil
}

// Peek implements Store.
func (s *Redis) Peek(ctx context.Context, r Rule, key string, now time.Time) (bool, time.Duration, error) {
	if s.bypassed() {
		return s.fallback.Peek(ctx, r, key, now)
	}
	tat, err := s.client.Get(ctx, s.prefix+r.Name+":"+key).Int64()
	switch {
	case errors.Is(err, redis.Nil):
		return true, 0, nil
	case err != nil:
		return s.failedPeek(ctx, err, r, key, now)
	}
	if retry := gcraPeek(tat, now.UnixMicro(), max(r.every().Microseconds(), 1), int64(r.Burst)); retry > 0 {
		return false, time.Duration(retry) * time.Microsecond, nil
	}
	return true, 0, nil
}

// Close implements Store.
func (s *Redis) Close() error { return s.client.Close() }

type discardLogger struct{}

func (discardLogger) Printf(context.Context, string, ...any) {}

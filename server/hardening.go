package server

import (
	"context"
	"fmt"

	"gorm.io/gorm"

	"github.com/hasura-auth-go/auth/config"
	"github.com/hasura-auth-go/auth/metrics"
	"github.com/hasura-auth-go/auth/ratelimit"
)

// newHardening builds what /metrics publishes and, when AUTH_RATE_LIMIT_ENABLE
// is on, the rate limiter: in Redis (AUTH_RATE_LIMIT_REDIS_URL) or memcached
// (AUTH_RATE_LIMIT_MEMCACHE_SERVER) shared by every instance, else in memory.
func newHardening(ctx context.Context, cfg *config.Config, db *gorm.DB, o Options) (*metrics.Metrics, *ratelimit.Limiter, error) {
	sqlDB, err := db.DB()
	if err != nil {
		return nil, nil, fmt.Errorf("metrics: %w", err)
	}
	m := metrics.New(sqlDB)
	rl := cfg.RateLimit
	if !rl.Enabled {
		return m, nil, nil
	}
	var store ratelimit.Store = ratelimit.NewMemory()
	if rl.MemcacheServer != "" {
		mc, err := ratelimit.NewMemcache(rl.MemcacheServer, rl.MemcachePrefix, o.Log)
		if err != nil {
			return nil, nil, err
		}
		mc.OnError = m.RateLimitStoreError
		if err := mc.Ping(ctx); err != nil {
			// Not fatal: limits hold per instance until memcached answers.
			o.Log.Warn("rate limit memcached unreachable at start: limiting per instance until it answers", "error", err.Error())
		}
		store = mc
	}
	if rl.RedisURL != "" {
		r, err := ratelimit.NewRedis(rl.RedisURL, rl.RedisPrefix, o.Log)
		if err != nil {
			return nil, nil, err
		}
		r.OnError = m.RateLimitStoreError
		if err := r.Ping(ctx); err != nil {
			// Not fatal: limits hold per instance until Redis answers.
			o.Log.Warn("rate limit Redis unreachable at start: limiting per instance until it answers", "error", err.Error())
		}
		store = r
	}
	rule := func(l config.RateLimit) ratelimit.Rule {
		return ratelimit.Rule{Burst: l.Burst, Interval: l.Interval}
	}
	return m, ratelimit.New(store, ratelimit.Rules{
		Global: rule(rl.Global), Email: rule(rl.Email), SMS: rule(rl.SMS),
		BruteForce: rule(rl.BruteForce), Signups: rule(rl.Signups),
		SignUpSendsEmail: cfg.EmailVerifiedRequired, EmailGlobal: rl.EmailIsGlobal,
	}, o.Now), nil
}

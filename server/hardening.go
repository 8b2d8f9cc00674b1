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
	switch {
	case rl.MemcacheServer != "":
		mc, err := ratelimit.NewMemcache(rl.MemcacheServer, rl.MemcachePrefix, o.Log)
		if err != nil {
			return nil, nil, err
		}
		store = sharedStore(ctx, mc, "memcached", m, o)
	case rl.RedisURL != "":
		r, err := ratelimit.NewRedis(rl.RedisURL, rl.RedisPrefix, o.Log)
		if err != nil {
			return nil, nil, err
		}
		store = sharedStore(ctx, r, "Redis", m, o)
	}
	rule := func(l config.RateLimit) ratelimit.Rule {
		return ratelimit.Rule{Burst: l.Burst, Interval: l.Interval}
	}
	return m, ratelimit.New(store, ratelimit.Rules{
		Global: rule(rl.Global), Email: rule(rl.Email), SMS: rule(rl.SMS),
		BruteForce: rule(rl.BruteForce), Signups: rule(rl.Signups), OAuth2Server: rule(rl.OAuth2Server),
		SignUpSendsEmail: cfg.EmailVerifiedRequired, EmailGlobal: rl.EmailIsGlobal,
	}, o.Now), nil
}

// sharedStore counts the store's fallbacks in /metrics and says at start
// when it does not answer; that is not fatal: limits hold per instance
// until it does.
func sharedStore(ctx context.Context, s interface {
	ratelimit.Store
	Ping(context.Context) error
	SetOnError(func())
}, what string, m *metrics.Metrics, o Options) ratelimit.Store {
	s.SetOnError(m.RateLimitStoreError)
	if err := s.Ping(ctx); err != nil {
		o.Log.Warn("rate limit "+what+" unreachable at start: limiting per instance until it answers", "error", err.Error())
	}
	return s
}

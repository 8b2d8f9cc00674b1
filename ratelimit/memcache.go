package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/bradfitz/gomemcache/memcache"
)

// Memcache keeps buckets in memcached (AUTH_RATE_LIMIT_MEMCACHE_SERVER, how
// nhost shares limits), shared by every instance using the same prefix. Each
// bucket is its GCRA timestamp, updated with memcached's compare-and-swap so
// that instances never lose each other's requests; when memcached fails,
// limits hold per instance (sharedFallback).
type Memcache struct {
	sharedFallback
	client *memcache.Client
	prefix string
}

// casAttempts bounds the compare-and-swap retries of one request on a
// contended key; past it the request is refused.
const casAttempts = 8

// NewMemcache connects lazily to servers (host:port, comma-separated); every
// key starts with prefix.
func NewMemcache(servers, prefix string, log *slog.Logger) (*Memcache, error) {
	var addrs []string
	for _, s := range strings.Split(servers, ",") {
		if s = strings.TrimSpace(s); s != "" {
			addrs = append(addrs, s)
		}
	}
	sl := new(memcache.ServerList)
	if err := sl.SetServers(addrs...); err != nil {
		return nil, fmt.Errorf("AUTH_RATE_LIMIT_MEMCACHE_SERVER: %w", err)
	}
	c := memcache.NewFromSelector(sl)
	// A limiter must not become the slow part of every request.
	c.Timeout = 250 * time.Millisecond
	c.MaxIdleConns = 64
	return &Memcache{sharedFallback: newSharedFallback("memcached", log), client: c, prefix: prefix}, nil
}

// Ping checks that memcached answers (start-up warning only).
func (s *Memcache) Ping(context.Context) error { return s.client.Ping() }

// Take implements Store.
func (s *Memcache) Take(ctx context.Context, r Rule, key string, now time.Time) (bool, time.Duration, error) {
	if s.bypassed() {
		return s.fallback.Take(ctx, r, key, now)
	}
	k := s.prefix + r.Name + ":" + key
	nowUs, every := now.UnixMicro(), max(r.every().Microseconds(), 1)
	for range casAttempts {
		item, err := s.client.Get(k)
		tat := nowUs
		switch {
		case errors.Is(err, memcache.ErrCacheMiss):
			item = nil
		case err != nil:
			return s.failed(ctx, err, r, key, now)
		default:
			if tat, err = strconv.ParseInt(string(item.Value), 10, 64); err != nil {
				// Not ours (another writer under our prefix): start the bucket afresh.
				tat = nowUs
			}
		}
		next, retry := gcraStep(tat, nowUs, every, int64(r.Burst))
		if retry > 0 {
			return false, time.Duration(retry) * time.Microsecond, nil
		}
		// The bucket is full again once TAT has passed: keep it no longer.
		ttl := int32((next-nowUs+999_999)/1_000_000) + 1
		fresh := &memcache.Item{Key: k, Value: []byte(strconv.FormatInt(next, 10)), Expiration: ttl}
		if item == nil {
			err = s.client.Add(fresh)
		} else {
			fresh.CasID = item.CasID
			err = s.client.CompareAndSwap(fresh)
		}
		switch {
		case err == nil:
			return true, 0, nil
		case errors.Is(err, memcache.ErrNotStored), errors.Is(err, memcache.ErrCASConflict), errors.Is(err, memcache.ErrCacheMiss):
			continue // another instance wrote first: decide again on its value
		default:
			return s.failed(ctx, err, r, key, now)
		}
	}
	// Every attempt lost to another writer: the key is hot, so the limit is
	// being hit hard; refuse rather than count from memory.
	return false, time.Duration(every) * time.Microsecond, nil
}

// Peek implements Store.
func (s *Memcache) Peek(ctx context.Context, r Rule, key string, now time.Time) (bool, time.Duration, error) {
	if s.bypassed() {
		return s.fallback.Peek(ctx, r, key, now)
	}
	item, err := s.client.Get(s.prefix + r.Name + ":" + key)
	switch {
	case errors.Is(err, memcache.ErrCacheMiss):
		return true, 0, nil
	case err != nil:
		return s.failedPeek(ctx, err, r, key, now)
	}
	tat, err := strconv.ParseInt(string(item.Value), 10, 64)
	if err != nil {
		return true, 0, nil // not ours: Take starts it afresh
	}
	if retry := gcraPeek(tat, now.UnixMicro(), max(r.every().Microseconds(), 1), int64(r.Burst)); retry > 0 {
		return false, time.Duration(retry) * time.Microsecond, nil
	}
	return true, 0, nil
}

// Close implements Store.
func (s *Memcache) Close() error { return s.client.Close() }

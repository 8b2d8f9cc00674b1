// Package usercache holds per-user answers that this instance may give
// without a database round trip, kept exact by the database's change
// notifications (session.Service's LISTEN connection feeds every cache).
//
// A cache answers only while that connection is up: every change committed
// anywhere (this instance, another, Hasura, psql) reaches it as a Forget.
// A change announced while a miss is being read invalidates that read (the
// generation moves), so a stale answer is never stored.
package usercache

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
)

// Cache maps user ids to values of type V. Values are shared between
// readers: callers must treat them as immutable.
type Cache[V any] struct {
	live atomic.Bool
	gen  atomic.Uint64

	max     int
	holdFor time.Duration

	mu   sync.RWMutex
	m    map[uuid.UUID]V
	held map[uuid.UUID]time.Time // changed here; not cached until its notification (or this time)
}

// New returns a cache of at most max entries (past it, it starts again
// empty) whose holds last at most holdFor. It answers nothing until Reset(true).
func New[V any](max int, holdFor time.Duration) *Cache[V] {
	return &Cache[V]{max: max, holdFor: holdFor, m: map[uuid.UUID]V{}, held: map[uuid.UUID]time.Time{}}
}

// Get returns the cached value for id.
func (c *Cache[V]) Get(id uuid.UUID) (V, bool) {
	var zero V
	if !c.live.Load() {
		return zero, false
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	if until, ok := c.held[id]; ok && time.Now().Before(until) {
		return zero, false
	}
	v, ok := c.m[id]
	return v, ok
}

// Gen is the generation to pass to Put for a value read from now on.
func (c *Cache[V]) Gen() uint64 { return c.gen.Load() }

// Put stores what was read while the generation was gen; it does nothing
// if anything changed since.
func (c *Cache[V]) Put(id uuid.UUID, v V, gen uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.live.Load() || c.gen.Load() != gen {
		return
	}
	if until, ok := c.held[id]; ok {
		if time.Now().Before(until) {
			return
		}
		delete(c.held, id)
	}
	if len(c.m) >= c.max {
		c.m = map[uuid.UUID]V{}
	}
	if len(c.held) >= c.max {
		c.held = map[uuid.UUID]time.Time{}
	}
	c.m[id] = v
}

// Hold is for a change made on this instance, called before it commits: the
// user's entry is read from the database until the change's own
// notification arrives (or holdFor passes), so this instance never answers
// from before its own write.
func (c *Cache[V]) Hold(id uuid.UUID) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen.Add(1)
	delete(c.m, id)
	c.held[id] = time.Now().Add(c.holdFor)
}

// Forget handles a notification: a change of the user has committed.
func (c *Cache[V]) Forget(id uuid.UUID) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen.Add(1)
	delete(c.m, id)
	delete(c.held, id)
}

// Clear drops every entry and keeps caching: for a change committed here
// whose users are not known one by one.
func (c *Cache[V]) Clear() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen.Add(1)
	c.m = map[uuid.UUID]V{}
}

// Reset drops everything, as after missed notifications; live says whether
// notifications flow (caching on) or not (every answer from the database).
func (c *Cache[V]) Reset(live bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen.Add(1)
	c.m = map[uuid.UUID]V{}
	c.held = map[uuid.UUID]time.Time{}
	c.live.Store(live)
}

// Live reports whether the cache answers (notifications flow).
func (c *Cache[V]) Live() bool { return c.live.Load() }

// Len is the number of cached entries.
func (c *Cache[V]) Len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.m)
}

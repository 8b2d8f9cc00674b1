package session

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// epochChannel is where the triggers of migration 0008 announce a user whose
// sessions epoch changed or who was deleted.
const epochChannel = "auth_sessions_epoch"

// maxEpochEntries bounds the cache; past it, it starts again empty.
const maxEpochEntries = 200_000

// epochEntry is what the database said about a user's access tokens.
type epochEntry struct {
	exists        bool
	revokedBefore time.Time // zero: never revoked
}

// epochCache spares Bearer requests their database round trip. It is used
// only while a LISTEN connection is up, so every change made anywhere
// reaches it on commit; when that connection is down, checks go to the
// database. A change announced while a miss is being read invalidates that
// read (gen), so a stale answer is never stored.
type epochCache struct {
	live atomic.Bool
	gen  atomic.Uint64

	mu   sync.RWMutex
	m    map[uuid.UUID]epochEntry
	held map[uuid.UUID]time.Time // changed here; not cached until its notification (or this time)
}

// holdFor bounds how long a local change waits for its notification.
const holdFor = 5 * time.Second

func newEpochCache() *epochCache {
	return &epochCache{m: map[uuid.UUID]epochEntry{}, held: map[uuid.UUID]time.Time{}}
}

func (c *epochCache) get(id uuid.UUID) (epochEntry, bool) {
	if !c.live.Load() {
		return epochEntry{}, false
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	if until, ok := c.held[id]; ok && time.Now().Before(until) {
		return epochEntry{}, false
	}
	e, ok := c.m[id]
	return e, ok
}

// hold is called by a change made on this instance, before it commits: the
// user's entry is read from the database until the change's own notification
// arrives, so this instance never answers from before its own write.
func (c *epochCache) hold(id uuid.UUID) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen.Add(1)
	delete(c.m, id)
	c.held[id] = time.Now().Add(holdFor)
}

// put stores what was read while the generation was gen.
func (c *epochCache) put(id uuid.UUID, e epochEntry, gen uint64) {
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
	if len(c.m) >= maxEpochEntries {
		c.m = map[uuid.UUID]epochEntry{}
	}
	if len(c.held) >= maxEpochEntries {
		c.held = map[uuid.UUID]time.Time{}
	}
	c.m[id] = e
}

// forget handles a notification: the change has committed.
func (c *epochCache) forget(id uuid.UUID) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen.Add(1)
	delete(c.m, id)
	delete(c.held, id)
}

// reset drops everything, as after missed notifications.
func (c *epochCache) reset(live bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen.Add(1)
	c.m = map[uuid.UUID]epochEntry{}
	c.held = map[uuid.UUID]time.Time{}
	c.live.Store(live)
}

// StartEpochListener keeps a LISTEN connection to dbURL and feeds the cache
// until ctx ends or the returned stop is called. Reconnects back off up to 10 s.
func (s *Service) StartEpochListener(ctx context.Context, dbURL string) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		backoff := 100 * time.Millisecond
		for ctx.Err() == nil {
			err := s.listen(ctx, dbURL)
			s.epochs.reset(false)
			if ctx.Err() != nil {
				return
			}
			s.log.Warn("sessions epoch listener disconnected; checking the database on every request until it is back",
				"error", err, "retry_in", backoff.String())
			select {
			case <-ctx.Done():
				return
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, 10*time.Second)
		}
	}()
	return func() { cancel(); <-done }
}

// heartbeatEvery is how often an instance sends itself a notification
// through the ordinary pool; a listener that stops receiving its own
// heartbeats (a proxy that drops LISTEN, a half-open connection) is treated
// as down, so the cache cannot silently miss revocations.
const heartbeatEvery = 10 * time.Second

func (s *Service) listen(ctx context.Context, dbURL string) error {
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "LISTEN "+epochChannel); err != nil {
		return err
	}
	sqlDB, err := s.db.DB()
	if err != nil {
		return err
	}
	beat := "heartbeat:" + uuid.NewString()
	ping := func() error {
		_, err := sqlDB.ExecContext(ctx, "SELECT pg_notify($1, $2)", epochChannel, beat)
		return err
	}
	if err := ping(); err != nil {
		return err
	}
	lastBeat, lastPing := time.Time{}, time.Now()
	for {
		if time.Since(lastPing) >= heartbeatEvery {
			if err := ping(); err != nil {
				return err
			}
			lastPing = time.Now()
		}
		if !lastBeat.IsZero() && time.Since(lastBeat) > 3*heartbeatEvery {
			return errors.New("no heartbeat received on the LISTEN connection")
		}
		wait, cancel := context.WithTimeout(ctx, heartbeatEvery)
		n, err := conn.WaitForNotification(wait)
		cancel()
		if err != nil {
			if ctx.Err() == nil && (errors.Is(err, context.DeadlineExceeded) || pgconn.Timeout(err)) {
				continue
			}
			return err
		}
		switch {
		case n.Payload == beat:
			if lastBeat.IsZero() {
				s.epochs.reset(true) // notifications proven to flow: start caching
			}
			lastBeat = time.Now()
			continue
		case strings.HasPrefix(n.Payload, "heartbeat:"):
			continue // another instance's
		}
		id, err := uuid.Parse(n.Payload)
		if err != nil {
			s.epochs.reset(true)
			continue
		}
		s.epochs.forget(id)
	}
}

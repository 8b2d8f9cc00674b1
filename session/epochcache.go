package session

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/hasura-auth-go/auth/usercache"
)

// epochChannel is where the triggers of migrations 0008 and 0009 announce a
// user whose sessions epoch, row or roles changed, or who was deleted.
const epochChannel = "auth_sessions_epoch"

// maxEpochEntries bounds the cache; past it, it starts again empty.
const maxEpochEntries = 200_000

// epochEntry is what the database said about a user's access tokens.
type epochEntry struct {
	exists        bool
	disabled      bool
	revokedBefore time.Time // zero: never revoked
}

// holdFor bounds how long a local change waits for its notification.
const holdFor = 5 * time.Second

// epochCache spares Bearer requests their database round trip (epoch.go).
type epochCache = usercache.Cache[epochEntry]

func newEpochCache() *epochCache { return usercache.New[epochEntry](maxEpochEntries, holdFor) }

// Subscriber is a cache fed by the same notifications as the epoch cache
// (account's profile cache): Forget when a user changed, Reset when
// notifications may have been missed (live: whether they flow again).
type Subscriber interface {
	Forget(id uuid.UUID)
	Reset(live bool)
}

// Subscribe adds a cache to feed; call it before StartEpochListener.
func (s *Service) Subscribe(sub Subscriber) { s.subscribers = append(s.subscribers, sub) }

// NotificationsLive reports whether the LISTEN connection has proved that
// changes reach this instance, so that its caches answer.
func (s *Service) NotificationsLive() bool { return s.epochs.Live() }

func (s *Service) forget(id uuid.UUID) {
	for _, sub := range s.subscribers {
		sub.Forget(id)
	}
}

func (s *Service) reset(live bool) {
	for _, sub := range s.subscribers {
		sub.Reset(live)
	}
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
			s.reset(false)
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
				s.reset(true) // notifications proven to flow: start caching
			}
			lastBeat = time.Now()
			continue
		case strings.HasPrefix(n.Payload, "heartbeat:"):
			continue // another instance's
		}
		id, err := uuid.Parse(n.Payload)
		if err != nil {
			s.reset(true)
			continue
		}
		s.forget(id)
	}
}

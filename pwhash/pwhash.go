// Package pwhash runs the server's bcrypt work (passwords, one-time codes,
// client secrets) through one gate that admits callers in arrival order,
// as many at a time as Go runs goroutines in parallel (GOMAXPROCS).
//
// Without it, under more sign-ins than the cores can hash, every request
// hashes at once and Go's scheduler time-slices them all: each waits behind
// dozens of runnable hashes, and so does every other goroutine, including
// the ones holding a transaction open between two round trips to
// PostgreSQL. A trace of 32 workers signing in as one user showed the tail
// there: the slowest requests spent seconds waiting for PostgreSQL to
// answer while another sign-in's transaction held the user's row, its
// goroutine runnable but not running (BENCHMARKS.md, "Sign-in fairness").
// With the gate at most GOMAXPROCS hashes are runnable, the rest wait their
// turn in order, and the rest of the server keeps its latency.
package pwhash

import (
	"context"
	"runtime"
	"sync"

	"golang.org/x/crypto/bcrypt"
)

// fifo is a counting semaphore that admits waiters strictly in the order
// they came (a freed slot is handed to the oldest waiter, never to a newer
// caller that happens to run first).
type fifo struct {
	mu    sync.Mutex
	free  int
	queue []chan struct{} // closed when its waiter is handed a slot
}

func newFIFO(n int) *fifo { return &fifo{free: n} }

func (g *fifo) acquire(ctx context.Context) error {
	g.mu.Lock()
	if g.free > 0 && len(g.queue) == 0 {
		g.free--
		g.mu.Unlock()
		return nil
	}
	turn := make(chan struct{})
	g.queue = append(g.queue, turn)
	g.mu.Unlock()
	select {
	case <-turn:
		return nil
	case <-ctx.Done():
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	select {
	case <-turn: // handed a slot meanwhile: pass it on
		g.releaseLocked()
	default:
		for i, c := range g.queue {
			if c == turn {
				g.queue = append(g.queue[:i], g.queue[i+1:]...)
				break
			}
		}
	}
	return ctx.Err()
}

func (g *fifo) release() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.releaseLocked()
}

func (g *fifo) releaseLocked() {
	if len(g.queue) == 0 {
		g.free++
		return
	}
	close(g.queue[0])
	g.queue[0] = nil
	g.queue = g.queue[1:]
}

// waiting is how many callers wait for a slot (tests).
func (g *fifo) waiting() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.queue)
}

var (
	gateOnce sync.Once
	gate     *fifo
)

func acquire(ctx context.Context) error {
	gateOnce.Do(func() { gate = newFIFO(runtime.GOMAXPROCS(0)) })
	return gate.acquire(ctx)
}

func release() { gate.release() }

// Compare reports whether secret is the one hash was made from (bcrypt,
// constant time). err is set only when ctx ended while waiting for a turn.
func Compare(ctx context.Context, hash, secret []byte) (bool, error) {
	if err := acquire(ctx); err != nil {
		return false, err
	}
	defer release()
	return bcrypt.CompareHashAndPassword(hash, secret) == nil, nil
}

// Generate hashes secret with bcrypt at cost.
func Generate(ctx context.Context, secret []byte, cost int) ([]byte, error) {
	if err := acquire(ctx); err != nil {
		return nil, err
	}
	defer release()
	return bcrypt.GenerateFromPassword(secret, cost)
}

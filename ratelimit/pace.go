package ratelimit

import (
	"math"
	"sync"
	"time"
)

// Pacer evens out how long a route takes to answer, so that its duration
// does not tell whether an account exists (password reset and magic link
// answer "OK" either way, but only for a real account do they write a ticket
// and send a mail). Each answer is held until the route's recent slowest
// answer: the slowest of the current minute, or of earlier minutes decaying
// by a tenth a minute, so a quiet spell does not quickly bring back the
// fast answers an attacker would compare against. Work that takes longer
// than the ceiling still shows; keep the slow part (mail) fast or queued.
type Pacer struct {
	mu      sync.Mutex
	routes  map[string]*paceWindow
	window  time.Duration
	ceiling time.Duration
}

type paceWindow struct {
	start  time.Time
	max    time.Duration // slowest answer in the current window
	target time.Duration // carried over from earlier windows, decaying
}

// NewPacer holds answers for at most ceiling.
func NewPacer(ceiling time.Duration) *Pacer {
	return &Pacer{routes: map[string]*paceWindow{}, window: time.Minute, ceiling: ceiling}
}

// Delay records that route answered after elapsed at now (wall clock) and
// returns how much longer to hold the answer.
func (p *Pacer) Delay(route string, elapsed time.Duration, now time.Time) time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	w, ok := p.routes[route]
	if !ok {
		w = &paceWindow{start: now}
		p.routes[route] = w
	}
	if n := now.Sub(w.start) / p.window; n >= 1 {
		carried := max(w.max, w.target)
		w.target = time.Duration(float64(carried) * math.Pow(0.9, float64(n)))
		w.max, w.start = 0, now
	}
	// Stored at most at the ceiling: one freak answer must not hold the
	// route at the ceiling for as long as its decay from a larger figure lasts.
	w.max = max(w.max, min(elapsed, p.ceiling))
	target := min(max(w.max, w.target), p.ceiling)
	if elapsed >= target {
		return 0
	}
	return target - elapsed
}

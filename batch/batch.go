// Package batch runs concurrent requests for one kind of statement as a
// single statement. Each statement PostgreSQL runs costs a round trip, a
// commit and two process wake-ups whatever it does; on the hot write paths
// (refresh, anonymous sign-in) that was most of the work, so a statement
// that writes many rows at once multiplies what a core can do.
//
// No request waits for a batch to fill: a free runner takes the first
// request at once, with whatever else is already queued. An idle server
// runs every request alone; a loaded one queues requests and runs them
// together next.
//
// Runners take turns: while one batch is in PostgreSQL, the next runner
// (one at a time) gathers what arrives and sends it the moment the first
// is answered, unless it has gathered enough to run beside it (New's
// besides). Batches run freely side by side were small and each paid its
// own commit: on two cores, taking turns cut PostgreSQL's CPU per refresh
// and per anonymous sign-in by a fifth to a third, at equal or higher
// throughput (BENCHMARKS.md, round 5). A large batch waiting means
// PostgreSQL is the bottleneck, and a second backend can help.
package batch

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"time"
)

// Exec runs one statement for ins and returns one result per input, in
// order. The statement must be atomic (all or nothing), so that a batch that
// fails can be run again one input at a time.
type Exec[In, Out any] func(ctx context.Context, ins []In) ([]Out, error)

// Runner feeds an Exec from concurrent callers.
type Runner[In, Out any] struct {
	exec    Exec[In, Out]
	max     int
	besides int // a gathered batch this large runs beside one in flight
	timeout time.Duration
	queue   chan *call[In, Out]
	stop    chan struct{} // closed by Close: runners finish their statement and exit
	stopped chan struct{} // closed once they have
	wg      sync.WaitGroup
	once    sync.Once

	gather   chan struct{} // one slot: the runner holding it is the one taking calls
	mu       sync.Mutex
	inFlight int           // batches being executed
	idle     chan struct{} // closed when inFlight falls to zero
}

type call[In, Out any] struct {
	ctx  context.Context
	in   In
	done chan result[Out] // buffered: a caller that gave up does not block the runner
}

type result[Out any] struct {
	out Out
	err error
}

// ErrClosed is returned by Do once the runner is closed.
var ErrClosed = errors.New("batch: runner closed")

// New starts runners goroutines that each run at most max inputs per
// statement. A runner gathering while another batch is in flight sends its
// batch once that one is answered, or at once when it holds besides calls
// (1: batches never wait for each other; max/2: the turns described
// above). Statements run under their own context with timeout, not a
// caller's: one caller going away must not fail the others in its batch.
func New[In, Out any](runners, max, besides int, timeout time.Duration, exec Exec[In, Out]) *Runner[In, Out] {
	r := &Runner[In, Out]{exec: exec, max: max, besides: besides, timeout: timeout,
		queue: make(chan *call[In, Out], 4*max), stop: make(chan struct{}), stopped: make(chan struct{}),
		gather: make(chan struct{}, 1)}
	if r.besides < 1 || r.besides > r.max {
		r.besides = r.max
	}
	for range runners {
		r.wg.Add(1)
		go r.run()
	}
	return r
}

// Do queues in and waits for its result, or for ctx to end.
func (r *Runner[In, Out]) Do(ctx context.Context, in In) (Out, error) {
	var zero Out
	c := &call[In, Out]{ctx: ctx, in: in, done: make(chan result[Out], 1)}
	select {
	case r.queue <- c:
	case <-ctx.Done():
		return zero, ctx.Err()
	case <-r.stop:
		return zero, ErrClosed
	}
	select {
	case res := <-c.done:
		return res.out, res.err
	case <-ctx.Done():
		// The statement may still run and commit; the caller's answer is lost,
		// as when a client hangs up after a single statement was sent.
		return zero, ctx.Err()
	case <-r.stopped:
		// No runner is left to take it; it may have answered just before.
		select {
		case res := <-c.done:
			return res.out, res.err
		default:
			return zero, ErrClosed
		}
	}
}

// Close stops the runners after the statements in flight; queued calls
// that did not start get ErrClosed.
func (r *Runner[In, Out]) Close() {
	r.once.Do(func() {
		close(r.stop)
		r.wg.Wait()
		close(r.stopped)
		for {
			select {
			case c := <-r.queue:
				c.done <- result[Out]{err: ErrClosed}
			default:
				return
			}
		}
	})
}

func (r *Runner[In, Out]) run() {
	defer r.wg.Done()
	calls := make([]*call[In, Out], 0, r.max)
	ins := make([]In, 0, r.max)
	for {
		// One runner at a time takes calls, so that they gather into one
		// batch rather than a few each in every waiting runner.
		select {
		case r.gather <- struct{}{}:
		case <-r.stop:
			return
		}
		var first *call[In, Out]
		select {
		case first = <-r.queue:
		case <-r.stop:
			<-r.gather
			return
		}
		calls = append(calls[:0], first)
		// Let goroutines that are about to queue (requests being parsed on
		// the other P) do so first: on a loaded server that grows the batch
		// for the price of a yield; on an idle one nothing else runs.
		runtime.Gosched()
	drain:
		for len(calls) < r.max {
			select {
			case c := <-r.queue:
				calls = append(calls, c)
			default:
				break drain
			}
		}
		calls = r.awaitTurn(calls)
		<-r.gather
		// Callers that gave up while queued are not run.
		live := calls[:0]
		for _, c := range calls {
			if err := c.ctx.Err(); err != nil {
				c.done <- result[Out]{err: err}
				continue
			}
			live = append(live, c)
		}
		if len(live) > 0 {
			r.runBatch(live, ins[:0])
		}
		r.endTurn()
		clear(calls[:cap(calls)]) // no references kept to answered calls
	}
}

// awaitTurn returns once calls may run: no other batch is in flight, or
// calls hold besides calls, or the runner is stopping. Until then it adds
// what arrives. Every awaitTurn is followed by one endTurn.
func (r *Runner[In, Out]) awaitTurn(calls []*call[In, Out]) []*call[In, Out] {
	stopping := false
	for {
		r.mu.Lock()
		if r.inFlight == 0 || len(calls) >= r.besides || stopping {
			if r.inFlight == 0 {
				r.idle = make(chan struct{})
			}
			r.inFlight++
			r.mu.Unlock()
			return calls
		}
		idle := r.idle
		r.mu.Unlock()
		select {
		case c := <-r.queue:
			calls = append(calls, c)
		case <-idle:
		case <-r.stop:
			// Close waits for the batches in flight, this one among them.
			stopping = true
		}
	}
}

func (r *Runner[In, Out]) endTurn() {
	r.mu.Lock()
	r.inFlight--
	if r.inFlight == 0 {
		close(r.idle)
	}
	r.mu.Unlock()
}

func (r *Runner[In, Out]) runBatch(calls []*call[In, Out], ins []In) {
	for _, c := range calls {
		ins = append(ins, c.in)
	}
	outs, err := r.execute(ins)
	if err == nil {
		for i, c := range calls {
			c.done <- result[Out]{out: outs[i]}
		}
		return
	}
	if len(calls) == 1 {
		calls[0].done <- result[Out]{err: err}
		return
	}
	// The batch wrote nothing: run each input alone, so that one input the
	// statement refuses (or a deadlock with another batch) fails only its
	// own caller.
	for _, c := range calls {
		outs, err := r.execute([]In{c.in})
		if err != nil {
			c.done <- result[Out]{err: err}
			continue
		}
		c.done <- result[Out]{out: outs[0]}
	}
}

func (r *Runner[In, Out]) execute(ins []In) ([]Out, error) {
	ctx, cancel := context.WithTimeout(context.Background(), r.timeout)
	defer cancel()
	outs, err := r.exec(ctx, ins)
	if err == nil && len(outs) != len(ins) {
		err = errors.New("batch: statement returned a result count unlike its inputs")
	}
	return outs, err
}

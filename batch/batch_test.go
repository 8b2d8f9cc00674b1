package batch

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// recorder is an Exec that doubles its inputs, records each batch, and can
// be held until released.
type recorder struct {
	mu      sync.Mutex
	batches [][]int
	active  int           // statements running now
	peak    int           // the most ever running at once
	hold    chan struct{} // when non-nil, each statement waits for a value
	started chan struct{} // when non-nil, told when a statement starts
}

func (r *recorder) exec(_ context.Context, ins []int) ([]int, error) {
	r.mu.Lock()
	r.batches = append(r.batches, append([]int(nil), ins...))
	r.active++
	r.peak = max(r.peak, r.active)
	r.mu.Unlock()
	defer func() {
		r.mu.Lock()
		r.active--
		r.mu.Unlock()
	}()
	if r.started != nil {
		r.started <- struct{}{}
	}
	if r.hold != nil {
		<-r.hold
	}
	outs := make([]int, len(ins))
	for i, in := range ins {
		if in < 0 {
			return nil, errors.New("negative input")
		}
		outs[i] = 2 * in
	}
	return outs, nil
}

// releaseStarted lets every statement that starts from now on finish, until
// the returned stop is called (it returns once nothing more is released).
func (r *recorder) releaseStarted() (stop func()) {
	done, exited := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(exited)
		for {
			select {
			case <-r.started:
				r.hold <- struct{}{}
			case <-done:
				return
			}
		}
	}()
	return func() {
		close(done)
		<-exited
	}
}

func (r *recorder) maxActive() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.peak
}

func (r *recorder) sizes() []int {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]int, len(r.batches))
	for i, b := range r.batches {
		out[i] = len(b)
	}
	return out
}

func TestIdleCallsRunAlone(t *testing.T) {
	rec := &recorder{}
	r := New(2, 8, 4, time.Second, rec.exec)
	defer r.Close()
	for i := range 5 {
		out, err := r.Do(context.Background(), i)
		require.NoError(t, err)
		require.Equal(t, 2*i, out)
	}
	require.Equal(t, []int{1, 1, 1, 1, 1}, rec.sizes(), "no call waits for company")
}

// While the only runner is busy, calls queue; the next statement takes them
// all (up to max), and every caller gets its own result.
func TestQueuedCallsRunTogether(t *testing.T) {
	rec := &recorder{hold: make(chan struct{}), started: make(chan struct{}, 10)}
	r := New(1, 4, 2, time.Second, rec.exec)
	defer r.Close()

	results := make([]int, 7)
	var wg sync.WaitGroup
	do := func(i int) {
		defer wg.Done()
		out, err := r.Do(context.Background(), i)
		require.NoError(t, err)
		results[i] = out
	}
	wg.Add(1)
	go do(0)
	<-rec.started // the first statement runs, alone
	for i := 1; i < 7; i++ {
		wg.Add(1)
		go do(i)
	}
	require.Eventually(t, func() bool { return len(r.queue) == 6 }, time.Second, time.Millisecond)
	for range 3 {
		rec.hold <- struct{}{}
	}
	wg.Wait()
	require.Equal(t, []int{1, 4, 2}, rec.sizes(), "then at most max at a time")
	require.Equal(t, []int{0, 2, 4, 6, 8, 10, 12}, results)
}

// While one batch is in flight, the other runner gathers what arrives and
// sends it once the first is answered; half a batch waiting goes at once.
func TestRunnersTakeTurns(t *testing.T) {
	rec := &recorder{hold: make(chan struct{}), started: make(chan struct{}, 10)}
	r := New(2, 8, 4, time.Second, rec.exec)
	defer r.Close()

	var wg sync.WaitGroup
	do := func(i int) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			out, err := r.Do(context.Background(), i)
			require.NoError(t, err)
			require.Equal(t, 2*i, out)
		}()
	}
	do(0)
	<-rec.started
	for i := 1; i <= 3; i++ {
		do(i)
	}
	require.Eventually(t, func() bool { return len(r.queue) == 0 }, time.Second, time.Millisecond)
	select {
	case <-rec.started:
		t.Fatal("a second batch (under half of 8) started while the first was in flight")
	default:
	}
	// Release the first and whatever follows it.
	stop := rec.releaseStarted()
	rec.hold <- struct{}{}
	wg.Wait()
	stop()
	sizes := rec.sizes()
	require.Equal(t, 1, sizes[0])
	require.Equal(t, 4, sum(sizes))
	require.Equal(t, 1, rec.maxActive(), "one batch in flight at a time")

	n := len(sizes)
	do(10)
	<-rec.started
	for i := 11; i <= 14; i++ {
		do(i)
	}
	<-rec.started // four of eight: runs beside the one held
	require.Equal(t, 2, rec.maxActive())
	rec.hold <- struct{}{}
	rec.hold <- struct{}{}
	wg.Wait()
	require.Equal(t, []int{1, 4}, rec.sizes()[n:])
}

func sum(xs []int) (n int) {
	for _, x := range xs {
		n += x
	}
	return n
}

// With many runners, the calls that arrive while a batch is in flight still
// go together: one runner gathers at a time.
func TestWaitingCallsGatherInOneRunner(t *testing.T) {
	rec := &recorder{hold: make(chan struct{}), started: make(chan struct{}, 10)}
	r := New(4, 8, 4, time.Second, rec.exec)
	defer r.Close()

	enqueue := func(i int) chan result[int] {
		c := &call[int, int]{ctx: context.Background(), in: i, done: make(chan result[int], 1)}
		r.queue <- c
		return c.done
	}
	first := enqueue(0)
	<-rec.started
	var later []chan result[int]
	for i := 1; i <= 3; i++ {
		later = append(later, enqueue(i))
	}
	// Only the gathering runner takes from the queue: once it is empty, all
	// three are in its batch.
	require.Eventually(t, func() bool { return len(r.queue) == 0 }, time.Second, time.Millisecond)
	defer rec.releaseStarted()() // the first is released below, the rest as they start
	rec.hold <- struct{}{}
	require.Equal(t, 0, (<-first).out)
	for i, done := range later {
		require.Equal(t, 2*(i+1), (<-done).out)
	}
	require.Equal(t, []int{1, 3}, rec.sizes())
	require.Equal(t, 1, rec.maxActive())
}

// A batch the statement refuses is run again input by input: only the
// input at fault fails.
func TestFailedBatchIsRetriedAlone(t *testing.T) {
	rec := &recorder{hold: make(chan struct{}), started: make(chan struct{}, 10)}
	r := New(1, 8, 4, time.Second, rec.exec)
	defer r.Close()
	var wg sync.WaitGroup
	errs := map[int]error{}
	var mu sync.Mutex
	do := func(i int) {
		defer wg.Done()
		_, err := r.Do(context.Background(), i)
		mu.Lock()
		errs[i] = err
		mu.Unlock()
	}
	wg.Add(1)
	go do(100)
	<-rec.started
	for _, i := range []int{1, -1, 2} {
		wg.Add(1)
		go do(i)
	}
	require.Eventually(t, func() bool { return len(r.queue) == 3 }, time.Second, time.Millisecond)
	go func() {
		for range 5 {
			rec.hold <- struct{}{}
		}
	}()
	wg.Wait()
	require.NoError(t, errs[100])
	require.NoError(t, errs[1])
	require.NoError(t, errs[2])
	require.EqualError(t, errs[-1], "negative input")
	require.Equal(t, []int{1, 3, 1, 1, 1}, rec.sizes())
}

func TestCallerThatGaveUpIsNotRun(t *testing.T) {
	rec := &recorder{hold: make(chan struct{}), started: make(chan struct{}, 10)}
	r := New(1, 8, 4, time.Second, rec.exec)
	defer r.Close()
	go func() { _, _ = r.Do(context.Background(), 1) }()
	<-rec.started
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { _, err := r.Do(ctx, 2); errc <- err }()
	require.Eventually(t, func() bool { return len(r.queue) == 1 }, time.Second, time.Millisecond)
	cancel()
	require.ErrorIs(t, <-errc, context.Canceled)
	rec.hold <- struct{}{}
	out, err := func() (int, error) {
		go func() { <-rec.started; rec.hold <- struct{}{} }()
		return r.Do(context.Background(), 3)
	}()
	require.NoError(t, err)
	require.Equal(t, 6, out)
	require.Equal(t, []int{1, 1}, rec.sizes(), "the cancelled call never reached the statement")
}

func TestWrongResultCountIsAnError(t *testing.T) {
	r := New(1, 8, 4, time.Second, func(_ context.Context, ins []int) ([]int, error) { return nil, nil })
	defer r.Close()
	_, err := r.Do(context.Background(), 1)
	require.Error(t, err)
}

func TestClose(t *testing.T) {
	rec := &recorder{}
	r := New(2, 8, 4, time.Second, rec.exec)
	_, err := r.Do(context.Background(), 1)
	require.NoError(t, err)
	r.Close()
	r.Close() // idempotent
	_, err = r.Do(context.Background(), 2)
	require.ErrorIs(t, err, ErrClosed)
}

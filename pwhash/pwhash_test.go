package pwhash

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"
)

// Callers get their turn in the order they came, whatever order the
// scheduler runs them in once slots free up.
func TestGateAdmitsInArrivalOrder(t *testing.T) {
	// One slot: the holder records its turn before the next is admitted.
	g := newFIFO(1)
	ctx := context.Background()
	require.NoError(t, g.acquire(ctx))
	var (
		mu    sync.Mutex
		order []int
		wg    sync.WaitGroup
	)
	const n = 20
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			require.NoError(t, g.acquire(ctx))
			mu.Lock()
			order = append(order, i)
			mu.Unlock()
			g.release()
		}()
		for g.waiting() != i+1 { // queued before the next one starts
			time.Sleep(time.Millisecond)
		}
	}
	g.release()
	wg.Wait()
	want := make([]int, n)
	for i := range want {
		want[i] = i
	}
	require.Equal(t, want, order)
	require.Equal(t, 1, g.free, "the slot came back")
}

// A caller whose request ends while it waits leaves the queue and takes no
// slot, even when one was handed to it at the same moment.
func TestGateWaiterGivesUp(t *testing.T) {
	g := newFIFO(1)
	require.NoError(t, g.acquire(context.Background()))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- g.acquire(ctx) }()
	for g.waiting() != 1 {
		time.Sleep(time.Millisecond)
	}
	cancel()
	require.ErrorIs(t, <-done, context.Canceled)
	require.Zero(t, g.waiting())
	g.release()
	require.Equal(t, 1, g.free)

	// Handed a slot and cancelled at once: the slot goes back.
	require.NoError(t, g.acquire(context.Background()))
	for range 200 {
		ctx, cancel := context.WithCancel(context.Background())
		go func() { done <- g.acquire(ctx) }()
		for g.waiting() != 1 {
			time.Sleep(time.Microsecond)
		}
		go cancel()
		g.release()
		if err := <-done; err == nil {
			g.release() // it won the slot: give it back as its caller would
		}
		require.NoError(t, g.acquire(context.Background()), "the slot is free again")
	}
	g.release()
	require.Equal(t, 1, g.free)
}

func TestCompareAndGenerate(t *testing.T) {
	ctx := context.Background()
	h, err := Generate(ctx, []byte("pw"), bcrypt.MinCost)
	require.NoError(t, err)
	ok, err := Compare(ctx, h, []byte("pw"))
	require.NoError(t, err)
	require.True(t, ok)
	ok, err = Compare(ctx, h, []byte("other"))
	require.NoError(t, err)
	require.False(t, ok)
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	// A free slot is taken without looking at ctx: only waiting is cut short.
	ok, err = Compare(cancelled, h, []byte("pw"))
	require.NoError(t, err)
	require.True(t, ok)
}

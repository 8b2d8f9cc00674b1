package usercache

import (
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
)

func TestCache(t *testing.T) {
	c := New[string](100, time.Minute)
	id := uuid.New()

	c.Put(id, "a", c.Gen())
	_, ok := c.Get(id)
	require.False(t, ok, "nothing is cached while notifications do not flow")

	c.Reset(true)
	c.Put(id, "a", c.Gen())
	got, ok := c.Get(id)
	require.True(t, ok)
	require.Equal(t, "a", got)

	// A notification during a read makes that read's answer unstorable.
	other := uuid.New()
	gen := c.Gen()
	c.Forget(uuid.New())
	c.Put(other, "stale", gen)
	_, ok = c.Get(other)
	require.False(t, ok, "stale read not stored")

	// A local change is read from the database until its notification comes.
	c.Hold(id)
	_, ok = c.Get(id)
	require.False(t, ok)
	c.Put(id, "b", c.Gen())
	_, ok = c.Get(id)
	require.False(t, ok, "held entries are not cached")
	c.Forget(id)
	c.Put(id, "b", c.Gen())
	got, ok = c.Get(id)
	require.True(t, ok, "cached again once the change is announced")
	require.Equal(t, "b", got)

	// Clear drops entries and invalidates reads in flight, but keeps caching.
	gen = c.Gen()
	c.Clear()
	_, ok = c.Get(id)
	require.False(t, ok)
	c.Put(id, "read before the clear", gen)
	_, ok = c.Get(id)
	require.False(t, ok)
	c.Put(id, "c", c.Gen())
	_, ok = c.Get(id)
	require.True(t, ok)

	// Losing the connection drops everything and stops caching.
	c.Reset(false)
	_, ok = c.Get(id)
	require.False(t, ok)
	c.Put(id, "d", c.Gen())
	_, ok = c.Get(id)
	require.False(t, ok)
}

func TestCacheHoldExpiresAndSizeIsBounded(t *testing.T) {
	c := New[int](3, 10*time.Millisecond)
	c.Reset(true)
	id := uuid.New()
	c.Hold(id)
	c.Put(id, 1, c.Gen())
	_, ok := c.Get(id)
	require.False(t, ok)
	time.Sleep(20 * time.Millisecond)
	c.Put(id, 1, c.Gen())
	_, ok = c.Get(id)
	require.True(t, ok, "a hold whose notification never came ends after holdFor")

	for i := 0; i < 10; i++ {
		c.Put(uuid.New(), i, c.Gen())
		require.LessOrEqual(t, c.Len(), 3)
	}
}

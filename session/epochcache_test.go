package session

import (
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/stretchr/testify/require"
)

func TestEpochCache(t *testing.T) {
	c := newEpochCache()
	id := uuid.New()
	entry := epochEntry{exists: true}

	c.put(id, entry, c.gen.Load())
	_, ok := c.get(id)
	require.False(t, ok, "nothing is cached while no LISTEN connection is up")

	c.reset(true)
	c.put(id, entry, c.gen.Load())
	got, ok := c.get(id)
	require.True(t, ok)
	require.Equal(t, entry, got)

	// A notification during a read makes that read's answer unstorable.
	other := uuid.New()
	gen := c.gen.Load()
	c.forget(uuid.New())
	c.put(other, entry, gen)
	_, ok = c.get(other)
	require.False(t, ok, "stale read not stored")

	// A local change is read from the database until its notification comes.
	c.hold(id)
	_, ok = c.get(id)
	require.False(t, ok)
	c.put(id, entry, c.gen.Load())
	_, ok = c.get(id)
	require.False(t, ok, "held entries are not cached")
	c.forget(id)
	c.put(id, entry, c.gen.Load())
	_, ok = c.get(id)
	require.True(t, ok, "cached again once the change is announced")

	// Losing the connection drops everything and stops caching.
	c.reset(false)
	_, ok = c.get(id)
	require.False(t, ok)
	require.Less(t, holdFor, time.Minute)
}

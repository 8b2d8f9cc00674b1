// Package memlimit keeps the server's heap small while its live heap is
// small, without letting the collector run hot when the live heap grows.
//
// The server collects at GOGC=400 (five times the live heap) because that
// spares 5–11% of CPU per request; but with a live heap of ~5 MB, most of it
// tables built at start (phone number metadata alone is 2.5 MB), that lets
// the heap reach 25 MB and the idle part of it stay mapped long after a
// burst. A soft memory limit caps that: the runtime collects earlier and
// hands idle pages back once the total nears the limit. A fixed limit
// would make the collector run back to back if the live heap ever
// approached it, so the limit follows the live heap: never below the
// floor, and always leaving the heap room to double (what GOGC=100, Go's
// default, gives).
package memlimit

import (
	"context"
	"math"
	"os"
	"runtime/debug"
	"runtime/metrics"
	"time"
)

// DefaultFloor is the limit while the live heap is small: measured to
// cost no throughput at 32 workers once requests allocated less
// (BENCHMARKS.md, "Round 4"): 21 MiB, 24 before.
const DefaultFloor = 21 << 20

// interval is how often the limit follows the live heap: a burst that
// doubles the live heap within it runs the collector at most at the
// runtime's own cap for a limit (half the CPU) until the next tick.
const interval = time.Second

var samples = []metrics.Sample{
	{Name: "/gc/heap/live:bytes"},
	{Name: "/memory/classes/total:bytes"},
	{Name: "/memory/classes/heap/released:bytes"},
	{Name: "/memory/classes/heap/objects:bytes"},
	{Name: "/memory/classes/heap/unused:bytes"},
	{Name: "/memory/classes/heap/free:bytes"},
}

// Start sets the limit and keeps it following the live heap until ctx
// ends. It does nothing when GOMEMLIMIT is set: the operator's limit wins.
// It reports whether it took charge.
func Start(ctx context.Context, floor int64) bool {
	if os.Getenv("GOMEMLIMIT") != "" || floor <= 0 {
		return false
	}
	debug.SetMemoryLimit(Limit(floor, read()))
	go func() {
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				debug.SetMemoryLimit(math.MaxInt64)
				return
			case <-t.C:
				debug.SetMemoryLimit(Limit(floor, read()))
			}
		}
	}()
	return true
}

// Usage is what the limit is computed from.
type Usage struct {
	Live    uint64 // heap reachable at the end of the last collection
	NonHeap uint64 // stacks, collector metadata and other runtime memory
}

func read() Usage {
	s := make([]metrics.Sample, len(samples))
	copy(s, samples)
	metrics.Read(s)
	v := func(i int) uint64 {
		if s[i].Value.Kind() != metrics.KindUint64 {
			return 0
		}
		return s[i].Value.Uint64()
	}
	total, released, objects, unused, free := v(1), v(2), v(3), v(4), v(5)
	heap := released + objects + unused + free
	var nonHeap uint64
	if total > heap {
		nonHeap = total - heap
	}
	return Usage{Live: v(0), NonHeap: nonHeap}
}

// Limit is the memory limit for u: the floor, or enough for the heap to
// reach twice the live heap on top of the runtime's own memory.
func Limit(floor int64, u Usage) int64 {
	need := u.NonHeap + 2*u.Live
	if need > math.MaxInt64/2 {
		return math.MaxInt64
	}
	return max(floor, int64(need))
}

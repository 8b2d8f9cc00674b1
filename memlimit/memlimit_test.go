package memlimit

import (
	"context"
	"math"
	"runtime"
	"runtime/debug"
	"testing"
	"time"
)

func TestLimit(t *testing.T) {
	const mib = 1 << 20
	for _, tc := range []struct {
		name  string
		floor int64
		u     Usage
		want  int64
	}{
		{"small live heap: the floor", 24 * mib, Usage{Live: 5 * mib, NonHeap: 6 * mib}, 24 * mib},
		{"room to double once the floor is too tight", 24 * mib, Usage{Live: 20 * mib, NonHeap: 6 * mib}, 46 * mib},
		{"exactly at the floor", 24 * mib, Usage{Live: 9 * mib, NonHeap: 6 * mib}, 24 * mib},
		{"overflow: no limit", 24 * mib, Usage{Live: math.MaxUint64 / 2, NonHeap: 1}, math.MaxInt64},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Limit(tc.floor, tc.u); got != tc.want {
				t.Fatalf("Limit = %d, want %d", got, tc.want)
			}
		})
	}
}

// The limit read from the runtime follows a live heap that outgrows the floor.
func TestLimitFollowsLiveHeap(t *testing.T) {
	const floor = 24 << 20
	keep := make([][]byte, 0, 64)
	for range 64 { // 64 MiB live
		keep = append(keep, make([]byte, 1<<20))
	}
	runtime.GC()
	u := read()
	runtime.KeepAlive(keep)
	if u.Live < 64<<20 {
		t.Fatalf("live heap %d, want at least 64 MiB", u.Live)
	}
	if u.NonHeap == 0 {
		t.Fatal("no runtime memory outside the heap measured")
	}
	if got := Limit(floor, u); got < 128<<20 {
		t.Fatalf("limit %d leaves the heap no room to double", got)
	}
}

func TestStart(t *testing.T) {
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(-1))
	t.Run("operator's GOMEMLIMIT wins", func(t *testing.T) {
		t.Setenv("GOMEMLIMIT", "1GiB")
		debug.SetMemoryLimit(math.MaxInt64)
		if Start(context.Background(), DefaultFloor) {
			t.Fatal("took charge with GOMEMLIMIT set")
		}
		if got := debug.SetMemoryLimit(-1); got != math.MaxInt64 {
			t.Fatalf("limit changed to %d", got)
		}
	})
	t.Run("sets the limit and lifts it when done", func(t *testing.T) {
		t.Setenv("GOMEMLIMIT", "")
		ctx, cancel := context.WithCancel(context.Background())
		if !Start(ctx, DefaultFloor) {
			t.Fatal("did not take charge")
		}
		if got := debug.SetMemoryLimit(-1); got < DefaultFloor || got == math.MaxInt64 {
			t.Fatalf("limit %d, want at least the floor", got)
		}
		cancel()
		for range 200 {
			if debug.SetMemoryLimit(-1) == math.MaxInt64 {
				return
			}
			runtime.Gosched()
			time.Sleep(5 * time.Millisecond)
		}
		t.Fatal("limit not lifted after the context ended")
	})
}

package rss

import (
	"runtime"
	"testing"
)

// TestPeakFollowsTouchedMemory touches 256 MiB, drops it, starts a
// [Measure] and touches 64 MiB: the first peak must cover the 256 MiB and
// the measured one must not (Measure brought it back to the current size).
func TestPeakFollowsTouchedMemory(t *testing.T) {
	if Peak() == 0 {
		t.Skip("no /proc/self/status VmHWM on this system")
	}
	const big, small = 256 << 20, 64 << 20
	touch := func(n int) int64 {
		base := current()
		b := make([]byte, n)
		for i := 0; i < n; i += 4096 {
			b[i] = 1
		}
		grew := Peak() - base
		runtime.KeepAlive(b)
		return grew
	}
	if grew := touch(big); grew < big*9/10 {
		t.Fatalf("peak grew by %d MiB over touching %d MiB", grew>>20, big>>20)
	}
	if !resetPeak() {
		t.Skip("cannot reset the peak here (/proc/self/clear_refs)")
	}
	peak := Measure() // returns the freed 256 MiB, then resets again
	before := peak()
	if cur := current(); before > cur+cur/10 {
		t.Fatalf("after ResetPeak, peak %d MiB is not the current %d MiB", before>>20, cur>>20)
	}
	grew := touch(small)
	if grew < small*9/10 || grew > big*3/4 {
		t.Fatalf("after ResetPeak, peak grew by %d MiB over touching %d MiB (want about %d)", grew>>20, small>>20, small>>20)
	}
}

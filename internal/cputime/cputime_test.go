package cputime

import "testing"

func TestProcessGrowsWithWork(t *testing.T) {
	before := Process()
	if before <= 0 {
		t.Skip("no process CPU time on this system")
	}
	x := 0
	for i := range 200_000_000 {
		x += i ^ (x >> 3)
	}
	if after := Process(); after <= before {
		t.Errorf("CPU time went from %v to %v over a busy loop (x=%d)", before, after, x)
	}
}

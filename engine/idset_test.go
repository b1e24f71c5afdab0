package engine

import (
	"math/rand/v2"
	"testing"
)

func TestIDSetAgreesWithAMap(t *testing.T) {
	var s idSet
	m := map[uint64]bool{}
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 300000; i++ {
		id := r.Uint64N(200000) // many repeats, and 0 now and then
		if got, want := s.add(id), !m[id]; got != want {
			t.Fatalf("add(%d) = %v, want %v", id, got, want)
		}
		m[id] = true
	}
	if s.n+boolInt(s.zero) != len(m) {
		t.Fatalf("set holds %d ids, map %d", s.n+boolInt(s.zero), len(m))
	}
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

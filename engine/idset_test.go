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

func TestIDSetAddAllAgreesWithAMap(t *testing.T) {
	var s idSet
	m := map[uint64]bool{}
	r := rand.New(rand.NewPCG(1, 2))
	for added := 0; added < 300000; {
		// Batches of every size, across group boundaries and growth.
		n := r.IntN(3*idGroup) + 1
		ids := make([]uint64, n)
		for i := range ids {
			ids[i] = r.Uint64N(200000) // many repeats, inside a batch too, and 0 now and then
			if r.IntN(50) == 0 {
				ids[i] = r.Uint64() // ids far apart, as real hashes are
			}
		}
		keep := make([]bool, n)
		repeats := s.addAll(ids, keep)
		wantRepeats := 0
		for i, id := range ids {
			if want := !m[id]; keep[i] != want {
				t.Fatalf("batch at %d: keep[%d] (id %d) = %v, want %v", added, i, id, keep[i], want)
			}
			if m[id] {
				wantRepeats++
			}
			m[id] = true
		}
		if repeats != wantRepeats {
			t.Fatalf("batch at %d: %d repeats, want %d", added, repeats, wantRepeats)
		}
		added += n
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

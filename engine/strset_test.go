package engine

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestStrSetAgreesWithAMapAndKeepsInsertionOrder(t *testing.T) {
	var s strSet
	m := map[string]bool{}
	var order []string
	r := rand.New(rand.NewPCG(3, 4))
	for range 200000 {
		id := fmt.Sprintf("c%d", r.IntN(50000)) // many repeats, across growth
		if r.IntN(100) == 0 {
			id = "" // the empty string is a string like any other
		}
		s.add(id)
		if !m[id] {
			m[id] = true
			order = append(order, id)
		}
	}
	if s.len() != len(m) {
		t.Fatalf("set holds %d strings, map %d", s.len(), len(m))
	}
	got := slices.Collect(s.all())
	if !slices.Equal(got, order) {
		t.Fatalf("all() yields %d strings, not the %d first added in their order", len(got), len(order))
	}
}

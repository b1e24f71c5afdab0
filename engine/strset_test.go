package engine

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

func TestStrSetAgreesWithAMapAndKeepsInsertionOrder(t *testing.T) {
	var s strSet
	m := map[string]bool{}
	var order []string
	r := rand.New(rand.NewPCG(3, 4))
	for range 200000 {
		id := fmt.Sprintf("c%d", r.IntN(50000)) // many repeats, across growth; short and long ids
		if r.IntN(2) == 0 {
			id = fmt.Sprintf("customer-%d", r.IntN(50000))
		}
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

func TestStrSetAddColumnAgreesWithAdd(t *testing.T) {
	b := array.NewStringBuilder(memory.DefaultAllocator)
	defer b.Release()
	r := rand.New(rand.NewPCG(5, 6))
	var one strSet
	for i := range 3*strGroup*100 + 7 {
		switch {
		case i%11 == 0:
			b.AppendNull()
		default:
			id := fmt.Sprintf("i%d", r.IntN(5000))
			if r.IntN(3) == 0 {
				id = fmt.Sprintf("item-number-%d", r.IntN(5000))
			}
			b.Append(id)
			one.add(id)
		}
	}
	col := b.NewStringArray()
	defer col.Release()
	var s strSet
	s.addColumn(col)
	s.addColumn(col) // nothing new the second time
	if got, want := slices.Collect(s.all()), slices.Collect(one.all()); !slices.Equal(got, want) {
		t.Fatalf("addColumn holds %d strings, add %d (or in another order)", len(got), len(want))
	}
	for id := range one.all() {
		if !s.has(id) {
			t.Fatalf("has(%q) = false after addColumn", id)
		}
	}
	if s.has("i-none") || s.has("absent-and-long") {
		t.Fatal("has reports a string never added")
	}
}

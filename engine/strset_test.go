package engine

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
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

func TestExpectedEventsGuessFromFileSize(t *testing.T) {
	dir := t.TempDir()
	small := filepath.Join(dir, "e.csv")
	if err := os.WriteFile(small, make([]byte, 48*1000), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := expectedEvents("events", small); got != 1000 {
		t.Errorf("48,000-byte CSV: %d events expected, want 1000", got)
	}
	// A sparse 100 GB file: long lines would make 2 billion a wild guess.
	huge := filepath.Join(dir, "huge.csv")
	f, err := os.Create(huge)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Truncate(100 << 30); err != nil {
		f.Close()
		t.Fatal(err)
	}
	f.Close()
	if got := expectedEvents("events", huge); got != maxExpectedEvents {
		t.Errorf("100 GB CSV: %d events expected, want the cap %d", got, maxExpectedEvents)
	}
	for _, c := range []struct{ format, path string }{{"movielens-100k", small}, {"events", dir}, {"events", filepath.Join(dir, "missing.csv")}} {
		if got := expectedEvents(c.format, c.path); got != 0 {
			t.Errorf("%s %s: %d, want 0 (no guess)", c.format, c.path, got)
		}
	}
}

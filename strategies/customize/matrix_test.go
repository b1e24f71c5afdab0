package customize

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"unsafe"
)

func TestBuilder(t *testing.T) {
	b := NewBuilder()
	b.Add("ann", "x", 1)
	b.Add("bob", "y", 2)
	b.Add("ann", "z", 3)
	b.Add("ann", "x", 4) // repeat: replaces 1
	b.Add("cat", "y", 5)
	b.Add("ann", "x", 5) // repeat again
	m, st, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	t.Run("repeats are counted and the last rating wins", func(t *testing.T) {
		want := BuildStats{Ratings: 4, Repeats: 2, Customers: 3, Items: 3}
		if st != want {
			t.Fatalf("stats %+v, want %+v", st, want)
		}
		u, _ := m.CustomerIndex("ann")
		i, _ := m.ItemIndex("x")
		items, vals := m.Row(u)
		k := slices.Index(items, i)
		if k < 0 || vals[k] != 5 {
			t.Fatalf("ann's rating of x: items %v values %v", items, vals)
		}
	})
	t.Run("ids are interned densely in order of first sight", func(t *testing.T) {
		for k, id := range []string{"ann", "bob", "cat"} {
			if u, ok := m.CustomerIndex(id); !ok || u != int32(k) || m.CustomerID(u) != id {
				t.Errorf("customer %q -> %d %v", id, u, ok)
			}
		}
		for k, id := range []string{"x", "y", "z"} {
			if i, ok := m.ItemIndex(id); !ok || i != int32(k) || m.ItemID(i) != id {
				t.Errorf("item %q -> %d %v", id, i, ok)
			}
		}
		if _, ok := m.ItemIndex("nope"); ok {
			t.Error("unknown item found")
		}
	})
	t.Run("CSR and CSC hold the same ratings, sorted", func(t *testing.T) {
		// Hand-built expectation: ann(0): x=5, z=3; bob(1): y=2; cat(2): y=5.
		wantRows := map[int32][]Rating{0: {{0, 0, 5}, {0, 2, 3}}, 1: {{1, 1, 2}}, 2: {{2, 1, 5}}}
		for u, want := range wantRows {
			items, vals := m.Row(u)
			var got []Rating
			for k := range items {
				got = append(got, Rating{u, items[k], vals[k]})
			}
			if !slices.Equal(got, want) {
				t.Errorf("row %d = %v, want %v", u, got, want)
			}
		}
		us, vs := m.Col(1)
		if !slices.Equal(us, []int32{1, 2}) || !slices.Equal(vs, []float32{2, 5}) {
			t.Errorf("col y = %v %v", us, vs)
		}
		if lo, hi := m.Scale(); lo != 2 || hi != 5 || m.Mean() != 15.0/4 || m.Len() != 4 {
			t.Errorf("scale %v..%v mean %v len %d", lo, hi, m.Mean(), m.Len())
		}
	})
	t.Run("a non-finite rating fails the build", func(t *testing.T) {
		b := NewBuilder()
		b.Add("a", "b", float32(nanF()))
		if _, _, err := b.Build(); err == nil {
			t.Fatal("no error")
		}
	})
	t.Run("test ratings share the dictionaries but not the matrix", func(t *testing.T) {
		b := NewBuilder()
		b.Add("a", "x", 4)
		b.AddTest("a", "y", 2)
		b.AddTest("b", "x", 3)
		sp, st, err := b.BuildSplit("given")
		if err != nil {
			t.Fatal(err)
		}
		if st.Ratings != 1 || sp.Train.Customers() != 2 || sp.Train.Items() != 2 || len(sp.Test) != 2 {
			t.Fatalf("stats %+v, train %dx%d, test %v", st, sp.Train.Customers(), sp.Train.Items(), sp.Test)
		}
		if sp.Test[1] != (Rating{1, 0, 3}) {
			t.Fatalf("test %v", sp.Test)
		}
	})
}

func nanF() float64 { var z float64; return z / z }

func TestKFold(t *testing.T) {
	b := NewBuilder()
	for u := range 20 {
		for i := range 7 {
			b.Add(string(rune('A'+u)), string(rune('a'+i)), float32(1+(u+i)%5))
		}
	}
	m, _, _ := b.Build()
	sp, err := KFold(m, 3, 7)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("folds partition the ratings", func(t *testing.T) {
		seen := map[[2]int32]int{}
		for _, s := range sp {
			if s.Train.Len()+len(s.Test) != m.Len() {
				t.Fatalf("%s: %d + %d != %d", s.Name, s.Train.Len(), len(s.Test), m.Len())
			}
			for _, r := range s.Test {
				seen[[2]int32{r.Customer, r.Item}]++
				items, _ := s.Train.Row(r.Customer)
				if slices.Contains(items, r.Item) {
					t.Fatalf("%s: test rating %v also in train", s.Name, r)
				}
			}
		}
		if len(seen) != m.Len() {
			t.Fatalf("%d distinct test pairs, want %d", len(seen), m.Len())
		}
		for p, n := range seen {
			if n != 1 {
				t.Fatalf("pair %v tested %d times", p, n)
			}
		}
	})
	t.Run("the same seed gives the same folds", func(t *testing.T) {
		again, _ := KFold(m, 3, 7)
		other, _ := KFold(m, 3, 8)
		if !slices.Equal(again[0].Test, sp[0].Test) {
			t.Fatal("same seed, different folds")
		}
		if slices.Equal(other[0].Test, sp[0].Test) {
			t.Fatal("different seed, same folds")
		}
	})
}

func TestHoldout(t *testing.T) {
	m := randomMatrix(t, 8, 30, 20, 10)
	sp, err := Holdout(m, 0.25, 3)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("the test share is held out and kept out of training", func(t *testing.T) {
		want := int(float64(m.Len())*0.25 + 0.5)
		if len(sp.Test) != want || sp.Train.Len() != m.Len()-want {
			t.Fatalf("test %d train %d of %d", len(sp.Test), sp.Train.Len(), m.Len())
		}
		for _, r := range sp.Test {
			if items, _ := sp.Train.Row(r.Customer); slices.Contains(items, r.Item) {
				t.Fatalf("%v in both sides", r)
			}
		}
	})
	t.Run("a share of zero or one is refused", func(t *testing.T) {
		for _, s := range []float64{0, 1, -0.5} {
			if _, err := Holdout(m, s, 1); err == nil {
				t.Errorf("share %v accepted", s)
			}
		}
	})
}

// TestBuilderCopiesBorrowedIDs adds ids that alias one buffer, rewritten
// between calls as an Arrow batch's buffers are: the builder must keep what
// the ids were when added.
func TestBuilderCopiesBorrowedIDs(t *testing.T) {
	buf := []byte("c1i1")
	b := NewBuilder()
	b.Add(unsafe.String(&buf[0], 2), unsafe.String(&buf[2], 2), 4)
	copy(buf, "c2i2")
	b.Add(unsafe.String(&buf[0], 2), unsafe.String(&buf[2], 2), 3)
	copy(buf, "c1i2")
	b.Add(unsafe.String(&buf[0], 2), unsafe.String(&buf[2], 2), 5)
	copy(buf, "xxxx")
	m, st, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	if st.Customers != 2 || st.Items != 2 || st.Ratings != 3 {
		t.Fatalf("stats %+v, want 2 customers, 2 items, 3 ratings", st)
	}
	for _, want := range []struct {
		c, i string
		r    float32
	}{{"c1", "i1", 4}, {"c2", "i2", 3}, {"c1", "i2", 5}} {
		u, ok := m.CustomerIndex(want.c)
		if !ok {
			t.Fatalf("customer %s lost (ids kept: %q, %q)", want.c, m.CustomerID(0), m.CustomerID(1))
		}
		items, vals := m.Row(u)
		found := false
		for k, i := range items {
			if m.ItemID(i) == want.i && vals[k] == want.r {
				found = true
			}
		}
		if !found {
			t.Errorf("rating %s/%s = %v missing", want.c, want.i, want.r)
		}
	}
}

// TestBuilderRepeatsAgainstAMap adds random ratings with many repeated
// pairs, in several rounds with a Build after each, and compares every
// matrix with a map that keeps each pair's last rating.
func TestBuilderRepeatsAgainstAMap(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	b := NewBuilder()
	last := map[[2]string]float32{}
	adds := 0
	for round := range 4 {
		for range 3000 {
			c, i := fmt.Sprint("c", rng.IntN(300)), fmt.Sprint("i", rng.IntN(40))
			r := float32(rng.IntN(50)) / 10
			b.Add(c, i, r)
			last[[2]string{c, i}] = r
			adds++
		}
		finish := round == 3
		var m *Matrix
		var st BuildStats
		var err error
		if finish {
			m, st, err = b.Finish()
		} else {
			m, st, err = b.Build()
		}
		if err != nil {
			t.Fatal(err)
		}
		if st.Ratings != len(last) || st.Repeats != adds-len(last) || m.Len() != len(last) {
			t.Fatalf("round %d: %d ratings, %d repeats, matrix %d; want %d and %d", round, st.Ratings, st.Repeats, m.Len(), len(last), adds-len(last))
		}
		for u := range m.Customers() {
			items, vals := m.Row(int32(u))
			if !slices.IsSorted(items) {
				t.Fatalf("round %d: row %d not sorted: %v", round, u, items)
			}
			for k, i := range items {
				if want := last[[2]string{m.CustomerID(int32(u)), m.ItemID(i)}]; vals[k] != want {
					t.Fatalf("round %d: %s/%s = %v, want the last rating %v", round, m.CustomerID(int32(u)), m.ItemID(i), vals[k], want)
				}
			}
		}
	}
	b.Add("late", "x", 1)
	if _, _, err := b.Build(); err == nil {
		t.Error("a builder used after Finish builds again")
	}
}

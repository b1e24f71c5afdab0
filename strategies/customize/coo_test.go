package customize

import (
	"bytes"
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"
)

// cooInput is a random rating stream over nu × ni with repeated pairs.
type cooInput struct {
	nu, ni  int
	u, i    []int32
	r       []float32
	repeats bool
}

// randomCOOInput draws n ratings; with ordered they come in customer
// order, and with repeats some pairs come again with another rating.
func randomCOOInput(seed uint64, nu, ni, n int, ordered, repeats bool) cooInput {
	rng := rand.New(rand.NewPCG(seed, 7))
	in := cooInput{nu: nu, ni: ni, repeats: repeats}
	seen := map[[2]int32]bool{}
	for len(in.u) < n {
		u, i := int32(rng.IntN(nu)), int32(rng.IntN(ni))
		if seen[[2]int32{u, i}] && !repeats {
			continue
		}
		seen[[2]int32{u, i}] = true
		in.u, in.i = append(in.u, u), append(in.i, i)
		in.r = append(in.r, float32(1+rng.IntN(9))/2)
	}
	if ordered {
		p := make([]int, n)
		for k := range p {
			p[k] = k
		}
		slices.SortStableFunc(p, func(a, b int) int { return int(in.u[a] - in.u[b]) })
		u, i, r := slices.Clone(in.u), slices.Clone(in.i), slices.Clone(in.r)
		for k, q := range p {
			in.u[k], in.i[k], in.r[k] = u[q], i[q], r[q]
		}
	}
	return in
}

// checkMatrix verifies that rows and columns are strictly ascending and
// that the CSC holds exactly the CSR's ratings.
func checkMatrix(t *testing.T, m *Matrix) {
	t.Helper()
	byRow := map[[2]int32]float32{}
	for u := range int32(m.Customers()) {
		items, vals := m.Row(u)
		for k, i := range items {
			if k > 0 && items[k-1] >= i {
				t.Fatalf("row %d not strictly ascending: %v", u, items)
			}
			byRow[[2]int32{u, i}] = vals[k]
		}
	}
	n := 0
	for i := range int32(m.Items()) {
		us, vals := m.Col(i)
		for k, u := range us {
			if k > 0 && us[k-1] >= u {
				t.Fatalf("column %d not strictly ascending: %v", i, us)
			}
			if v, ok := byRow[[2]int32{u, i}]; !ok || v != vals[k] {
				t.Fatalf("CSC (%d, %d) = %v, CSR has %v %v", u, i, vals[k], v, ok)
			}
			n++
		}
	}
	if n != len(byRow) || n != m.Len() {
		t.Fatalf("CSC holds %d ratings, CSR %d, Len %d", n, len(byRow), m.Len())
	}
}

// byIDs returns m's ratings keyed by (customer id, item id).
func byIDs(m *Matrix) map[[2]string]float32 {
	out := map[[2]string]float32{}
	for _, r := range m.Ratings() {
		out[[2]string{m.CustomerID(r.Customer), m.ItemID(r.Item)}] = r.Value
	}
	return out
}

func TestCOOAgreesWithBuilder(t *testing.T) {
	for _, tc := range []struct {
		name             string
		ordered, repeats bool
		nu, ni, n        int
	}{
		{"random order with repeats", false, true, 37, 23, 600},
		{"random order without repeats", false, false, 50, 40, 900},
		{"customer order without repeats (CSC kept from the first sort)", true, false, 50, 40, 900},
		{"customer order with repeats", true, true, 20, 10, 400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := randomCOOInput(uint64(tc.n), tc.nu, tc.ni, tc.n, tc.ordered, tc.repeats)
			b := NewBuilder()
			c := NewCOO(tc.nu, tc.ni)
			for k := range in.u {
				b.Add(strconv.Itoa(int(in.u[k])), strconv.Itoa(int(in.i[k])), in.r[k])
				c.Add(in.u[k], in.i[k], in.r[k])
			}
			want, wst, err := b.Build()
			if err != nil {
				t.Fatal(err)
			}
			got, gst, err := c.Build()
			if err != nil {
				t.Fatal(err)
			}
			checkMatrix(t, got)
			if gst.Ratings != wst.Ratings || gst.Repeats != wst.Repeats || (tc.repeats && gst.Repeats == 0) {
				t.Fatalf("stats %+v, builder %+v", gst, wst)
			}
			if gst.Customers != tc.nu || gst.Items != tc.ni || got.Customers() != tc.nu || got.Items() != tc.ni {
				t.Fatalf("shape: stats %+v, matrix %d × %d", gst, got.Customers(), got.Items())
			}
			if !mapsEqual(byIDs(got), byIDs(want)) {
				t.Fatal("ratings differ from the Builder's (last wins)")
			}
			glo, ghi := got.Scale()
			wlo, whi := want.Scale()
			if got.Mean() != want.Mean() || glo != wlo || ghi != whi {
				t.Fatalf("mean %v scale %v..%v, builder %v %v..%v", got.Mean(), glo, ghi, want.Mean(), wlo, whi)
			}
			if c.Len() != 0 {
				t.Fatalf("COO holds %d ratings after Build, want 0", c.Len())
			}
			flat, fst, err := NewMatrixFromCOO(tc.nu, tc.ni, in.u, in.i, in.r)
			if err != nil {
				t.Fatal(err)
			}
			if fst != gst || !slices.Equal(flat.Ratings(), got.Ratings()) {
				t.Fatalf("NewMatrixFromCOO differs from COO.Build: %+v vs %+v", fst, gst)
			}
		})
	}
}

func mapsEqual[K comparable](a, b map[K]float32) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func TestCOOIDs(t *testing.T) {
	m, _, err := NewMatrixFromCOO(12, 3, []int32{0, 11}, []int32{2, 0}, []float32{1, 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Run("ids are the indices in decimal", func(t *testing.T) {
		for u := range int32(12) {
			id := m.CustomerID(u)
			if id != strconv.Itoa(int(u)) {
				t.Fatalf("CustomerID(%d) = %q", u, id)
			}
			if back, ok := m.CustomerIndex(id); !ok || back != u {
				t.Fatalf("CustomerIndex(%q) = %d %v", id, back, ok)
			}
		}
		if m.ItemID(2) != "2" {
			t.Fatalf("ItemID(2) = %q", m.ItemID(2))
		}
	})
	t.Run("only canonical in-range decimals are found", func(t *testing.T) {
		for _, id := range []string{"", "12", "-1", "+1", "01", "1.0", "x", "99999999999"} {
			if u, ok := m.CustomerIndex(id); ok {
				t.Errorf("CustomerIndex(%q) = %d, want not found", id, u)
			}
		}
		if i, ok := m.ItemIndex("3"); ok {
			t.Errorf("ItemIndex(\"3\") = %d, want not found", i)
		}
	})
	t.Run("an index out of range panics as with string ids", func(t *testing.T) {
		defer func() {
			if recover() == nil {
				t.Fatal("no panic")
			}
		}()
		m.CustomerID(12)
	})
	t.Run("a saved model keeps the ids", func(t *testing.T) {
		mod, err := Fit(context.Background(), m, DefaultBaseline())
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := Save(&buf, mod); err != nil {
			t.Fatal(err)
		}
		got, err := Load(&buf)
		if err != nil {
			t.Fatal(err)
		}
		if u, ok := got.Train().CustomerIndex("11"); !ok || u != 11 || got.Train().ItemID(2) != "2" {
			t.Fatalf("loaded ids: CustomerIndex(\"11\") = %d %v", u, ok)
		}
	})
}

func TestCOOErrors(t *testing.T) {
	inf := float32(math.Inf(1))
	for _, tc := range []struct {
		name string
		add  func(c *COO)
	}{
		{"a customer out of range", func(c *COO) { c.Add(3, 0, 1) }},
		{"a negative item", func(c *COO) { c.Add(0, -1, 1) }},
		{"a NaN rating", func(c *COO) { c.Add(0, 0, float32(nanF())) }},
		{"an infinite rating", func(c *COO) { c.Append([]int32{0, 1}, []int32{0, 1}, []float32{1, inf}) }},
		{"columns of different lengths", func(c *COO) { c.Append([]int32{0}, []int32{0, 1}, []float32{1}) }},
	} {
		t.Run(tc.name+" fails the build", func(t *testing.T) {
			c := NewCOO(3, 2)
			c.Add(1, 1, 2)
			tc.add(c)
			c.Add(2, 1, 3)
			if _, _, err := c.Build(); err == nil {
				t.Fatal("no error")
			}
		})
	}
	t.Run("a negative shape fails the build", func(t *testing.T) {
		if _, _, err := NewCOO(-1, 2).Build(); err == nil {
			t.Fatal("no error")
		}
	})
	t.Run("bad columns fail NewMatrixFromCOO", func(t *testing.T) {
		if _, _, err := NewMatrixFromCOO(2, 2, []int32{0, 2}, []int32{0, 0}, []float32{1, 1}); err == nil {
			t.Fatal("no error for a customer out of range")
		}
		if _, _, err := NewMatrixFromCOO(2, 2, []int32{0}, []int32{0}, nil); err == nil {
			t.Fatal("no error for columns of different lengths")
		}
	})
	t.Run("a test share outside (0, 1) fails the holdout", func(t *testing.T) {
		for _, share := range []float64{0, 1, -0.5, nanF()} {
			c := NewCOO(3, 2)
			c.Add(1, 1, 2)
			if _, err := c.Holdout(share, 1); err == nil {
				t.Errorf("share %v: no error", share)
			}
		}
	})
}

func TestCOOHoldout(t *testing.T) {
	const nu, ni, n, share = 400, 300, cooChunkLen + cooChunkLen/2, 0.1
	in := randomCOOInput(3, nu, ni, n, false, true)
	all, _, err := NewMatrixFromCOO(nu, ni, in.u, in.i, in.r)
	if err != nil {
		t.Fatal(err)
	}
	split := func(seed uint64, chunk int) (*Matrix, []Rating) {
		c := NewCOO(nu, ni)
		for lo := 0; lo < n; lo += chunk { // several Appends, crossing chunks
			hi := min(n, lo+chunk)
			c.Append(in.u[lo:hi], in.i[lo:hi], in.r[lo:hi])
		}
		test, err := c.Holdout(share, seed)
		if err != nil {
			t.Fatal(err)
		}
		train, _, err := c.Build()
		if err != nil {
			t.Fatal(err)
		}
		checkMatrix(t, train)
		return train, test
	}
	train, test := split(1, 100_003)
	t.Run("train and test partition the pairs, last rating winning", func(t *testing.T) {
		union := map[[2]int32]float32{}
		for _, r := range train.Ratings() {
			union[[2]int32{r.Customer, r.Item}] = r.Value
		}
		for k, r := range test {
			if k > 0 && (test[k-1].Customer > r.Customer || test[k-1].Customer == r.Customer && test[k-1].Item >= r.Item) {
				t.Fatalf("test not sorted by distinct (customer, item) at %d", k)
			}
			key := [2]int32{r.Customer, r.Item}
			if _, dup := union[key]; dup {
				t.Fatalf("pair %v on both sides", key)
			}
			union[key] = r.Value
		}
		want := map[[2]int32]float32{}
		for _, r := range all.Ratings() {
			want[[2]int32{r.Customer, r.Item}] = r.Value
		}
		if !mapsEqual(union, want) {
			t.Fatal("train ∪ test differs from the full matrix")
		}
	})
	t.Run("the test share is as asked within four standard deviations", func(t *testing.T) {
		p := float64(len(test)) / float64(all.Len())
		sd := math.Sqrt(share * (1 - share) / float64(all.Len()))
		if math.Abs(p-share) > 4*sd {
			t.Fatalf("test share %.4f, want %.2f ± %.4f", p, share, 4*sd)
		}
	})
	t.Run("the split depends on the seed and pairs, not on how ratings were added", func(t *testing.T) {
		train2, test2 := split(1, 777)
		if !slices.Equal(test, test2) || !slices.Equal(train.Ratings(), train2.Ratings()) {
			t.Fatal("same seed, different split")
		}
		if _, test3 := split(2, 100_003); slices.Equal(test, test3) {
			t.Fatal("another seed gives the same split")
		}
	})
}

func TestCOOAllocations(t *testing.T) {
	t.Run("adding a rating allocates nothing within a chunk", func(t *testing.T) {
		c := NewCOO(10, 10)
		c.Add(0, 0, 1)
		k := int32(0)
		if a := testing.AllocsPerRun(1000, func() { c.Add(k%10, k/10%10, 3); k++ }); a != 0 {
			t.Fatalf("%v allocations per Add", a)
		}
	})
	t.Run("building allocates the same for 100 times the ratings", func(t *testing.T) {
		allocs := func(n int) float64 {
			in := randomCOOInput(5, 600, 400, n, false, false)
			return testing.AllocsPerRun(3, func() {
				if _, _, err := NewMatrixFromCOO(600, 400, in.u, in.i, in.r); err != nil {
					t.Fatal(err)
				}
			})
		}
		if small, large := allocs(500), allocs(50_000); small != large {
			t.Fatalf("%v allocations for 500 ratings, %v for 50,000", small, large)
		}
	})
}

// ExampleCOO builds a matrix from integer-indexed ratings, holding out
// about half of the pairs by hash.
func ExampleCOO() {
	c := NewCOO(3, 4) // 3 customers × 4 items
	c.Add(0, 1, 4)
	c.Add(2, 3, 5)
	c.Add(0, 1, 2) // repeat: the last rating wins
	c.Append([]int32{1, 1, 2}, []int32{0, 2, 1}, []float32{3, 1, 4})
	test, err := c.Holdout(0.5, 1)
	if err != nil {
		panic(err)
	}
	m, st, err := c.Build()
	if err != nil {
		panic(err)
	}
	fmt.Printf("train: %d ratings, %d repeats; customer 2 is %q\n", m.Len(), st.Repeats, m.CustomerID(2))
	fmt.Println("test:", test) // (0, 1) kept its last rating
	// Output:
	// train: 2 ratings, 0 repeats; customer 2 is "2"
	// test: [{0 1 2} {1 0 3} {2 3 5}]
}

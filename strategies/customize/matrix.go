package customize

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// Rating is one (customer, item, rating) triple over dense indices.
type Rating struct {
	Customer int32
	Item     int32
	Value    float32
}

// dict interns string ids into dense int32 indices in order of first sight.
// A numeric dict (a matrix built from integer indices, see [COO]) holds no
// tables: the id of index k is k in decimal, made when asked for.
type dict struct {
	ids     []string
	index   map[string]int32
	numeric bool
	n       int32 // size of a numeric dict
}

func newDict() *dict { return &dict{index: make(map[string]int32)} }

func numericDict(n int32) *dict { return &dict{numeric: true, n: n} }

// len returns the number of ids.
func (d *dict) len() int {
	if d.numeric {
		return int(d.n)
	}
	return len(d.ids)
}

// id returns the id of index k; it panics when k is out of range.
func (d *dict) id(k int32) string {
	if !d.numeric {
		return d.ids[k]
	}
	if k < 0 || k >= d.n {
		panic(fmt.Sprintf("customize: index %d out of range [0,%d)", k, d.n))
	}
	return strconv.Itoa(int(k))
}

// lookup returns the index of id. A numeric dict accepts only canonical
// decimals ("7", not "07" or "+7").
func (d *dict) lookup(id string) (int32, bool) {
	if !d.numeric {
		k, ok := d.index[id]
		return k, ok
	}
	if id == "" || id[0] < '0' || id[0] > '9' || (id[0] == '0' && len(id) > 1) {
		return 0, false
	}
	k, err := strconv.ParseInt(id, 10, 32)
	if err != nil || k >= int64(d.n) {
		return 0, false
	}
	return int32(k), true
}

func (d *dict) intern(id string) (int32, error) {
	if i, ok := d.index[id]; ok {
		return i, nil
	}
	if len(d.ids) >= math.MaxInt32 {
		return 0, errors.New("more than 2^31-1 distinct ids")
	}
	i := int32(len(d.ids))
	id = strings.Clone(id) // the caller's id may alias a buffer it reuses
	d.ids = append(d.ids, id)
	d.index[id] = i
	return i, nil
}

// Matrix is an immutable customer × item ratings matrix stored twice: by
// customer (CSR: the items each customer rated, ascending) and by item
// (CSC: the customers who rated each item, ascending), with int32 indices
// and float32 values. Rows and columns are dense indices into the id
// dictionaries, which are shared between matrices cut from the same data
// (folds of a cross-validation), so an index means the same customer or
// item in every fold. A Matrix is safe for concurrent use.
type Matrix struct {
	customers, items *dict

	rowPtr []int32 // len nCustomers+1
	rowIdx []int32 // item of each rating, by customer
	rowVal []float32
	colPtr []int32 // len nItems+1
	colIdx []int32 // customer of each rating, by item
	colVal []float32

	mean     float32
	min, max float32
}

// Customers returns the number of customers (rows), including customers
// interned but without ratings in this matrix.
func (m *Matrix) Customers() int { return len(m.rowPtr) - 1 }

// Items returns the number of items (columns).
func (m *Matrix) Items() int { return len(m.colPtr) - 1 }

// Len returns the number of stored ratings.
func (m *Matrix) Len() int { return len(m.rowIdx) }

// Mean returns the mean stored rating (0 for an empty matrix).
func (m *Matrix) Mean() float32 { return m.mean }

// Scale returns the smallest and largest stored rating; rating models clip
// their predictions to it.
func (m *Matrix) Scale() (lo, hi float32) { return m.min, m.max }

// Row returns the items customer u rated (ascending) and the ratings. The
// slices alias the matrix and must not be modified.
func (m *Matrix) Row(u int32) (items []int32, ratings []float32) {
	a, b := m.rowPtr[u], m.rowPtr[u+1]
	return m.rowIdx[a:b:b], m.rowVal[a:b:b]
}

// Col returns the customers who rated item i (ascending) and the ratings.
// The slices alias the matrix and must not be modified.
func (m *Matrix) Col(i int32) (customers []int32, ratings []float32) {
	a, b := m.colPtr[i], m.colPtr[i+1]
	return m.colIdx[a:b:b], m.colVal[a:b:b]
}

// CustomerID returns the string id of customer index u.
func (m *Matrix) CustomerID(u int32) string { return m.customers.id(u) }

// ItemID returns the string id of item index i.
func (m *Matrix) ItemID(i int32) string { return m.items.id(i) }

// CustomerIndex returns the dense index of a customer id.
func (m *Matrix) CustomerIndex(id string) (int32, bool) {
	u, ok := m.customers.lookup(id)
	return u, ok && int(u) < m.Customers()
}

// ItemIndex returns the dense index of an item id.
func (m *Matrix) ItemIndex(id string) (int32, bool) {
	i, ok := m.items.lookup(id)
	return i, ok && int(i) < m.Items()
}

// Ratings returns the stored ratings in CSR order (by customer, then item).
func (m *Matrix) Ratings() []Rating {
	out := make([]Rating, 0, m.Len())
	for u := range m.Customers() {
		items, vals := m.Row(int32(u))
		for k, i := range items {
			out = append(out, Rating{int32(u), i, vals[k]})
		}
	}
	return out
}

// newMatrix builds a matrix over the given dictionaries from triples with
// distinct (customer, item) pairs. It reorders rs.
func newMatrix(customers, items *dict, rs []Rating) *Matrix {
	nu, ni := customers.len(), items.len()
	m := &Matrix{customers: customers, items: items}
	slices.SortFunc(rs, func(a, b Rating) int {
		if a.Customer != b.Customer {
			return int(a.Customer - b.Customer)
		}
		return int(a.Item - b.Item)
	})
	n := len(rs)
	m.rowPtr = make([]int32, nu+1)
	m.rowIdx = make([]int32, n)
	m.rowVal = make([]float32, n)
	m.colPtr = make([]int32, ni+1)
	m.colIdx = make([]int32, n)
	m.colVal = make([]float32, n)
	var sum float64
	if n > 0 {
		m.min, m.max = rs[0].Value, rs[0].Value
	}
	for k, r := range rs {
		m.rowPtr[r.Customer+1]++
		m.colPtr[r.Item+1]++
		m.rowIdx[k] = r.Item
		m.rowVal[k] = r.Value
		sum += float64(r.Value)
		m.min = min(m.min, r.Value)
		m.max = max(m.max, r.Value)
	}
	if n > 0 {
		m.mean = float32(sum / float64(n))
	}
	for u := range nu {
		m.rowPtr[u+1] += m.rowPtr[u]
	}
	for i := range ni {
		m.colPtr[i+1] += m.colPtr[i]
	}
	next := slices.Clone(m.colPtr[:ni])
	for _, r := range rs { // customers ascending, so each column ends sorted
		p := next[r.Item]
		next[r.Item]++
		m.colIdx[p] = r.Customer
		m.colVal[p] = r.Value
	}
	return m
}

// subset returns a matrix with the same dictionaries holding rs.
func (m *Matrix) subset(rs []Rating) *Matrix {
	return newMatrix(m.customers, m.items, slices.Clone(rs))
}

// Builder collects ratings keyed by string ids and builds a [Matrix]. Each
// (customer, item) pair keeps one rating: when a pair repeats, the last one
// added wins and the repeat is counted in [BuildStats]. A Builder is not
// safe for concurrent use.
type Builder struct {
	customers, items *dict
	// ratings: ratings[:sorted] sorted by (customer, item) without
	// repeats, the rest in the order added since the last Build, which
	// sorts them all and drops repeats ([dedupe]) rather than keep a map
	// of every pair (5.3M at the benchmark's 100M events) for Add to probe.
	ratings     []Rating
	sorted      int
	repeats     int
	test        []Rating
	testPairs   map[uint64]int
	testRepeats int
	finished    bool
	err         error
}

// BuildStats describes what a [Builder] kept.
type BuildStats struct {
	Ratings   int `json:"ratings"`   // distinct (customer, item) pairs kept
	Repeats   int `json:"repeats"`   // ratings that replaced an earlier one for the same pair
	Customers int `json:"customers"` // distinct customer ids
	Items     int `json:"items"`     // distinct item ids
}

// NewBuilder returns an empty builder.
func NewBuilder() *Builder {
	return &Builder{customers: newDict(), items: newDict(), testPairs: make(map[uint64]int)}
}

// intern returns the indices of customer and item, or false (with b.err
// set) when the rating cannot be added.
func (b *Builder) intern(customer, item string, rating float32) (u, i int32, ok bool) {
	if b.err != nil {
		return 0, 0, false
	}
	if b.finished {
		b.err = errors.New("rating added after Finish")
		return 0, 0, false
	}
	if math.IsNaN(float64(rating)) || math.IsInf(float64(rating), 0) {
		b.err = fmt.Errorf("rating of %q for %q is %v", customer, item, rating)
		return 0, 0, false
	}
	u, err := b.customers.intern(customer)
	if err != nil {
		b.err = fmt.Errorf("customers: %w", err)
		return 0, 0, false
	}
	i, err = b.items.intern(item)
	if err != nil {
		b.err = fmt.Errorf("items: %w", err)
		return 0, 0, false
	}
	return u, i, true
}

// Add records that customer rated item. Ratings must be finite; an invalid
// rating makes [Builder.Build] fail. When a pair is rated again, the last
// rating wins (counted in [BuildStats].Repeats). The builder keeps copies of
// the ids it has not seen before, so customer and item may alias memory
// the caller reuses after the call (an Arrow batch's buffers, for example).
func (b *Builder) Add(customer, item string, rating float32) {
	if u, i, ok := b.intern(customer, item, rating); ok {
		b.ratings = append(b.ratings, Rating{u, i, rating})
	}
}

// AddTest records a held-out rating for evaluation: its ids are interned in
// the same dictionaries as the training ratings, but it is kept out of the
// matrix and returned by [Builder.BuildSplit] in the order added. Repeats
// are resolved as in Add.
func (b *Builder) AddTest(customer, item string, rating float32) {
	u, i, ok := b.intern(customer, item, rating)
	if !ok {
		return
	}
	key := uint64(uint32(u))<<32 | uint64(uint32(i))
	if k, ok := b.testPairs[key]; ok {
		b.test[k].Value = rating
		b.testRepeats++
		return
	}
	b.testPairs[key] = len(b.test)
	b.test = append(b.test, Rating{u, i, rating})
}

// dedupe sorts rs by (customer, item) and keeps, of each pair, the rating
// added last: a stable counting sort by customer, then a stable sort of
// each customer's items (a few, mostly). nu bounds the customer indices.
// It returns the kept ratings (in a new slice) and the number dropped.
func dedupe(rs []Rating, nu int) ([]Rating, int) {
	off := make([]int, nu+1)
	for _, r := range rs {
		off[r.Customer+1]++
	}
	for u := range nu {
		off[u+1] += off[u]
	}
	out := make([]Rating, len(rs))
	next := slices.Clone(off[:nu])
	for _, r := range rs {
		out[next[r.Customer]] = r
		next[r.Customer]++
	}
	w := 0
	for u := range nu {
		row := out[off[u]:off[u+1]]
		if len(row) > 1 {
			slices.SortStableFunc(row, func(a, b Rating) int { return cmp.Compare(a.Item, b.Item) })
		}
		for k, r := range row {
			if k+1 < len(row) && row[k+1].Item == r.Item {
				continue // a later rating of the pair follows
			}
			out[w] = r // w ≤ off[u]+k: compaction never overtakes the reading
			w++
		}
	}
	return out[:w:w], len(rs) - w
}

// settle sorts the ratings added since the last Build and drops repeats.
func (b *Builder) settle() {
	if b.sorted < len(b.ratings) {
		var dropped int
		b.ratings, dropped = dedupe(b.ratings, b.customers.len())
		b.repeats += dropped
		b.sorted = len(b.ratings)
	}
}

// Build returns the matrix of the ratings added so far. The builder may
// keep being used; later matrices share its dictionaries.
func (b *Builder) Build() (*Matrix, BuildStats, error) {
	if err := b.ready(); err != nil {
		return nil, BuildStats{}, err
	}
	d := b.snapshot()
	m := newMatrix(d.c, d.i, slices.Clone(b.ratings))
	return m, BuildStats{Ratings: len(b.ratings), Repeats: b.repeats, Customers: len(d.c.ids), Items: len(d.i.ids)}, nil
}

// Finish is Build for the last matrix of a builder: the matrix takes the
// builder's dictionaries and ratings instead of copies (two maps of 1.4M
// customer and 330k item ids at the benchmark's 100M events), and the
// builder cannot be used afterwards.
func (b *Builder) Finish() (*Matrix, BuildStats, error) {
	if err := b.ready(); err != nil {
		return nil, BuildStats{}, err
	}
	b.finished = true
	c, i := b.customers, b.items
	m := newMatrix(c, i, b.ratings)
	st := BuildStats{Ratings: len(b.ratings), Repeats: b.repeats, Customers: len(c.ids), Items: len(i.ids)}
	b.customers, b.items, b.ratings, b.test, b.testPairs = nil, nil, nil, nil, nil
	return m, st, nil
}

// ready reports the builder's error, if any, and settles its ratings.
func (b *Builder) ready() error {
	if b.err != nil {
		return fmt.Errorf("build matrix: %w", b.err)
	}
	if b.finished {
		return errors.New("build matrix: builder used after Finish")
	}
	if len(b.ratings) > math.MaxInt32 {
		return errors.New("build matrix: more than 2^31-1 ratings")
	}
	b.settle()
	return nil
}

// BuildSplit returns a train/test split: the ratings added with Add as the
// training matrix and those added with AddTest as the test set (for
// example MovieLens' u1.base and u1.test). Stats count the training side.
func (b *Builder) BuildSplit(name string) (Split, BuildStats, error) {
	m, st, err := b.Build()
	if err != nil {
		return Split{}, st, err
	}
	return Split{Name: name, Train: m, Test: slices.Clone(b.test)}, st, nil
}

type dicts struct{ c, i *dict }

// snapshot returns dictionaries frozen at the current size, so that later
// Adds do not change a built matrix's view of them.
func (b *Builder) snapshot() dicts {
	freeze := func(d *dict) *dict {
		idx := make(map[string]int32, len(d.ids))
		for k, v := range d.index {
			idx[k] = v
		}
		return &dict{ids: slices.Clip(slices.Clone(d.ids)), index: idx}
	}
	return dicts{freeze(b.customers), freeze(b.items)}
}

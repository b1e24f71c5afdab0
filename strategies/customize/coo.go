package customize

import (
	"errors"
	"fmt"
	"math"
	"slices"
)

// cooChunkLen is the number of ratings per chunk of a [COO] (12 MiB).
const cooChunkLen = 1 << 20

// COO collects ratings over dense integer indices (customer u in
// [0, customers), item i in [0, items)) and builds a [Matrix] without maps
// or string ids. It is the path for input that is already integer-indexed,
// such as datasets.GenerateRatings, at sizes where [Builder]'s map of pairs
// and copies of the ratings would take several gigabytes (a COO holds 10⁸
// ratings in 1.2 GB).
//
// Ratings are kept as three columns (int32, int32, float32: 12 bytes a
// rating) in chunks of 2²⁰ ratings, so growing never copies what is
// stored: [COO.Add] allocates nothing but a new chunk every 2²⁰ ratings.
// The built matrix's ids are the indices in decimal ("0", "1", …), made
// when [Matrix.CustomerID] asks rather than stored; [Matrix.CustomerIndex]
// parses them back. Each (customer, item) pair keeps one rating: when a
// pair repeats, the last one added wins and the repeat is counted in
// [BuildStats], as with Builder.
//
// A COO is not safe for concurrent use.
type COO struct {
	customers, items int32
	chunks           []cooChunk
	n                int
	err              error
}

type cooChunk struct {
	u, i []int32
	r    []float32
}

// NewCOO returns an empty COO for a customers × items matrix. Both must be
// in [0, 2³¹); an invalid shape makes [COO.Build] fail.
func NewCOO(customers, items int) *COO {
	c := &COO{}
	if customers < 0 || items < 0 || customers > math.MaxInt32 || items > math.MaxInt32 {
		c.err = fmt.Errorf("shape %d × %d, want each in [0, 2^31)", customers, items)
		return c
	}
	c.customers, c.items = int32(customers), int32(items)
	return c
}

// Len returns the number of ratings added (repeats included) and not held
// out.
func (c *COO) Len() int { return c.n }

// check returns an error when rating k (u, i, r) is outside the shape or
// not finite.
func (c *COO) check(k int, u, i int32, r float32) error {
	switch {
	case u < 0 || u >= c.customers:
		return fmt.Errorf("rating %d: customer %d out of range [0, %d)", k, u, c.customers)
	case i < 0 || i >= c.items:
		return fmt.Errorf("rating %d: item %d out of range [0, %d)", k, i, c.items)
	case r-r != 0: // NaN or ±Inf
		return fmt.Errorf("rating %d: customer %d, item %d: rating is %v", k, u, i, r)
	}
	return nil
}

// last returns the chunk to append to, adding one when the last is full.
func (c *COO) last() *cooChunk {
	if len(c.chunks) == 0 || len(c.chunks[len(c.chunks)-1].u) == cooChunkLen {
		c.chunks = append(c.chunks, cooChunk{
			u: make([]int32, 0, cooChunkLen),
			i: make([]int32, 0, cooChunkLen),
			r: make([]float32, 0, cooChunkLen),
		})
	}
	return &c.chunks[len(c.chunks)-1]
}

// Add records that customer u rated item i with r. An index out of the
// shape or a rating that is not finite makes [COO.Build] fail; later
// ratings are then ignored.
func (c *COO) Add(u, i int32, r float32) {
	if c.err != nil {
		return
	}
	if err := c.check(c.n, u, i, r); err != nil {
		c.err = err
		return
	}
	ch := c.last()
	ch.u = append(ch.u, u)
	ch.i = append(ch.i, i)
	ch.r = append(ch.r, r)
	c.n++
}

// Append records the ratings (u[k], i[k], r[k]) as [COO.Add] would. The
// three slices must have the same length; they are copied, not kept.
func (c *COO) Append(u, i []int32, r []float32) {
	if c.err != nil {
		return
	}
	if len(u) != len(i) || len(u) != len(r) {
		c.err = fmt.Errorf("append: columns of lengths %d, %d and %d", len(u), len(i), len(r))
		return
	}
	for k := range u {
		if err := c.check(c.n+k, u[k], i[k], r[k]); err != nil {
			c.err = err
			return
		}
	}
	for len(u) > 0 {
		ch := c.last()
		m := min(len(u), cooChunkLen-len(ch.u))
		ch.u = append(ch.u, u[:m]...)
		ch.i = append(ch.i, i[:m]...)
		ch.r = append(ch.r, r[:m]...)
		u, i, r = u[m:], i[m:], r[m:]
		c.n += m
	}
}

// pairHash mixes a (customer, item) pair with seed (SplitMix64's
// finaliser), so that a holdout depends on the pair alone.
func pairHash(u, i int32, seed uint64) uint64 {
	x := (uint64(uint32(u))<<32 | uint64(uint32(i))) ^ (seed*0x9e3779b97f4a7c15 + 0x632be59bd9b4e019)
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

// Holdout moves to a test set the ratings whose (customer, item) pair
// hashes, with seed, into the first testShare of the hash range, and
// returns them sorted by customer then item, a repeated pair keeping its
// last rating. All ratings of a pair fall on the same side, and the test
// size is testShare of the ratings in expectation (binomial: ±0.01% of 10⁸
// ratings at testShare 0.01). The ratings that stay are compacted in place
// within c, in their order, so the only memory added is the test set;
// [COO.Build] then builds the training matrix, whose indices the test
// ratings share. O(ratings + test·log test).
func (c *COO) Holdout(testShare float64, seed uint64) ([]Rating, error) {
	if c.err != nil {
		return nil, fmt.Errorf("holdout: %w", c.err)
	}
	if !(testShare > 0 && testShare < 1) {
		return nil, fmt.Errorf("holdout: test share %v, want in (0, 1)", testShare)
	}
	limit := uint64(math.Ldexp(testShare, 64))
	test := make([]Rating, 0, int(testShare*float64(c.n)*1.01)+16)
	wc, wk := 0, 0 // write cursor: chunk, offset; never ahead of the read
	for rc := range c.chunks {
		ch := c.chunks[rc]
		for k, u := range ch.u {
			i, r := ch.i[k], ch.r[k]
			if pairHash(u, i, seed) < limit {
				test = append(test, Rating{u, i, r})
				continue
			}
			w := &c.chunks[wc]
			w.u[wk], w.i[wk], w.r[wk] = u, i, r
			if wk++; wk == len(w.u) {
				wc, wk = wc+1, 0
			}
		}
	}
	// Cut the chunks at the write cursor and drop the emptied ones.
	if wc < len(c.chunks) {
		w := &c.chunks[wc]
		w.u, w.i, w.r = w.u[:wk], w.i[:wk], w.r[:wk]
		if wk > 0 {
			wc++
		}
	}
	clear(c.chunks[wc:])
	c.chunks = c.chunks[:wc]
	c.n -= len(test)

	slices.SortStableFunc(test, func(a, b Rating) int {
		if a.Customer != b.Customer {
			return int(a.Customer - b.Customer)
		}
		return int(a.Item - b.Item)
	})
	out := test[:0]
	for _, r := range test {
		if n := len(out); n > 0 && out[n-1].Customer == r.Customer && out[n-1].Item == r.Item {
			out[n-1].Value = r.Value
			continue
		}
		out = append(out, r)
	}
	return slices.Clip(out), nil
}

// Build returns the matrix of the ratings added and not held out, and
// empties c (which may then be reused with the same shape). Stats count
// every customer and item index of the shape, rated or not.
//
// Building is two stable counting sorts (an LSD radix sort on (customer,
// item)), O(ratings + customers + items) with no comparison sort and no
// map: by item into the CSC arrays, then from them by customer into the
// CSR arrays, which leaves each row sorted by item with a repeated pair's
// ratings adjacent in the order added, so the last is kept in one pass.
// The CSC is then rebuilt from the CSR (skipped when no pair repeated and
// every column came out ascending, as for input added in customer order).
// c's chunks are released as soon as they have been read, so the peak is
// c's 12 bytes a rating plus the CSC's 8, then the matrix's 16.
func (c *COO) Build() (*Matrix, BuildStats, error) {
	if c.err != nil {
		return nil, BuildStats{}, fmt.Errorf("build matrix: %w", c.err)
	}
	m, st, err := buildCOO(c.customers, c.items, &c.chunks, c.n)
	c.chunks, c.n = nil, 0
	return m, st, err
}

// NewMatrixFromCOO builds a customers × items matrix from ratings given as
// columns: customer u[k] rated item i[k] with r[k]. It is [COO.Build]
// without copying the columns into a COO (they are read, not modified or
// kept), and checks them as [COO.Add] does.
func NewMatrixFromCOO(customers, items int, u, i []int32, r []float32) (*Matrix, BuildStats, error) {
	c := NewCOO(customers, items)
	if c.err == nil && (len(u) != len(i) || len(u) != len(r)) {
		c.err = fmt.Errorf("columns of lengths %d, %d and %d", len(u), len(i), len(r))
	}
	if c.err == nil {
		for k := range u {
			if err := c.check(k, u[k], i[k], r[k]); err != nil {
				c.err = err
				break
			}
		}
	}
	if c.err != nil {
		return nil, BuildStats{}, fmt.Errorf("build matrix: %w", c.err)
	}
	chunks := []cooChunk{{u: u, i: i, r: r}}
	return buildCOO(c.customers, c.items, &chunks, len(u))
}

// buildCOO builds the matrix of n valid ratings held in *chunks, setting
// *chunks to nil once they have been read.
func buildCOO(nu, ni int32, chunks *[]cooChunk, n int) (*Matrix, BuildStats, error) {
	if n > math.MaxInt32 {
		return nil, BuildStats{}, errors.New("build matrix: more than 2^31-1 ratings")
	}
	m := &Matrix{customers: numericDict(nu), items: numericDict(ni)}
	m.rowPtr = make([]int32, nu+1)
	m.colPtr = make([]int32, ni+1)
	for _, ch := range *chunks {
		for k, u := range ch.u {
			m.rowPtr[u+1]++
			m.colPtr[ch.i[k]+1]++
		}
	}
	for u := range nu {
		m.rowPtr[u+1] += m.rowPtr[u]
	}
	for i := range ni {
		m.colPtr[i+1] += m.colPtr[i]
	}

	// By item, in the order added.
	m.colIdx = make([]int32, n)
	m.colVal = make([]float32, n)
	next := slices.Clone(m.colPtr[:ni])
	for _, ch := range *chunks {
		ci, cr := ch.i[:len(ch.u)], ch.r[:len(ch.u)]
		for k, u := range ch.u {
			i := ci[k]
			p := next[i]
			next[i]++
			m.colIdx[p] = u
			m.colVal[p] = cr[k]
		}
	}
	*chunks = nil

	// By customer, items ascending, a pair's repeats adjacent in order.
	m.rowIdx = make([]int32, n)
	m.rowVal = make([]float32, n)
	next = slices.Clone(m.rowPtr[:nu])
	sorted := true // every column strictly ascending in customer
	for i := range ni {
		a, b := m.colPtr[i], m.colPtr[i+1]
		us, vs := m.colIdx[a:b], m.colVal[a:b]
		vs = vs[:len(us)]
		prev := int32(-1)
		for k, u := range us {
			sorted = sorted && u > prev
			prev = u
			p := next[u]
			next[u]++
			m.rowIdx[p] = i
			m.rowVal[p] = vs[k]
		}
	}

	// Keep each pair's last rating, compacting the rows.
	w, repeats := int32(0), 0
	for u := range nu {
		a, b := m.rowPtr[u], m.rowPtr[u+1]
		m.rowPtr[u] = w
		start := w
		for k := a; k < b; k++ {
			if w > start && m.rowIdx[w-1] == m.rowIdx[k] {
				m.rowVal[w-1] = m.rowVal[k]
				repeats++
				continue
			}
			m.rowIdx[w], m.rowVal[w] = m.rowIdx[k], m.rowVal[k]
			w++
		}
	}
	m.rowPtr[nu] = w
	kept := int(w)

	if repeats > 0 || !sorted {
		// CSC from the CSR: customers ascending within each column.
		if repeats > 0 {
			clear(m.colPtr)
			for _, i := range m.rowIdx[:kept] {
				m.colPtr[i+1]++
			}
			for i := range ni {
				m.colPtr[i+1] += m.colPtr[i]
			}
		}
		next = slices.Clone(m.colPtr[:ni])
		for u := range nu {
			a, b := m.rowPtr[u], m.rowPtr[u+1]
			is, vs := m.rowIdx[a:b], m.rowVal[a:b]
			vs = vs[:len(is)]
			for k, i := range is {
				p := next[i]
				next[i]++
				m.colIdx[p] = int32(u)
				m.colVal[p] = vs[k]
			}
		}
	}
	m.rowIdx, m.rowVal = shrink(m.rowIdx[:kept]), shrink(m.rowVal[:kept])
	m.colIdx, m.colVal = shrink(m.colIdx[:kept]), shrink(m.colVal[:kept])

	if kept > 0 {
		var sum float64
		lo, hi := m.rowVal[0], m.rowVal[0]
		for _, v := range m.rowVal {
			sum += float64(v)
			lo, hi = min(lo, v), max(hi, v)
		}
		m.mean, m.min, m.max = float32(sum/float64(kept)), lo, hi
	}
	return m, BuildStats{Ratings: kept, Repeats: repeats, Customers: int(nu), Items: int(ni)}, nil
}

// shrink clips s, copying it when more than an eighth of its capacity
// would otherwise stay allocated but unused.
func shrink[T any](s []T) []T {
	if cap(s)-len(s) > cap(s)/8 {
		return slices.Clone(s)
	}
	return slices.Clip(s)
}

package customize

import (
	"cmp"
	"context"
	"math"
	"slices"
	"sync"
	"sync/atomic"
)

// factorTop ranks items for the factor models (svd, svdpp, als-implicit),
// whose score is s(u, i) = b_i + x_u·y_i (no b_i for ALS; the constants μ
// and b_u do not change a customer's ranking and are left out, as in the
// models' TopN).
//
// The item factors are repacked once, on first use, into strips of
// stripWidth items stored factor-major (strip s, factor k, lane l at
// ((s·f)+k)·stripWidth + l), so that the kernel (scoreStrips) broadcasts
// one customer factor and multiplies it into a whole vector of items at
// once: no horizontal sums, no padding of the factor count. Customers are
// scored in blocks of blockRows (packed factor-major too) against tiles of
// strips that stay in L2, and every customer keeps a bounded min-heap of
// its n best items with a running threshold, so the scores of one tile are
// inspected while still in cache and never stored whole.
//
// Most items need not be scored at all (norm-bound pruning as in LEMP,
// Teflioudi et al., SIGMOD 2015): by Cauchy–Schwarz s(u, i) ≤ b_i +
// |x_u|·|y_i|, so the items are packed in decreasing order of b_i +
// c·|y_i| (c the median customer norm), and [bounds] keeps, per tile, an
// upper bound of that expression over the tile and all later ones as a
// function of |x_u|. A group of blockRows customers stops as soon as every
// one of them has n items scored strictly above the bound of the
// remaining tiles (plus the largest rounding error of a float32 score), so
// the lists are exactly those of scoring every item. On the svd models of
// the benchmark suite's generated data this scores about 0.6–1.8% of the
// items; on models whose item norms are all alike it prunes nothing and
// costs a few comparisons per tile.
//
// Each score is the sequential fused multiply-add Σ_k x_uk·y_ik (k
// ascending, from zero) plus b_i, whatever the kernel and however many
// customers it scores at once: a customer's list is the same whether it is
// ranked alone ([Model.TopN]) or in a batch ([TopNAll]), and ties are broken
// by item index whatever the packed order. Memory: the packed copy of the
// item factors and biases, (items rounded up to 2·stripWidth) × (f + 1)
// float32, the item order and its inverse (2 int32 per item), the
// customer norms (a float64 per customer) and gridSize float64 per tile.
type factorTop struct {
	train *Matrix
	f     int
	x, y  []float32 // customers × f, items × f
	b     []float32 // per-item bias, or nil

	once   sync.Once
	strips int       // number of packed strips (even)
	packed []float32 // strips × f × stripWidth
	pbias  []float32 // strips × stripWidth
	item   []int32   // packed position → item index
	at     []int32   // item index → packed position
	xn     []float64 // |x_u| per customer
	bd     bounds
	tile   int       // strips per tile (even)
	work   sync.Pool // *factorWork
	// noPrune makes every customer score every item (tests and
	// benchmarks compare both ways); set it before the first use.
	noPrune bool
	scored  atomic.Int64 // customer-item scores computed
}

// stripWidth is the number of items the kernels hold in one vector lane
// group: two AVX2 registers or one AVX-512 register.
const stripWidth = 16

// tileBytes bounds the size of the item-factor tile scored by a block of
// customers before the next tile is touched; with the customer factors and
// the tile's scores it stays well inside a 1 MiB L2 cache.
const tileBytes = 256 << 10

// tileStrips is the number of strips of a tile when tileBytes allows it:
// 128 items, the granularity at which a group of customers can stop.
const tileStrips = 8

// blockCustomers is the number of customers that share one pass over the
// item factors (a multiple of blockRows).
const blockCustomers = 128

// gridSize is the number of customer norms at which [bounds] are kept.
const gridSize = 32

// bounds bounds the scores of the items from a tile on. grid holds
// gridSize customer norms, from 0 up to the largest, at quantiles of the
// customers' norms; suf[k·gridSize + j] = max b_i + grid[j]·|y_i| over the
// items packed in tile k or later (+Inf where an item's is NaN). As a
// function of the norm that maximum of lines is convex, so between two grid
// norms the chord bounds it from above.
type bounds struct {
	grid []float64
	suf  []float64 // (tiles + 1) × gridSize; the last row is -Inf
	ymax float64   // largest |y_i|
	babs float64   // largest |b_i|
}

// custBound is where customer u sits on the grid: between grid[j-1] and
// grid[j] at fraction w, plus the slack for rounding. j < 0: never prune.
type custBound struct {
	j     int
	w     float64
	slack float64
}

// norm64 returns the Euclidean norm of v, accumulated in float64.
func norm64(v []float32) float64 {
	s := 0.0
	for _, a := range v {
		s += float64(a) * float64(a)
	}
	return math.Sqrt(s)
}

// customer places a customer of norm t (f factors) on the grid. The slack
// covers the float32 rounding of a score: a chain of f fused multiply-adds
// is off by at most γ_f·Σ_k |x_uk·y_ik| ≤ γ_f·t·|y_i| (γ_f ≈ f·2⁻²⁴), and
// adding b_i rounds once more; twice that margin is allowed.
func (bd *bounds) customer(t float64, f int) custBound {
	j, _ := slices.BinarySearch(bd.grid, t) // first grid[j] ≥ t (NaN fails the ty test)
	ty := t * bd.ymax
	if j >= len(bd.grid) || !(ty < 1e30) || !(bd.babs < 1e30) {
		return custBound{j: -1}
	}
	cb := custBound{j: j, w: 1, slack: 2 * (float64(f+2)*0x1p-24*ty + 0x1p-24*bd.babs)}
	if j > 0 {
		cb.w = (t - bd.grid[j-1]) / (bd.grid[j] - bd.grid[j-1])
	}
	return cb
}

// at returns an upper bound of the float32 score of every item packed in
// tile k or later for a customer placed at cb (+Inf: no usable bound).
func (bd *bounds) at(k int, cb custBound) float64 {
	if cb.j < 0 {
		return math.Inf(1)
	}
	row := bd.suf[k*gridSize : (k+1)*gridSize]
	hi := row[cb.j]
	v := hi
	if cb.j > 0 {
		lo := row[cb.j-1]
		v = lo + cb.w*(hi-lo) + 1e-12*(math.Abs(lo)+math.Abs(hi))
	}
	v += cb.slack
	if v != v || v >= math.MaxFloat32 {
		return math.Inf(1)
	}
	return v
}

// factorWork is one goroutine's scratch memory.
type factorWork struct {
	pk      []float32 // blockCustomers' factors, blockRows at a time factor-major
	scores  []float32 // blockRows × tile × stripWidth
	heaps   [][]Rec
	cb      []custBound
	done    []bool  // per group of blockRows: stopped
	seenPos []int32 // rated items' packed positions, sorted per customer
	seen    []int   // per row: next index into seenPos
	seenEnd []int   // per row: end of its rated items in seenPos
}

func newFactorTop(train *Matrix, f int, x, y, b []float32) *factorTop {
	return &factorTop{train: train, f: f, x: x, y: y, b: b}
}

// pack builds the strip layout of the item factors and the bounds (once).
func (t *factorTop) pack() {
	t.once.Do(func() {
		f, ni, nu := t.f, t.train.Items(), t.train.Customers()
		strips := (ni + stripWidth - 1) / stripWidth
		strips += strips & 1
		t.strips = strips
		t.xn = make([]float64, nu)
		var finite []float64
		for u := range nu {
			t.xn[u] = norm64(t.x[u*f : u*f+f])
			if v := t.xn[u]; v <= math.MaxFloat64 {
				finite = append(finite, v)
			}
		}
		slices.Sort(finite)
		c := 0.0
		if len(finite) > 0 {
			c = finite[len(finite)/2]
		}
		yn := make([]float64, ni)
		key := make([]float64, ni)
		for i := range ni {
			yn[i] = norm64(t.y[i*f : i*f+f])
			key[i] = c * yn[i]
			if t.b != nil {
				key[i] += float64(t.b[i])
			}
			if key[i] != key[i] {
				key[i] = math.Inf(1) // scored first: never pruned
			}
		}
		t.item = make([]int32, ni)
		for i := range t.item {
			t.item[i] = int32(i)
		}
		slices.SortFunc(t.item, func(a, b int32) int {
			return cmp.Or(cmp.Compare(key[b], key[a]), cmp.Compare(a, b))
		})
		t.at = make([]int32, ni)
		t.packed = make([]float32, strips*f*stripWidth)
		t.pbias = make([]float32, strips*stripWidth)
		for p, i := range t.item {
			t.at[i] = int32(p)
			s, l := p/stripWidth, p%stripWidth
			base := s * f * stripWidth
			for k, v := range t.y[int(i)*f : int(i)*f+f] {
				t.packed[base+k*stripWidth+l] = v
			}
			if t.b != nil {
				t.pbias[p] = t.b[i]
			}
		}
		t.tile = max(1, min(tileStrips, max(2, tileBytes/(f*stripWidth*4))&^1, strips)) // 1 when there are no items
		t.bd = t.newBounds(finite, yn)
		t.work.New = func() any {
			return &factorWork{
				pk:      make([]float32, blockCustomers*f),
				scores:  make([]float32, blockRows*t.tile*stripWidth),
				heaps:   make([][]Rec, blockCustomers),
				cb:      make([]custBound, blockCustomers),
				done:    make([]bool, blockCustomers/blockRows),
				seen:    make([]int, blockCustomers),
				seenEnd: make([]int, blockCustomers),
			}
		}
	})
}

// newBounds builds t.bd from the sorted finite customer norms xs and the
// item norms yn, once the items are packed.
func (t *factorTop) newBounds(xs, yn []float64) bounds {
	bd := bounds{grid: make([]float64, gridSize)}
	if len(xs) > 0 {
		for j := 1; j < gridSize; j++ {
			bd.grid[j] = xs[(len(xs)-1)*j/(gridSize-1)]
		}
		bd.grid[gridSize-1] = xs[len(xs)-1]
	}
	for i, v := range yn {
		bd.ymax = max(bd.ymax, v)
		if t.b != nil {
			bd.babs = max(bd.babs, math.Abs(float64(t.b[i])))
		}
	}
	// A NaN norm or bias makes ymax or babs NaN (max propagates NaN),
	// which switches pruning off.
	ni := len(t.item)
	tiles := (t.strips + t.tile - 1) / t.tile
	bd.suf = make([]float64, (tiles+1)*gridSize)
	for j := range gridSize {
		bd.suf[tiles*gridSize+j] = math.Inf(-1)
	}
	for k := tiles - 1; k >= 0; k-- {
		row := bd.suf[k*gridSize : (k+1)*gridSize]
		copy(row, bd.suf[(k+1)*gridSize:(k+2)*gridSize])
		for p := k * t.tile * stripWidth; p < min((k+1)*t.tile*stripWidth, ni); p++ {
			i := t.item[p]
			b := 0.0
			if t.b != nil {
				b = float64(t.b[i])
			}
			for j, g := range bd.grid {
				v := b + g*yn[i]
				if v != v {
					v = math.Inf(1)
				}
				row[j] = max(row[j], v)
			}
		}
	}
	return bd
}

// topN returns customer u's list, as [Model.TopN] documents.
func (t *factorTop) topN(u int32, n int, excludeSeen bool) []Rec {
	if u < 0 || int(u) >= t.train.Customers() || n <= 0 {
		return nil
	}
	t.pack()
	w := t.work.Get().(*factorWork)
	defer t.work.Put(w)
	us := [1]int32{u}
	var out [1][]Rec
	t.block(us[:], n, excludeSeen, w, out[:])
	return out[0]
}

// block ranks up to blockCustomers customers us (all valid) into out:
// every tile of item strips is scored for all of them, blockRows at a time,
// before the next tile is read, so each item factor comes from memory once
// per block rather than once per customer. A group of blockRows customers
// stops once the bound of the remaining tiles cannot beat any of their n
// best; the block stops when all its groups have.
func (t *factorTop) block(us []int32, n int, excludeSeen bool, w *factorWork, out [][]Rec) {
	f, ni, rows := t.f, t.train.Items(), blockRows
	groups := (len(us) + rows - 1) / rows
	pk := w.pk[:groups*rows*f]
	clear(pk)
	w.seenPos = w.seenPos[:0]
	for c, u := range us {
		g, r := c/rows, c%rows
		for k, v := range t.x[int(u)*f : int(u)*f+f] {
			pk[(g*f+k)*rows+r] = v
		}
		w.heaps[c] = slices.Grow(w.heaps[c][:0], n)
		w.cb[c] = custBound{j: -1}
		if !t.noPrune {
			w.cb[c] = t.bd.customer(t.xn[u], f)
		}
		if excludeSeen {
			items, _ := t.train.Row(u)
			w.seen[c] = len(w.seenPos)
			for _, i := range items {
				w.seenPos = append(w.seenPos, t.at[i])
			}
			slices.Sort(w.seenPos[w.seen[c]:])
			w.seenEnd[c] = len(w.seenPos)
		}
	}
	done := w.done[:groups]
	clear(done)
	negInf := float32(math.Inf(-1))
	scored := 0
	for s0, k := 0, 0; s0 < t.strips; s0, k = s0+t.tile, k+1 {
		ns := min(t.tile, t.strips-s0)
		width := ns * stripWidth
		lo, hi := s0*stripWidth, min((s0+ns)*stripWidth, ni)
		q := t.packed[s0*f*stripWidth : (s0+ns)*f*stripWidth]
		bias := t.pbias[s0*stripWidth : (s0+ns)*stripWidth]
		live := false
		for g := range groups {
			if done[g] {
				continue
			}
			c0, c1 := g*rows, min(g*rows+rows, len(us))
			if t.stop(w, c0, c1, n, k) {
				done[g] = true
				continue
			}
			live = true
			scoreStrips(pk[g*rows*f:(g+1)*rows*f], c1-c0, f, q, ns, bias, w.scores, width)
			scored += (c1 - c0) * (hi - lo)
			for c := c0; c < c1; c++ {
				r := c - c0
				sc := w.scores[r*width : r*width+hi-lo]
				if excludeSeen {
					p := w.seen[c]
					for ; p < w.seenEnd[c] && int(w.seenPos[p]) < hi; p++ {
						sc[int(w.seenPos[p])-lo] = negInf
					}
					w.seen[c] = p
				}
				w.heaps[c] = pushTop(w.heaps[c], n, sc, t.item[lo:hi], excludeSeen)
			}
		}
		if !live {
			break
		}
	}
	t.scored.Add(int64(scored))
	for c := range us {
		h := w.heaps[c]
		sortRecs(h)
		res := make([]Rec, len(h))
		for k, x := range h {
			res[k] = Rec{Item: x.Item, Score: x.Score, Because: -1}
		}
		out[c] = res
	}
}

// stop reports whether customers c0 ≤ c < c1 of a block each hold n items
// scored strictly above the bound of tiles k and later: no item from there
// can enter their lists, not even by a tie (which the lower index would
// win).
func (t *factorTop) stop(w *factorWork, c0, c1, n, k int) bool {
	for c := c0; c < c1; c++ {
		h := w.heaps[c]
		if len(h) < n || !(float64(h[0].Score) > t.bd.at(k, w.cb[c])) {
			return false
		}
	}
	return true
}

// pushTop offers the scores sc of items items[0], items[1], ... (0, 1, ...
// when items is nil) to the min-heap h of at most n entries
// (ordered by [worse]), skipping NaN and, with skipInf, -Inf, exactly as
// selectTop does. Once h is full a score must beat the heap's minimum, or
// equal it with a lower item index.
func pushTop(h []Rec, n int, sc []float32, items []int32, skipInf bool) []Rec {
	negInf := float32(math.Inf(-1))
	item := func(i int) int32 {
		if items != nil {
			return items[i]
		}
		return int32(i)
	}
	i := 0
	for ; i < len(sc) && len(h) < n; i++ {
		v := sc[i]
		if v != v || (skipInf && v == negInf) {
			continue
		}
		h = append(h, Rec{Item: item(i), Score: v})
		siftUp(h, len(h)-1)
	}
	if len(h) < n {
		return h
	}
	thr := h[0].Score
	for ; i < len(sc); i++ {
		if v := sc[i]; v >= thr {
			if r := (Rec{Item: item(i), Score: v}); worse(h[0], r) {
				h[0] = r
				siftDown(h, 0)
				thr = h[0].Score
			}
		}
	}
	return h
}

// batchTopN is a Model that ranks many customers at once faster than by
// calling TopN for each.
type batchTopN interface {
	factors() *factorTop
}

// TopNAll returns m.TopN(us[k], n, excludeSeen) for every k, computed on
// workers goroutines (zero or less: GOMAXPROCS); an index m does not know
// gets nil. The factor models (svd, svdpp, als-implicit) score blocks of
// customers of similar factor norm against cache-sized tiles of items with
// a register-blocked kernel, most items cut by a norm bound, which yields
// the same lists many times faster than one brute-force TopN call per
// customer; the other models call TopN per customer. It returns ctx's
// error if cancelled.
func TopNAll(ctx context.Context, m Model, us []int32, n int, excludeSeen bool, nWorkers int) ([][]Rec, error) {
	out := make([][]Rec, len(us))
	nw := workers(nWorkers)
	bt, ok := m.(batchTopN)
	if !ok {
		err := parallelFor(ctx, nw, len(us), 64, func(_, lo, hi int) {
			for k := lo; k < hi; k++ {
				out[k] = m.TopN(us[k], n, excludeSeen)
			}
		})
		return out, err
	}
	t := bt.factors()
	if n <= 0 {
		return out, ctx.Err()
	}
	t.pack()
	// Blocks of customers with similar norms stop at similar depths.
	var ord []int
	for k, u := range us {
		if u >= 0 && int(u) < t.train.Customers() {
			ord = append(ord, k)
		}
	}
	slices.SortFunc(ord, func(a, b int) int {
		return cmp.Or(cmp.Compare(t.xn[us[a]], t.xn[us[b]]), cmp.Compare(a, b))
	})
	err := parallelFor(ctx, nw, len(ord), blockCustomers, func(_, lo, hi int) {
		w := t.work.Get().(*factorWork)
		defer t.work.Put(w)
		var blk [blockCustomers]int32
		var res [blockCustomers][]Rec
		for k := lo; k < hi; k += blockCustomers {
			ks := ord[k:min(k+blockCustomers, hi)]
			for r, p := range ks {
				blk[r] = us[p]
			}
			t.block(blk[:len(ks)], n, excludeSeen, w, res[:len(ks)])
			for r, p := range ks {
				out[p] = res[r]
			}
		}
	})
	return out, err
}

// fma32 is a·b + c rounded once to float64 and then to float32: the pure Go
// stand-in for the kernels' single-precision fused multiply-add (it can
// differ from it in the last bit, rarely).
func fma32(a, b, c float32) float32 {
	return float32(math.FMA(float64(a), float64(b), float64(c)))
}

// blockRows is the number of customers scored together: the rows of
// the packed customer factors pk (factor-major, pk[k·blockRows + r]).
const blockRows = 8

// scoreStripsGo is the reference kernel: out[r·ostride + s·stripWidth + l] =
// bias[s·stripWidth + l] + Σ_k pk[k·blockRows + r]·q[(s·f + k)·stripWidth + l]
// for every row r < rows, strip s < ns and lane l, the sum taken by fused
// multiply-adds in ascending k from zero.
func scoreStripsGo(pk []float32, rows, f int, q []float32, ns int, bias, out []float32, ostride int) {
	var acc [stripWidth]float32
	for s := range ns {
		for r := range rows {
			acc = [stripWidth]float32{}
			for k := range f {
				pv := pk[k*blockRows+r]
				qs := q[(s*f+k)*stripWidth : (s*f+k+1)*stripWidth]
				for l := range acc {
					acc[l] = fma32(pv, qs[l], acc[l])
				}
			}
			o := out[r*ostride+s*stripWidth : r*ostride+(s+1)*stripWidth]
			for l := range o {
				o[l] = acc[l] + bias[s*stripWidth+l]
			}
		}
	}
}

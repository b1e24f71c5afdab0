package customize

import (
	"context"
	"math"
	"slices"
	"sync"
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
// strips that fit in L2, and every customer keeps a bounded min-heap of its
// n best items with a running threshold, so the scores of one tile are
// inspected while still in cache and never stored whole.
//
// Each score is the sequential fused multiply-add Σ_k x_uk·y_ik (k
// ascending, from zero) plus b_i, whatever the kernel and however many
// customers it scores at once: a customer's list is the same whether it is
// ranked alone ([Model.TopN]) or in a batch ([TopNAll]). Memory: the packed
// copy of the item factors and biases, (items rounded up to 2·stripWidth) ×
// (f + 1) float32.
type factorTop struct {
	train *Matrix
	f     int
	x, y  []float32 // customers × f, items × f
	b     []float32 // per-item bias, or nil

	once   sync.Once
	strips int       // number of packed strips (even)
	packed []float32 // strips × f × stripWidth
	pbias  []float32 // strips × stripWidth
	tile   int       // strips per tile (even)
	work   sync.Pool // *factorWork
}

// stripWidth is the number of items the kernels hold in one vector lane
// group: two AVX2 registers or one AVX-512 register.
const stripWidth = 16

// tileBytes is the size of the item-factor tile scored by a block of
// customers before the next tile is touched; with the customer factors and
// the tile's scores it stays well inside a 1 MiB L2 cache.
const tileBytes = 256 << 10

// blockCustomers is the number of customers that share one pass over the
// item factors (a multiple of blockRows).
const blockCustomers = 128

// factorWork is one goroutine's scratch memory.
type factorWork struct {
	pk     []float32 // blockCustomers' factors, blockRows at a time factor-major
	scores []float32 // blockRows × tile × stripWidth
	heaps  [][]Rec
	seen   []int // per row: next index into the customer's rated items
}

func newFactorTop(train *Matrix, f int, x, y, b []float32) *factorTop {
	return &factorTop{train: train, f: f, x: x, y: y, b: b}
}

// pack builds the strip layout of the item factors (once).
func (t *factorTop) pack() {
	t.once.Do(func() {
		f, ni := t.f, t.train.Items()
		strips := (ni + stripWidth - 1) / stripWidth
		strips += strips & 1
		t.strips = strips
		t.packed = make([]float32, strips*f*stripWidth)
		t.pbias = make([]float32, strips*stripWidth)
		for i := range ni {
			s, l := i/stripWidth, i%stripWidth
			base := s * f * stripWidth
			for k, v := range t.y[i*f : i*f+f] {
				t.packed[base+k*stripWidth+l] = v
			}
			if t.b != nil {
				t.pbias[i] = t.b[i]
			}
		}
		t.tile = max(2, tileBytes/(f*stripWidth*4)) &^ 1
		t.tile = min(t.tile, strips)
		t.work.New = func() any {
			return &factorWork{
				pk:     make([]float32, blockCustomers*f),
				scores: make([]float32, blockRows*t.tile*stripWidth),
				heaps:  make([][]Rec, blockCustomers),
				seen:   make([]int, blockCustomers),
			}
		}
	})
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
// per block rather than once per customer.
func (t *factorTop) block(us []int32, n int, excludeSeen bool, w *factorWork, out [][]Rec) {
	f, ni, rows := t.f, t.train.Items(), blockRows
	groups := (len(us) + rows - 1) / rows
	pk := w.pk[:groups*rows*f]
	clear(pk)
	for c, u := range us {
		g, r := c/rows, c%rows
		for k, v := range t.x[int(u)*f : int(u)*f+f] {
			pk[(g*f+k)*rows+r] = v
		}
		w.heaps[c] = slices.Grow(w.heaps[c][:0], n)
		w.seen[c] = 0
	}
	negInf := float32(math.Inf(-1))
	for s0 := 0; s0 < t.strips; s0 += t.tile {
		ns := min(t.tile, t.strips-s0)
		width := ns * stripWidth
		lo, hi := s0*stripWidth, min((s0+ns)*stripWidth, ni)
		q := t.packed[s0*f*stripWidth : (s0+ns)*f*stripWidth]
		bias := t.pbias[s0*stripWidth : (s0+ns)*stripWidth]
		for g := range groups {
			gu := us[g*rows : min(g*rows+rows, len(us))]
			scoreStrips(pk[g*rows*f:(g+1)*rows*f], len(gu), f, q, ns, bias, w.scores, width)
			for r, u := range gu {
				c := g*rows + r
				sc := w.scores[r*width : r*width+hi-lo]
				if excludeSeen {
					items, _ := t.train.Row(u)
					p := w.seen[c]
					for ; p < len(items) && int(items[p]) < hi; p++ {
						sc[int(items[p])-lo] = negInf
					}
					w.seen[c] = p
				}
				w.heaps[c] = pushTop(w.heaps[c], n, sc, int32(lo), excludeSeen)
			}
		}
	}
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

// pushTop offers the scores sc of items base, base+1, ... to the min-heap h
// of at most n entries (ordered by [worse]), skipping NaN and, with skipInf,
// -Inf, exactly as selectTop does. Items come in increasing index order, so
// once h is full a score must beat the heap's minimum strictly.
func pushTop(h []Rec, n int, sc []float32, base int32, skipInf bool) []Rec {
	negInf := float32(math.Inf(-1))
	i := 0
	for ; i < len(sc) && len(h) < n; i++ {
		v := sc[i]
		if v != v || (skipInf && v == negInf) {
			continue
		}
		h = append(h, Rec{Item: base + int32(i), Score: v})
		siftUp(h, len(h)-1)
	}
	if len(h) < n {
		return h
	}
	thr := h[0].Score
	for ; i < len(sc); i++ {
		if v := sc[i]; v > thr {
			h[0] = Rec{Item: base + int32(i), Score: v}
			siftDown(h, 0)
			thr = h[0].Score
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
// customers against cache-sized tiles of items with a register-blocked
// kernel, which yields the same lists several times faster than one TopN
// call per customer; the other models call TopN per customer. It returns
// ctx's error if cancelled.
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
	err := parallelFor(ctx, nw, len(us), blockCustomers, func(_, lo, hi int) {
		w := t.work.Get().(*factorWork)
		defer t.work.Put(w)
		var blk [blockCustomers]int32
		var pos [blockCustomers]int
		for k := lo; k < hi; {
			nb := 0
			for ; k < hi && nb < blockCustomers; k++ {
				if u := us[k]; u >= 0 && int(u) < t.train.Customers() {
					blk[nb], pos[nb] = u, k
					nb++
				}
			}
			var res [blockCustomers][]Rec
			t.block(blk[:nb], n, excludeSeen, w, res[:nb])
			for r := range nb {
				out[pos[r]] = res[r]
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

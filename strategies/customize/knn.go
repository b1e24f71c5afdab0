package customize

import (
	"context"
	"fmt"
	"math"
	"sync"
)

// maxDense bounds the entities of a dense similarity matrix (4·n² bytes).
const maxDense = 40000

// KNNOptions configure the neighbourhood models "knn-baseline" (item–item,
// the default) and "knn-user" (customer–customer), after Koren (2010, §3)
// and Surprise's KNNBaseline with the pearson_baseline similarity.
//
// With residuals d_ui = r_ui − b_ui around the baseline b_ui = μ + b_u + b_i
// (fitted as in [BaselineOptions]), the similarity of items i and j over the
// n_ij customers who rated both is the shrunk Pearson-baseline correlation
//
//	s_ij = Σ d_ui·d_uj / √(Σ d_ui² · Σ d_uj²) · (n_ij − 1) / (n_ij − 1 + Shrinkage)
//
// and the prediction uses the K items most similar to i among those u rated
// (only those with s_ij > 0 contribute):
//
//	r̂_ui = b_ui + Σ_j s_ij·d_uj / Σ_j s_ij
//
// The user-based variant swaps the roles of customers and items.
// Similarities are computed by sparse co-rating passes (for each item i,
// over its raters u, over the items j > i that u rated), in parallel, into
// a dense float32 matrix: time O(Σ_u |R(u)|²), memory 4·n² bytes for n
// items (customers when UserBased), refused above 40,000.
type KNNOptions struct {
	UserBased bool            // customer–customer instead of item–item. Zero: item–item.
	K         int             // neighbours per prediction. Zero: 40.
	MinK      int             // fewer positive neighbours than this fall back to the baseline. Zero: 1.
	Shrinkage float32         // similarity shrinkage. Zero: 100; negative: none.
	Baseline  BaselineOptions // baseline fit. Zero: BaselineOnly defaults.
	Workers   int             // goroutines for the similarity pass. Zero: GOMAXPROCS.
}

// DefaultKNN returns Surprise KNNBaseline's item-based defaults ("knn-baseline").
func DefaultKNN() KNNOptions { return KNNOptions{K: 40, MinK: 1, Shrinkage: 100} }

// DefaultKNNUser returns the user-based defaults ("knn-user").
func DefaultKNNUser() KNNOptions { return KNNOptions{UserBased: true, K: 40, MinK: 1, Shrinkage: 100} }

// Name returns "knn-user" or "knn-baseline".
func (o KNNOptions) Name() string {
	if o.UserBased {
		return "knn-user"
	}
	return "knn-baseline"
}

func (o KNNOptions) withDefaults() KNNOptions {
	if o.K == 0 {
		o.K = 40
	}
	if o.MinK == 0 {
		o.MinK = 1
	}
	if o.Shrinkage == 0 {
		o.Shrinkage = 100
	} else if o.Shrinkage < 0 {
		o.Shrinkage = 0
	}
	return o
}

// KNN is a fitted neighbourhood model.
type KNN struct {
	biases
	userBased bool
	k, minK   int
	n         int       // entities compared: items, or customers when userBased
	sim       []float32 // n×n, row-major, symmetric
	devRow    []float32 // residual of each rating in CSR order
	devCol    []float32 // residual of each rating in CSC order
	pool      *sync.Pool
}

// Fit fits the baseline, then the similarities.
func (o KNNOptions) Fit(ctx context.Context, train *Matrix) (Model, error) {
	o = o.withDefaults()
	if o.K < 1 {
		return nil, fmt.Errorf("k = %d, want ≥ 1", o.K)
	}
	b, err := fitBiases(ctx, train, o.Baseline)
	if err != nil {
		return nil, err
	}
	m := &KNN{biases: b, userBased: o.UserBased, k: o.K, minK: o.MinK}
	m.residuals()
	m.n = train.Items()
	outerPtr, outerIdx, outerDev := train.colPtr, train.colIdx, m.devCol
	innerPtr, innerIdx, innerDev := train.rowPtr, train.rowIdx, m.devRow
	if o.UserBased {
		m.n = train.Customers()
		outerPtr, outerIdx, outerDev, innerPtr, innerIdx, innerDev = innerPtr, innerIdx, innerDev, outerPtr, outerIdx, outerDev
	}
	if m.n > maxDense {
		return nil, fmt.Errorf("%d entities exceed the dense similarity limit of %d", m.n, maxDense)
	}
	n := m.n
	m.sim = make([]float32, n*n)
	nw := workers(o.Workers)
	type acc struct {
		freq                []int32
		prods, sqx, sqz, sq []float32
	}
	accs := make([]acc, nw)
	for w := range accs {
		accs[w] = acc{freq: make([]int32, n), prods: make([]float32, n), sqx: make([]float32, n), sqz: make([]float32, n)}
	}
	shrink := o.Shrinkage
	err = parallelFor(ctx, nw, n, 8, func(w, lo, hi int) {
		a := &accs[w]
		freq, prods, sqx, sqz := a.freq[:n], a.prods[:n], a.sqx[:n], a.sqz[:n]
		for x := lo; x < hi; x++ {
			for k := outerPtr[x]; k < outerPtr[x+1]; k++ {
				y, dx := outerIdx[k], outerDev[k]
				p0, p1 := innerPtr[y], innerPtr[y+1]
				// first position with index > x (lists are ascending)
				lo, hi := p0, p1
				for lo < hi {
					mid := int32(uint32(lo+hi) >> 1)
					if innerIdx[mid] <= int32(x) {
						lo = mid + 1
					} else {
						hi = mid
					}
				}
				zs, ds := innerIdx[lo:p1], innerDev[lo:p1]
				ds = ds[:len(zs)]
				for t, z := range zs {
					dz := ds[t]
					freq[z]++
					prods[z] += dx * dz
					sqx[z] += dx * dx
					sqz[z] += dz * dz
				}
			}
			row := m.sim[x*n : (x+1)*n]
			row[x] = 1
			for z := x + 1; z < n; z++ {
				f := freq[z]
				if f == 0 {
					continue
				}
				var s float32
				if den := sqx[z] * sqz[z]; f >= 1 && den > 0 {
					s = prods[z] / float32(math.Sqrt(float64(den)))
					s *= float32(f-1) / (float32(f-1) + shrink)
				}
				row[z] = s
				m.sim[z*n+x] = s
				freq[z], prods[z], sqx[z], sqz[z] = 0, 0, 0, 0
			}
		}
	})
	if err != nil {
		return nil, err
	}
	m.init()
	return m, nil
}

// residuals computes d_ui = r_ui − b_ui in CSR and CSC order.
func (m *KNN) residuals() {
	t := m.train
	m.devRow = make([]float32, t.Len())
	m.devCol = make([]float32, t.Len())
	for u := range t.Customers() {
		a, b := t.rowPtr[u], t.rowPtr[u+1]
		for k := a; k < b; k++ {
			i := t.rowIdx[k]
			m.devRow[k] = t.rowVal[k] - (m.mu + m.bu[u] + m.bi[i])
		}
	}
	for i := range t.Items() {
		a, b := t.colPtr[i], t.colPtr[i+1]
		for k := a; k < b; k++ {
			u := t.colIdx[k]
			m.devCol[k] = t.colVal[k] - (m.mu + m.bu[u] + m.bi[i])
		}
	}
}

func (m *KNN) init() {
	m.pool = &sync.Pool{New: func() any {
		return &scratch{scores: make([]float32, m.train.Items()), aux: make([]float32, 3*m.train.Items()), gb: make([]float32, 1<<16), nb: make([]neighbour, 0, 256)}
	}}
}

// Name returns "knn-baseline" or "knn-user".
func (m *KNN) Name() string {
	if m.userBased {
		return "knn-user"
	}
	return "knn-baseline"
}

// Train returns the training matrix.
func (m *KNN) Train() *Matrix { return m.train }

// Similarity returns the similarity of two items (customers for knn-user).
func (m *KNN) Similarity(a, b int32) float32 { return m.sim[int(a)*m.n+int(b)] }

// Predict returns the neighbourhood prediction clipped to the scale.
func (m *KNN) Predict(u, i int32) float32 {
	uok, iok := valid(m.train, u, i)
	if !uok || !iok {
		return clip(m.baseline(u, i), m.train)
	}
	s := m.pool.Get().(*scratch)
	v := m.predict(u, i, s)
	m.pool.Put(s)
	return clip(v, m.train)
}

// neighbours returns the candidate entities and residuals for (u, i) and
// the similarity row of the target.
func (m *KNN) candidates(u, i int32) (idx []int32, dev []float32, simRow []float32) {
	t := m.train
	if m.userBased {
		a, b := t.colPtr[i], t.colPtr[i+1]
		return t.colIdx[a:b], m.devCol[a:b], m.sim[int(u)*m.n : (int(u)+1)*m.n]
	}
	a, b := t.rowPtr[u], t.rowPtr[u+1]
	return t.rowIdx[a:b], m.devRow[a:b], m.sim[int(i)*m.n : (int(i)+1)*m.n]
}

// topK returns the (at most k) most similar candidates with positive
// similarity, in no particular order, using s.nb as storage. Only positive
// neighbours contribute to a prediction, so selecting among them gives the
// same set as Surprise's "k largest, then drop s ≤ 0" (up to ties).
func (m *KNN) topK(idx []int32, dev, simRow []float32, s *scratch) []neighbour {
	if cap(s.nb) < len(idx) {
		s.nb = make([]neighbour, 0, len(idx)) // grows once per pooled scratch
	}
	h := s.nb[:len(idx)]
	dev = dev[:len(idx)]
	w := 0
	for t, j := range idx {
		sv := simRow[j]
		h[w] = neighbour{sv, dev[t], j} // branch-free filter, as in topKDense
		if sv > 0 {
			w++
		}
	}
	h = h[:w]
	if len(h) > m.k {
		topByBuckets(h, m.k)
		h = h[:m.k]
	}
	return h
}

// topByBuckets moves the k best of h (similarities in (0, 1]) to the front:
// a 256-bucket histogram finds the bucket holding the k-th best, so only
// that bucket needs a quickselect. Same set as selectK(h, k).
func topByBuckets(h []neighbour, k int) {
	const nb = 256
	bucket := func(s float32) int { return min(int(s*nb), nb-1) }
	var hist [nb]int32
	for _, x := range h {
		hist[bucket(x.sim)]++
	}
	above, b := 0, nb-1
	for ; b > 0; b-- {
		if above+int(hist[b]) >= k {
			break
		}
		above += int(hist[b])
	}
	w := 0
	for i, x := range h {
		if bucket(x.sim) > b {
			h[w], h[i] = h[i], h[w]
			w++
		}
	}
	w2 := w
	for i := w; i < len(h); i++ {
		if bucket(h[i].sim) == b {
			h[w2], h[i] = h[i], h[w2]
			w2++
		}
	}
	selectK(h[w:w2], k-above)
}

// selectK reorders h so that its k largest similarities come first
// (quickselect, median-of-three pivot; ties broken by lower index).
func selectK(h []neighbour, k int) {
	better := func(a, b neighbour) bool { return a.sim > b.sim || (a.sim == b.sim && a.idx < b.idx) }
	lo, hi := 0, len(h)-1
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if better(h[mid], h[lo]) {
			h[mid], h[lo] = h[lo], h[mid]
		}
		if better(h[hi], h[lo]) {
			h[hi], h[lo] = h[lo], h[hi]
		}
		if better(h[hi], h[mid]) {
			h[hi], h[mid] = h[mid], h[hi]
		}
		pivot := h[mid]
		i, j := lo, hi
		for i <= j {
			for better(h[i], pivot) {
				i++
			}
			for better(pivot, h[j]) {
				j--
			}
			if i <= j {
				h[i], h[j] = h[j], h[i]
				i++
				j--
			}
		}
		switch {
		case k-1 <= j:
			hi = j
		case k-1 >= i:
			lo = i
		default:
			return
		}
	}
}

func (m *KNN) predict(u, i int32, s *scratch) float32 {
	est := m.mu + m.bu[u] + m.bi[i]
	idx, dev, simRow := m.candidates(u, i)
	var num, den float32
	var n int
	if len(idx) <= len(s.gb) {
		g := s.gb[:len(idx)]
		for t, j := range idx {
			g[t] = simRow[j]
		}
		num, den, n = m.sumTopK(g, dev, idx, s)
	} else {
		nb := m.topK(idx, dev, simRow, s)
		for _, x := range nb {
			num += x.sim * x.dev
			den += x.sim
		}
		n = len(nb)
	}
	if n >= m.minK && den > 0 {
		est += num / den
	}
	return est
}

// TopN ranks items by unclipped predicted rating.
func (m *KNN) TopN(u int32, n int, excludeSeen bool) []Rec {
	return topN(m.train, m.pool, m, u, n, excludeSeen)
}

func (m *KNN) scoreAll(u int32, dst []float32, s *scratch) {
	items, _ := m.train.Row(u)
	if m.userBased {
		for i := range dst {
			dst[i] = m.predict(u, int32(i), s)
		}
		return
	}
	if len(items) > m.k {
		m.scoreBlocked(u, items, dst, s)
		return
	}
	// Item-based with at most K rated items: every positive neighbour is
	// among the K best, so stream over the rated items' similarity rows
	// (contiguous) instead of selecting per candidate.
	n := len(dst)
	num, den, cnt := s.aux[:n], s.aux[n:2*n], s.aux[2*n:3*n]
	clear(s.aux[:3*n])
	a := m.train.rowPtr[u]
	for t, j := range items {
		d := m.devRow[int(a)+t]
		row := m.sim[int(j)*m.n : int(j)*m.n+n]
		for i, sv := range row {
			if sv > 0 {
				num[i] += sv * d
				den[i] += sv
				cnt[i]++
			}
		}
	}
	base := m.mu + m.bu[u]
	minK := float32(m.minK)
	for i := range dst {
		v := base + m.bi[i]
		if cnt[i] >= minK && den[i] > 0 {
			v += num[i] / den[i]
		}
		dst[i] = v
	}
}

// scoreBlocked scores every item for a customer who rated more than K
// items. Reading s_ij for all candidates i and rated j straight from the
// rows of i touches one cache line per (i, j); instead, blocks of up to 64
// candidates are gathered from the rows of the rated items (contiguous
// runs, by symmetry s_ij = s_ji) into a small transposed buffer.
func (m *KNN) scoreBlocked(u int32, items []int32, dst []float32, s *scratch) {
	n, nr := len(dst), len(items)
	blk := min(64, max(1, len(s.gb)/nr))
	a := m.train.rowPtr[u]
	dev := m.devRow[a : int(a)+nr]
	base := m.mu + m.bu[u]
	for i0 := 0; i0 < n; i0 += blk {
		i1 := min(i0+blk, n)
		gb := s.gb[:(i1-i0)*nr]
		for t, j := range items {
			row := m.sim[int(j)*m.n+i0 : int(j)*m.n+i1]
			for c, v := range row {
				gb[c*nr+t] = v
			}
		}
		for c := range i1 - i0 {
			num, den, cnt := m.sumTopK(gb[c*nr:(c+1)*nr], dev, items, s)
			i := i0 + c
			v := base + m.bi[i]
			if cnt >= m.minK && den > 0 {
				v += num / den
			}
			dst[i] = v
		}
	}
}

// sumTopK returns Σ s·d and Σ s over the (at most k) most similar
// candidates with positive similarity, and their number: the sums
// topKDense's neighbours would give, without partitioning them. Per-bucket
// sums of a 64-bucket histogram cover every bucket above the one holding
// the k-th best; only that bucket is selected element by element.
func (m *KNN) sumTopK(sims, dev []float32, idx []int32, s *scratch) (num, den float32, n int) {
	h := positives(sims, dev, idx, s)
	w := len(h)
	k := m.k
	if w <= k {
		for _, x := range h {
			num += x.sim * x.dev
			den += x.sim
		}
		return num, den, w
	}
	const nbk = 64
	var cnt [nbk]int32
	var bnum, bden [nbk]float32
	for _, x := range h {
		b := min(int(x.sim*nbk), nbk-1)
		cnt[b]++
		bnum[b] += x.sim * x.dev
		bden[b] += x.sim
	}
	above, b := 0, nbk-1
	for ; b > 0 && above+int(cnt[b]) < k; b-- {
		above += int(cnt[b])
		num += bnum[b]
		den += bden[b]
	}
	if above+int(cnt[b]) == k {
		return num + bnum[b], den + bden[b], k
	}
	// Select the k−above best of bucket b.
	bb := 0
	for _, x := range h {
		h[bb] = x // branch-free compaction: bb ≤ the current index
		if min(int(x.sim*nbk), nbk-1) == b {
			bb++
		}
	}
	selectK(h[:bb], k-above)
	for _, x := range h[:k-above] {
		num += x.sim * x.dev
		den += x.sim
	}
	return num, den, k
}

// positives gathers the candidates with positive similarity into the
// scratch's neighbour buffer, in candidate order.
func positives(sims, dev []float32, idx []int32, s *scratch) []neighbour {
	if cap(s.nb) < len(sims) {
		s.nb = make([]neighbour, 0, len(sims)) // grows once per pooled scratch
	}
	h := s.nb[:len(sims)]
	dev, idx = dev[:len(sims)], idx[:len(sims)]
	w := 0
	for t, sv := range sims {
		// Branch-free filter: always write, advance only for sv > 0.
		h[w] = neighbour{sv, dev[t], idx[t]}
		if sv > 0 {
			w++
		}
	}
	return h[:w]
}

// topKDense is topK with the similarities already gathered: sims[t] is
// the similarity of the target and idx[t].
func (m *KNN) topKDense(sims, dev []float32, idx []int32, s *scratch) []neighbour {
	h := positives(sims, dev, idx, s)
	if len(h) > m.k {
		topByBuckets(h, m.k)
		h = h[:m.k]
	}
	return h
}

// because returns the rated item j among i's neighbours with the largest
// contribution s_ij·d_uj (item-based only).
func (m *KNN) because(u, i int32, s *scratch) int32 {
	if m.userBased {
		return -1
	}
	idx, dev, simRow := m.candidates(u, i)
	best, bestV := int32(-1), float32(math.Inf(-1))
	for _, nb := range m.topK(idx, dev, simRow, s) {
		if v := nb.sim * nb.dev; v > bestV || (v == bestV && nb.idx < best) {
			best, bestV = nb.idx, v
		}
	}
	return best
}

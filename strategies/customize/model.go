package customize

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"runtime"
	"slices"
	"sync"
)

// Model is a fitted recommender. Every Model is safe for concurrent use by
// multiple goroutines once fitted (or loaded).
type Model interface {
	// Name is the algorithm name, e.g. "svd" (see the package doc).
	Name() string
	// Train returns the matrix the model was fitted on; its dictionaries
	// translate indices to ids.
	Train() *Matrix
	// TopN returns up to n items for customer u, best first. With
	// excludeSeen, items u rated in the training matrix are left out. The
	// result slice is the only allocation. An unknown u yields nil.
	TopN(u int32, n int, excludeSeen bool) []Rec
}

// Predictor is a Model that predicts ratings.
type Predictor interface {
	Model
	// Predict returns the predicted rating of item i by customer u, clipped
	// to the training scale. Unknown indices fall back to the model's
	// baseline (at worst the global mean).
	Predict(u, i int32) float32
}

// Algorithm fits one kind of model. Each options struct of this package
// (BaselineOptions, SVDOptions, ...) is an Algorithm.
type Algorithm interface {
	// Name is the name of the models it fits.
	Name() string
	// Fit trains a model on train. It honours ctx cancellation.
	Fit(ctx context.Context, train *Matrix) (Model, error)
}

// Fit trains the model described by alg on train.
func Fit(ctx context.Context, train *Matrix, alg Algorithm) (Model, error) {
	if train == nil {
		return nil, fmt.Errorf("fit %s: nil matrix", alg.Name())
	}
	m, err := alg.Fit(ctx, train)
	if err != nil {
		return nil, fmt.Errorf("fit %s: %w", alg.Name(), err)
	}
	return m, nil
}

// Algorithms returns the default options of every algorithm, keyed by name.
func Algorithms() map[string]Algorithm {
	return map[string]Algorithm{
		"baseline":     DefaultBaseline(),
		"knn-baseline": DefaultKNN(),
		"knn-user":     DefaultKNNUser(),
		"svd":          DefaultSVD(),
		"svdpp":        DefaultSVDpp(),
		"als-implicit": DefaultALS(),
		"ease":         DefaultEASE(),
		"blend":        DefaultBlend(),
		"popularity":   PopularityOptions{},
	}
}

// Rec is one recommended item.
type Rec struct {
	Item  int32   `json:"item"`
	Score float32 `json:"score"`
	// Because is the customer's rated item that contributed most to Score
	// (item-kNN and EASE weights; for a blend, its item-kNN member), or -1
	// when the model cannot say: "because you rated Because BecauseRating".
	Because       int32   `json:"because"`
	BecauseRating float32 `json:"because_rating"`
}

// scorer fills dst[i] with the model's score of every item i for u.
type scorer interface {
	scoreAll(u int32, dst []float32, s *scratch)
}

// explainer finds the rated item that contributed most to u's score of i.
type explainer interface {
	because(u, i int32, s *scratch) int32
}

// scratch is per-call working memory, pooled per model.
type scratch struct {
	scores []float32
	aux    []float32 // per-item or per-factor work space
	heap   []Rec
	nb     []neighbour
	gb     []float32 // kNN gather buffer
}

type neighbour struct {
	sim, dev float32
	idx      int32
}

func newPool(nItems, nAux int) *sync.Pool {
	return &sync.Pool{New: func() any {
		return &scratch{scores: make([]float32, nItems), aux: make([]float32, nAux)}
	}}
}

// topN ranks the scores sc fills for u, keeping the n best.
func topN(m *Matrix, pool *sync.Pool, sc scorer, u int32, n int, excludeSeen bool) []Rec {
	if u < 0 || int(u) >= m.Customers() || n <= 0 {
		return nil
	}
	s := pool.Get().(*scratch)
	defer pool.Put(s)
	scores := s.scores[:m.Items()]
	sc.scoreAll(u, scores, s)
	if excludeSeen {
		items, _ := m.Row(u)
		for _, i := range items {
			scores[i] = float32(math.Inf(-1))
		}
	}
	h := selectTop(scores, n, s.heap[:0], excludeSeen)
	s.heap = h
	out := make([]Rec, len(h))
	copy(out, h)
	ex, _ := sc.(explainer)
	_, ratings := m.Row(u)
	items, _ := m.Row(u)
	for k := range out {
		out[k].Because = -1
		if ex != nil {
			if j := ex.because(u, out[k].Item, s); j >= 0 {
				p, _ := slices.BinarySearch(items, j)
				out[k].Because, out[k].BecauseRating = j, ratings[p]
			}
		}
	}
	return out
}

// worse orders recommendations: lower score first, then higher index.
func worse(a, b Rec) bool {
	return a.Score < b.Score || (a.Score == b.Score && a.Item > b.Item)
}

// selectTop keeps the n best scores in a min-heap h and returns them best
// first. Items scored -Inf are skipped when skipInf is set; NaN scores are
// always skipped.
func selectTop(scores []float32, n int, h []Rec, skipInf bool) []Rec {
	h = pushTop(h, n, scores, nil, skipInf)
	sortRecs(h)
	return h
}

// sortRecs orders recommendations best first: higher score, then lower
// index.
func sortRecs(h []Rec) {
	slices.SortFunc(h, func(a, b Rec) int {
		if c := cmp.Compare(b.Score, a.Score); c != 0 {
			return c
		}
		return cmp.Compare(a.Item, b.Item)
	})
}

func siftUp(h []Rec, k int) {
	for k > 0 {
		p := (k - 1) / 2
		if !worse(h[k], h[p]) {
			return
		}
		h[k], h[p] = h[p], h[k]
		k = p
	}
}

func siftDown(h []Rec, k int) {
	for {
		l := 2*k + 1
		if l >= len(h) {
			return
		}
		c := l
		if r := l + 1; r < len(h) && worse(h[r], h[l]) {
			c = r
		}
		if !worse(h[c], h[k]) {
			return
		}
		h[k], h[c] = h[c], h[k]
		k = c
	}
}

// clip bounds a prediction to the training scale.
func clip(v float32, m *Matrix) float32 {
	if m.Len() == 0 {
		return v
	}
	return min(max(v, m.min), m.max)
}

// valid reports whether u and i index the matrix.
func valid(m *Matrix, u, i int32) (bool, bool) {
	return u >= 0 && int(u) < m.Customers(), i >= 0 && int(i) < m.Items()
}

// workers resolves a Workers option: zero or less means GOMAXPROCS.
func workers(n int) int {
	if n <= 0 {
		return runtime.GOMAXPROCS(0)
	}
	return n
}

// parallelFor runs body(w, lo, hi) over [0, n) split into chunks of about
// grain indices, on nw goroutines, and returns ctx's error if cancelled.
func parallelFor(ctx context.Context, nw, n, grain int, body func(w, lo, hi int)) error {
	if grain < 1 {
		grain = 1
	}
	if nw <= 1 || n <= grain {
		for lo := 0; lo < n; lo += grain {
			if err := ctx.Err(); err != nil {
				return err
			}
			body(0, lo, min(lo+grain, n))
		}
		return ctx.Err()
	}
	var next int64
	var mu sync.Mutex
	take := func() (int, int, bool) {
		mu.Lock()
		defer mu.Unlock()
		lo := int(next)
		if lo >= n || ctx.Err() != nil {
			return 0, 0, false
		}
		next += int64(grain)
		return lo, min(lo+grain, n), true
	}
	var wg sync.WaitGroup
	for w := range nw {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				lo, hi, ok := take()
				if !ok {
					return
				}
				body(w, lo, hi)
			}
		}()
	}
	wg.Wait()
	return ctx.Err()
}

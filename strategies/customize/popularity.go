package customize

import (
	"context"
	"sync"
)

// PopularityOptions configure "popularity": every customer gets the items
// with the most training interactions (ratings of any value), the
// non-personalised baseline for top-N. It has no settings.
type PopularityOptions struct{}

// Name returns "popularity".
func (PopularityOptions) Name() string { return "popularity" }

// Popularity is a fitted "popularity" model.
type Popularity struct {
	train  *Matrix
	counts []float32
	pool   *sync.Pool
}

// Fit counts interactions per item.
func (PopularityOptions) Fit(_ context.Context, train *Matrix) (Model, error) {
	m := &Popularity{train: train, counts: make([]float32, train.Items())}
	for i := range m.counts {
		m.counts[i] = float32(train.colPtr[i+1] - train.colPtr[i])
	}
	m.init()
	return m, nil
}

func (m *Popularity) init() { m.pool = newPool(m.train.Items(), 0) }

// Name returns "popularity".
func (m *Popularity) Name() string { return "popularity" }

// Train returns the training matrix.
func (m *Popularity) Train() *Matrix { return m.train }

// TopN ranks items by number of training interactions (ties: lower index).
func (m *Popularity) TopN(u int32, n int, excludeSeen bool) []Rec {
	return topN(m.train, m.pool, m, u, n, excludeSeen)
}

func (m *Popularity) scoreAll(_ int32, dst []float32, _ *scratch) { copy(dst, m.counts) }

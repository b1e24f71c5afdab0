package customize

import (
	"context"
	"sync"
)

// BaselineOptions configure the "baseline" model: r̂(u,i) = μ + b_u + b_i,
// with the biases fitted by alternating least squares as in Koren (2010,
// "Factor in the neighbors", §2.1) and Surprise's BaselineOnly:
//
//	b_i = Σ_{u∈R(i)} (r_ui − μ − b_u) / (RegItem + |R(i)|)
//	b_u = Σ_{i∈R(u)} (r_ui − μ − b_i) / (RegUser + |R(u)|)
//
// items first, then customers, for Epochs rounds; O(Epochs · ratings).
type BaselineOptions struct {
	RegItem float32 // item-bias regularisation λ_i. Zero: 10.
	RegUser float32 // customer-bias regularisation λ_u. Zero: 15.
	Epochs  int     // ALS rounds. Zero: 10.
}

// DefaultBaseline returns Surprise BaselineOnly's defaults.
func DefaultBaseline() BaselineOptions { return BaselineOptions{RegItem: 10, RegUser: 15, Epochs: 10} }

// Name returns "baseline".
func (BaselineOptions) Name() string { return "baseline" }

func (o BaselineOptions) withDefaults() BaselineOptions {
	if o.RegItem == 0 {
		o.RegItem = 10
	}
	if o.RegUser == 0 {
		o.RegUser = 15
	}
	if o.Epochs == 0 {
		o.Epochs = 10
	}
	return o
}

// Fit fits the biases.
func (o BaselineOptions) Fit(ctx context.Context, train *Matrix) (Model, error) {
	b, err := fitBiases(ctx, train, o)
	if err != nil {
		return nil, err
	}
	m := &Baseline{biases: b}
	m.init()
	return m, nil
}

// biases is μ, b_u and b_i of a fitted baseline.
type biases struct {
	train  *Matrix
	mu     float32
	bu, bi []float32
}

func fitBiases(ctx context.Context, m *Matrix, o BaselineOptions) (biases, error) {
	o = o.withDefaults()
	b := biases{train: m, mu: m.mean, bu: make([]float32, m.Customers()), bi: make([]float32, m.Items())}
	mu := float64(m.mean)
	for range o.Epochs {
		if err := ctx.Err(); err != nil {
			return b, err
		}
		for i := range b.bi {
			us, rs := m.Col(int32(i))
			var dev float64
			for k, u := range us {
				dev += float64(rs[k]) - mu - float64(b.bu[u])
			}
			b.bi[i] = float32(dev / (float64(o.RegItem) + float64(len(us))))
		}
		for u := range b.bu {
			is, rs := m.Row(int32(u))
			var dev float64
			for k, i := range is {
				dev += float64(rs[k]) - mu - float64(b.bi[i])
			}
			b.bu[u] = float32(dev / (float64(o.RegUser) + float64(len(is))))
		}
	}
	return b, nil
}

// baseline returns μ + b_u + b_i, treating unknown indices as zero bias.
func (b *biases) baseline(u, i int32) float32 {
	v := b.mu
	uok, iok := valid(b.train, u, i)
	if uok {
		v += b.bu[u]
	}
	if iok {
		v += b.bi[i]
	}
	return v
}

// Baseline is a fitted "baseline" model.
type Baseline struct {
	biases
	pool *sync.Pool
}

func (m *Baseline) init() { m.pool = newPool(m.train.Items(), 0) }

// Name returns "baseline".
func (m *Baseline) Name() string { return "baseline" }

// Train returns the training matrix.
func (m *Baseline) Train() *Matrix { return m.train }

// Predict returns μ + b_u + b_i clipped to the training scale.
func (m *Baseline) Predict(u, i int32) float32 { return clip(m.baseline(u, i), m.train) }

// Bias returns b_u for customer u and b_i for item i (zero when unknown),
// and the global mean μ.
func (m *Baseline) Bias(u, i int32) (bu, bi, mu float32) {
	uok, iok := valid(m.train, u, i)
	if uok {
		bu = m.bu[u]
	}
	if iok {
		bi = m.bi[i]
	}
	return bu, bi, m.mu
}

// TopN ranks items by unclipped predicted rating, that is by b_i.
func (m *Baseline) TopN(u int32, n int, excludeSeen bool) []Rec {
	return topN(m.train, m.pool, m, u, n, excludeSeen)
}

func (m *Baseline) scoreAll(u int32, dst []float32, _ *scratch) {
	for i := range dst {
		dst[i] = m.baseline(u, int32(i))
	}
}

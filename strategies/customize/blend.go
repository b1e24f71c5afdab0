package customize

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"sync"

	"gonum.org/v1/gonum/mat"
)

// BlendOptions configure "blend", a linear blend of rating models in the
// manner of the Netflix Prize teams (Töscher, Jahrer & Bell 2009, §6): a
// share HoldOut of the training ratings, drawn with Seed, is set aside; the
// members are fitted on the rest and predict it; ridge regression of the
// held-out ratings on the member predictions gives the weights
//
//	r̂_ui = w_0 + Σ_k (w_k + v_k·s_u + t_k·s_i) · r̂ᵏ_ui + a·s_u + c·s_i
//
// (the support terms, s_u = ln(1+|R(u)|) and s_i = ln(1+|R(i)|) counted in
// the training matrix, only with Supports) minimising Σ(r − r̂)² + Ridge·‖w‖²;
// then every member is refitted on all the training ratings. The test data
// never enter the fit. Prediction costs the sum of the members'.
type BlendOptions struct {
	// Members fit the blended models; each must fit a [Predictor].
	// Zero: [DefaultBlendMembers].
	Members []Algorithm
	// HoldOut is the share of training ratings used to fit the weights.
	// Zero: 0.1.
	HoldOut float64
	// Ridge is the L2 penalty on the weights (the intercept included).
	// Zero: 1.
	Ridge float64
	// Supports adds the support interaction terms. Zero: predictions only.
	Supports bool
	// Seed draws the held-out slice.
	Seed uint64
}

// DefaultBlendMembers returns the default members: baseline, both kNN
// variants, SVD and SVD++ with their defaults, and two factor models with
// longer training and stronger regularisation for diversity (SVD: 50
// factors, 60 epochs, LR 0.007, Reg 0.06; SVD++: 50 factors, 40 epochs,
// LR 0.005, Reg 0.04). Those settings were picked once, a priori, not
// searched; the blend weights are the only thing fitted to data, on the
// held-out slice of the training ratings.
func DefaultBlendMembers() []Algorithm {
	svdLong := DefaultSVD()
	svdLong.Factors, svdLong.Epochs, svdLong.LR, svdLong.Reg, svdLong.Seed = 50, 60, 0.007, 0.06, 2
	ppLong := DefaultSVDpp()
	ppLong.Factors, ppLong.Epochs, ppLong.LR, ppLong.Reg, ppLong.Seed = 50, 40, 0.005, 0.04, 3
	return []Algorithm{DefaultBaseline(), DefaultKNN(), DefaultKNNUser(), DefaultSVD(), DefaultSVDpp(), svdLong, ppLong}
}

// DefaultBlend returns the default blend.
func DefaultBlend() BlendOptions {
	return BlendOptions{HoldOut: 0.1, Ridge: 1, Supports: true, Seed: 1}
}

// Name returns "blend".
func (BlendOptions) Name() string { return "blend" }

// Blend is a fitted "blend" model.
type Blend struct {
	train    *Matrix
	members  []Predictor
	supports bool
	w        []float64 // weights of the features (see features)
	su, si   []float32 // support features of the training matrix
	pool     *sync.Pool
}

// Fit fits the members on part of train, the weights on the rest, then the
// members on all of train.
func (o BlendOptions) Fit(ctx context.Context, train *Matrix) (Model, error) {
	if len(o.Members) == 0 {
		o.Members = DefaultBlendMembers()
	}
	if o.HoldOut == 0 {
		o.HoldOut = 0.1
	}
	if o.Ridge == 0 {
		o.Ridge = 1
	}
	if o.HoldOut <= 0 || o.HoldOut >= 1 {
		return nil, fmt.Errorf("hold-out share %v, want in (0, 1)", o.HoldOut)
	}
	rs := train.Ratings()
	rng := rand.New(rand.NewPCG(o.Seed, 0xb1e4d))
	rng.Shuffle(len(rs), func(a, b int) { rs[a], rs[b] = rs[b], rs[a] })
	nh := int(math.Round(o.HoldOut * float64(len(rs))))
	if nh < 1 || nh >= len(rs) {
		return nil, errors.New("too few ratings to hold out a slice")
	}
	held, rest := rs[:nh], train.subset(rs[nh:])
	part := &Blend{train: rest, supports: o.Supports}
	part.setSupports()
	for _, alg := range o.Members {
		p, err := fitPredictor(ctx, rest, alg)
		if err != nil {
			return nil, err
		}
		part.members = append(part.members, p)
	}
	nf := part.nFeatures()
	x := mat.NewDense(nh, nf, nil)
	y := mat.NewVecDense(nh, nil)
	preds := make([]float32, len(part.members))
	row := make([]float64, nf)
	for k, r := range held {
		for j, p := range part.members {
			preds[j] = p.Predict(r.Customer, r.Item)
		}
		part.features(r.Customer, r.Item, preds, row)
		x.SetRow(k, row)
		y.SetVec(k, float64(r.Value))
	}
	var xtx mat.SymDense
	xtx.SymOuterK(1, x.T())
	for j := range nf {
		xtx.SetSym(j, j, xtx.At(j, j)+o.Ridge)
	}
	var xty mat.VecDense
	xty.MulVec(x.T(), y)
	var ch mat.Cholesky
	if !ch.Factorize(&xtx) {
		return nil, errors.New("blend normal equations are singular")
	}
	var w mat.VecDense
	if err := ch.SolveVecTo(&w, &xty); err != nil {
		return nil, fmt.Errorf("solve blend weights: %w", err)
	}
	m := &Blend{train: train, supports: o.Supports, w: make([]float64, nf)}
	for j := range nf {
		m.w[j] = w.AtVec(j)
	}
	m.setSupports()
	for _, alg := range o.Members {
		p, err := fitPredictor(ctx, train, alg)
		if err != nil {
			return nil, err
		}
		m.members = append(m.members, p)
	}
	m.init()
	return m, nil
}

func fitPredictor(ctx context.Context, train *Matrix, alg Algorithm) (Predictor, error) {
	if _, ok := alg.(BlendOptions); ok {
		return nil, errors.New("a blend cannot be a member of a blend")
	}
	mod, err := alg.Fit(ctx, train)
	if err != nil {
		return nil, fmt.Errorf("member %s: %w", alg.Name(), err)
	}
	p, ok := mod.(Predictor)
	if !ok {
		return nil, fmt.Errorf("member %s does not predict ratings", alg.Name())
	}
	return p, nil
}

func (m *Blend) setSupports() {
	t := m.train
	m.su = make([]float32, t.Customers())
	m.si = make([]float32, t.Items())
	for u := range m.su {
		m.su[u] = float32(math.Log1p(float64(t.rowPtr[u+1] - t.rowPtr[u])))
	}
	for i := range m.si {
		m.si[i] = float32(math.Log1p(float64(t.colPtr[i+1] - t.colPtr[i])))
	}
}

// nFeatures is 1 + members, plus 2·members + 2 with supports.
func (m *Blend) nFeatures() int {
	k := len(m.members)
	if m.supports {
		return 1 + 3*k + 2
	}
	return 1 + k
}

// features writes the regression features of (u, i) given member
// predictions: 1, r̂ᵏ, then with supports r̂ᵏ·s_u, r̂ᵏ·s_i, s_u, s_i.
func (m *Blend) features(u, i int32, preds []float32, dst []float64) {
	k := len(preds)
	dst[0] = 1
	var su, si float64
	uok, iok := valid(m.train, u, i)
	if uok {
		su = float64(m.su[u])
	}
	if iok {
		si = float64(m.si[i])
	}
	for j, p := range preds {
		dst[1+j] = float64(p)
		if m.supports {
			dst[1+k+j] = float64(p) * su
			dst[1+2*k+j] = float64(p) * si
		}
	}
	if m.supports {
		dst[1+3*k] = su
		dst[2+3*k] = si
	}
}

func (m *Blend) init() {
	m.pool = &sync.Pool{New: func() any {
		return &scratch{scores: make([]float32, m.train.Items()), aux: make([]float32, m.train.Items())}
	}}
}

// Name returns "blend".
func (m *Blend) Name() string { return "blend" }

// Train returns the training matrix.
func (m *Blend) Train() *Matrix { return m.train }

// Members returns the names of the blended models, in weight order.
func (m *Blend) Members() []string {
	out := make([]string, len(m.members))
	for k, p := range m.members {
		out[k] = p.Name()
	}
	return out
}

// Weights returns a copy of the fitted weights (see BlendOptions).
func (m *Blend) Weights() []float64 { return append([]float64(nil), m.w...) }

// String describes the blend, for logs.
func (m *Blend) String() string {
	return fmt.Sprintf("blend(%s)", strings.Join(m.Members(), ", "))
}

// Predict returns the blended prediction clipped to the scale.
func (m *Blend) Predict(u, i int32) float32 {
	var fbuf [64]float32
	var wbuf [256]float64
	k := len(m.members)
	preds, feats := fbuf[:0], wbuf[:0]
	if k <= len(fbuf) && m.nFeatures() <= len(wbuf) {
		preds, feats = fbuf[:k], wbuf[:m.nFeatures()]
	} else {
		preds, feats = make([]float32, k), make([]float64, m.nFeatures())
	}
	for j, p := range m.members {
		preds[j] = p.Predict(u, i)
	}
	m.features(u, i, preds, feats)
	var v float64
	for j, x := range feats {
		v += m.w[j] * x
	}
	return clip(float32(v), m.train)
}

// TopN ranks items by the blend of the members' unclipped scores.
func (m *Blend) TopN(u int32, n int, excludeSeen bool) []Rec {
	return topN(m.train, m.pool, m, u, n, excludeSeen)
}

type pooled interface {
	scorer
	scratchPool() *sync.Pool
}

func (m *Baseline) scratchPool() *sync.Pool { return m.pool }
func (m *KNN) scratchPool() *sync.Pool      { return m.pool }
func (m *SVD) scratchPool() *sync.Pool      { return m.pool }

func (m *Blend) scoreAll(u int32, dst []float32, s *scratch) {
	k := len(m.members)
	su := float64(m.su[u])
	w0 := float32(m.w[0])
	for i := range dst {
		v := w0
		if m.supports {
			v += float32(m.w[1+3*k]*su + m.w[2+3*k]*float64(m.si[i]))
		}
		dst[i] = v
	}
	tmp := s.aux[:len(dst)]
	for j, p := range m.members {
		ps := p.(pooled)
		ms := ps.scratchPool().Get().(*scratch)
		ps.scoreAll(u, tmp, ms)
		ps.scratchPool().Put(ms)
		a := float32(m.w[1+j])
		var b, c float32
		if m.supports {
			b = float32(m.w[1+k+j] * su)
			c = float32(m.w[1+2*k+j])
		}
		for i, x := range tmp {
			dst[i] += (a + b + c*m.si[i]) * x
		}
	}
}

// because defers to the first member that can explain (item kNN).
func (m *Blend) because(u, i int32, s *scratch) int32 {
	for _, p := range m.members {
		if ex, ok := p.(explainer); ok {
			if kn, ok := p.(*KNN); ok && kn.userBased {
				continue
			}
			ps := p.(pooled)
			ms := ps.scratchPool().Get().(*scratch)
			j := ex.because(u, i, ms)
			ps.scratchPool().Put(ms)
			return j
		}
	}
	return -1
}

package customize

import (
	"cmp"
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"
)

func randFloats(rng *rand.Rand, n int) []float32 {
	v := make([]float32, n)
	for k := range v {
		v[k] = rng.Float32()*2 - 1
	}
	return v
}

func TestScoreStripsMatchesPureGo(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, f := range []int{1, 2, 7, 8, 13, 100} {
		for _, ns := range []int{1, 2, 3, 6} {
			for _, rows := range []int{1, 3, 4, 5, 8} {
				t.Run("f="+strconv.Itoa(f)+" strips="+strconv.Itoa(ns)+" rows="+strconv.Itoa(rows)+" match", func(t *testing.T) {
					pk := randFloats(rng, blockRows*f)
					q := randFloats(rng, ns*f*stripWidth)
					bias := randFloats(rng, ns*stripWidth)
					ostride := ns*stripWidth + 5 // rows need not be contiguous
					got := make([]float32, blockRows*ostride)
					want := make([]float32, blockRows*ostride)
					scoreStrips(pk, rows, f, q, ns, bias, got, ostride)
					scoreStripsGo(pk, rows, f, q, ns, bias, want, ostride)
					for r := range rows {
						for c := range ns * stripWidth {
							s, l := c/stripWidth, c%stripWidth
							exact := float64(bias[c])
							for k := range f {
								exact += float64(pk[k*blockRows+r]) * float64(q[(s*f+k)*stripWidth+l])
							}
							g, w := got[r*ostride+c], want[r*ostride+c]
							if !near(float64(g), float64(w), 1e-6) || !near(float64(g), exact, 1e-4) {
								t.Fatalf("row %d item %d: kernel %v, pure Go %v, float64 %v", r, c, g, w, exact)
							}
						}
					}
				})
			}
		}
	}
}

// bruteTop is an independent reference: every item scored in float64 and
// fully sorted (score descending, then index).
func bruteTop(m *Matrix, u int32, n int, excludeSeen bool, score func(u, i int32) float64) []Rec {
	var all []Rec
	items, _ := m.Row(u)
	for i := range int32(m.Items()) {
		if excludeSeen && slices.Contains(items, i) {
			continue
		}
		all = append(all, Rec{Item: i, Score: float32(score(u, i))})
	}
	slices.SortStableFunc(all, func(a, b Rec) int {
		return cmp.Or(cmp.Compare(b.Score, a.Score), cmp.Compare(a.Item, b.Item))
	})
	return all[:min(n, len(all))]
}

// checkBatch asserts that TopNAll gives exactly TopN's lists, and that
// those lists are a correct top-n of score up to float tolerance.
func checkBatch(t *testing.T, mod Model, score func(u, i int32) float64, ns []int) {
	t.Helper()
	m := mod.Train()
	us := make([]int32, m.Customers()+2)
	for k := range us {
		us[k] = int32(k)
	}
	us[len(us)-2], us[len(us)-1] = -1, int32(m.Customers()) // unknown
	rng := rand.New(rand.NewPCG(5, 6))
	rng.Shuffle(len(us), func(a, b int) { us[a], us[b] = us[b], us[a] })
	for _, n := range ns {
		for _, excl := range []bool{true, false} {
			got, err := TopNAll(context.Background(), mod, us, n, excl, 2)
			if err != nil {
				t.Fatal(err)
			}
			for k, u := range us {
				want := mod.TopN(u, n, excl)
				if !slices.Equal(got[k], want) {
					t.Fatalf("n=%d exclude=%v u%d: batch %v, TopN %v", n, excl, u, got[k], want)
				}
				if u < 0 || int(u) >= m.Customers() {
					if got[k] != nil {
						t.Fatalf("unknown customer %d got %v", u, got[k])
					}
					continue
				}
				ref := bruteTop(m, u, n, excl, score)
				if len(ref) != len(want) {
					t.Fatalf("n=%d u%d: %d recs, reference %d", n, u, len(want), len(ref))
				}
				items, _ := m.Row(u)
				for j, r := range want {
					if excl && slices.Contains(items, r.Item) {
						t.Fatalf("u%d: recommends rated item %d", u, r.Item)
					}
					s := score(u, r.Item)
					if !near(float64(r.Score), s, 1e-5) || !near(float64(r.Score), float64(ref[j].Score), 1e-5) {
						t.Fatalf("u%d rank %d: item %d score %v (exact %v), reference item %d score %v", u, j, r.Item, r.Score, s, ref[j].Item, ref[j].Score)
					}
				}
			}
		}
	}
}

func TestBatchTopNMatchesTopNOnMovieLens(t *testing.T) {
	m := loadMatrix(t, "movielens-100k", "u.data")
	svd := DefaultSVD()
	svd.Epochs = 5
	als := DefaultALS()
	als.Factors, als.Epochs = 24, 3
	for _, alg := range []Algorithm{svd, als} {
		t.Run(alg.Name()+" lists are those of TopN", func(t *testing.T) {
			mod, err := Fit(context.Background(), m, alg)
			if err != nil {
				t.Fatal(err)
			}
			checkBatch(t, mod, factorScore(mod), []int{10})
		})
	}
}

// factorScore is s(u, i) = b_i + x_u·y_i in float64.
func factorScore(mod Model) func(u, i int32) float64 {
	var f int
	var x, y, b []float32
	switch m := mod.(type) {
	case *SVD:
		f, x, y, b = m.f, m.p, m.q, m.bi
	case *ALS:
		f, x, y = m.f, m.x, m.y
	}
	return func(u, i int32) float64 {
		s := 0.0
		if b != nil {
			s = float64(b[i])
		}
		for k := range f {
			s += float64(x[int(u)*f+k]) * float64(y[int(i)*f+k])
		}
		return s
	}
}

func TestBatchTopNMatchesTopNOnRandomModels(t *testing.T) {
	for _, f := range []int{1, 5, 16, 100} {
		for _, ni := range []int{3, 31, 333} {
			t.Run("f="+strconv.Itoa(f)+" items="+strconv.Itoa(ni)+" lists match", func(t *testing.T) {
				rng := rand.New(rand.NewPCG(uint64(f), uint64(ni)))
				tr := randomMatrix(t, uint64(f*1000+ni), 37, ni, 12)
				nu, nitems := tr.Customers(), tr.Items()
				mod := &SVD{train: tr, name: "svd", f: f, bu: make([]float32, nu),
					bi: randFloats(rng, nitems), p: randFloats(rng, nu*f), q: randFloats(rng, nitems*f)}
				// Ties: a few items with equal factors and biases.
				if nitems > 4 {
					copy(mod.q[3*f:4*f], mod.q[1*f:2*f])
					mod.bi[3] = mod.bi[1]
				}
				mod.init()
				checkBatch(t, mod, factorScore(mod), []int{1, 10, nitems + 1})
			})
		}
	}
}

func TestBatchTopNFallsBackToTopN(t *testing.T) {
	m := randomMatrix(t, 2, 30, 25, 10)
	mod, err := Fit(context.Background(), m, DefaultKNN())
	if err != nil {
		t.Fatal(err)
	}
	us := []int32{4, 0, 29, -3}
	got, err := TopNAll(context.Background(), mod, us, 5, true, 2)
	if err != nil {
		t.Fatal(err)
	}
	for k, u := range us {
		if want := mod.TopN(u, 5, true); !slices.Equal(got[k], want) {
			t.Fatalf("u%d: %v, want %v", u, got[k], want)
		}
	}
}

func TestBatchTopNStopsWhenCancelled(t *testing.T) {
	m := randomMatrix(t, 2, 30, 25, 10)
	mod, err := Fit(context.Background(), m, DefaultSVD())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := TopNAll(ctx, mod, []int32{1, 2}, 5, true, 1); err == nil {
		t.Fatal("no error after cancel")
	}
}

// skewedModel is an svd (or, without biases, als-implicit) model whose item
// norms fall off along a long tail, as regularised training leaves them,
// so that the norm bound cuts most items. With quantize, every factor and
// bias is a multiple of 1/4 in a few factors: scores are exact in float32
// and tie often, between items of different norms and across tiles.
func skewedModel(t *testing.T, seed uint64, f, nu, ni int, bias, quantize bool) Model {
	t.Helper()
	rng := rand.New(rand.NewPCG(seed, 7))
	tr := randomMatrix(t, seed, nu, ni, 15)
	nu, ni = tr.Customers(), tr.Items()
	x, y := randFloats(rng, nu*f), randFloats(rng, ni*f)
	var b []float32
	if bias {
		b = randFloats(rng, ni)
	}
	for i := range ni {
		s := float32(2 / (1 + float64(i)/20))
		if quantize {
			s = 4
		}
		for k := range f {
			y[i*f+k] *= s
		}
		if b != nil {
			b[i] *= 2
		}
	}
	for u := range nu {
		s := float32(0.5 + rng.Float64())
		for k := range f {
			x[u*f+k] *= s
		}
	}
	if quantize {
		for _, v := range [][]float32{x, y, b} {
			for k := range v {
				v[k] = float32(math.Round(float64(v[k])*4)) / 4
			}
		}
	}
	if !bias {
		m := &ALS{train: tr, f: f, x: x, y: y}
		m.init()
		return m
	}
	m := &SVD{train: tr, name: "svd", f: f, bu: make([]float32, nu), bi: b, p: x, q: y}
	m.init()
	return m
}

// withoutPruning returns a copy of the factor model mod that scores every
// item.
func withoutPruning(mod Model) Model {
	switch m := mod.(type) {
	case *SVD:
		c := &SVD{train: m.train, name: m.name, f: m.f, bu: m.bu, bi: m.bi, p: m.p, q: m.q}
		c.init()
		c.top.noPrune = true
		return c
	case *ALS:
		c := &ALS{train: m.train, f: m.f, x: m.x, y: m.y}
		c.init()
		c.top.noPrune = true
		return c
	}
	panic("not a factor model")
}

func TestBatchTopNPruningKeepsExactLists(t *testing.T) {
	for _, tc := range []struct {
		name            string
		f, ni           int
		bias, quantized bool
	}{
		{"svd with long-tail item norms", 16, 3000, true, false},
		{"svd with a single factor", 1, 2000, true, false},
		{"als-implicit with long-tail item norms", 24, 3000, false, false},
		{"svd with quantized factors and many ties", 3, 2500, true, true},
		{"als-implicit with quantized factors and many ties", 2, 2500, false, true},
	} {
		t.Run(tc.name+" gives the lists of scoring every item", func(t *testing.T) {
			mod := skewedModel(t, uint64(tc.f*31+tc.ni), tc.f, 700, tc.ni, tc.bias, tc.quantized)
			ref := withoutPruning(mod)
			m := mod.Train()
			us := make([]int32, m.Customers())
			for k := range us {
				us[k] = int32(len(us) - 1 - k)
			}
			score := factorScore(mod)
			top := mod.(batchTopN).factors()
			for _, n := range []int{1, 10, 60} {
				for _, excl := range []bool{true, false} {
					top.scored.Store(0)
					got, err := TopNAll(context.Background(), mod, us, n, excl, 2)
					if err != nil {
						t.Fatal(err)
					}
					want, err := TopNAll(context.Background(), ref, us, n, excl, 2)
					if err != nil {
						t.Fatal(err)
					}
					for k, u := range us {
						if !slices.Equal(got[k], want[k]) {
							t.Fatalf("n=%d exclude=%v u%d: pruned %v, every item %v", n, excl, u, got[k], want[k])
						}
						if tc.quantized { // exact scores: the float64 order, ties by index
							brute := bruteTop(m, u, n, excl, score)
							for j, r := range got[k] {
								if r.Item != brute[j].Item || r.Score != brute[j].Score {
									t.Fatalf("n=%d exclude=%v u%d rank %d: %v, float64 %v", n, excl, u, j, r, brute[j])
								}
							}
						}
					}
					frac := float64(top.scored.Load()) / float64(len(us)*m.Items())
					if n == 10 && frac > 0.5 {
						t.Errorf("n=%d exclude=%v: scored %.2f of the items, want most pruned", n, excl, frac)
					}
				}
			}
		})
	}
}

// A factor model over no items (possible through NewMatrixFromCOO or a
// model file) ranks nothing rather than failing.
func TestBatchTopNWithoutItems(t *testing.T) {
	tr, _, err := NewMatrixFromCOO(3, 0, nil, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	const f = 4
	rng := rand.New(rand.NewPCG(1, 2))
	mod := &SVD{train: tr, name: "svd", f: f, bu: make([]float32, 3), p: randFloats(rng, 3*f)}
	mod.init()
	got, err := TopNAll(context.Background(), mod, []int32{0, 1, 2}, 10, true, 2)
	if err != nil {
		t.Fatal(err)
	}
	for u, l := range got {
		if len(l) != 0 {
			t.Errorf("customer %d: %v, want no items", u, l)
		}
	}
	if l := mod.TopN(1, 10, false); len(l) != 0 {
		t.Errorf("TopN: %v, want no items", l)
	}
}

package customize

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"sync"
	"testing"
)

func build(t testing.TB, rs [][3]string) *Matrix {
	t.Helper()
	b := NewBuilder()
	for _, r := range rs {
		v, err := strconv.ParseFloat(r[2], 32)
		if err != nil {
			t.Fatal(err)
		}
		b.Add(r[0], r[1], float32(v))
	}
	m, _, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol }

// TestBaselineByHand checks the ALS biases on a 3×3 matrix against the
// hand calculation below (μ = 18/6 = 3, λ_i = λ_u = 1):
//
//	epoch 1, items: b_0 = (2+1)/3 = 1, b_1 = (0−2)/3 = −2/3, b_2 = (−1+0)/3 = −1/3
//	epoch 1, users: b_u0 = (1 + 2/3)/3 = 5/9, b_u1 = (0 − 2/3)/3 = −2/9,
//	                b_u2 = (−4/3 + 1/3)/3 = −1/3
//	epoch 2, items: b_0 = (13/9 + 11/9)/3 = 8/9, b_1 = (−5/9 − 15/9)/3 = −20/27,
//	                b_2 = (−7/9 + 3/9)/3 = −4/27
//	epoch 2, users: b_u0 = (10/9 + 20/27)/3 = 50/81, b_u1 = (1/9 − 23/27)/3 = −20/81,
//	                b_u2 = (−30/27)/3 = −10/27
func TestBaselineByHand(t *testing.T) {
	m := build(t, [][3]string{{"u0", "i0", "5"}, {"u0", "i1", "3"}, {"u1", "i0", "4"}, {"u1", "i2", "2"}, {"u2", "i1", "1"}, {"u2", "i2", "3"}})
	for _, c := range []struct {
		name   string
		epochs int
		bu, bi [3]float64
	}{
		{"one epoch gives the first hand-worked round", 1, [3]float64{5.0 / 9, -2.0 / 9, -1.0 / 3}, [3]float64{1, -2.0 / 3, -1.0 / 3}},
		{"two epochs give the second hand-worked round", 2, [3]float64{50.0 / 81, -20.0 / 81, -10.0 / 27}, [3]float64{8.0 / 9, -20.0 / 27, -4.0 / 27}},
	} {
		t.Run(c.name, func(t *testing.T) {
			mod, err := Fit(context.Background(), m, BaselineOptions{RegItem: 1, RegUser: 1, Epochs: c.epochs})
			if err != nil {
				t.Fatal(err)
			}
			b := mod.(*Baseline)
			for k := range 3 {
				bu, bi, mu := b.Bias(int32(k), int32(k))
				if !near(float64(bu), c.bu[k], 1e-6) || !near(float64(bi), c.bi[k], 1e-6) || mu != 3 {
					t.Errorf("k=%d: b_u %v b_i %v μ %v, want %v %v 3", k, bu, bi, mu, c.bu[k], c.bi[k])
				}
			}
			if c.epochs == 2 {
				want := 3 + 50.0/81 - 4.0/27
				if got := b.Predict(0, 2); !near(float64(got), want, 1e-6) {
					t.Errorf("r̂(u0,i2) = %v, want %v", got, want)
				}
			}
		})
	}
}

// TestEASEByHand checks EASE on 3 items. Customers: u0 {0,1}, u1 {0,1,2},
// u2 {1,2}, u3 {0}; λ = 1, so
//
//	XᵀX + I = [[4,2,1],[2,4,2],[1,2,3]], det 24,
//	P = (1/24)·[[8,−4,0],[−4,11,−6],[0,−6,12]]   (adjugate / det)
//	B_ij = −P_ij/P_jj: B_01 = 4/11, B_02 = 0, B_10 = 1/2, B_12 = 1/2, B_20 = 0, B_21 = 6/11
func TestEASEByHand(t *testing.T) {
	m := build(t, [][3]string{{"u0", "0", "1"}, {"u0", "1", "1"}, {"u1", "0", "1"}, {"u1", "1", "1"}, {"u1", "2", "1"}, {"u2", "1", "1"}, {"u2", "2", "1"}, {"u3", "0", "1"}})
	mod, err := Fit(context.Background(), m, EASEOptions{Lambda: 1})
	if err != nil {
		t.Fatal(err)
	}
	e := mod.(*EASE)
	want := [3][3]float64{{0, 4.0 / 11, 0}, {0.5, 0, 0.5}, {0, 6.0 / 11, 0}}
	t.Run("weights match the hand-inverted Gram matrix", func(t *testing.T) {
		for i := range 3 {
			for j := range 3 {
				if got := e.Weight(int32(i), int32(j)); !near(float64(got), want[i][j], 1e-6) {
					t.Errorf("B[%d][%d] = %v, want %v", i, j, got, want[i][j])
				}
			}
		}
	})
	t.Run("top-N sums the rated items' rows and names the strongest as reason", func(t *testing.T) {
		got := e.TopN(3, 5, true) // u3 rated item 0: scores B_0j
		wantRecs := []Rec{{Item: 1, Score: 4.0 / 11, Because: 0, BecauseRating: 1}, {Item: 2, Score: 0, Because: 0, BecauseRating: 1}}
		if len(got) != len(wantRecs) {
			t.Fatalf("TopN(u3) = %+v, want %+v", got, wantRecs)
		}
		for k, w := range wantRecs {
			g := got[k]
			if g.Item != w.Item || g.Because != w.Because || g.BecauseRating != w.BecauseRating || !near(float64(g.Score), float64(w.Score), 1e-6) {
				t.Fatalf("TopN(u3) = %+v, want %+v", got, wantRecs)
			}
		}
		got = e.TopN(2, 5, true) // u2 rated {1,2}: item 0 scores B_10 + B_20 = 1/2, because of item 1
		if len(got) != 1 || got[0].Item != 0 || !near(float64(got[0].Score), 0.5, 1e-6) || got[0].Because != 1 {
			t.Fatalf("TopN(u2) = %+v", got)
		}
	})
}

// TestListMetricsByHand checks the metric definitions on hand examples.
func TestListMetricsByHand(t *testing.T) {
	l2 := math.Log2
	for _, c := range []struct {
		name                string
		list                []int32
		rel                 []int32
		n                   int
		prec, rec, ndcg, ap float64
	}{
		{"hits at ranks 2 and 4 of 4 with 3 relevant", []int32{0, 1, 2, 3}, []int32{1, 3, 4}, 4,
			2.0 / 4, 2.0 / 3, (1/l2(3) + 1/l2(5)) / (1 + 1/l2(3) + 1/l2(4)), (1.0/2 + 2.0/4) / 3},
		{"a single relevant item ranked first is perfect but for precision", []int32{5, 1, 2}, []int32{5}, 3,
			1.0 / 3, 1, 1, 1},
		{"no hits score zero", []int32{0, 1}, []int32{7}, 2, 0, 0, 0, 0},
		{"more relevant items than slots cap the ideal DCG and AP at n", []int32{0, 1}, []int32{0, 1, 2, 3}, 2,
			1, 0.5, 1, 1},
		{"a short list still divides precision by n", []int32{2}, []int32{2, 3}, 4,
			0.25, 0.5, 1 / (1 + 1/l2(3)), 0.5},
	} {
		t.Run(c.name, func(t *testing.T) {
			mark := make([]bool, 10)
			for _, i := range c.rel {
				mark[i] = true
			}
			var list []Rec
			for _, i := range c.list {
				list = append(list, Rec{Item: i})
			}
			p, r, nd, ap := listMetrics(list, mark, len(c.rel), c.n)
			if !near(p, c.prec, 1e-12) || !near(r, c.rec, 1e-12) || !near(nd, c.ndcg, 1e-12) || !near(ap, c.ap, 1e-12) {
				t.Fatalf("got P %v R %v NDCG %v AP %v, want %v %v %v %v", p, r, nd, ap, c.prec, c.rec, c.ndcg, c.ap)
			}
		})
	}
	t.Run("the head is the fewest popular items reaching 80% of interactions", func(t *testing.T) {
		// item counts 5, 3, 1, 1 (total 10): 5 < 8, 5+3 = 8 ≥ 8, so head = {0, 1}.
		var rs [][3]string
		for k, c := range []int{5, 3, 1, 1} {
			for u := range c {
				rs = append(rs, [3]string{strconv.Itoa(u), strconv.Itoa(k), "1"})
			}
		}
		m := build(t, rs)
		if got := headItems(m, 0.8); !slices.Equal(got, []bool{true, true, false, false}) {
			t.Fatalf("head %v", got)
		}
	})
}

// randomMatrix returns a seeded random ratings matrix.
func randomMatrix(t testing.TB, seed uint64, nu, ni, perUser int) *Matrix {
	rng := rand.New(rand.NewPCG(seed, 1))
	b := NewBuilder()
	for u := range nu {
		for range 1 + rng.IntN(perUser) {
			b.Add("u"+strconv.Itoa(u), "i"+strconv.Itoa(rng.IntN(ni)), float32(1+rng.IntN(5)))
		}
	}
	m, _, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// smallAlgorithms are fast settings of every algorithm for unit tests.
func smallAlgorithms() []Algorithm {
	svd := DefaultSVD()
	svd.Factors, svd.Epochs = 8, 5
	pp := DefaultSVDpp()
	pp.Factors, pp.Epochs = 4, 5
	als := DefaultALS()
	als.Factors, als.Epochs, als.Reg = 4, 3, 1
	bl := DefaultBlend()
	bl.Members = []Algorithm{DefaultBaseline(), DefaultKNN(), svd}
	return []Algorithm{DefaultBaseline(), DefaultKNN(), DefaultKNNUser(), svd, pp, als, EASEOptions{Lambda: 10}, bl, PopularityOptions{}}
}

func TestTopNNeverRecommendsConsumedItems(t *testing.T) {
	for seed := uint64(1); seed <= 3; seed++ {
		m := randomMatrix(t, seed, 40, 30, 20)
		for _, alg := range smallAlgorithms() {
			t.Run(alg.Name()+" on random matrix "+strconv.Itoa(int(seed)), func(t *testing.T) {
				mod, err := Fit(context.Background(), m, alg)
				if err != nil {
					t.Fatal(err)
				}
				for u := range int32(m.Customers()) {
					items, _ := m.Row(u)
					n := 1 + int(u)%35
					recs := mod.TopN(u, n, true)
					if want := min(n, m.Items()-len(items)); len(recs) != want {
						t.Fatalf("u%d: %d recs, want %d", u, len(recs), want)
					}
					seen := map[int32]bool{}
					for k, r := range recs {
						if slices.Contains(items, r.Item) {
							t.Fatalf("u%d: recommends consumed item %d", u, r.Item)
						}
						if seen[r.Item] {
							t.Fatalf("u%d: item %d twice", u, r.Item)
						}
						seen[r.Item] = true
						if k > 0 && recs[k-1].Score < r.Score {
							t.Fatalf("u%d: scores not descending: %v", u, recs)
						}
						if r.Because >= 0 && !slices.Contains(items, r.Because) {
							t.Fatalf("u%d: reason %d is not a rated item", u, r.Because)
						}
					}
					if all := mod.TopN(u, m.Items(), false); len(all) != m.Items() {
						t.Fatalf("u%d: without exclusion %d recs, want %d", u, len(all), m.Items())
					}
				}
				if mod.TopN(-1, 3, true) != nil || mod.TopN(int32(m.Customers()), 3, true) != nil {
					t.Fatal("unknown customer got recommendations")
				}
			})
		}
	}
}

func TestModelsAreSafeForConcurrentUse(t *testing.T) {
	m := randomMatrix(t, 9, 60, 40, 25)
	for _, alg := range smallAlgorithms() {
		t.Run(alg.Name()+" gives the same answers from many goroutines", func(t *testing.T) {
			mod, err := Fit(context.Background(), m, alg)
			if err != nil {
				t.Fatal(err)
			}
			want := make([][]Rec, m.Customers())
			for u := range want {
				want[u] = mod.TopN(int32(u), 10, true)
			}
			var wg sync.WaitGroup
			errs := make(chan string, 8)
			for g := range 8 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for k := range 3 * m.Customers() {
						u := (k*7 + g) % m.Customers()
						if got := mod.TopN(int32(u), 10, true); !slices.Equal(got, want[u]) {
							errs <- "TopN differs"
							return
						}
						if p, ok := mod.(Predictor); ok {
							p.Predict(int32(u), int32(k%m.Items()))
						}
					}
				}()
			}
			wg.Wait()
			close(errs)
			for e := range errs {
				t.Fatal(e)
			}
		})
	}
}

func TestTopNAllocatesOnlyTheResult(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are meaningless under -race (sync.Pool drops items); checked in ordinary runs")
	}
	m := randomMatrix(t, 5, 50, 40, 25)
	for _, alg := range smallAlgorithms() {
		t.Run(alg.Name()+" allocates once per call", func(t *testing.T) {
			mod, err := Fit(context.Background(), m, alg)
			if err != nil {
				t.Fatal(err)
			}
			mod.TopN(3, 10, true) // warm the pool
			if a := testing.AllocsPerRun(50, func() { mod.TopN(3, 10, true) }); a > 1 {
				t.Fatalf("%v allocations per TopN, want 1", a)
			}
			if p, ok := mod.(Predictor); ok {
				p.Predict(3, 4)
				if a := testing.AllocsPerRun(50, func() { p.Predict(3, 4) }); a > 0 {
					t.Fatalf("%v allocations per Predict, want 0", a)
				}
			}
		})
	}
}

func TestSGDIsDeterministicForASeed(t *testing.T) {
	m := randomMatrix(t, 11, 80, 60, 30)
	for _, base := range []SVDOptions{DefaultSVD(), DefaultSVDpp()} {
		for _, w := range []int{1, 2, 3} {
			o := base
			o.Factors, o.Epochs, o.Workers = 8, 4, w
			t.Run(o.Name()+" with "+strconv.Itoa(w)+" workers repeats exactly", func(t *testing.T) {
				a, _ := Fit(context.Background(), m, o)
				b, _ := Fit(context.Background(), m, o)
				o2 := o
				o2.Seed++
				c, _ := Fit(context.Background(), m, o2)
				sa, sb, sc := a.(*SVD), b.(*SVD), c.(*SVD)
				if !slices.Equal(sa.p, sb.p) || !slices.Equal(sa.q, sb.q) || !slices.Equal(sa.bu, sb.bu) {
					t.Fatal("same seed, different factors")
				}
				if slices.Equal(sa.q, sc.q) {
					t.Fatal("different seed, same factors")
				}
			})
		}
	}
}

func TestFitHonoursCancellation(t *testing.T) {
	m := randomMatrix(t, 2, 50, 40, 20)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, alg := range smallAlgorithms() {
		if alg.Name() == "popularity" {
			continue
		}
		t.Run(alg.Name()+" stops on a cancelled context", func(t *testing.T) {
			if _, err := Fit(ctx, m, alg); err == nil {
				t.Fatal("no error")
			}
		})
	}
}

func TestKNNTopNMatchesPredict(t *testing.T) {
	m := randomMatrix(t, 21, 50, 200, 30) // customers rate fewer or more than K = 5 items
	for _, ub := range []bool{false, true} {
		o := DefaultKNN()
		o.UserBased, o.K, o.Shrinkage = ub, 5, 2
		t.Run(o.Name()+" ranks by the same scores Predict computes", func(t *testing.T) {
			mod, err := Fit(context.Background(), m, o)
			if err != nil {
				t.Fatal(err)
			}
			k := mod.(*KNN)
			for u := range int32(m.Customers()) {
				s := k.pool.Get().(*scratch)
				scores := make([]float32, m.Items())
				k.scoreAll(u, scores, s)
				for i := range int32(m.Items()) {
					if want := k.predict(u, i, s); !near(float64(scores[i]), float64(want), 1e-5) {
						t.Fatalf("u%d i%d: score %v, predict %v", u, i, scores[i], want)
					}
				}
				k.pool.Put(s)
			}
		})
	}
}

func TestTopByBucketsSelectsTheSameSetAsQuickselect(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 3))
	for trial := range 200 {
		n := 1 + rng.IntN(300)
		k := 1 + rng.IntN(n)
		h := make([]neighbour, n)
		for i := range h {
			s := float32(rng.IntN(50)+1) / 50 // many ties
			if trial%2 == 0 {
				s = rng.Float32()*0.999 + 0.001
			}
			h[i] = neighbour{sim: s, idx: int32(i)}
		}
		a, b := slices.Clone(h), slices.Clone(h)
		selectK(a, k)
		topByBuckets(b, k)
		key := func(x neighbour) int32 { return x.idx }
		sa, sb := make([]int32, k), make([]int32, k)
		for i := range k {
			sa[i], sb[i] = key(a[i]), key(b[i])
		}
		slices.Sort(sa)
		slices.Sort(sb)
		if !slices.Equal(sa, sb) {
			t.Fatalf("trial %d (n=%d k=%d): quickselect %v, buckets %v", trial, n, k, sa, sb)
		}
		// and quickselect is right: the k best by (sim desc, idx asc)
		c := slices.Clone(h)
		slices.SortFunc(c, func(x, y neighbour) int {
			if x.sim != y.sim {
				if x.sim > y.sim {
					return -1
				}
				return 1
			}
			return int(x.idx - y.idx)
		})
		sc := make([]int32, k)
		for i := range k {
			sc[i] = c[i].idx
		}
		slices.Sort(sc)
		if !slices.Equal(sa, sc) {
			t.Fatalf("trial %d: quickselect %v, sort %v", trial, sa, sc)
		}
	}
}

func TestAlgorithmsAreNamedAsTheirModels(t *testing.T) {
	m := randomMatrix(t, 12, 20, 15, 8)
	for name, alg := range Algorithms() {
		t.Run(name+" fits a model of the same name", func(t *testing.T) {
			if alg.Name() != name {
				t.Fatalf("algorithm %q under key %q", alg.Name(), name)
			}
			if name == "blend" {
				return // the default members are exercised by the accuracy tests
			}
			mod, err := Fit(context.Background(), m, alg)
			if err != nil {
				t.Fatal(err)
			}
			if mod.Name() != name {
				t.Fatalf("model %q", mod.Name())
			}
		})
	}
}

func TestSumTopKMatchesSelection(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	for trial := range 300 {
		n := 1 + rng.IntN(200)
		k := &KNN{k: 1 + rng.IntN(60)}
		sims, dev, idx := make([]float32, n), make([]float32, n), make([]int32, n)
		for i := range sims {
			sims[i] = rng.Float32()*1.4 - 0.4 // some negative
			if trial%3 == 0 {
				sims[i] = float32(rng.IntN(12)-3) / 8 // ties and exact 1
			}
			dev[i], idx[i] = rng.Float32()*4-2, int32(i)
		}
		s := &scratch{}
		num, den, cnt := k.sumTopK(sims, dev, idx, s)
		var wn, wd float32
		nb := k.topKDense(sims, dev, idx, &scratch{})
		for _, x := range nb {
			wn += x.sim * x.dev
			wd += x.sim
		}
		if cnt != len(nb) || !near(float64(num), float64(wn), 1e-4) || !near(float64(den), float64(wd), 1e-4) {
			t.Fatalf("trial %d (n=%d k=%d): %v %v %d, want %v %v %d", trial, n, k.k, num, den, cnt, wn, wd, len(nb))
		}
	}
}

package customize

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/custnet/custnet/internal/rss"
)

// Split is one train/test split of an evaluation. Test ratings use the
// same indices as Train (they may name customers or items without training
// ratings).
type Split struct {
	Name  string
	Train *Matrix
	Test  []Rating
}

// KFold shuffles m's ratings with seed and deals them into k folds of
// near-equal size; split f tests on fold f and trains on the others. The
// same seed gives the same folds for every model.
func KFold(m *Matrix, k int, seed uint64) ([]Split, error) {
	if k < 2 || k > m.Len() {
		return nil, fmt.Errorf("k-fold: k = %d, want 2..%d", k, m.Len())
	}
	rs := m.Ratings()
	rng := rand.New(rand.NewPCG(seed, 0xf01d))
	rng.Shuffle(len(rs), func(a, b int) { rs[a], rs[b] = rs[b], rs[a] })
	out := make([]Split, k)
	for f := range k {
		lo, hi := f*len(rs)/k, (f+1)*len(rs)/k
		train := make([]Rating, 0, len(rs)-(hi-lo))
		train = append(append(train, rs[:lo]...), rs[hi:]...)
		out[f] = Split{Name: fmt.Sprintf("fold%d", f+1), Train: newMatrix(m.customers, m.items, train), Test: slices.Clone(rs[lo:hi])}
	}
	return out, nil
}

// Holdout shuffles m's ratings with seed and tests on the share testShare.
func Holdout(m *Matrix, testShare float64, seed uint64) (Split, error) {
	nt := int(math.Round(testShare * float64(m.Len())))
	if testShare <= 0 || testShare >= 1 || nt < 1 || nt >= m.Len() {
		return Split{}, fmt.Errorf("holdout: test share %v of %d ratings leaves an empty side", testShare, m.Len())
	}
	rs := m.Ratings()
	rng := rand.New(rand.NewPCG(seed, 0xf01d))
	rng.Shuffle(len(rs), func(a, b int) { rs[a], rs[b] = rs[b], rs[a] })
	return Split{Name: "holdout", Train: newMatrix(m.customers, m.items, slices.Clone(rs[nt:])), Test: slices.Clone(rs[:nt])}, nil
}

// EvalOptions configure [Evaluate].
type EvalOptions struct {
	// N is the length of top-N lists. Zero: 10.
	N int
	// NoTopN skips the top-N protocol (rating metrics only).
	NoTopN bool
	// Workers bounds the goroutines of the test phase. Zero: GOMAXPROCS.
	Workers int
}

// Result holds a model's figures over the splits of one evaluation. Rating
// and ranking metrics are means over splits; times are totals.
//
// Rating metrics, over the test ratings T of a split (models that do not
// predict ratings report 0):
//
//	RMSE = √(Σ_T (r̂ − r)² / |T|),   MAE = Σ_T |r̂ − r| / |T|
//
// Top-N protocol: every test rating counts as an implicit interaction. For
// each customer u with test ratings, the model ranks every item u did not
// rate in training; L is the first N of that ranking and Rel the items u
// rated in the test split. With hit_k = 1 when L_k ∈ Rel:
//
//	Precision@N = |L ∩ Rel| / N
//	Recall@N    = |L ∩ Rel| / |Rel|
//	NDCG@N      = DCG / IDCG,  DCG = Σ_{k=1..|L|} hit_k / log₂(k+1),
//	              IDCG = Σ_{k=1..min(|Rel|,N)} 1 / log₂(k+1)   (binary relevance)
//	MAP@N       = Σ_k hit_k · Precision@k / min(|Rel|, N)
//
// each averaged over those customers. Coverage is the share of the
// catalogue (all items of the training matrix) that appears in at least
// one list. BackCatalogue is the share of recommended slots filled by items
// outside the head: the fewest most popular items that together account
// for 80% of the split's training interactions.
type Result struct {
	Model       string  `json:"model"`
	Splits      int     `json:"splits"`
	RMSE        float64 `json:"rmse"`
	MAE         float64 `json:"mae"`
	FitSeconds  float64 `json:"fit_seconds"`
	TestSeconds float64 `json:"test_seconds"` // rating predictions of the test sets
	TopNSeconds float64 `json:"topn_seconds"` // top-N lists of the test customers

	N             int     `json:"n"`
	Precision     float64 `json:"precision_at_n"`
	Recall        float64 `json:"recall_at_n"`
	NDCG          float64 `json:"ndcg_at_n"`
	MAP           float64 `json:"map_at_n"`
	Coverage      float64 `json:"coverage"`
	BackCatalogue float64 `json:"back_catalogue"`

	PerSplit []SplitResult `json:"per_split"`
}

// SplitResult holds one split's figures (see [Result]).
type SplitResult struct {
	Split         string  `json:"split"`
	RMSE          float64 `json:"rmse"`
	MAE           float64 `json:"mae"`
	FitSeconds    float64 `json:"fit_seconds"`
	TestSeconds   float64 `json:"test_seconds"`
	TopNSeconds   float64 `json:"topn_seconds"`
	Customers     int     `json:"customers"` // customers ranked in the top-N protocol
	Precision     float64 `json:"precision_at_n"`
	Recall        float64 `json:"recall_at_n"`
	NDCG          float64 `json:"ndcg_at_n"`
	MAP           float64 `json:"map_at_n"`
	Coverage      float64 `json:"coverage"`
	BackCatalogue float64 `json:"back_catalogue"`
	// PeakRSS is the process's peak resident memory in bytes after this
	// split (Linux VmHWM; 0 where unknown). It only grows, so the last
	// split's value is the run's peak.
	PeakRSS int64 `json:"peak_rss_bytes"`
}

// Evaluate fits alg on every split's training matrix and measures it on
// the split's test ratings.
func Evaluate(ctx context.Context, alg Algorithm, splits []Split, opts EvalOptions) (Result, error) {
	if len(splits) == 0 {
		return Result{}, errors.New("evaluate: no splits")
	}
	if opts.N == 0 {
		opts.N = 10
	}
	res := Result{Model: alg.Name(), Splits: len(splits), N: opts.N}
	for _, sp := range splits {
		sr, err := evaluateSplit(ctx, alg, sp, opts)
		if err != nil {
			return res, fmt.Errorf("evaluate %s on %s: %w", alg.Name(), sp.Name, err)
		}
		sr.PeakRSS = rss.Peak()
		res.PerSplit = append(res.PerSplit, sr)
		res.FitSeconds += sr.FitSeconds
		res.TestSeconds += sr.TestSeconds
		res.TopNSeconds += sr.TopNSeconds
		k := float64(len(splits))
		res.RMSE += sr.RMSE / k
		res.MAE += sr.MAE / k
		res.Precision += sr.Precision / k
		res.Recall += sr.Recall / k
		res.NDCG += sr.NDCG / k
		res.MAP += sr.MAP / k
		res.Coverage += sr.Coverage / k
		res.BackCatalogue += sr.BackCatalogue / k
	}
	return res, nil
}

// EvaluateAll evaluates each algorithm on the same splits, adding the
// popularity baseline when it is not among them, so that its figures are
// reported in the same run.
func EvaluateAll(ctx context.Context, algs []Algorithm, splits []Split, opts EvalOptions) ([]Result, error) {
	havePop := false
	for _, a := range algs {
		havePop = havePop || a.Name() == "popularity"
	}
	if !havePop && !opts.NoTopN {
		algs = append(slices.Clip(algs), PopularityOptions{})
	}
	var out []Result
	for _, a := range algs {
		r, err := Evaluate(ctx, a, splits, opts)
		if err != nil {
			return out, err
		}
		out = append(out, r)
	}
	return out, nil
}

func evaluateSplit(ctx context.Context, alg Algorithm, sp Split, opts EvalOptions) (SplitResult, error) {
	sr := SplitResult{Split: sp.Name}
	t0 := time.Now()
	mod, err := Fit(ctx, sp.Train, alg)
	if err != nil {
		return sr, err
	}
	sr.FitSeconds = time.Since(t0).Seconds()
	nw := workers(opts.Workers)
	if p, ok := mod.(Predictor); ok && len(sp.Test) > 0 {
		t0 = time.Now()
		se := make([]float64, nw)
		ae := make([]float64, nw)
		err := parallelFor(ctx, nw, len(sp.Test), 1024, func(w, lo, hi int) {
			for _, r := range sp.Test[lo:hi] {
				d := float64(p.Predict(r.Customer, r.Item) - r.Value)
				se[w] += d * d
				ae[w] += math.Abs(d)
			}
		})
		if err != nil {
			return sr, err
		}
		var s, a float64
		for w := range nw {
			s, a = s+se[w], a+ae[w]
		}
		sr.RMSE = math.Sqrt(s / float64(len(sp.Test)))
		sr.MAE = a / float64(len(sp.Test))
		sr.TestSeconds = time.Since(t0).Seconds()
	}
	if opts.NoTopN {
		return sr, nil
	}
	t0 = time.Now()
	if err := topNMetrics(ctx, mod, sp, opts.N, nw, &sr); err != nil {
		return sr, err
	}
	sr.TopNSeconds = time.Since(t0).Seconds()
	return sr, nil
}

// topNMetrics runs the top-N protocol described at [Result].
func topNMetrics(ctx context.Context, mod Model, sp Split, n, nw int, sr *SplitResult) error {
	tr := sp.Train
	// Test items per customer (CSR over the test set).
	ptr := make([]int32, tr.Customers()+1)
	for _, r := range sp.Test {
		ptr[r.Customer+1]++
	}
	for u := range tr.Customers() {
		ptr[u+1] += ptr[u]
	}
	rel := make([]int32, len(sp.Test))
	next := slices.Clone(ptr)
	for _, r := range sp.Test {
		rel[next[r.Customer]] = r.Item
		next[r.Customer]++
	}
	head := headItems(tr, 0.8)
	type acc struct {
		users          int
		p, r, ndcg, ap float64
		slots, back    int
		seen           []bool
		mark           []bool
	}
	accs := make([]acc, nw)
	for w := range accs {
		accs[w].seen = make([]bool, tr.Items())
		accs[w].mark = make([]bool, tr.Items())
	}
	err := parallelFor(ctx, nw, tr.Customers(), 16, func(w, lo, hi int) {
		a := &accs[w]
		for u := lo; u < hi; u++ {
			relU := rel[ptr[u]:ptr[u+1]]
			if len(relU) == 0 {
				continue
			}
			recs := mod.TopN(int32(u), n, true)
			for _, i := range relU {
				a.mark[i] = true
			}
			p, r, nd, ap := listMetrics(recs, a.mark, len(relU), n)
			for _, i := range relU {
				a.mark[i] = false
			}
			a.users++
			a.p, a.r, a.ndcg, a.ap = a.p+p, a.r+r, a.ndcg+nd, a.ap+ap
			for _, rec := range recs {
				a.seen[rec.Item] = true
				a.slots++
				if !head[rec.Item] {
					a.back++
				}
			}
		}
	})
	if err != nil {
		return err
	}
	var users, slots, back int
	var p, r, nd, ap float64
	seen := make([]bool, tr.Items())
	for _, a := range accs {
		users, slots, back = users+a.users, slots+a.slots, back+a.back
		p, r, nd, ap = p+a.p, r+a.r, nd+a.ndcg, ap+a.ap
		for i, s := range a.seen {
			seen[i] = seen[i] || s
		}
	}
	sr.Customers = users
	if users > 0 {
		k := float64(users)
		sr.Precision, sr.Recall, sr.NDCG, sr.MAP = p/k, r/k, nd/k, ap/k
	}
	covered := 0
	for _, s := range seen {
		if s {
			covered++
		}
	}
	if tr.Items() > 0 {
		sr.Coverage = float64(covered) / float64(tr.Items())
	}
	if slots > 0 {
		sr.BackCatalogue = float64(back) / float64(slots)
	}
	return nil
}

// listMetrics returns precision, recall, NDCG and AP at n of one list
// (definitions at [Result]); rel marks the nRel relevant items.
func listMetrics(list []Rec, rel []bool, nRel, n int) (prec, recall, ndcg, ap float64) {
	if nRel == 0 || n == 0 {
		return 0, 0, 0, 0
	}
	hits := 0
	var dcg, sumP float64
	for k, rec := range list[:min(len(list), n)] {
		if rel[rec.Item] {
			hits++
			dcg += 1 / math.Log2(float64(k+2))
			sumP += float64(hits) / float64(k+1)
		}
	}
	var idcg float64
	for k := range min(nRel, n) {
		idcg += 1 / math.Log2(float64(k+2))
	}
	return float64(hits) / float64(n), float64(hits) / float64(nRel), dcg / idcg, sumP / float64(min(nRel, n))
}

// headItems marks the fewest most popular items that together hold at
// least share of the interactions (ties broken by lower index).
func headItems(m *Matrix, share float64) []bool {
	idx := make([]int32, m.Items())
	for i := range idx {
		idx[i] = int32(i)
	}
	cnt := func(i int32) int32 { return m.colPtr[i+1] - m.colPtr[i] }
	slices.SortStableFunc(idx, func(a, b int32) int { return int(cnt(b) - cnt(a)) })
	head := make([]bool, m.Items())
	need := share * float64(m.Len())
	var got float64
	for _, i := range idx {
		if got >= need {
			break
		}
		head[i] = true
		got += float64(cnt(i))
	}
	return head
}

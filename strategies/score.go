package strategies

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"sync"
	"time"

	"github.com/custnet/custnet/datasets"
)

// Result holds the scores of one population. Every slice is indexed like
// CustomerIDs. A Result is read-only after [Score] returns and safe for
// concurrent readers.
type Result struct {
	// AsOf is the input table's AsOf.
	AsOf time.Time
	// CustomerIDs names the scored customers, in the input's order.
	CustomerIDs []string
	// Scores holds each strategy's 0–100 score, keyed by the five
	// strategies of [datasets.Strategies].
	Scores map[datasets.Strategy][]float64
	// Composite is the weighted mean of the five strategy scores.
	Composite []float64
	// Active tells, per strategy, whether the customer has a non-zero
	// activity feature (see [Feature.Activity]) of that strategy.
	Active map[datasets.Strategy][]bool
	// Percentiles holds each feature's 0–100 percentile per customer, in
	// [Features] order.
	Percentiles [][]float64

	values   *FeatureTable
	cfg      *resolved
	meanPct  []float64 // population mean of each feature's percentile
	weightSu [5]float64
}

// Len returns the number of scored customers.
func (r *Result) Len() int { return len(r.CustomerIDs) }

// Score turns a feature table into strategy scores. cfg nil means
// [DefaultConfig]. The population is the table's customers: removing a
// customer (a revocation) and scoring again ranks everyone else against the
// remaining customers only.
//
// Percentile of customer i on a feature, over the n customers of the table
// (mid-rank, so ties share the average of the ranks they span):
//
//	higher is better: (#{j: x_j < x_i} + ½·#{j: x_j = x_i}) / n · 100
//	lower is better:  (#{j: x_j > x_i} + ½·#{j: x_j = x_i}) / n · 100
//
// with one exception: when the customer's value of the feature's gate is 0
// (no activity of its kind: the feature itself for activity features,
// active_days for recency_days and median_gap_days) the percentile is 0,
// not the mid-rank of the tied zeros. Zero-activity customers still count in
// n and in the "below" counts of everyone else. A customer with no activity
// of a strategy therefore scores 0 on it.
//
// A strategy's score is Σ w_f·p_f / Σ w_f over its features with positive
// weight; the composite is Σ W_s·S_s / Σ W_s over strategies. Percentiles
// are computed in parallel over features (a radix sort per feature, O(n)). The
// result does not depend on the table's row order, apart from its own order.
func Score(ctx context.Context, in *FeatureTable, cfg *Config) (*Result, error) {
	r, err := cfg.resolve()
	if err != nil {
		return nil, fmt.Errorf("score: %w", err)
	}
	if err := in.validate(); err != nil {
		return nil, fmt.Errorf("score: %w", err)
	}
	n := in.Len()
	res := &Result{
		AsOf:        in.AsOf,
		CustomerIDs: in.CustomerIDs,
		Scores:      make(map[datasets.Strategy][]float64, 5),
		Active:      make(map[datasets.Strategy][]bool, 5),
		Percentiles: make([][]float64, len(features)),
		Composite:   make([]float64, n),
		values:      in,
		cfg:         r,
		meanPct:     make([]float64, len(features)),
	}

	// Percentiles, one feature per task, as many workers as cores.
	workers := min(runtime.GOMAXPROCS(0), len(features))
	tasks := make(chan int)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var sc rankScratch
			for k := range tasks {
				f := features[k]
				out := make([]float64, n)
				percentiles(in.Columns[k], in.Columns[featureIndex[f.gate]], f.LowerIsBetter, out, &sc)
				res.Percentiles[k] = out
				sum := 0.0
				for _, p := range out {
					sum += p
				}
				if n > 0 {
					res.meanPct[k] = sum / float64(n)
				}
			}
		}()
	}
	var cancelled error
	for k := range features {
		if cancelled = ctx.Err(); cancelled != nil {
			break
		}
		tasks <- k
	}
	close(tasks)
	wg.Wait()
	if cancelled != nil {
		return nil, fmt.Errorf("score: %w", cancelled)
	}

	// Strategy scores and activity, then the composite.
	totalW := 0.0
	for si, s := range datasets.Strategies {
		score := make([]float64, n)
		active := make([]bool, n)
		wsum := 0.0
		for k, f := range features {
			if f.Strategy != s {
				continue
			}
			if f.Activity() {
				for i, v := range in.Columns[k] {
					if v != 0 {
						active[i] = true
					}
				}
			}
			w := r.featureW[k]
			if w == 0 {
				continue
			}
			wsum += w
			for i, p := range res.Percentiles[k] {
				score[i] += w * p
			}
		}
		for i := range score {
			score[i] /= wsum
		}
		res.weightSu[si] = wsum
		res.Scores[s] = score
		res.Active[s] = active
		if w := r.strategyW[si]; w > 0 {
			totalW += w
			for i, v := range score {
				res.Composite[i] += w * v
			}
		}
	}
	for i := range res.Composite {
		res.Composite[i] /= totalW
	}
	return res, nil
}

// percentiles writes the mid-rank percentile of every value of vals into
// out (see [Score]), using the scratch buffers of sc.
func percentiles(vals, gate []float64, lowerIsBetter bool, out []float64, sc *rankScratch) {
	n := len(vals)
	if n == 0 {
		return
	}
	order := sc.sort(vals)
	scale := 100 / float64(n)
	for a := 0; a < n; {
		v := vals[order[a]]
		b := a + 1
		for b < n && vals[order[b]] == v {
			b++
		}
		eq := 0.5 * float64(b-a)
		p := (float64(a) + eq) * scale
		if lowerIsBetter {
			p = (float64(n-b) + eq) * scale
		}
		for _, i := range order[a:b] {
			if gate[i] == 0 {
				out[i] = 0
			} else {
				out[i] = p
			}
		}
		a = b
	}
}

// rankScratch holds the buffers of an LSD radix sort of float64 keys with
// their row indices, reused across features by one worker.
type rankScratch struct {
	keys, keys2 []uint64
	idx, idx2   []uint32
}

// sort returns the row indices of vals in ascending order of value.
// Radix passes whose byte is the same for every key are skipped, which
// makes small integer-valued features cheap.
func (sc *rankScratch) sort(vals []float64) []uint32 {
	n := len(vals)
	if cap(sc.keys) < n {
		sc.keys, sc.keys2 = make([]uint64, n), make([]uint64, n)
		sc.idx, sc.idx2 = make([]uint32, n), make([]uint32, n)
	}
	keys, keys2 := sc.keys[:n], sc.keys2[:n]
	idx, idx2 := sc.idx[:n], sc.idx2[:n]
	var counts [8][256]int
	for i, v := range vals {
		b := math.Float64bits(v)
		if b>>63 == 1 {
			b = ^b
		} else {
			b |= 1 << 63
		}
		keys[i] = b
		idx[i] = uint32(i)
		for p := range 8 {
			counts[p][byte(b>>(8*p))]++
		}
	}
	for p := range 8 {
		c := &counts[p]
		if c[byte(keys[0]>>(8*p))] == n {
			continue // every key has the same byte here
		}
		sum := 0
		for d := range c {
			c[d], sum = sum, sum+c[d]
		}
		shift := uint(8 * p)
		for i, k := range keys {
			d := byte(k >> shift)
			j := c[d]
			c[d]++
			keys2[j] = k
			idx2[j] = idx[i]
		}
		keys, keys2 = keys2, keys
		idx, idx2 = idx2, idx
	}
	return idx
}

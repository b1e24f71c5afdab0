package datasets

import (
	"context"
	"hash/fnv"
	"math"
	"testing"
	"unsafe"
)

var testRatingsOpt = RatingsOptions{Customers: 5000, Items: 2000, Ratings: 250_000, Seed: 3, BatchSize: 4096}

func TestGenerateRatings(t *testing.T) {
	hashRun := func(opt RatingsOptions) (uint64, int) {
		h := fnv.New64a()
		var batches int
		_, err := GenerateRatings(context.Background(), opt, func(b RatingBatch) error {
			batches++
			for _, col := range [][]int32{b.Customer, b.Item, b.Day} {
				h.Write(unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(col))), 4*len(col)))
			}
			h.Write(unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(b.Rating))), 4*len(b.Rating)))
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return h.Sum64(), batches
	}
	t.Run("a seed gives the same ratings with one or three workers", func(t *testing.T) {
		a, o := testRatingsOpt, testRatingsOpt
		a.Workers, o.Workers = 1, 3
		ha, na := hashRun(a)
		hb, nb := hashRun(o)
		if ha != hb || na != nb {
			t.Errorf("hashes %x/%x, batches %d/%d", ha, hb, na, nb)
		}
		o.Seed++
		if hc, _ := hashRun(o); hc == ha {
			t.Error("another seed gave the same ratings")
		}
	})

	opt := testRatingsOpt
	type pair struct{ c, i int32 }
	seen := make(map[pair]bool, opt.Ratings)
	var (
		n, lastC       int64
		sumR, sumS     float64
		sumRR, sumSS   float64
		sumRS          float64
		dot            [2][]float64 // residual rating, planted dot product
		itemSum, itemN = make([]float64, opt.Items), make([]float64, opt.Items)
		perCust        = make([]int32, opt.Customers)
		bad            string
	)
	model, err := GenerateRatings(context.Background(), opt, func(b RatingBatch) error {
		if b.Len() > opt.BatchSize+opt.Items/2 {
			bad = "batch too large"
		}
		for k := range b.Len() {
			c, i, r, d := b.Customer[k], b.Item[k], b.Rating[k], b.Day[k]
			if int64(c) < lastC {
				bad = "customers out of order"
			}
			lastC = int64(c)
			if r < 1 || r > 5 || r != float32(math.Trunc(float64(r))) || d < 0 || d >= 2243 || i < 0 || int(i) >= opt.Items {
				bad = "value out of range"
			}
			p := pair{c, i}
			if seen[p] {
				bad = "a customer rates an item twice"
			}
			seen[p] = true
			perCust[c]++
			n++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// Second pass over the model's predictions, from the returned model.
	_, err = GenerateRatings(context.Background(), opt, func(b RatingBatch) error {
		for k := range b.Len() {
			r, s := float64(b.Rating[k]), float64(model.Score(b.Customer[k], b.Item[k]))
			sumR, sumS, sumRR, sumSS, sumRS = sumR+r, sumS+s, sumRR+r*r, sumSS+s*s, sumRS+r*s
			itemSum[b.Item[k]] += r
			if k%7 == 0 {
				base := float64(model.Mean + model.CustomerBias[b.Customer[k]] + model.ItemBias[b.Item[k]])
				dot[0] = append(dot[0], r-base)
				dot[1] = append(dot[1], s-base)
			}
			itemN[b.Item[k]]++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Run("ratings are whole 1-5, in order, without repeats, and as many as asked", func(t *testing.T) {
		if bad != "" {
			t.Fatal(bad)
		}
		if n != opt.Ratings {
			t.Errorf("%d ratings, want %d", n, opt.Ratings)
		}
		for c, k := range perCust {
			if k != model.Count[c] {
				t.Fatalf("customer %d: %d ratings, model says %d", c, k, model.Count[c])
			}
		}
	})
	t.Run("ratings correlate with the planted low-rank score", func(t *testing.T) {
		N := float64(n)
		cov := sumRS/N - sumR/N*sumS/N
		r := cov / math.Sqrt((sumRR/N-sumR/N*sumR/N)*(sumSS/N-sumS/N*sumS/N))
		t.Logf("correlation of rating and planted score: %.3f", r)
		if r < 0.5 {
			t.Errorf("correlation %.3f", r)
		}
	})
	t.Run("beyond the biases, ratings follow the factors' dot product", func(t *testing.T) {
		r := correlation(dot[0], dot[1])
		t.Logf("correlation of the rating's residual and the dot product: %.3f", r)
		if r < 0.3 {
			t.Errorf("correlation %.3f", r)
		}
	})
	t.Run("item means vary", func(t *testing.T) {
		var means []float64
		for i := range itemSum {
			if itemN[i] >= 30 {
				means = append(means, itemSum[i]/itemN[i])
			}
		}
		_, sd := meanSD(means)
		t.Logf("%d items with 30+ ratings, sd of item means %.3f", len(means), sd)
		if sd < 0.3 {
			t.Errorf("sd of item means %.3f", sd)
		}
	})
	t.Run("popularity and activity are skewed", func(t *testing.T) {
		maxN, minN := 0.0, math.Inf(1)
		for _, x := range itemN {
			maxN, minN = max(maxN, x), min(minN, x)
		}
		var maxC int32
		for _, k := range perCust {
			maxC = max(maxC, k)
		}
		mean := float64(n) / float64(opt.Items)
		t.Logf("item ratings: max %.0f, min %.0f, mean %.0f; most active customer %d", maxN, minN, mean, maxC)
		if maxN < 5*mean || minN > mean/2 {
			t.Errorf("item counts max %.0f min %.0f mean %.0f", maxN, minN, mean)
		}
		if float64(maxC) < 5*float64(opt.Ratings)/float64(opt.Customers) {
			t.Errorf("most active customer has %d ratings", maxC)
		}
	})
	t.Run("impossible sizes are refused", func(t *testing.T) {
		_, err := GenerateRatings(context.Background(), RatingsOptions{Customers: 10, Items: 10, Ratings: 51}, func(RatingBatch) error { return nil })
		if err == nil {
			t.Error("no error for 51 ratings of 10 customers × 5 items")
		}
	})
}

func TestGenerateRatingsStopsWhenCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var batches int
	_, err := GenerateRatings(ctx, RatingsOptions{Customers: 100000, Items: 5000, Ratings: 20_000_000, Seed: 1}, func(RatingBatch) error {
		batches++
		if batches == 2 {
			cancel()
		}
		return nil
	})
	if err == nil || batches > 2 {
		t.Errorf("error %v after %d batches", err, batches)
	}
}

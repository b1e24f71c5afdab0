package customize

import (
	"context"
	"fmt"
	"math"
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/custnet/custnet/datasets"
	"github.com/custnet/custnet/internal/rss"
)

// BenchmarkNetflix is a scale run, not a test: it generates a rating set of
// the Netflix Prize's size (480,189 customers, 17,770 items, 10⁸ ratings,
// rank-10 planted model with the generator's default noise), holds out 1%
// of the pairs by hash, builds the training matrix through [COO], fits
// "baseline" and "svd" (50 factors, 20 epochs, GOMAXPROCS workers) and
// reports their test RMSE, the fit times, SGD ratings per second and the
// process's peak resident memory (VmHWM). The goal is an svd fit within 15
// minutes on 2 cores, peak memory under 6 GB, and RMSE below baseline's.
// It is skipped unless CUSTNET_NETFLIX=1; progress goes to stderr:
//
//	CUSTNET_NETFLIX=1 go test -tags duckdb_arrow -run '^$' -bench Netflix -benchtime 1x -timeout 60m ./strategies/customize/
func BenchmarkNetflix(b *testing.B) {
	if os.Getenv("CUSTNET_NETFLIX") != "1" {
		b.Skip("scale run (about 10 minutes and 4 GB): set CUSTNET_NETFLIX=1")
	}
	ctx := context.Background()
	logf := func(format string, args ...any) {
		fmt.Fprintf(os.Stderr, "netflix: %s (peak RSS %.2f GB)\n", fmt.Sprintf(format, args...), float64(rss.Peak())/1e9)
	}
	for b.Loop() {
		const nu, ni = 480189, 17770
		t0 := time.Now()
		c := NewCOO(nu, ni)
		planted, err := datasets.GenerateRatings(ctx, datasets.RatingsOptions{Customers: nu, Items: ni, Rank: 10, Seed: 1},
			func(batch datasets.RatingBatch) error {
				c.Append(batch.Customer, batch.Item, batch.Rating)
				return nil
			})
		if err != nil {
			b.Fatal(err)
		}
		genSec := time.Since(t0).Seconds()
		logf("generated %d ratings in %.1f s", c.Len(), genSec)

		t0 = time.Now()
		test, err := c.Holdout(0.01, 1)
		if err != nil {
			b.Fatal(err)
		}
		train, st, err := c.Build()
		if err != nil {
			b.Fatal(err)
		}
		c = nil
		buildSec := time.Since(t0).Seconds()
		logf("held out %d, built %d × %d with %d ratings (%d repeats) in %.1f s", len(test), st.Customers, st.Items, st.Ratings, st.Repeats, buildSec)

		// The planted model's noiseless score, clipped, is the floor.
		oracle := rmse(test, func(u, i int32) float32 { return min(5, max(1, planted.Score(u, i))) })
		logf("planted model (noise floor) test RMSE %.4f", oracle)

		t0 = time.Now()
		base, err := Fit(ctx, train, DefaultBaseline())
		if err != nil {
			b.Fatal(err)
		}
		baseSec := time.Since(t0).Seconds()
		baseRMSE := rmse(test, base.(Predictor).Predict)
		logf("baseline fit %.1f s, test RMSE %.4f", baseSec, baseRMSE)

		o := DefaultSVD()
		o.Factors, o.Epochs = 50, 20
		var slowest, total float64
		o.OnEpoch = func(e int, took time.Duration) {
			rate := float64(train.Len()) / took.Seconds()
			if slowest == 0 || rate < slowest {
				slowest = rate
			}
			total += took.Seconds()
			logf("svd epoch %2d: %.2f s, %.1f M ratings/s", e, took.Seconds(), rate/1e6)
		}
		t0 = time.Now()
		svd, err := Fit(ctx, train, o)
		if err != nil {
			b.Fatal(err)
		}
		svdSec := time.Since(t0).Seconds()
		svdRMSE := rmse(test, svd.(Predictor).Predict)
		logf("svd fit %.1f s (epochs %.1f s, %d workers), test RMSE %.4f", svdSec, total, runtime.GOMAXPROCS(0), svdRMSE)

		b.ReportMetric(genSec, "gen-s")
		b.ReportMetric(buildSec, "build-s")
		b.ReportMetric(baseSec, "baseline-fit-s")
		b.ReportMetric(svdSec, "svd-fit-s")
		b.ReportMetric(float64(train.Len())*float64(o.Epochs)/total, "svd-ratings/s")
		b.ReportMetric(slowest, "svd-slowest-epoch-ratings/s")
		b.ReportMetric(oracle, "planted-rmse")
		b.ReportMetric(baseRMSE, "baseline-rmse")
		b.ReportMetric(svdRMSE, "svd-rmse")
		b.ReportMetric(float64(rss.Peak())/1e6, "peak-rss-MB")
		if svdRMSE >= baseRMSE {
			b.Errorf("svd test RMSE %.4f does not beat baseline's %.4f", svdRMSE, baseRMSE)
		}
	}
}

// rmse returns the root mean squared error of predict over test.
func rmse(test []Rating, predict func(u, i int32) float32) float64 {
	var s float64
	for _, r := range test {
		d := float64(predict(r.Customer, r.Item) - r.Value)
		s += d * d
	}
	return math.Sqrt(s / float64(len(test)))
}

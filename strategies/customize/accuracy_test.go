package customize

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"testing"
)

// Accuracy goals on MovieLens 100k (u.data), 5-fold cross-validation with
// seed 1, the same folds for every model. Surprise's published 5-fold
// figures (RMSE: BaselineOnly 0.944, KNNBaseline 0.931, SVD 0.934, SVD++
// 0.920) are the anchor; fit-time goals are a tenth of Surprise's totals
// (SVD 6 s, KNNBaseline 13 s, SVD++ 82 s) and are checked by the
// benchmarks, not here, because the test machine is shared. Goals are
// compared at three decimals, the precision Surprise publishes.
func TestMovieLens100kRatingAccuracy(t *testing.T) {
	if testing.Short() {
		t.Skip("5-fold cross-validation")
	}
	splits := loadFolds(t, "movielens-100k", "u.data")
	for _, c := range []struct {
		alg     Algorithm
		maxRMSE float64
	}{
		{DefaultBaseline(), 0.944},
		{DefaultKNN(), 0.931},
		{DefaultKNNUser(), 0.931},
		{DefaultSVD(), 0.934},
		{DefaultSVDpp(), 0.919},
		{DefaultBlend(), 0.905},
		{withWorkers(DefaultSVD(), 1), 0.934},
		{withWorkers(DefaultSVDpp(), 1), 0.919},
	} {
		name := c.alg.Name()
		if o, ok := c.alg.(SVDOptions); ok && o.Workers == 1 {
			name += " with one worker"
		}
		t.Run(fmt.Sprintf("%s reaches RMSE %.3f", name, c.maxRMSE), func(t *testing.T) {
			r, err := Evaluate(context.Background(), c.alg, splits, EvalOptions{NoTopN: true})
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%-12s RMSE %.4f MAE %.4f fit %.2fs test %.2fs (5 folds)", r.Model, r.RMSE, r.MAE, r.FitSeconds, r.TestSeconds)
			// Goals are compared at the published precision (three decimals).
			if math.Round(r.RMSE*1000)/1000 > c.maxRMSE {
				t.Errorf("RMSE %.4f > %.3f", r.RMSE, c.maxRMSE)
			}
		})
	}
}

func withWorkers(o SVDOptions, w int) SVDOptions { o.Workers = w; return o }

// TestMovieLens100kTopN runs the top-N protocol (see [Result]) with the
// implicit models and the popularity baseline on the same 5 folds.
func TestMovieLens100kTopN(t *testing.T) {
	if testing.Short() {
		t.Skip("5-fold cross-validation")
	}
	splits := loadFolds(t, "movielens-100k", "u.data")
	res, err := EvaluateAll(context.Background(), []Algorithm{DefaultALS(), DefaultEASE()}, splits, EvalOptions{})
	if err != nil {
		t.Fatal(err)
	}
	goal := map[string]float64{"als-implicit": 0.42, "ease": 0.43}
	var pop Result
	for _, r := range res {
		t.Logf("%-12s P@10 %.4f R@10 %.4f NDCG@10 %.4f MAP@10 %.4f coverage %.3f back-catalogue %.3f fit %.2fs top-N %.2fs",
			r.Model, r.Precision, r.Recall, r.NDCG, r.MAP, r.Coverage, r.BackCatalogue, r.FitSeconds, r.TopNSeconds)
		if r.Model == "popularity" {
			pop = r
		}
	}
	if pop.Model == "" {
		t.Fatal("EvaluateAll did not add the popularity baseline")
	}
	for _, r := range res {
		if g, ok := goal[r.Model]; ok {
			t.Run(fmt.Sprintf("%s reaches NDCG@10 %.2f and beats popularity", r.Model, g), func(t *testing.T) {
				if r.NDCG < g || r.NDCG <= pop.NDCG || r.Precision <= pop.Precision {
					t.Errorf("NDCG@10 %.4f (goal %.2f), P@10 %.4f; popularity %.4f %.4f", r.NDCG, g, r.Precision, pop.NDCG, pop.Precision)
				}
			})
		}
	}
	t.Run("results marshal with the documented field names", func(t *testing.T) {
		b, err := json.Marshal(res[0])
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		_ = json.Unmarshal(b, &m)
		for _, k := range []string{"model", "rmse", "mae", "fit_seconds", "test_seconds", "ndcg_at_n", "precision_at_n", "recall_at_n", "map_at_n", "coverage", "back_catalogue", "per_split"} {
			if _, ok := m[k]; !ok {
				t.Errorf("field %q missing from %s", k, b)
			}
		}
	})
}

// TestMovieLens100kGivenSplits runs the baseline on the official u1..u5
// splits, read through Builder.AddTest.
func TestMovieLens100kGivenSplits(t *testing.T) {
	if testing.Short() {
		t.Skip("real data")
	}
	var splits []Split
	for k := 1; k <= 5; k++ {
		b := NewBuilder()
		readRatings(t, dsPath(t, "movielens-100k", fmt.Sprintf("u%d.base", k)), b.Add)
		readRatings(t, dsPath(t, "movielens-100k", fmt.Sprintf("u%d.test", k)), b.AddTest)
		sp, st, err := b.BuildSplit(fmt.Sprintf("u%d", k))
		if err != nil {
			t.Fatal(err)
		}
		if st.Ratings != 80000 || len(sp.Test) != 20000 || st.Repeats != 0 {
			t.Fatalf("u%d: %+v, %d test ratings", k, st, len(sp.Test))
		}
		splits = append(splits, sp)
	}
	r, err := Evaluate(context.Background(), DefaultBaseline(), splits, EvalOptions{NoTopN: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("baseline on u1..u5: RMSE %.4f MAE %.4f", r.RMSE, r.MAE)
	// The given splits are harder than random folds (u1 has customers with
	// few training ratings); BaselineOnly is reported at about 0.94–0.96.
	if r.RMSE < 0.92 || r.RMSE > 0.97 {
		t.Errorf("RMSE %.4f outside 0.92..0.97", r.RMSE)
	}
}

// TestFilmTrust evaluates every rating model on FilmTrust (ratings 0.5–4)
// with 5-fold CV; the blend must beat the best single model.
func TestFilmTrust(t *testing.T) {
	if testing.Short() {
		t.Skip("5-fold cross-validation")
	}
	b := NewBuilder()
	readRatings(t, dsPath(t, "filmtrust", "ratings.txt"), b.Add)
	m, st, err := b.Build()
	if err != nil {
		t.Fatal(err)
	}
	// The datasets README counts 35,497 lines and 35,494 distinct pairs.
	if st.Ratings != 35494 || st.Repeats != 3 || st.Customers != 1508 || st.Items != 2071 {
		t.Fatalf("stats %+v, want 35,494 pairs, 3 repeats, 1,508 customers, 2,071 items", st)
	}
	splits, err := KFold(m, 5, 1)
	if err != nil {
		t.Fatal(err)
	}
	algs := []Algorithm{DefaultBaseline(), DefaultKNN(), DefaultKNNUser(), DefaultSVD(), DefaultSVDpp(), DefaultBlend()}
	res, err := EvaluateAll(context.Background(), append(algs, DefaultALS(), DefaultEASE()), splits, EvalOptions{})
	if err != nil {
		t.Fatal(err)
	}
	best := 10.0
	var blend float64
	for _, r := range res {
		t.Logf("%-12s RMSE %.4f MAE %.4f NDCG@10 %.4f P@10 %.4f fit %.2fs", r.Model, r.RMSE, r.MAE, r.NDCG, r.Precision, r.FitSeconds)
		switch r.Model {
		case "blend":
			blend = r.RMSE
		case "als-implicit", "ease", "popularity":
		default:
			best = min(best, r.RMSE)
		}
	}
	if blend >= best {
		t.Errorf("blend RMSE %.4f does not beat the best single model %.4f", blend, best)
	}
}

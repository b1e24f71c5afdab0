package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/custnet/custnet/datasets"
	"github.com/custnet/custnet/strategies/customize"
)

// EvaluateOptions configure [Engine.Evaluate]. The zero value runs 5-fold
// cross-validation with seed 1 of the knn-baseline model on the store's
// ratings.
type EvaluateOptions struct {
	// Data is a ratings source to evaluate on; Format its format ("" or
	// "auto" detects). Zero: the store's ratings of customers with a
	// personalization consent.
	Data, Format string
	// Models to evaluate, names from [Models]. Zero: knn-baseline. The
	// popularity baseline is always added for the top-N protocol.
	Models []string
	// Protocol is "kfold", "holdout" or "given-splits" (MovieLens 100k's own
	// u1..u5 base/test files beside Data). Zero: kfold.
	Protocol string
	// Folds for kfold. Zero: 5.
	Folds int
	// Seed shuffles the folds; every model sees the same folds. Zero: 1.
	Seed uint64
	// TestShare for holdout. Zero: 0.2.
	TestShare float64
}

// Evaluation is the outcome of [Engine.Evaluate]. Its JSON form is stable:
// fields are only ever added.
type Evaluation struct {
	Dataset  string               `json:"dataset"`
	Protocol string               `json:"protocol"`
	Folds    int                  `json:"folds"`
	Seed     uint64               `json:"seed"`
	Data     customize.BuildStats `json:"data"`
	Results  []customize.Result   `json:"results"`
	PeakRSS  int64                `json:"peak_rss_bytes"`
}

// Evaluate measures recommender accuracy (RMSE, MAE) and top-N quality
// (Precision, Recall, NDCG, MAP at 10, coverage, back-catalogue share)
// with fit and test times, and records the results in the store's
// evaluations table for the report.
func (e *Engine) Evaluate(ctx context.Context, opt EvaluateOptions) (*Evaluation, error) {
	const op = "evaluate"
	if len(opt.Models) == 0 {
		opt.Models = []string{"knn-baseline"}
	}
	if opt.Protocol == "" {
		opt.Protocol = "kfold"
	}
	if opt.Folds == 0 {
		opt.Folds = 5
	}
	if opt.Seed == 0 {
		opt.Seed = 1
	}
	if opt.TestShare == 0 {
		opt.TestShare = 0.2
	}
	var algs []customize.Algorithm
	for _, name := range opt.Models {
		alg, ok := customize.Algorithms()[name]
		if !ok {
			return nil, errorf(KindBadInput, op, "unknown model %q (want one of %s)", name, strings.Join(Models(), ", "))
		}
		algs = append(algs, alg)
	}
	ev := &Evaluation{Dataset: opt.Data, Protocol: opt.Protocol, Folds: opt.Folds, Seed: opt.Seed}
	if ev.Dataset == "" {
		ev.Dataset = "store"
	}
	var splits []customize.Split
	var err error
	switch opt.Protocol {
	case "kfold", "holdout":
		var m *customize.Matrix
		if opt.Data == "" {
			m, ev.Data, err = e.ratingsMatrix(ctx, false)
		} else {
			var sp customize.Split
			sp, ev.Data, err = ratingsFromFile(ctx, opt.Data, opt.Format, "")
			m = sp.Train
		}
		if err != nil {
			return nil, wrap(op, err)
		}
		if opt.Protocol == "kfold" {
			splits, err = customize.KFold(m, opt.Folds, opt.Seed)
		} else {
			var sp customize.Split
			sp, err = customize.Holdout(m, opt.TestShare, opt.Seed)
			splits = []customize.Split{sp}
			ev.Folds = 1
		}
		if err != nil {
			return nil, errorf(KindBadInput, op, "%v", err)
		}
	case "given-splits":
		if opt.Data == "" {
			return nil, errorf(KindBadInput, op, "given-splits needs --data: MovieLens 100k's folder or u.data")
		}
		dir := opt.Data
		if st, err := os.Stat(dir); err == nil && !st.IsDir() {
			dir = filepath.Dir(dir)
		}
		for k := 1; k <= 5; k++ {
			sp, st, err := ratingsFromFile(ctx, filepath.Join(dir, fmt.Sprintf("u%d.base", k)), "movielens-100k", filepath.Join(dir, fmt.Sprintf("u%d.test", k)))
			if err != nil {
				return nil, wrap(op, err)
			}
			sp.Name = fmt.Sprintf("u%d", k)
			splits = append(splits, sp)
			ev.Data = st
		}
		ev.Folds = 5
	default:
		return nil, errorf(KindBadInput, op, "unknown protocol %q (want kfold, holdout or given-splits)", opt.Protocol)
	}
	ev.Results, err = customize.EvaluateAll(ctx, algs, splits, customize.EvalOptions{})
	if err != nil {
		return nil, wrap(op, err)
	}
	for _, r := range ev.Results {
		for _, sp := range r.PerSplit {
			ev.PeakRSS = max(ev.PeakRSS, sp.PeakRSS)
		}
	}
	if !e.opts.ReadOnly {
		for _, r := range ev.Results {
			js, _ := json.Marshal(r)
			if _, err := e.db.ExecContext(ctx, `INSERT INTO evaluations VALUES ($1, $2, $3, $4, now()::TIMESTAMP)`,
				r.Model, ev.Dataset, ev.Protocol, string(js)); err != nil {
				return nil, wrap(op, err)
			}
		}
	}
	return ev, nil
}

// ratingSink collects rate events into a recommender matrix builder.
type ratingSink struct {
	b    *customize.Builder
	test bool
}

func (s *ratingSink) Event(ev *datasets.Event) error {
	if ev.Action == "rate" && ev.Item != "" && ev.HasValue {
		if s.test {
			s.b.AddTest(ev.Customer, ev.Item, float32(ev.Value))
		} else {
			s.b.Add(ev.Customer, ev.Item, float32(ev.Value))
		}
	}
	return nil
}
func (s *ratingSink) Reject(datasets.Reject) error { return nil }
func (s *ratingSink) Customer(datasets.Attr) error { return nil }
func (s *ratingSink) Item(datasets.Attr) error     { return nil }

// ratingsFromFile reads a ratings source into a matrix (and, when testPath
// is set, a given train/test split).
func ratingsFromFile(ctx context.Context, path, format, testPath string) (customize.Split, customize.BuildStats, error) {
	if format == "" || format == "auto" {
		f, err := datasets.Detect(path)
		if err != nil {
			return customize.Split{}, customize.BuildStats{}, badInput(err)
		}
		format = f
	}
	sink := &ratingSink{b: customize.NewBuilder()}
	if _, err := datasets.Read(ctx, format, path, sink, datasets.ReadOptions{}); err != nil {
		return customize.Split{}, customize.BuildStats{}, badInput(err)
	}
	if testPath != "" {
		sink.test = true
		if _, err := datasets.Read(ctx, format, testPath, sink, datasets.ReadOptions{}); err != nil {
			return customize.Split{}, customize.BuildStats{}, badInput(err)
		}
	}
	sp, st, err := sink.b.BuildSplit(filepath.Base(path))
	if err == nil && st.Ratings == 0 {
		err = errorf(KindBadInput, "", "%s holds no ratings", path)
	}
	return sp, st, err
}

package suite

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/custnet/custnet/engine"
)

// duckdbCTASSQL makes DuckDB parse the generated CSV, with explicit column
// types, and write it to a persistent table: the reference the ingest goal
// (≥ 0.8× DuckDB) is stated against, as in BenchmarkIngest.
func duckdbCTASSQL(path string) string {
	return `CREATE TABLE ref_events AS SELECT * FROM read_csv('` + strings.ReplaceAll(path, "'", "''") + `', header = true,
		columns = {'customer_id': 'VARCHAR', 'action': 'VARCHAR', 'at': 'TIMESTAMP', 'channel': 'VARCHAR',
		'item_id': 'VARCHAR', 'peer_id': 'VARCHAR', 'value': 'DOUBLE'})`
}

// runDuckDBCTAS times DuckDB's CREATE TABLE AS read_csv into a store file
// of its own (same memory limit, threads and temp folder as custnet's
// stages), then removes that file.
func runDuckDBCTAS(ctx context.Context, x *stageEnv) (measure, error) {
	path := filepath.Join(x.conf.RunDir, x.ds.name+".ctas.duckdb")
	defer os.Remove(path)
	defer os.Remove(path + ".wal")
	e, err := x.open(ctx, path, nil)
	if err != nil {
		return measure{}, err
	}
	start := time.Now()
	err = e.QueryArrow(ctx, duckdbCTASSQL(x.csv()), func(rr array.RecordReader) error {
		for rr.Next() {
		}
		return nil
	})
	if err == nil {
		err = e.QueryArrow(ctx, `CHECKPOINT`, func(rr array.RecordReader) error {
			for rr.Next() {
			}
			return nil
		})
	}
	sec := time.Since(start).Seconds()
	var rows int64
	if err == nil {
		err = e.QueryArrow(ctx, `SELECT count(*) FROM ref_events`, func(rr array.RecordReader) error {
			for rr.Next() {
				if rec := rr.RecordBatch(); rec.NumRows() > 0 {
					rows = rec.Column(0).(*array.Int64).Value(0)
				}
			}
			return nil
		})
	}
	if cerr := e.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return measure{}, err
	}
	return measure{Rows: rows, RowsName: "events", Seconds: sec, Note: "CREATE TABLE AS SELECT * FROM read_csv (typed columns) + CHECKPOINT"}, nil
}

// scoreSteps orders engine.ScoreResult.Steps.
var scoreSteps = []string{"features (SQL)", "scores (Go)", "groups", "aggregates", "write"}

// runScore scores every customer of the dataset's store (after the graph
// stage, so CONNECT has its network features) over a window that covers
// the generated span.
func runScore(ctx context.Context, x *stageEnv) (measure, error) {
	e, err := x.open(ctx, x.store(), nil)
	if err != nil {
		return measure{}, err
	}
	defer e.Close()
	days := x.ds.days
	if days == 0 {
		days = 365
		if x.ds.generated() {
			days = 182 // the generator's default span, 2024-01-01 .. 2024-06-30
		}
	}
	start := time.Now()
	res, err := e.Score(ctx, engine.ScoreOptions{Days: days, By: x.ds.by})
	if err != nil {
		return measure{}, err
	}
	sec := time.Since(start).Seconds()
	var steps []Step
	seen := map[string]bool{}
	for _, name := range scoreSteps {
		if s, ok := res.Steps[name]; ok {
			steps = append(steps, Step{Name: name, Seconds: s})
			seen[name] = true
		}
	}
	for name, s := range res.Steps { // steps the engine adds later
		if !seen[name] {
			steps = append(steps, Step{Name: name, Seconds: s})
		}
	}
	by := "community"
	if len(x.ds.by) > 0 {
		by += ", " + strings.Join(x.ds.by, ", ")
	}
	return measure{Rows: int64(res.Customers), RowsName: "customers", Seconds: sec, Steps: steps,
		Note: fmt.Sprintf("%s, aggregated by %s into %d groups", res.WindowText(), by, len(res.Aggregates))}, nil
}

// model is where the train stage leaves its model for the recommend stage.
func (x *stageEnv) model() string { return filepath.Join(x.conf.RunDir, x.ds.name+".svd.model") }

// runTrain fits SVD on the store's ratings and saves it.
func runTrain(ctx context.Context, x *stageEnv) (measure, error) {
	e, err := x.open(ctx, x.store(), nil)
	if err != nil {
		return measure{}, err
	}
	defer e.Close()
	start := time.Now()
	res, err := e.Train(ctx, engine.TrainOptions{Model: "svd", Out: x.model()})
	if err != nil {
		return measure{}, err
	}
	sec := time.Since(start).Seconds()
	note := fmt.Sprintf("%d customers × %d items", res.Stats.Customers, res.Stats.Items)
	if fi, err := os.Stat(x.model()); err == nil {
		note += fmt.Sprintf(", model file %.0f MB", float64(fi.Size())/1e6)
	}
	return measure{Rows: int64(res.Stats.Ratings), RowsName: "ratings", Seconds: sec,
		Steps: []Step{{"ratings (SQL) + save", sec - res.Seconds}, {"fit", res.Seconds}}, Note: note}, nil
}

// runRecommend loads the trained SVD and writes top-10 lists for every
// customer with a personalization consent (table and Parquet).
func runRecommend(ctx context.Context, x *stageEnv) (measure, error) {
	var ranked time.Time
	e, err := x.open(ctx, x.store(), func(p engine.Progress) {
		if p.Step == "recommend all" && p.Final {
			ranked = time.Now()
		}
	})
	if err != nil {
		return measure{}, err
	}
	defer e.Close()
	out := filepath.Join(x.conf.RunDir, x.ds.name+".recs.parquet")
	defer os.Remove(out)
	start := time.Now()
	if err := e.LoadModel(ctx, x.model()); err != nil {
		return measure{}, err
	}
	loaded := time.Now()
	n, err := e.RecommendAll(ctx, 10, out)
	if err != nil {
		return measure{}, err
	}
	end := time.Now()
	steps := []Step{{"load model", loaded.Sub(start).Seconds()}}
	if !ranked.IsZero() {
		steps = append(steps, Step{"rank", ranked.Sub(loaded).Seconds()}, Step{"write (table + Parquet)", end.Sub(ranked).Seconds()})
	}
	return measure{Rows: int64(n), RowsName: "customers", Seconds: end.Sub(start).Seconds(), Steps: steps,
		Note: "svd, exact (items cut by a norm bound, not sampled), seen items excluded"}, nil
}

// runReport writes the dataset's HTML report.
func runReport(ctx context.Context, x *stageEnv) (measure, error) {
	e, err := x.open(ctx, x.store(), nil)
	if err != nil {
		return measure{}, err
	}
	defer e.Close()
	out := filepath.Join(x.conf.RunDir, x.ds.name+".report.html")
	defer os.Remove(out)
	start := time.Now()
	if err := e.Report(ctx, out, engine.ReportOptions{}); err != nil {
		return measure{}, err
	}
	sec := time.Since(start).Seconds()
	var size int64
	if fi, err := os.Stat(out); err == nil {
		size = fi.Size()
	}
	return measure{Rows: 1, RowsName: "reports", Seconds: sec, Note: fmt.Sprintf("%.1f MB HTML", float64(size)/1e6)}, nil
}

// surpriseSource is where the published recommender references come from.
const surpriseSource = "Surprise README benchmarks (ML-100k, 5-fold cross-validation, another machine)"

// evalStage is 5-fold cross-validation of one model on MovieLens 100k,
// compared with Surprise's published total for the same protocol. The
// stage's time is fit + test over the five folds, which is what Surprise's
// cross_validate times; custnet's top-N evaluation is reported as a step
// but not counted.
func evalStage(model, refName string, published float64) *stage {
	return &stage{name: stEvalPrefix + model, applies: isMovieLens,
		published: []Reference{{Name: refName, Seconds: published, Kind: "published", Source: surpriseSource}},
		run: func(ctx context.Context, x *stageEnv) (measure, error) {
			e, err := x.open(ctx, "", nil)
			if err != nil {
				return measure{}, err
			}
			defer e.Close()
			ev, err := e.Evaluate(ctx, engine.EvaluateOptions{Data: x.ds.path(x.opt()), Format: x.ds.format,
				Models: []string{model}, Protocol: "kfold", Folds: 5, Seed: 1})
			if err != nil {
				return measure{}, err
			}
			for _, r := range ev.Results {
				if r.Model != model {
					continue
				}
				return measure{Rows: int64(ev.Data.Ratings), RowsName: "ratings", Seconds: r.FitSeconds + r.TestSeconds,
					Steps: []Step{{"fit", r.FitSeconds}, {"test", r.TestSeconds}, {"top-N (not counted)", r.TopNSeconds}},
					Note:  fmt.Sprintf("5-fold: RMSE %.4f, MAE %.4f", r.RMSE, r.MAE)}, nil
			}
			return measure{}, fmt.Errorf("evaluate returned no result for %s", model)
		}}
}

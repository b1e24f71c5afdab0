package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/custnet/custnet/datasets"
	"github.com/custnet/custnet/internal/atomicfile"
	"github.com/custnet/custnet/strategies/customize"
)

// PipelineOptions configure [RunPipeline]. The zero value generates the
// built-in default network into a temporary store and writes outputs to
// "custnet-out".
type PipelineOptions struct {
	// Data is a source to ingest. Zero: generate the default network.
	Data string
	// Format of Data; "" or "auto" detects it.
	Format string
	// Consents and AssumeConsent give Data its consent basis (see
	// [IngestOptions]). The generated default carries its own consents file.
	Consents      string
	AssumeConsent []string
	// Customers and Seed size the generated default. Zero: 20,000 and 7.
	Customers int
	Seed      uint64
	// Out is the folder for outputs. Zero: "custnet-out".
	Out string
	// Store is the store file to keep. Zero: a temporary store removed at the end.
	Store string
	// By lists customer attributes to aggregate scores by. Zero: for the
	// generated default, "segment"; otherwise communities only.
	By []string
	// Logger and Progress as in [Options].
	Logger   *slog.Logger
	Progress func(Progress)
}

// PipelineResult lists what each step did and the files written.
type PipelineResult struct {
	Steps   []StepResult `json:"steps"`
	Outputs []string     `json:"outputs"`
}

// StepResult is one pipeline step.
type StepResult struct {
	Name    string  `json:"name"`
	Seconds float64 `json:"seconds"`
	Summary string  `json:"summary"`
}

// RunPipeline runs custnet end to end: data (generated or given), ingest,
// and every analysis stage, writing outputs under opts.Out.
func RunPipeline(ctx context.Context, opts PipelineOptions) (*PipelineResult, error) {
	if opts.Out == "" {
		opts.Out = "custnet-out"
	}
	if opts.Customers == 0 {
		opts.Customers = 20000
	}
	if opts.Seed == 0 {
		opts.Seed = 7
	}
	if err := os.MkdirAll(opts.Out, 0o755); err != nil {
		return nil, wrap("pipeline", err)
	}
	res := &PipelineResult{}
	step := func(name string, f func() (string, error)) error {
		start := time.Now()
		summary, err := f()
		if err != nil {
			return wrap(name, err)
		}
		res.Steps = append(res.Steps, StepResult{Name: name, Seconds: time.Since(start).Seconds(), Summary: summary})
		return nil
	}
	ingest := IngestOptions{Path: opts.Data, Format: opts.Format, Consents: opts.Consents, AssumeConsent: opts.AssumeConsent}
	if opts.Data == "" {
		dir := filepath.Join(opts.Out, "data")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, wrap("pipeline", err)
		}
		path := filepath.Join(dir, "events.parquet")
		err := step("generate", func() (string, error) {
			_, st, err := datasets.WriteGenerated(ctx, path, datasets.GenerateOptions{Customers: opts.Customers, Seed: opts.Seed})
			if err != nil {
				return "", err
			}
			return fmt.Sprintf("%d events of %d customers (seed %d) in %s", st.Events, st.Customers, opts.Seed, path), nil
		})
		if err != nil {
			return nil, err
		}
		ingest = IngestOptions{Path: path, Format: "events", Consents: strings.TrimSuffix(path, ".parquet") + ".consents.csv"}
		if opts.By == nil {
			opts.By = []string{"segment"}
		}
		res.Outputs = append(res.Outputs, path)
	}
	storePath := opts.Store
	if storePath == "" {
		tmp, err := os.MkdirTemp("", "custnet-store-")
		if err != nil {
			return nil, wrap("pipeline", err)
		}
		defer os.RemoveAll(tmp)
		storePath = filepath.Join(tmp, "custnet.duckdb")
	}
	e, err := Open(ctx, Options{Path: storePath, Logger: opts.Logger, Progress: opts.Progress})
	if err != nil {
		return nil, err
	}
	defer e.Close()
	if err := step("ingest", func() (string, error) {
		r, err := e.Ingest(ctx, ingest)
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("read %d, loaded %d, duplicate %d, rejected %d, without consent %d",
			r.Read, r.Loaded, r.Duplicate, r.Rejected, r.WithoutConsent), nil
	}); err != nil {
		return nil, err
	}
	statsPath := filepath.Join(opts.Out, "stats.json")
	if err := step("stats", func() (string, error) {
		s, err := e.Stats(ctx)
		if err != nil {
			return "", err
		}
		if opts.Store == "" {
			s.Path = "(a temporary store, removed after the run; keep one with --store)"
		}
		if err := writeJSONFile(statsPath, s); err != nil {
			return "", err
		}
		return fmt.Sprintf("%d events, %d customers, %d items", s.Events, s.Customers, s.Items), nil
	}); err != nil {
		return nil, err
	}
	res.Outputs = append(res.Outputs, statsPath)
	if err := step("graph", func() (string, error) {
		g, err := e.BuildGraph(ctx, GraphOptions{Kind: GraphCustomer})
		if err != nil {
			return "", err
		}
		s := g.Summary
		return fmt.Sprintf("customer network: %d nodes, %d edges, %d communities, modularity %.3f",
			s.Nodes, s.Edges, len(g.Communities), s.Modularity), nil
	}); err != nil {
		return nil, err
	}
	if err := step("score", func() (string, error) {
		sr, err := e.Score(ctx, ScoreOptions{By: opts.By, ComparePrevious: true})
		if err != nil {
			return "", err
		}
		summary := fmt.Sprintf("%d customers, %s", sr.Customers, sr.WindowText())
		if len(sr.Maturity) > 0 {
			summary += "; " + sr.Maturity[0]
		}
		return summary, nil
	}); err != nil {
		return nil, err
	}
	// The recommender served is the one that ranked the held-out ratings
	// best (NDCG@10), the most-rated list included: on data whose ratings
	// carry little taste a personal model is no better than what most
	// customers rate, and the run says so rather than serve a worse list.
	serve := "knn-baseline"
	if err := step("evaluate", func() (string, error) {
		ev, err := e.Evaluate(ctx, EvaluateOptions{Models: pipelineCandidates, Protocol: "holdout"})
		if err != nil {
			return "", err
		}
		var parts []string
		for _, r := range ev.Results {
			if r.Model == "popularity" || r.Model == "als-implicit" {
				parts = append(parts, fmt.Sprintf("%s NDCG@10 %.3f", r.Model, r.NDCG))
			} else {
				parts = append(parts, fmt.Sprintf("%s RMSE %.3f NDCG@10 %.3f", r.Model, r.RMSE, r.NDCG))
			}
		}
		serve = bestRanker(ev.Results, serve)
		return "holdout 20%: " + strings.Join(parts, "; ") + "; serving " + serve, nil
	}); err != nil {
		return nil, err
	}
	modelPath := filepath.Join(opts.Out, "model.cnm")
	recsPath := filepath.Join(opts.Out, "recommendations.parquet")
	if err := step("recommend", func() (string, error) {
		tr, err := e.Train(ctx, TrainOptions{Model: serve, Out: modelPath})
		if err != nil {
			return "", err
		}
		n, err := e.RecommendAll(ctx, 10, recsPath)
		if err != nil {
			return "", err
		}
		return fmt.Sprintf("%s on %d ratings; top 10 for %d consented customers", serve, tr.Stats.Ratings, n), nil
	}); err != nil {
		return nil, err
	}
	res.Outputs = append(res.Outputs, modelPath, recsPath)
	reportPath := filepath.Join(opts.Out, "report.html")
	if err := step("report", func() (string, error) {
		if err := e.Report(ctx, reportPath, ReportOptions{}); err != nil {
			return "", err
		}
		return "open " + reportPath + " in a browser (it works offline)", nil
	}); err != nil {
		return nil, err
	}
	res.Outputs = append(res.Outputs, reportPath)
	if opts.Store != "" {
		res.Outputs = append(res.Outputs, opts.Store)
	}
	return res, nil
}

// pipelineCandidates are the recommenders the pipeline evaluates (the
// most-rated list is always added) and may serve.
var pipelineCandidates = []string{"baseline", "knn-baseline", "svd", "als-implicit"}

// bestRanker returns the model of results with the highest NDCG@10, the
// first listed on a tie; def when results is empty.
func bestRanker(results []customize.Result, def string) string {
	best, ndcg := def, -1.0
	for _, r := range results {
		if r.NDCG > ndcg {
			best, ndcg = r.Model, r.NDCG
		}
	}
	return best
}

// writeJSONFile writes v as indented JSON via a temporary file and a rename,
// so a reader never sees half a file.
func writeJSONFile(path string, v any) error {
	return atomicfile.Write(path, func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	})
}

package engine

import (
	"context"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/custnet/custnet/reports/browsertest"
	"github.com/custnet/custnet/strategies/customize"
)

var reportHeadings = []string{"Data and consent", "The five strategies", "The customer network", "Recommendations", "Top customers per strategy"}

// checkInBrowser opens a report in headless Chromium with the network
// blocked and asserts what a reader needs: no console errors, no requests
// outside the file, every chart painted, the title and the five sections.
// Screenshots go to the test's temp dir and to $CUSTNET_ARTIFACTS when set.
func checkInBrowser(t *testing.T, html, name string) {
	t.Helper()
	browsertest.Require(t)
	shot := filepath.Join(t.TempDir(), name+".png")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	res, err := browsertest.Check(ctx, html, shot)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.ConsoleErrors) > 0 {
		t.Errorf("console errors: %q", res.ConsoleErrors)
	}
	if len(res.ExternalRequests) > 0 {
		t.Errorf("requests outside the file: %q", res.ExternalRequests)
	}
	if len(res.Charts) < 8 {
		t.Errorf("only %d charts on the page", len(res.Charts))
	}
	for _, c := range res.Charts {
		if !c.Painted {
			t.Errorf("chart %s is blank (%d painted pixels of %dx%d)", c.ID, c.PaintedPixels, c.Width, c.Height)
		}
	}
	if len(res.Title) < 14 || res.Title[:14] != "custnet report" {
		t.Errorf("title %q", res.Title)
	}
	for _, h := range reportHeadings {
		if !slices.Contains(res.Headings, h) {
			t.Errorf("section %q missing (headings %q)", h, res.Headings)
		}
	}
	t.Logf("%s: %d charts painted, rendered in %v, screenshot %s", name, len(res.Charts), res.RenderTime, shot)
	if dir := os.Getenv("CUSTNET_ARTIFACTS"); dir != "" {
		os.MkdirAll(dir, 0o755)
		for _, p := range [][2]string{{shot, name + ".png"}, {html, name + ".html"}} {
			copyFile(t, p[0], filepath.Join(dir, p[1]))
		}
	}
}

func copyFile(t *testing.T, from, to string) {
	in, err := os.Open(from)
	if err != nil {
		t.Error(err)
		return
	}
	defer in.Close()
	out, err := os.Create(to)
	if err != nil {
		t.Error(err)
		return
	}
	defer out.Close()
	io.Copy(out, in)
}

func TestDefaultNetworkReportInABrowser(t *testing.T) {
	browsertest.Require(t)
	out := t.TempDir()
	res, err := RunPipeline(context.Background(), PipelineOptions{Out: out})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range res.Steps {
		t.Logf("%-10s %6.2fs  %s", s.Name, s.Seconds, s.Summary)
	}
	checkInBrowser(t, filepath.Join(out, "report.html"), "report-default")
}

func TestMovieLensReportInABrowser(t *testing.T) {
	browsertest.Require(t)
	ctx := context.Background()
	e, _ := newTestEngine(t)
	ingestML100k(t, e)
	if _, err := e.BuildGraph(ctx, GraphOptions{Kind: GraphCoActivity, SkipBetweenness: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Score(ctx, ScoreOptions{Days: 365, By: []string{"occupation"}}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Evaluate(ctx, EvaluateOptions{Models: []string{"baseline", "knn-baseline", "svd"}, Protocol: "holdout"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Train(ctx, TrainOptions{Model: "knn-baseline"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.RecommendAll(ctx, 10, ""); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "ml100k.html")
	start := time.Now()
	if err := e.Report(ctx, path, ReportOptions{Title: "custnet report: MovieLens 100k"}); err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	st, _ := os.Stat(path)
	t.Logf("MovieLens 100k report: %d bytes, generated in %v (goal: under 5 MB, under 5 s)", st.Size(), took)
	if st.Size() > 5<<20 {
		t.Fatalf("report is %d bytes, over 5 MB", st.Size())
	}
	checkInBrowser(t, path, "report-movielens-100k")
}

func TestBestRankerServesTheHighestNDCG(t *testing.T) {
	rs := []customize.Result{
		{Model: "baseline", NDCG: 0.005}, {Model: "knn-baseline", NDCG: 0.2},
		{Model: "svd", NDCG: 0.2}, {Model: "popularity", NDCG: 0.166},
	}
	if got := bestRanker(rs, "x"); got != "knn-baseline" {
		t.Fatalf("best of %v: %s, want knn-baseline (the first of a tie)", rs, got)
	}
	rs[3].NDCG = 0.3
	if got := bestRanker(rs, "x"); got != "popularity" {
		t.Fatalf("best of %v: %s, want popularity", rs, got)
	}
	if got := bestRanker(nil, "knn-baseline"); got != "knn-baseline" {
		t.Fatalf("no results: %s, want the default", got)
	}
}

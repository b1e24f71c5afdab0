package benchmarks

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/custnet/custnet/engine"
	"github.com/custnet/custnet/internal/growth"
	"github.com/custnet/custnet/internal/rss"
)

// peerLinksPerCustomer is how many connect/collaborate events (links) the
// generator emits per customer at its default 50 events per customer
// (16.5% of events; measured on 20,000 customers, seed 1).
const peerLinksPerCustomer = 8.25

var storeMu sync.Mutex

// graphStore returns a cached store holding a generated network with about
// links peer links, building it on first use.
func graphStore(tb testing.TB, links int64) string {
	tb.Helper()
	customers := int(float64(links)/peerLinksPerCustomer + 0.5)
	events := int64(customers) * 50
	csv := generatedFile(tb, events, customers)
	storeMu.Lock()
	defer storeMu.Unlock()
	path := strings.TrimSuffix(csv, ".csv") + ".duckdb"
	if _, err := os.Stat(path); err == nil {
		return path
	}
	tmp := path + ".building"
	os.Remove(tmp)
	os.Remove(tmp + ".wal")
	e, err := engine.Open(ctx, engine.Options{Path: tmp, TempDir: filepath.Join(benchDir(tb), "tmp")})
	if err != nil {
		tb.Fatal(err)
	}
	start := time.Now()
	if _, err := e.Ingest(ctx, engine.IngestOptions{Path: csv, Format: "events", Consents: strings.TrimSuffix(csv, ".csv") + ".consents.csv"}); err != nil {
		e.Close()
		tb.Fatal(err)
	}
	if err := e.Close(); err != nil {
		tb.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		tb.Fatal(err)
	}
	tb.Logf("built %s in %.1fs", filepath.Base(path), time.Since(start).Seconds())
	return path
}

// graphSteps names the metrics graph.Analyze reports progress after, in
// order; the first tick comes right after the edges are read from the
// store and the CSR built, so "load" is the SQL and Go build time.
var graphSteps = []string{"load", "pagerank", "components", "kcore", "clustering", "louvain", "betweenness"}

// stepClock turns engine progress events into per-step durations: the
// time between successive Analyze ticks, and "write" from the final tick
// to the return of BuildGraph.
type stepClock struct {
	last  time.Time
	steps map[string]time.Duration
	order []string
}

func newStepClock() *stepClock {
	return &stepClock{last: time.Now(), steps: map[string]time.Duration{}}
}

func (c *stepClock) progress(p engine.Progress) {
	if !strings.HasPrefix(p.Step, "graph ") {
		return
	}
	now := time.Now()
	name := "write-prep"
	switch {
	case p.Final:
		name = "final"
	case p.Done >= 1 && int(p.Done) <= len(graphSteps):
		name = graphSteps[p.Done-1]
	}
	if name == "final" {
		// The final event follows the last tick at once; nothing to add.
		c.last = now
		return
	}
	c.add(name, now.Sub(c.last))
	c.last = now
}

func (c *stepClock) add(name string, d time.Duration) {
	if _, ok := c.steps[name]; !ok {
		c.order = append(c.order, name)
	}
	c.steps[name] += d
}

// BenchmarkGraph builds the customer network with every metric
// (engine.BuildGraph) from a cached store of generated events whose
// customer count is scaled so the network has about `links` peer links
// (before the consent gate drops the refusers' links), and reports each
// step's seconds per op. It also reports the graph issue's steps together
// (issue-steps-s: load, PageRank, components, k-core and Louvain), the
// process's peak resident memory over the BuildGraph calls (peak-rss-MB,
// DuckDB's included; the store is built before the peak is reset) and,
// from the second size on, the growth exponents of both against the size
// before (log(t₂/t₁)/log(e₂/e₁) over the network's edges; 1 is linear).
func BenchmarkGraph(b *testing.B) {
	var sizes growth.Series
	for _, links := range []int64{100_000, 1_000_000, 10_000_000} {
		b.Run("links="+human(links), func(b *testing.B) {
			store := graphStore(b, links)
			peak := rss.Measure()
			var clk *stepClock // the current op's clock; progress comes on the calling goroutine
			e, err := engine.Open(ctx, engine.Options{Path: store, Progress: func(p engine.Progress) { clk.progress(p) }})
			if err != nil {
				b.Fatal(err)
			}
			defer e.Close()
			var res *engine.GraphResult
			total := newStepClock()
			b.ReportAllocs()
			for b.Loop() {
				clk = newStepClock()
				res, err = e.BuildGraph(ctx, engine.GraphOptions{Kind: engine.GraphCustomer})
				if err != nil {
					b.Fatal(err)
				}
				clk.add("write", time.Since(clk.last))
				for _, s := range clk.order {
					total.add(s, clk.steps[s])
				}
			}
			var line []string
			steps := 0.0 // the issue's steps
			for _, s := range total.order {
				sec := total.steps[s].Seconds() / float64(b.N)
				b.ReportMetric(sec, s+"-s")
				line = append(line, fmt.Sprintf("%s %.2fs", s, sec))
				if slices.Contains(issueSteps, s) {
					steps += sec
				}
			}
			b.ReportMetric(steps, "issue-steps-s")
			b.ReportMetric(float64(res.Summary.Edges), "edges")
			b.ReportMetric(float64(res.Summary.Nodes), "nodes")
			peakMB := float64(peak()) / 1e6
			msg := fmt.Sprintf("nodes %d, edges %d: %s; issue steps %.2fs, peak RSS %.0f MB", res.Summary.Nodes, res.Summary.Edges, strings.Join(line, ", "), steps, peakMB)
			if grow := sizes.Next(b, float64(res.Summary.Edges), steps, peakMB); grow != "" {
				msg += "; " + grow
			}
			b.Log(msg)
		})
	}
}

// issueSteps are the steps the graph issue's speed goals name: build
// (here "load": the SQL and the CSR), PageRank, components, k-core and
// Louvain.
var issueSteps = []string{"load", "pagerank", "components", "kcore", "louvain"}

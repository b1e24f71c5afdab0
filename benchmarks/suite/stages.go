package suite

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"time"

	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/custnet/custnet/datasets"
	"github.com/custnet/custnet/engine"
	"github.com/custnet/custnet/graph"
	"github.com/custnet/custnet/internal/reftimes"
)

// dataset is one input of the suites: a real public dataset (file under
// Options.Datasets) or generated events (events > 0).
type dataset struct {
	name   string
	file   []string // path under the datasets root
	format string
	graph  string // graph kind built on it, "" for none
	events int64  // generated events; 0 for real data
	// customers generated; zero: events/50, the generator's default mix.
	customers int64
	full      bool // only in the full suite
	ratings   bool // has ratings: the recommender stages run on it
	// by are the customer attributes scores are aggregated by.
	by []string
	// days is the scoring window; zero: the generator's whole span for
	// generated data, 365 for real data.
	days int
	// stages, when set, limits the dataset to these stages; nil: all that apply.
	stages []string
	// shape marks a dataset whose customers-to-events mix differs from
	// the other generated sizes: it is left out of the cost-growth fit.
	shape bool
}

// datasetTable lists the suites' inputs in run order.
var datasetTable = []*dataset{
	{name: "movielens-100k", file: []string{"movielens-100k", "u.data"}, format: "movielens-100k", graph: engine.GraphCoActivity, ratings: true, by: []string{"occupation"}},
	{name: "filmtrust", file: []string{"filmtrust"}, format: "filmtrust", graph: engine.GraphCustomer, ratings: true},
	{name: "ciaodvd", file: []string{"ciaodvd"}, format: "ciaodvd", graph: engine.GraphCustomer, ratings: true},
	{name: "stackexchange-beer", file: []string{"stackexchange-beer", "Posts.xml"}, format: "stackexchange", graph: engine.GraphCustomer},
	{name: "wiki-vote", file: []string{"wiki-vote", "wiki-Vote.txt"}, format: "wiki-vote", graph: engine.GraphCustomer},
	{name: "gen-1M", events: 1_000_000, graph: engine.GraphCustomer, ratings: true, by: []string{"segment"}},
	{name: "gen-10M", events: 10_000_000, graph: engine.GraphCustomer, full: true, ratings: true, by: []string{"segment"}},
	// The scoring goal's shape: 1M customers with 10 events each.
	{name: "gen-10M-1Mcust", events: 10_000_000, customers: 1_000_000, graph: engine.GraphCustomer, full: true, by: []string{"segment"},
		stages: []string{stGenerate, stIngest, stGraph, stScore}, shape: true},
	{name: "gen-100M", events: 100_000_000, graph: engine.GraphCustomer, full: true, ratings: true, by: []string{"segment"}},
}

func (d *dataset) generated() bool { return d.events > 0 }

// nCustomers is the number of customers generated for d.
func (d *dataset) nCustomers() int64 {
	if d.customers > 0 {
		return d.customers
	}
	return max(2, d.events/50)
}

// has says whether d runs stage st (when the stage applies to it).
func (d *dataset) has(st string) bool {
	if d.stages == nil {
		return true
	}
	for _, s := range d.stages {
		if s == st {
			return true
		}
	}
	return false
}

// missing says why d cannot be read, "" when it can.
func (d *dataset) missing(opt Options) string {
	if d.generated() {
		return ""
	}
	if opt.Datasets == "" {
		return "no datasets folder (set CUSTNET_DATASETS)"
	}
	p := d.path(opt)
	if _, err := os.Stat(p); err != nil {
		return "dataset missing: " + p
	}
	return ""
}

// path is the source to ingest; generated data lives in the run folder.
func (d *dataset) path(opt Options) string {
	return filepath.Join(append([]string{opt.Datasets}, d.file...)...)
}

// stage is one measured step. Stages run in table order for each dataset,
// each in its own child process; they hand data on through files in the
// run folder (the generated CSV, the dataset's store).
type stage struct {
	name    string
	applies func(*dataset) bool
	// available says why the stage cannot run on this machine, "" when it can.
	available func(Options) string
	// after is a stage on the same dataset that must have succeeded first.
	after string
	// once: the stage cannot run again on its own output (Options.Repeat).
	once bool
	// refs are the stages (on the same dataset) whose time this one is
	// compared with, and the steps of theirs to take (the total when "").
	refs []refSpec
	// published are other implementations' times for the same work quoted
	// from their sources; ratio = published seconds / custnet's.
	published []Reference
	run       func(ctx context.Context, x *stageEnv) (measure, error)
}

type refSpec struct {
	stage, step, name string
	goal              float64
}

// Stage names.
const (
	stGenerate   = "generate"
	stDuckDBScan = "duckdb read_csv"
	stIngest     = "ingest"
	stGraph      = "graph"
	stPageRank   = "pagerank"
	stPRRef      = "pagerank reference"
	stCTAS       = "duckdb CTAS read_csv"
	stScore      = "score"
	stTrain      = "train svd"
	stRecommend  = "recommend top-10"
	stReport     = "report"
	stEvalPrefix = "evaluate "
)

// stageTable lists every stage. To add one, append it here (and, when it
// is part of the end-to-end pipeline, to endToEndStages).
var stageTable = []*stage{
	{name: stGenerate, applies: (*dataset).generated, run: runGenerate},
	{name: stDuckDBScan, applies: (*dataset).generated, after: stGenerate, run: runDuckDBScan},
	{name: stCTAS, applies: (*dataset).generated, after: stGenerate, once: true, run: runDuckDBCTAS},
	{name: stIngest, applies: func(*dataset) bool { return true }, once: true, run: runIngest,
		refs: []refSpec{{stage: stCTAS, name: "DuckDB CTAS read_csv", goal: 0.8}, {stage: stDuckDBScan, name: "DuckDB read_csv scan (no write)"}}},
	{name: stGraph, applies: func(d *dataset) bool { return d.graph != "" }, after: stIngest, run: runGraph},
	{name: stScore, applies: func(*dataset) bool { return true }, after: stIngest, run: runScore},
	{name: stTrain, applies: hasRatings, after: stIngest, run: runTrain},
	{name: stRecommend, applies: hasRatings, after: stTrain, run: runRecommend},
	{name: stReport, applies: func(*dataset) bool { return true }, after: stScore, run: runReport},
	{name: stPRRef, applies: isWikiVote, available: pythonNetworkx, run: runPageRankRef},
	{name: stPageRank, applies: isWikiVote, run: runPageRank,
		refs: []refSpec{{stage: stPRRef, step: "networkx", name: "networkx pagerank"}, {stage: stPRRef, step: "igraph", name: "igraph pagerank (PRPACK)"}}},
	evalStage("svd", "Surprise SVD, 5-fold CV total", 6),
	evalStage("knn-baseline", "Surprise KNNBaseline, 5-fold CV total", 13),
	evalStage("svdpp", "Surprise SVD++, 5-fold CV total", 82),
}

// pending are the stages planned for engine APIs that do not exist yet.
// Every planned stage has landed; the list stays for the next one.
var pending = []Pending{}

func isWikiVote(d *dataset) bool  { return d.name == "wiki-vote" }
func isMovieLens(d *dataset) bool { return d.name == "movielens-100k" }
func hasRatings(d *dataset) bool  { return d.ratings }

func lookup(ds, st string) (*dataset, *stage) {
	var d *dataset
	var s *stage
	for _, x := range datasetTable {
		if x.name == ds {
			d = x
		}
	}
	for _, x := range stageTable {
		if x.name == st {
			s = x
		}
	}
	return d, s
}

// stageEnv is what a stage's run function gets in the child.
type stageEnv struct {
	conf childConf
	ds   *dataset
	// last is the latest engine progress event, to say how far a stage
	// got when it is stopped.
	last atomic.Pointer[engine.Progress]
}

func (x *stageEnv) opt() Options { return x.conf.Options }

// csv is the generated events file of a generated dataset.
func (x *stageEnv) csv() string { return filepath.Join(x.conf.RunDir, x.ds.name+".csv") }

// store is the dataset's store file.
func (x *stageEnv) store() string { return filepath.Join(x.conf.RunDir, x.ds.name+".duckdb") }

func (x *stageEnv) open(ctx context.Context, path string, progress func(engine.Progress)) (*engine.Engine, error) {
	o := x.opt()
	return engine.Open(ctx, engine.Options{Path: path, Threads: o.Threads, MemoryLimit: o.MemoryLimit,
		TempDir: filepath.Join(x.conf.RunDir, "duckdb-tmp"), Progress: func(p engine.Progress) {
			x.last.Store(&p)
			if progress != nil {
				progress(p)
			}
		}})
}

func runGenerate(ctx context.Context, x *stageEnv) (measure, error) {
	n := x.ds.events
	start := time.Now()
	_, st, err := datasets.WriteGenerated(ctx, x.csv(), datasets.GenerateOptions{
		Customers: int(x.ds.nCustomers()), Seed: x.opt().Seed, Events: n})
	if err != nil {
		return measure{}, err
	}
	return measure{Rows: st.Events, RowsName: "events", Seconds: time.Since(start).Seconds(),
		Note: fmt.Sprintf("%d customers, %.0f MB CSV", st.Customers, float64(st.Bytes)/1e6)}, nil
}

// duckdbScanSQL makes DuckDB parse every field of the generated CSV into
// its type, with explicit column types so that no sniffing is timed. It is
// a read-only query (the engine's public API runs those), so it measures
// DuckDB's parse without its table write: a stricter reference than the
// CREATE TABLE AS of BenchmarkIngest.
func duckdbScanSQL(path string) string {
	return `SELECT count(*), count(customer_id), count(action), count("at"), count(channel), count(item_id),
		count(peer_id), count(value) FROM read_csv('` + strings.ReplaceAll(path, "'", "''") + `', header = true,
		columns = {'customer_id': 'VARCHAR', 'action': 'VARCHAR', 'at': 'TIMESTAMP', 'channel': 'VARCHAR',
		'item_id': 'VARCHAR', 'peer_id': 'VARCHAR', 'value': 'DOUBLE'})`
}

func runDuckDBScan(ctx context.Context, x *stageEnv) (measure, error) {
	e, err := x.open(ctx, "", nil)
	if err != nil {
		return measure{}, err
	}
	defer e.Close()
	var rows int64
	start := time.Now()
	err = e.QueryArrow(ctx, duckdbScanSQL(x.csv()), func(rr array.RecordReader) error {
		for rr.Next() {
			rec := rr.RecordBatch()
			if rec.NumRows() > 0 {
				rows = rec.Column(0).(*array.Int64).Value(0)
			}
		}
		return nil
	})
	if err != nil {
		return measure{}, err
	}
	return measure{Rows: rows, RowsName: "events", Seconds: time.Since(start).Seconds()}, nil
}

func runIngest(ctx context.Context, x *stageEnv) (measure, error) {
	os.Remove(x.store())
	os.Remove(x.store() + ".wal")
	e, err := x.open(ctx, x.store(), nil)
	if err != nil {
		return measure{}, err
	}
	io := engine.IngestOptions{Format: x.ds.format}
	note := "consent assumed (analytics, personalization)"
	if x.ds.generated() {
		io.Path, io.Format = x.csv(), "events"
		io.Consents = strings.TrimSuffix(x.csv(), ".csv") + ".consents.csv"
		note = "consents file"
	} else {
		io.Path = x.ds.path(x.opt())
		io.AssumeConsent = []string{"analytics", "personalization"}
	}
	start := time.Now()
	res, err := e.Ingest(ctx, io)
	sec := time.Since(start).Seconds()
	if cerr := e.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return measure{}, err
	}
	note += fmt.Sprintf("; loaded %d, dropped without consent %d, rejected %d", res.Loaded, res.WithoutConsent, res.Rejected)
	return measure{Rows: res.Read, RowsName: "events", Seconds: sec, Note: note}, nil
}

// graphSteps names the metrics graph.Analyze reports progress after, in
// order. The first tick comes right after the edges are read from the
// store and the CSR is built, so "load" is the SQL and build time.
var graphSteps = []string{"load", "pagerank", "components", "kcore", "clustering", "louvain", "betweenness"}

// stepClock turns engine progress events into per-step times.
type stepClock struct {
	last  time.Time
	steps []Step
}

func (c *stepClock) progress(p engine.Progress) {
	if !strings.HasPrefix(p.Step, "graph ") {
		return
	}
	now := time.Now()
	if !p.Final && p.Done >= 1 && int(p.Done) <= len(graphSteps) {
		c.steps = append(c.steps, Step{Name: graphSteps[p.Done-1], Seconds: now.Sub(c.last).Seconds()})
	}
	c.last = now
}

func runGraph(ctx context.Context, x *stageEnv) (measure, error) {
	clk := &stepClock{}
	e, err := x.open(ctx, x.store(), clk.progress)
	if err != nil {
		return measure{}, err
	}
	defer e.Close()
	start := time.Now()
	clk.last = start
	res, err := e.BuildGraph(ctx, engine.GraphOptions{Kind: x.ds.graph})
	if err != nil {
		return measure{}, err
	}
	end := time.Now()
	clk.steps = append(clk.steps, Step{Name: "write", Seconds: end.Sub(clk.last).Seconds()})
	return measure{Rows: int64(res.Summary.Edges), RowsName: "edges", Seconds: end.Sub(start).Seconds(), Steps: clk.steps,
		Note: fmt.Sprintf("%s graph: %d nodes, %d communities, modularity %.3f", x.ds.graph, res.Summary.Nodes, len(res.Communities), res.Summary.Modularity)}, nil
}

// edgeSink collects customer→peer pairs as dense int32 ids.
type edgeSink struct {
	ids      map[string]int32
	src, dst []int32
}

func (s *edgeSink) id(k string) int32 {
	if v, ok := s.ids[k]; ok {
		return v
	}
	v := int32(len(s.ids))
	s.ids[k] = v
	return v
}

func (s *edgeSink) Event(e *datasets.Event) error {
	if e.Peer != "" {
		s.src = append(s.src, s.id(e.Customer))
		s.dst = append(s.dst, s.id(e.Peer))
	}
	return nil
}
func (s *edgeSink) Reject(datasets.Reject) error { return nil }
func (s *edgeSink) Customer(datasets.Attr) error { return nil }
func (s *edgeSink) Item(datasets.Attr) error     { return nil }

// runPageRank times graph.PageRank alone on the wiki-Vote graph, as the
// reference script times only the networkx and igraph calls.
func runPageRank(ctx context.Context, x *stageEnv) (measure, error) {
	s := &edgeSink{ids: map[string]int32{}}
	if _, err := datasets.Read(ctx, x.ds.format, x.ds.path(x.opt()), s, datasets.ReadOptions{}); err != nil {
		return measure{}, err
	}
	g, err := graph.Build(ctx, len(s.ids), graph.EdgeList{Src: s.src, Dst: s.dst})
	if err != nil {
		return measure{}, err
	}
	start := time.Now()
	pr, err := graph.PageRank(ctx, g, graph.PageRankOptions{})
	if err != nil {
		return measure{}, err
	}
	return measure{Rows: int64(g.Edges()), RowsName: "edges", Seconds: time.Since(start).Seconds(),
		Note: fmt.Sprintf("%d nodes, %d iterations", len(s.ids), pr.Iterations)}, nil
}

// pythonNetworkx says why the networkx reference cannot run, "" when it can.
func pythonNetworkx(opt Options) string {
	if opt.Python == "none" {
		return "reference disabled (python none)"
	}
	if opt.RefScript == "" {
		return "graph/testdata/pagerank_ref.py not found from the working directory"
	}
	if err := exec.Command(opt.Python, "-c", "import networkx").Run(); err != nil {
		return opt.Python + " cannot import networkx"
	}
	return ""
}

// runPageRankRef runs pagerank_ref.py, which prints "<impl> <dataset>
// <nodes> <edges> <seconds>" lines for networkx and (when installed) igraph.
func runPageRankRef(ctx context.Context, x *stageEnv) (measure, error) {
	o := x.opt()
	cmd := exec.CommandContext(ctx, o.Python, o.RefScript)
	cmd.Env = append(os.Environ(), "CUSTNET_DATASETS="+o.Datasets)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	var m measure
	m.RowsName = "edges"
	for _, r := range reftimes.Parse(out) {
		if r.Dataset != "wiki-Vote" {
			continue
		}
		m.Steps = append(m.Steps, Step{Name: r.Impl, Seconds: r.Seconds})
		if r.Impl == "networkx" {
			m.Seconds, m.Rows = r.Seconds, r.Edges
		}
	}
	if m.Seconds == 0 {
		return m, errors.Join(fmt.Errorf("%s printed no networkx time: %s", filepath.Base(o.RefScript), strings.TrimSpace(stderr.String())), err)
	}
	m.Note = "python: only the pagerank calls are timed"
	return m, nil // igraph missing (a non-zero exit after networkx) leaves its step out
}

// attachReferences fills each result's references from the results of
// the stages named in its stage's refs.
func attachReferences(rs []Result) {
	find := func(ds, st string) *Result {
		for i := range rs {
			if rs[i].Dataset == ds && rs[i].Stage == st && rs[i].Error == "" {
				return &rs[i]
			}
		}
		return nil
	}
	for i := range rs {
		r := &rs[i]
		_, st := lookup(r.Dataset, r.Stage)
		if st == nil || r.Error != "" {
			continue
		}
		for _, spec := range st.refs {
			ref := find(r.Dataset, spec.stage)
			if ref == nil {
				continue
			}
			sec := ref.Seconds
			if spec.step != "" {
				sec = 0
				for _, s := range ref.Steps {
					if s.Name == spec.step {
						sec = s.Seconds
					}
				}
			}
			if sec <= 0 {
				continue
			}
			x := Reference{Name: spec.name, Seconds: sec, Kind: "measured", Goal: spec.goal}
			if r.Seconds > 0 {
				x.Ratio = sec / r.Seconds
			}
			r.Refs = append(r.Refs, x)
		}
		for _, x := range st.published {
			if r.Seconds > 0 {
				x.Ratio = x.Seconds / r.Seconds
			}
			r.Refs = append(r.Refs, x)
		}
	}
}

// howFar describes the stage's last progress event, "" when there was none.
func (x *stageEnv) howFar() string {
	p := x.last.Load()
	if p == nil {
		return ""
	}
	if p.Total > 0 {
		return fmt.Sprintf(" (last progress: %s %d of %d)", p.Step, p.Done, p.Total)
	}
	return fmt.Sprintf(" (last progress: %s %d)", p.Step, p.Done)
}

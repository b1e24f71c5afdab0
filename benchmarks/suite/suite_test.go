package suite

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestGrowthOfPairsSizesAndJudgesTheGoal(t *testing.T) {
	rs := []Result{
		{Dataset: "gen-100M", Stage: "ingest", Size: 1e8, Seconds: 200, PeakRSSMB: 2000},
		{Dataset: "gen-1M", Stage: "ingest", Size: 1e6, Seconds: 2, PeakRSSMB: 200},
		{Dataset: "gen-10M", Stage: "ingest", Size: 1e7, Seconds: 10, PeakRSSMB: 200},
		{Dataset: "wiki-vote", Stage: "ingest", Seconds: 1, PeakRSSMB: 100}, // real data: not fitted
		{Dataset: "gen-1M", Stage: "graph", Size: 1e6, Seconds: 1, PeakRSSMB: 100, Error: "boom"},
	}
	g := growthOf(rs)
	if len(g) != 3 {
		t.Fatalf("got %d fits, want 1M→10M, 10M→100M and all three: %+v", len(g), g)
	}
	want := []struct {
		from, to int64
		time     float64
		goal     *bool
	}{
		{1e6, 1e7, math.Log10(5), nil},
		{1e7, 1e8, 1.30103, ptr(false)},
	}
	for i, w := range want {
		if g[i].From != w.from || g[i].To != w.to || math.Abs(g[i].Time-w.time) > 1e-5 {
			t.Errorf("fit %d: %+v, want %d→%d exponent %.5f", i, g[i], w.from, w.to, w.time)
		}
		if (g[i].GoalMet == nil) != (w.goal == nil) || (w.goal != nil && *g[i].GoalMet != *w.goal) {
			t.Errorf("fit %d: goal met %v, want %v", i, g[i].GoalMet, w.goal)
		}
	}
	if g[1].RSS != 1 || g[0].RSS != 0 {
		t.Errorf("RSS exponents %v and %v, want 0 then 1", g[0].RSS, g[1].RSS)
	}
	if g[2].Points != 3 {
		t.Errorf("overall fit has %d points, want 3", g[2].Points)
	}
}

func ptr[T any](v T) *T { return &v }

func sampleReport() *Report {
	return &Report{
		Suite:   "quick",
		Command: "custnet bench --suite quick",
		Started: time.Date(2026, 1, 2, 3, 4, 0, 0, time.UTC),
		Seconds: 123.4,
		Machine: Machine{OS: "linux", Arch: "amd64", Cores: 2, RAMMB: 24064, Go: "go1.26.0", DuckDB: "v1.5.0"},
		Results: []Result{
			{Dataset: "gen-1M", Stage: "ingest", Size: 1e6, Rows: 1_000_000, RowsName: "events", Seconds: 4, RowsPerSecond: 250_000, PeakRSSMB: 512.4,
				Refs: []Reference{{Name: "DuckDB read_csv scan", Seconds: 1, Kind: "measured", Ratio: 0.25, Goal: 0.8}}},
			{Dataset: "wiki-vote", Stage: "pagerank", Rows: 103_689, RowsName: "edges", Seconds: 0.005, RowsPerSecond: 20_737_800, PeakRSSMB: 74,
				Refs: []Reference{{Name: "networkx pagerank", Seconds: 0.46, Kind: "measured", Ratio: 92}, {Name: "igraph", Seconds: 0.07, Kind: "measured", Ratio: 14}}},
			{Dataset: "wiki-vote", Stage: "graph", Rows: 103_689, RowsName: "edges", Seconds: 5.7, Steps: []Step{{"load", 0.2}, {"betweenness", 5.4}}},
			{Dataset: "ciaodvd", Stage: "ingest", Error: "no consent basis"},
		},
		Skipped:  []Skip{{Dataset: "filmtrust", Stage: "ingest", Reason: "dataset missing: /x"}},
		Growth:   []Growth{{Stage: "ingest", From: 1e7, To: 1e8, Points: 2, Time: 1.05, RSS: 0.2, Goal: 1.15, GoalMet: ptr(true)}},
		EndToEnd: []Total{{Dataset: "gen-100M", Seconds: 1500, ProcessSeconds: 1560, PeakRSSMB: 9000, Missing: []string{"report"}}},
		Goals:    []Goal{{Goal: "100M events end to end ≤ 30 min and < 16 GB", Dataset: "gen-100M", Measured: "1560 s", Met: ptr(true)}},
		Pending: []Pending{{Stage: "train", API: "engine.Train", Dataset: "movielens-100k", Published: []Reference{
			{Name: "Surprise SVD, 5-fold CV total", Seconds: 6, Kind: "published", Source: "Surprise README benchmarks (ML-100k)"}}}},
	}
}

func TestWriteTable(t *testing.T) {
	var b bytes.Buffer
	if err := WriteTable(&b, sampleReport()); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{
		"machine: linux/amd64, 2 cores, 23.5 GB RAM, go1.26.0, DuckDB v1.5.0",
		"command: custnet bench --suite quick",
		"1,000,000 events",
		"250,000",
		"512",
		"DuckDB read_csv scan",
		"0.25 [≥ 0.80: NOT met]",
		"networkx pagerank",
		"92.00",
		"0.0050",
		"ciaodvd ingest: FAILED: no consent basis",
		"wiki-vote graph:",
		"Steps (s): load 0.20, betweenness 5.40.",
		"≤ 1.15: met",
		"filmtrust ingest: dataset missing: /x",
		"not yet available:",
		"train (engine.Train)",
		"Surprise SVD, 5-fold CV total 6.00 s",
		"published (not measured here",
		"total 123 s",
		"end to end (generate + ingest + graph + score + train svd + recommend top-10 + report",
		"gen-100M      1500         1560         9000   report",
		"met: 100M events end to end ≤ 30 min and < 16 GB [gen-100M]: 1560 s",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	// Columns line up: every row of the main table is as wide as the header.
	lines := strings.Split(out, "\n")
	var header string
	for i, l := range lines {
		if strings.Contains(l, "peak RSS MB") {
			header = l
			for _, row := range lines[i+1 : i+6] {
				if len([]rune(row)) != len([]rune(header)) && !strings.Contains(row, "[") {
					t.Errorf("row %q is %d wide, header %d", row, len([]rune(row)), len([]rune(header)))
				}
			}
			break
		}
	}
	if header == "" {
		t.Fatalf("no header line:\n%s", out)
	}
}

func TestCount(t *testing.T) {
	for in, want := range map[int64]string{0: "0", 999: "999", 1000: "1,000", 1234567: "1,234,567", -1000: "-1,000", 100_000_000: "100,000,000"} {
		if got := count(in); got != want {
			t.Errorf("count(%d) = %q, want %q", in, got, want)
		}
	}
}

func TestWriteJSONFileReplacesAtomically(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "bench.json")
	if err := os.WriteFile(path, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := writeJSONFile(path, sampleReport()); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var back Report
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	if len(back.Results) != 4 || back.Results[0].Refs[0].Ratio != 0.25 {
		t.Errorf("read back %+v", back.Results)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("left %d files in the folder, want just the report", len(ents))
	}
}

func TestResolveDefaults(t *testing.T) {
	t.Setenv("CUSTNET_BENCH_DIR", "")
	opt, only, err := resolve(Options{})
	if err != nil {
		t.Fatal(err)
	}
	if opt.Suite != "quick" || opt.Seed != 7 || opt.MemoryLimit != "2GB" || opt.Python != "/usr/bin/python3" || only != nil {
		t.Errorf("defaults %+v", opt)
	}
	if !strings.HasSuffix(opt.WorkDir, "custnet-bench") {
		t.Errorf("work dir %q", opt.WorkDir)
	}
	if _, _, err := resolve(Options{Suite: "huge"}); err == nil {
		t.Error("unknown suite accepted")
	}
	if _, _, err := resolve(Options{Only: "("}); err == nil {
		t.Error("bad regexp accepted")
	}
}

func TestEveryStageRefersToAStageThatExists(t *testing.T) {
	for _, st := range stageTable {
		for _, r := range st.refs {
			if _, s := lookup("", r.stage); s == nil {
				t.Errorf("stage %s refers to missing stage %q", st.name, r.stage)
			}
		}
		if st.after != "" {
			if _, s := lookup("", st.after); s == nil {
				t.Errorf("stage %s runs after missing stage %q", st.name, st.after)
			}
		}
	}
}

func TestJudgeGoals(t *testing.T) {
	rep := &Report{Results: []Result{
		{Dataset: "gen-10M", Stage: stGenerate, Seconds: 4, PeakRSSMB: 130},
		{Dataset: "gen-10M", Stage: stIngest, Seconds: 15, PeakRSSMB: 1600,
			Refs: []Reference{{Name: "DuckDB CTAS read_csv", Seconds: 10, Ratio: 10.0 / 15, Goal: 0.8}}},
		{Dataset: "gen-10M-1Mcust", Stage: stGraph, Rows: 1_300_000, Seconds: 30, PeakRSSMB: 900},
		{Dataset: "gen-10M-1Mcust", Stage: stScore, Rows: 960_000, Seconds: 44, PeakRSSMB: 3000},
		{Dataset: "gen-100M", Stage: stGenerate, Seconds: 70, ProcessSeconds: 71, PeakRSSMB: 600},
		{Dataset: "gen-100M", Stage: stRecommend, Seconds: 1800, ProcessSeconds: 1802, PeakRSSMB: 2000, Error: "timed out"},
	}}
	rep.EndToEnd = endToEnd(rep.Results)
	got := map[string]*bool{}
	for _, g := range judge(rep) {
		got[g.Dataset+": "+g.Goal] = g.Met
	}
	want := map[string]*bool{
		"gen-10M: ingest ≥ 0.8× DuckDB CTAS read_csv":                         ptr(false),
		"gen-10M: 10M events generate + ingest ≤ 60 s and < 3 GB":             ptr(true),
		"gen-10M-1Mcust: scoring 1M customers / 10M events ≤ 45 s and < 4 GB": ptr(true),
		"gen-100M: 100M events end to end ≤ 30 min and < 16 GB":               ptr(false), // over budget before it finished
	}
	for k, w := range want {
		g, ok := got[k]
		if !ok || (g == nil) != (w == nil) || (g != nil && *g != *w) {
			t.Errorf("%s: met %v (judged %v), want %v", k, g, ok, *w)
		}
	}
	for k := range got {
		if strings.Contains(k, "graph") {
			t.Errorf("judged %q on a graph far from 10M links", k)
		}
	}
}

func TestMedianRun(t *testing.T) {
	run := func(s, rss float64, err string) Result {
		return Result{Stage: "graph", Seconds: s, PeakRSSMB: rss, Error: err, Steps: []Step{{Name: "load", Seconds: s / 2}}}
	}
	t.Run("odd count: the middle time, its steps, the largest RSS, every time", func(t *testing.T) {
		m := medianRun([]Result{run(3, 100, ""), run(1, 300, ""), run(2, 200, "")})
		if m.Seconds != 2 || m.Steps[0].Seconds != 1 || m.PeakRSSMB != 300 || !slices.Equal(m.Runs, []float64{3, 1, 2}) {
			t.Errorf("got %+v", m)
		}
	})
	t.Run("even count: the lower median", func(t *testing.T) {
		if m := medianRun([]Result{run(4, 1, ""), run(1, 1, ""), run(3, 1, ""), run(2, 1, "")}); m.Seconds != 2 {
			t.Errorf("got %v, want 2", m.Seconds)
		}
	})
	t.Run("one run is reported as it is", func(t *testing.T) {
		if m := medianRun([]Result{run(5, 1, "")}); m.Seconds != 5 || m.Runs != nil {
			t.Errorf("got %+v", m)
		}
	})
	t.Run("a failed run is reported, not hidden by the others", func(t *testing.T) {
		if m := medianRun([]Result{run(1, 1, ""), run(9, 1, "boom")}); m.Error != "boom" {
			t.Errorf("got %+v", m)
		}
	})
	t.Run("the table says it shows medians", func(t *testing.T) {
		rep := sampleReport()
		rep.Results[0].Runs = []float64{1, 2, 3}
		var b bytes.Buffer
		if err := WriteTable(&b, rep); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(b.String(), "wall s: median of 3 runs") {
			t.Errorf("no median note:\n%s", b.String())
		}
	})
}

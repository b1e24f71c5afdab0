package strategies

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/custnet/custnet/datasets"
)

// syntheticTable returns n customers with features drawn from a seeded
// source: about a third of the values are 0 (no activity), the rest small
// integers or fractions, so that ties are common.
func syntheticTable(n int, seed uint64) *FeatureTable {
	rng := rand.New(rand.NewPCG(seed, 1))
	t := NewFeatureTable(n)
	for i := range n {
		t.CustomerIDs = append(t.CustomerIDs, fmt.Sprintf("c%07d", i))
	}
	for k, f := range features {
		col := t.Columns[k][:n]
		for i := range col {
			switch {
			case f.LowerIsBetter:
				col[i] = float64(rng.IntN(90))
			case rng.IntN(3) == 0:
				col[i] = 0
			case k%2 == 0:
				col[i] = float64(1 + rng.IntN(20))
			default:
				col[i] = rng.Float64()
			}
		}
		t.Columns[k] = col
	}
	// active_days gates recency and gap: keep them consistent.
	ad := t.Column("active_days")
	for _, name := range []string{"recency_days", "median_gap_days"} {
		col := t.Column(name)
		for i := range col {
			if ad[i] == 0 {
				col[i] = 90
			}
		}
	}
	return t
}

// naivePercentile is the definition of [Score], written out in O(n).
func naivePercentile(t *FeatureTable, k, i int) float64 {
	f := features[k]
	col := t.Columns[k]
	if t.Column(f.gate)[i] == 0 {
		return 0
	}
	better, equal := 0, 0
	for _, v := range col {
		switch {
		case v == col[i]:
			equal++
		case f.LowerIsBetter && v > col[i], !f.LowerIsBetter && v < col[i]:
			better++
		}
	}
	return (float64(better) + 0.5*float64(equal)) / float64(len(col)) * 100
}

func TestScoreProperties(t *testing.T) {
	ctx := context.Background()
	tab := syntheticTable(500, 7)
	res, err := Score(ctx, tab, nil)
	if err != nil {
		t.Fatal(err)
	}

	t.Run("percentiles follow the mid-rank definition", func(t *testing.T) {
		for k := range features {
			for i := range tab.Len() {
				if got, want := res.Percentiles[k][i], naivePercentile(tab, k, i); math.Abs(got-want) > 1e-9 {
					t.Fatalf("%s customer %d: %v, want %v", features[k].Name, i, got, want)
				}
			}
		}
	})
	t.Run("scores are deterministic and do not depend on row order", func(t *testing.T) {
		again, err := Score(ctx, tab, nil)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(again.Scores, res.Scores) || !reflect.DeepEqual(again.Composite, res.Composite) {
			t.Fatal("two runs differ")
		}
		// Reverse the rows.
		rev := NewFeatureTable(tab.Len())
		for i := tab.Len() - 1; i >= 0; i-- {
			rev.CustomerIDs = append(rev.CustomerIDs, tab.CustomerIDs[i])
			for k := range rev.Columns {
				rev.Columns[k] = append(rev.Columns[k], tab.Columns[k][i])
			}
		}
		r2, err := Score(ctx, rev, nil)
		if err != nil {
			t.Fatal(err)
		}
		n := tab.Len()
		for i := range n {
			for _, s := range datasets.Strategies {
				if r2.Scores[s][n-1-i] != res.Scores[s][i] {
					t.Fatalf("customer %d %s: %v reversed, %v forward", i, s, r2.Scores[s][n-1-i], res.Scores[s][i])
				}
			}
		}
	})
	t.Run("scores stay within 0 and 100", func(t *testing.T) {
		for _, s := range datasets.Strategies {
			for i, v := range res.Scores[s] {
				if v < 0 || v > 100 {
					t.Fatalf("%s customer %d: %v", s, i, v)
				}
			}
		}
	})
	t.Run("a customer without activity of a kind scores 0 on it", func(t *testing.T) {
		idle := syntheticTable(50, 3)
		// Customer 10 did nothing of ENGAGE nor ACCESS (as the SQL gives it:
		// zeros, and the window length for recency and gap).
		for k, f := range features {
			switch {
			case f.LowerIsBetter:
				idle.Columns[k][10] = 90
			case f.Strategy == datasets.Engage || f.Strategy == datasets.Access:
				idle.Columns[k][10] = 0
			}
		}
		r, err := Score(ctx, idle, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range []datasets.Strategy{datasets.Engage, datasets.Access} {
			if r.Scores[s][10] != 0 || r.Active[s][10] {
				t.Errorf("idle %s score %v, active %v", s, r.Scores[s][10], r.Active[s][10])
			}
		}
		for k, f := range features {
			if f.Strategy == datasets.Access && r.Percentiles[k][10] != 0 {
				t.Errorf("%s percentile %v without active days", f.Name, r.Percentiles[k][10])
			}
		}
	})
	t.Run("a revoked customer is absent and others rank among the rest only", func(t *testing.T) {
		const gone = 42
		rest := NewFeatureTable(tab.Len() - 1)
		for i := range tab.Len() {
			if i == gone {
				continue
			}
			rest.CustomerIDs = append(rest.CustomerIDs, tab.CustomerIDs[i])
			for k := range rest.Columns {
				rest.Columns[k] = append(rest.Columns[k], tab.Columns[k][i])
			}
		}
		r, err := Score(ctx, rest, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, id := range r.CustomerIDs {
			if id == tab.CustomerIDs[gone] {
				t.Fatal("revoked customer still scored")
			}
		}
		changed := false
		for k := range features {
			for i := range rest.Len() {
				want := naivePercentile(rest, k, i)
				if math.Abs(r.Percentiles[k][i]-want) > 1e-9 {
					t.Fatalf("%s %s: %v, want %v over the remaining %d", features[k].Name, rest.CustomerIDs[i], r.Percentiles[k][i], want, rest.Len())
				}
				j := i
				if i >= gone {
					j = i + 1
				}
				if r.Percentiles[k][i] != res.Percentiles[k][j] {
					changed = true
				}
			}
		}
		if !changed {
			t.Error("no percentile changed: the revoked customer was not part of the population")
		}
	})
	t.Run("a zero weight removes a feature from its strategy", func(t *testing.T) {
		cfg := DefaultConfig()
		for _, f := range features {
			if f.Strategy == datasets.Connect && f.Name != "pagerank" {
				cfg.FeatureWeights[f.Name] = 0
			}
		}
		r, err := Score(ctx, tab, cfg)
		if err != nil {
			t.Fatal(err)
		}
		pr := r.Percentiles[featureIndex["pagerank"]]
		for i := range tab.Len() {
			if r.Scores[datasets.Connect][i] != pr[i] {
				t.Fatalf("customer %d: CONNECT %v, PageRank percentile %v", i, r.Scores[datasets.Connect][i], pr[i])
			}
		}
	})
	t.Run("a cancelled context stops scoring", func(t *testing.T) {
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if _, err := Score(cctx, tab, nil); err == nil {
			t.Error("no error")
		}
	})
	t.Run("a value that is not finite is refused", func(t *testing.T) {
		bad := syntheticTable(5, 1)
		bad.Columns[3][2] = math.NaN()
		if _, err := Score(ctx, bad, nil); err == nil || !strings.Contains(err.Error(), "channel_entropy") {
			t.Errorf("error = %v", err)
		}
	})
}

func TestAggregate(t *testing.T) {
	ctx := context.Background()
	// Four customers; only ACCESS and CONNECT features set, so the other
	// strategies score 0 for everyone.
	tab := NewFeatureTable(4)
	tab.CustomerIDs = []string{"a", "b", "c", "d"}
	for k := range tab.Columns {
		tab.Columns[k] = make([]float64, 4)
	}
	set := func(name string, v ...float64) { copy(tab.Column(name), v) }
	set("active_days", 1, 2, 3, 0)
	set("recency_days", 5, 5, 5, 90)
	set("median_gap_days", 90, 90, 90, 90)
	set("shares", 0, 0, 4, 0)
	cfg := DefaultConfig()
	for _, f := range features {
		if f.Strategy == datasets.Access && f.Name != "active_days" {
			cfg.FeatureWeights[f.Name] = 0
		}
	}
	res, err := Score(ctx, tab, cfg)
	if err != nil {
		t.Fatal(err)
	}
	// ACCESS = active_days percentile: a (1 + 0.5)/4 = 37.5, b 62.5, c 87.5, d 0.
	aggs, err := Aggregate(ctx, res, map[string][]string{"team": {"x", "x", "y", ""}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	find := func(dim, grp, s string) GroupStats {
		for _, a := range aggs {
			if a.Dimension == dim && a.Group == grp && a.Strategy == s {
				return a
			}
		}
		t.Fatalf("no row %s/%s/%s", dim, grp, s)
		return GroupStats{}
	}
	for _, tc := range []struct {
		name           string
		got            GroupStats
		n              int
		mean, med, act float64
	}{
		{"all customers' ACCESS mean, median and activity", find("all", "all", "access"), 4, 46.875, 50, 0.75},
		{"team x's ACCESS", find("team", "x", "access"), 2, 50, 50, 1},
		{"the unlabelled customer falls in (none)", find("team", NoGroup, "access"), 1, 0, 0, 0},
		{"one sharer in four is active in CONNECT", find("all", "all", "connect"), 4, res.Scores[datasets.Connect][2] / 4, 0, 0.25},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g := tc.got
			if g.Customers != tc.n || math.Abs(g.Mean-tc.mean) > 1e-9 || g.Median != tc.med || g.ActiveShare != tc.act {
				t.Errorf("got %+v, want n=%d mean=%v median=%v active=%v", g, tc.n, tc.mean, tc.med, tc.act)
			}
			if g.Change != nil {
				t.Error("change without a previous result")
			}
		})
	}
	t.Run("change compares with the previous window's mean", func(t *testing.T) {
		prevTab := NewFeatureTable(2)
		prevTab.CustomerIDs = []string{"a", "e"}
		for k := range prevTab.Columns {
			prevTab.Columns[k] = make([]float64, 2)
		}
		copy(prevTab.Column("active_days"), []float64{1, 0})
		copy(prevTab.Column("recency_days"), []float64{1, 90})
		prev, err := Score(ctx, prevTab, cfg)
		if err != nil {
			t.Fatal(err)
		}
		// prev: a 75, e 0 → all mean 37.5; team x (only a) 75; team y: nobody.
		aggs, err := Aggregate(ctx, res, map[string][]string{"team": {"x", "x", "y", ""}}, prev)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range aggs {
			if a.Strategy != "access" {
				continue
			}
			var want *float64
			switch a.Group {
			case "all":
				v := 46.875 - 37.5
				want = &v
			case "x":
				v := 50.0 - 75
				want = &v
			}
			if (want == nil) != (a.Change == nil) || want != nil && math.Abs(*want-*a.Change) > 1e-9 {
				t.Errorf("%s/%s change = %v, want %v", a.Dimension, a.Group, a.Change, want)
			}
		}
		lines := Maturity(aggs)
		if len(lines) < 2 || !strings.HasPrefix(lines[0], "ACCESS is the strongest strategy: 75% of customers") {
			t.Errorf("maturity = %q", lines)
		}
		joined := strings.Join(lines, "\n")
		for _, want := range []string{"weakest", "fewer than 1 customer in 10: ENGAGE, CUSTOMIZE, COLLABORATE", "Largest rise since the previous window: ACCESS (mean +9.4 points)"} {
			if !strings.Contains(joined, want) {
				t.Errorf("maturity lacks %q:\n%s", want, joined)
			}
		}
	})
	t.Run("labels must cover every customer", func(t *testing.T) {
		if _, err := Aggregate(ctx, res, map[string][]string{"team": {"x"}}, nil); err == nil {
			t.Error("no error")
		}
	})
}

func TestExplainJSONShape(t *testing.T) {
	res, err := Score(context.Background(), syntheticTable(100, 5), nil)
	if err != nil {
		t.Fatal(err)
	}
	e := res.Explain(0)
	if len(e.Strategies) != 5 {
		t.Fatalf("%d strategies", len(e.Strategies))
	}
	for _, s := range e.Strategies {
		if len(s.Drivers) < 2 || len(s.Drivers) > 3 {
			t.Errorf("%s: %d drivers", s.Strategy, len(s.Drivers))
		}
		for j := 1; j < len(s.Drivers); j++ {
			if math.Abs(s.Drivers[j].Effect) > math.Abs(s.Drivers[j-1].Effect) {
				t.Errorf("%s: drivers not by decreasing effect", s.Strategy)
			}
		}
		if !strings.HasPrefix(s.Sentence, strings.ToUpper(string(s.Strategy))+" ") {
			t.Errorf("sentence %q", s.Sentence)
		}
	}
}

// BenchmarkScore measures the Go part of scoring over a synthetic feature
// table. Compare runs with
//
//	go test -run '^$' -bench BenchmarkScore -count 6 ./strategies/ | benchstat -
func BenchmarkScore(b *testing.B) {
	for _, n := range []int{100_000, 1_000_000} {
		b.Run(fmt.Sprintf("customers=%s", size(n)), func(b *testing.B) {
			tab := syntheticTable(n, 1)
			b.ReportAllocs()
			b.ResetTimer()
			start := time.Now()
			for b.Loop() {
				if _, err := Score(context.Background(), tab, nil); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(n)*float64(b.N)/time.Since(start).Seconds(), "customers/s")
		})
	}
}

// BenchmarkExplain measures explanations, which the engine computes while
// writing the scores table.
func BenchmarkExplain(b *testing.B) {
	tab := syntheticTable(100_000, 1)
	res, err := Score(context.Background(), tab, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		_ = res.Explain(i % tab.Len())
		i++
	}
}

func size(n int) string {
	if n%1_000_000 == 0 {
		return fmt.Sprintf("%dM", n/1_000_000)
	}
	return fmt.Sprintf("%dk", n/1000)
}

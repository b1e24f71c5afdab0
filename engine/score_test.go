package engine

import (
	"context"
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/custnet/custnet/datasets"
)

// generatedStore ingests a small generated network with its consents and
// builds the customer graph.
func generatedStore(t *testing.T, customers int) (*Engine, datasets.Truth) {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	path := filepath.Join(dir, "events.parquet")
	truth, _, err := datasets.WriteGenerated(ctx, path, datasets.GenerateOptions{Customers: customers, Seed: 11})
	if err != nil {
		t.Fatal(err)
	}
	e, _ := newTestEngine(t)
	if _, err := e.Ingest(ctx, IngestOptions{Path: path, Format: "events", Consents: strings.TrimSuffix(path, ".parquet") + ".consents.csv"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.BuildGraph(ctx, GraphOptions{}); err != nil {
		t.Fatal(err)
	}
	return e, truth
}

func TestScoresFindWhatTheGeneratorPlanted(t *testing.T) {
	e, truth := generatedStore(t, 3000)
	ctx := context.Background()
	res, err := e.Score(ctx, ScoreOptions{By: []string{"segment"}, ComparePrevious: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.Customers == 0 || len(res.Maturity) == 0 {
		t.Fatalf("scored %d customers, maturity %v", res.Customers, res.Maturity)
	}
	// Bridges as a group rank at the top of CONNECT (their median is in the
	// top decile) and every one of them is in the top quintile.
	t.Run("planted bridges come out with the top CONNECT scores", func(t *testing.T) {
		var consented []string
		for _, b := range truth.Bridges {
			if ok, _ := e.HasConsent(ctx, b, "analytics"); ok {
				consented = append(consented, b)
			}
		}
		if len(consented) == 0 {
			t.Fatal("no consented bridges to check")
		}
		var scores []float64
		rows, _ := e.db.Query(`SELECT connect FROM scores`)
		for rows.Next() {
			var s float64
			rows.Scan(&s)
			scores = append(scores, s)
		}
		rows.Close()
		sort.Float64s(scores)
		p80, p90 := scores[len(scores)*8/10], scores[len(scores)*9/10]
		var bridgeScores []float64
		for _, b := range consented {
			cs, err := e.Scores(ctx, b)
			if err != nil {
				t.Fatal(err)
			}
			bridgeScores = append(bridgeScores, cs.Scores["connect"])
			if cs.Scores["connect"] < p80 {
				t.Errorf("bridge %s has CONNECT %.1f, below the 80th percentile %.1f", b, cs.Scores["connect"], p80)
			}
		}
		sort.Float64s(bridgeScores)
		if med := bridgeScores[len(bridgeScores)/2]; med < p90 {
			t.Errorf("median bridge CONNECT %.1f is below the 90th percentile %.1f", med, p90)
		}
	})
	t.Run("Louvain recovers the planted communities", func(t *testing.T) {
		// Purity: for each found community, the share of its members in its
		// most common planted community, weighted by size.
		rows, err := e.db.Query(`SELECT customer_id, community FROM graph_metrics WHERE kind = 'customer' AND community IS NOT NULL`)
		if err != nil {
			t.Fatal(err)
		}
		counts := map[int64]map[int]int{}
		total := 0
		for rows.Next() {
			var id string
			var c int64
			rows.Scan(&id, &c)
			if counts[c] == nil {
				counts[c] = map[int]int{}
			}
			counts[c][truth.Community[id]]++
			total++
		}
		rows.Close()
		agree := 0
		for _, m := range counts {
			best := 0
			for _, n := range m {
				best = max(best, n)
			}
			agree += best
		}
		if purity := float64(agree) / float64(total); purity < 0.9 {
			t.Fatalf("purity of found communities against planted ones = %.3f, want ≥ 0.9", purity)
		}
	})
	t.Run("scores are 0 to 100 and explained", func(t *testing.T) {
		unexplained := ""
		for _, s := range datasets.Strategies {
			unexplained += " OR COALESCE(json_array_length(explanation->'$." + string(s) + "'), 0) < 2"
		}
		bad := count(t, e, `SELECT count(*) FROM scores WHERE NOT (access BETWEEN 0 AND 100 AND engage BETWEEN 0 AND 100
			AND customize BETWEEN 0 AND 100 AND connect BETWEEN 0 AND 100 AND collaborate BETWEEN 0 AND 100)`+unexplained)
		if bad != 0 {
			t.Fatalf("%d score rows out of range or without two drivers per strategy", bad)
		}
		if n := count(t, e, `SELECT count(*) FROM strategy_aggregates WHERE dimension = 'segment' AND change IS NOT NULL`); n == 0 {
			t.Fatal("no per-segment aggregates with a change against the previous window")
		}
	})
	t.Run("a customer's scores and the export render the stored explanation's sentences", func(t *testing.T) {
		var who string
		e.db.QueryRow(`SELECT customer_id FROM scores ORDER BY connect DESC, customer_id LIMIT 1`).Scan(&who)
		cs, err := e.Scores(ctx, who)
		if err != nil {
			t.Fatal(err)
		}
		connect := cs.Explanation.Strategies[3]
		if connect.Strategy != datasets.Connect || len(connect.Drivers) < 2 ||
			!strings.HasPrefix(connect.Sentence, fmt.Sprintf("CONNECT %.0f: ", cs.Scores["connect"])) {
			t.Fatalf("CONNECT explanation of %s: %+v", who, connect)
		}
		out := filepath.Join(t.TempDir(), "scores.jsonl")
		n, err := e.ExportScores(ctx, "jsonl", out)
		if err != nil {
			t.Fatal(err)
		}
		if want := count(t, e, `SELECT count(*) FROM scores`); n != want {
			t.Errorf("exported %d rows, want %d", n, want)
		}
		var exported string
		if err := e.db.QueryRow(`SELECT explanation->>'$.strategies[3].sentence' FROM read_json_auto($1) WHERE customer_id = $2`,
			out, who).Scan(&exported); err != nil {
			t.Fatal(err)
		}
		if exported != connect.Sentence {
			t.Errorf("exported sentence %q, Scores says %q", exported, connect.Sentence)
		}
		if _, err := e.ExportScores(ctx, "csv", filepath.Join(t.TempDir(), "scores.csv")); err != nil {
			t.Fatalf("a second export (the SQL function is registered already): %v", err)
		}
	})
	t.Run("a revoked customer is erased and absent after re-scoring", func(t *testing.T) {
		var who string
		e.db.QueryRow(`SELECT customer_id FROM scores ORDER BY composite DESC LIMIT 1`).Scan(&who)
		if _, err := e.Revoke(ctx, who, "analytics", "test"); err != nil {
			t.Fatal(err)
		}
		if _, err := e.Scores(ctx, who); !errors.Is(err, ErrNotFound) {
			t.Fatalf("scores survive revocation: %v", err)
		}
		before := count(t, e, `SELECT count(*) FROM (`+activeSQL("analytics")+`)`)
		res, err := e.Score(ctx, ScoreOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if int64(res.Customers) > before || count(t, e, `SELECT count(*) FROM scores WHERE customer_id = $1`, who) != 0 {
			t.Fatalf("re-scored %d customers (%d consented); revoked customer present", res.Customers, before)
		}
		var mean float64
		e.db.QueryRow(`SELECT avg(access) FROM scores`).Scan(&mean)
		if math.IsNaN(mean) || mean <= 0 {
			t.Fatalf("mean access %v", mean)
		}
	})
}

// Features computed a slice of customers at a time (what large stores do)
// are the features of one query: the same customers, the same scores and
// explanations, row for row.
func TestScoringInSlicesMatchesOneQuery(t *testing.T) {
	e, _ := generatedStore(t, 1500)
	ctx := context.Background()
	query := func(q string) []string {
		t.Helper()
		rows, err := e.db.QueryContext(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		cols, _ := rows.Columns()
		var out []string
		for rows.Next() {
			r := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range r {
				ptrs[i] = &r[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			out = append(out, fmt.Sprint(r))
		}
		return out
	}
	// Scores, and the aggregates with their change against the previous
	// window, which is scored in slices too.
	read := func(parts int) []string {
		t.Helper()
		if _, err := e.Score(ctx, ScoreOptions{FeatureParts: parts, ComparePrevious: true}); err != nil {
			t.Fatal(err)
		}
		return append(query(`SELECT customer_id, access, engage, customize, connect, collaborate, composite, explanation FROM scores ORDER BY customer_id`),
			query(`SELECT dimension, grp, strategy, customers, mean, median, active_share, change FROM strategy_aggregates ORDER BY ALL`)...)
	}
	one := read(1)
	if len(one) < 1000 {
		t.Fatalf("only %d rows", len(one))
	}
	// Parts 1 again: one query gives the same answer twice (the channel
	// entropy once differed by an ulp between runs); then real slices.
	for _, parts := range []int{1, 3, 7} {
		got := read(parts)
		if len(got) != len(one) {
			t.Fatalf("%d slices: %d rows, one query: %d", parts, len(got), len(one))
		}
		for i := range one {
			if got[i] != one[i] {
				t.Fatalf("%d slices, row %d: %v\none query: %v", parts, i, got[i], one[i])
			}
		}
	}
}

func TestWindowTextSaysWhenTheDataHasNoTimes(t *testing.T) {
	dated := &ScoreResult{Days: 90, AsOf: time.Date(2024, 6, 30, 0, 0, 0, 0, time.UTC)}
	if got := dated.WindowText(); got != "window 90d to 2024-06-30" {
		t.Errorf("dated window: %q", got)
	}
	if got := (&ScoreResult{Days: 365}).WindowText(); strings.Contains(got, "0001") || !strings.Contains(got, "no event times") {
		t.Errorf("untimed data: %q", got)
	}
}

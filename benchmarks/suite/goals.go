package suite

import (
	"fmt"
	"math"
	"strings"
)

// endToEndStages are the stages of the pipeline on generated data, in
// order: what a user runs from raw events to a report.
var endToEndStages = []string{stGenerate, stIngest, stGraph, stScore, stTrain, stRecommend, stReport}

// Total is the pipeline's stages on one generated dataset added up. Each
// stage ran in its own process, so the peak is the largest stage's.
type Total struct {
	Dataset string `json:"dataset"`
	// Seconds is the sum of the stages' own work; ProcessSeconds the sum
	// of their processes' wall times (start-up and store opening included).
	Seconds        float64 `json:"seconds"`
	ProcessSeconds float64 `json:"process_seconds"`
	PeakRSSMB      float64 `json:"peak_rss_mb"`
	// Missing lists the pipeline stages that did not run or failed; the
	// sums then cover the others only.
	Missing []string `json:"missing,omitempty"`
}

// Complete says whether every stage of the pipeline succeeded.
func (t Total) Complete() bool { return len(t.Missing) == 0 }

// endToEnd adds up the pipeline stages of every generated dataset that
// runs all of them.
func endToEnd(results []Result) []Total {
	var out []Total
	for _, ds := range datasetTable {
		if !ds.generated() || !ds.ratings {
			continue
		}
		t := Total{Dataset: ds.name}
		ran := false
		for _, st := range endToEndStages {
			r := findResult(results, ds.name, st)
			if r != nil {
				ran = true
			}
			if r == nil || r.Error != "" {
				t.Missing = append(t.Missing, st)
				if r == nil {
					continue
				}
			}
			t.Seconds += r.Seconds
			t.ProcessSeconds += r.ProcessSeconds
			t.PeakRSSMB = math.Max(t.PeakRSSMB, r.PeakRSSMB)
		}
		if ran {
			out = append(out, t)
		}
	}
	return out
}

func findResult(rs []Result, ds, st string) *Result {
	for i := range rs {
		if rs[i].Dataset == ds && rs[i].Stage == st {
			return &rs[i]
		}
	}
	return nil
}

// Goal is one performance goal judged on a run. Met is nil when the run
// lacks what the goal needs.
type Goal struct {
	Goal     string `json:"goal"`
	Dataset  string `json:"dataset,omitempty"`
	Measured string `json:"measured"`
	Met      *bool  `json:"met,omitempty"`
}

// judge checks the performance goals against rep's results.
func judge(rep *Report) []Goal {
	var gs []Goal
	add := func(goal, ds, measured string, met *bool) {
		gs = append(gs, Goal{Goal: goal, Dataset: ds, Measured: measured, Met: met})
	}
	yes := func(b bool) *bool { return &b }
	ok := func(r *Result) bool { return r != nil && r.Error == "" }

	// Ingest against DuckDB's CREATE TABLE AS read_csv, on every generated size.
	for _, ds := range datasetTable {
		r := findResult(rep.Results, ds.name, stIngest)
		if !ds.generated() || !ok(r) {
			continue
		}
		for _, x := range r.Refs {
			if x.Goal > 0 && x.Ratio > 0 {
				add(fmt.Sprintf("ingest ≥ %.1f× DuckDB CTAS read_csv", x.Goal), ds.name,
					fmt.Sprintf("%.2f× (%s s against %s s)", x.Ratio, secs(r.Seconds), secs(x.Seconds)), yes(x.Ratio >= x.Goal))
			}
		}
	}

	// 10M events generated and ingested.
	if g, i := findResult(rep.Results, "gen-10M", stGenerate), findResult(rep.Results, "gen-10M", stIngest); g != nil || i != nil {
		if ok(g) && ok(i) {
			s, m := g.Seconds+i.Seconds, math.Max(g.PeakRSSMB, i.PeakRSSMB)
			add("10M events generate + ingest ≤ 60 s and < 3 GB", "gen-10M",
				fmt.Sprintf("%s s (%s + %s), peak %s MB", secs(s), secs(g.Seconds), secs(i.Seconds), mb(m)), yes(s <= 60 && m < 3*1024))
		} else {
			add("10M events generate + ingest ≤ 60 s and < 3 GB", "gen-10M", "a stage failed", yes(false))
		}
	}

	// Graph: the generated graph closest to 10M links.
	var best *Result
	for i := range rep.Results {
		r := &rep.Results[i]
		if r.Stage != stGraph || !strings.HasPrefix(r.Dataset, "gen-") || !ok(r) || r.Rows <= 0 {
			continue
		}
		if best == nil || math.Abs(math.Log(float64(r.Rows)/1e7)) < math.Abs(math.Log(float64(best.Rows)/1e7)) {
			best = r
		}
	}
	if best != nil && best.Rows >= 5_000_000 { // within 2× of the goal's size, or no verdict
		// The goal names build, PageRank, components, k-core and Louvain;
		// betweenness (and clustering) are measured but not part of it.
		goalSecs := best.Seconds
		for _, st := range best.Steps {
			if st.Name == "betweenness" || st.Name == "clustering" {
				goalSecs -= st.Seconds
			}
		}
		add("graph of 1M nodes / 10M links ≤ 90 s and < 6 GB (build, PageRank, components, k-core, Louvain)", best.Dataset,
			fmt.Sprintf("%s s without betweenness and clustering (%s s with), peak %s MB (%s)", secs(goalSecs), secs(best.Seconds), mb(best.PeakRSSMB), best.Note),
			yes(goalSecs <= 90 && best.PeakRSSMB < 6*1024))
	}

	// Scoring 1M customers over 10M events.
	if r := findResult(rep.Results, "gen-10M-1Mcust", stScore); r != nil {
		if ok(r) {
			add("scoring 1M customers / 10M events ≤ 45 s and < 4 GB", r.Dataset,
				fmt.Sprintf("%s s, peak %s MB, %s customers", secs(r.Seconds), mb(r.PeakRSSMB), count(r.Rows)),
				yes(r.Seconds <= 45 && r.PeakRSSMB < 4*1024))
		} else {
			add("scoring 1M customers / 10M events ≤ 45 s and < 4 GB", r.Dataset, "failed: "+r.Error, yes(false))
		}
	}

	// 100M end to end.
	for _, t := range rep.EndToEnd {
		if t.Dataset != "gen-100M" {
			continue
		}
		m := fmt.Sprintf("%s s (%.1f min, stage processes), peak %s MB", secs(t.ProcessSeconds), t.ProcessSeconds/60, mb(t.PeakRSSMB))
		if !t.Complete() {
			m += "; did not finish: " + strings.Join(t.Missing, ", ")
			// Incomplete and already over budget is a verdict; under budget is not.
			if t.ProcessSeconds > 1800 || t.PeakRSSMB >= 16*1024 {
				add("100M events end to end ≤ 30 min and < 16 GB", t.Dataset, m, yes(false))
			} else {
				add("100M events end to end ≤ 30 min and < 16 GB", t.Dataset, m, nil)
			}
			continue
		}
		add("100M events end to end ≤ 30 min and < 16 GB", t.Dataset, m, yes(t.ProcessSeconds <= 1800 && t.PeakRSSMB < 16*1024))
	}

	// Cost growth from 10M to 100M.
	var worst *Growth
	var over []string
	n := 0
	for i := range rep.Growth {
		g := &rep.Growth[i]
		if g.GoalMet == nil {
			continue
		}
		n++
		if !*g.GoalMet {
			over = append(over, fmt.Sprintf("%s %.2f", g.Stage, g.Time))
		}
		if worst == nil || g.Time > worst.Time {
			worst = g
		}
	}
	if worst != nil {
		m := fmt.Sprintf("%d stages fitted; largest %s %.2f", n, worst.Stage, worst.Time)
		if len(over) > 0 {
			m += "; over: " + strings.Join(over, ", ")
		}
		add(fmt.Sprintf("time growth exponent ≤ %.2f from 10M to 100M events, every stage", growthGoal), "", m, yes(len(over) == 0))
	}
	return gs
}

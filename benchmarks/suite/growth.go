package suite

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strings"
)

// GrowthExponent fits cost = a·size^k by least squares on log(cost)
// against log(size) and returns k: 1 means the cost grows linearly with the
// size, 2 quadratically. With two points it is the slope between them,
// log(c2/c1)/log(s2/s1). Sizes and costs must be positive, and there must
// be at least two distinct sizes.
func GrowthExponent(sizes, costs []float64) (float64, error) {
	if len(sizes) != len(costs) {
		return 0, fmt.Errorf("growth fit: %d sizes, %d costs", len(sizes), len(costs))
	}
	var n, sx, sy, sxx, sxy float64
	for i := range sizes {
		if !(sizes[i] > 0) || !(costs[i] > 0) {
			return 0, fmt.Errorf("growth fit: size %g, cost %g: both must be positive", sizes[i], costs[i])
		}
		x, y := math.Log(sizes[i]), math.Log(costs[i])
		n++
		sx += x
		sy += y
		sxx += x * x
		sxy += x * y
	}
	den := n*sxx - sx*sx
	if n < 2 || math.Abs(den) < 1e-12*math.Max(1, n*sxx) {
		return 0, errors.New("growth fit: needs at least two distinct sizes")
	}
	return (n*sxy - sx*sy) / den, nil
}

// Growth is the cost-growth exponent of one stage over the generated
// datasets between two sizes (or over all of them, when From and To are
// the smallest and largest and Points > 2).
type Growth struct {
	Stage    string  `json:"stage"`
	From     int64   `json:"from_rows"`
	To       int64   `json:"to_rows"`
	Points   int     `json:"points"`
	Time     float64 `json:"time_exponent"`
	RSS      float64 `json:"peak_rss_exponent"`
	Goal     float64 `json:"goal,omitempty"` // time exponent wanted at most, 0 when none
	GoalMet  *bool   `json:"goal_met,omitempty"`
	Problems string  `json:"problems,omitempty"`
}

// growthGoal is the time exponent the stages must stay under from 10M to
// 100M events.
const growthGoal = 1.15

// growthOf fits every stage measured on at least two generated sizes:
// consecutive pairs, then all points together when there are more than two.
// The DuckDB reference stages are fitted but not held to the goal.
func growthOf(results []Result) []Growth {
	by := map[string][]Result{}
	var stages []string
	for _, r := range results {
		if r.Size == 0 || r.Error != "" || r.Seconds <= 0 {
			continue
		}
		if _, ok := by[r.Stage]; !ok {
			stages = append(stages, r.Stage)
		}
		by[r.Stage] = append(by[r.Stage], r)
	}
	var out []Growth
	for _, st := range stages {
		rs := by[st]
		sort.Slice(rs, func(i, j int) bool { return rs[i].Size < rs[j].Size })
		fit := func(part []Result) Growth {
			g := Growth{Stage: st, From: part[0].Size, To: part[len(part)-1].Size, Points: len(part)}
			var s, t, m []float64
			for _, r := range part {
				s = append(s, float64(r.Size))
				t = append(t, r.Seconds)
				m = append(m, r.PeakRSSMB)
			}
			var err error
			if g.Time, err = GrowthExponent(s, t); err != nil {
				g.Problems = err.Error()
			}
			if g.RSS, err = GrowthExponent(s, m); err != nil && g.Problems == "" {
				g.Problems = err.Error()
			}
			if g.From == 10_000_000 && g.To == 100_000_000 && g.Problems == "" && !strings.HasPrefix(st, "duckdb ") {
				met := g.Time <= growthGoal
				g.Goal, g.GoalMet = growthGoal, &met
			}
			return g
		}
		for i := 1; i < len(rs); i++ {
			out = append(out, fit(rs[i-1:i+1]))
		}
		if len(rs) > 2 {
			out = append(out, fit(rs))
		}
	}
	return out
}

package suite

import (
	"sort"
	"strings"

	"github.com/custnet/custnet/internal/growth"
)

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
			if g.Time, err = growth.Exponent(s, t); err != nil {
				g.Problems = err.Error()
			}
			if g.RSS, err = growth.Exponent(s, m); err != nil && g.Problems == "" {
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

package strategies

import (
	"context"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/custnet/custnet/datasets"
)

// Composite names the composite score in [GroupStats].Strategy.
const Composite = "composite"

// NoGroup labels customers whose group label is empty.
const NoGroup = "(none)"

// GroupStats summarises one strategy's scores over one group of customers:
// a row of the strategy_aggregates table.
type GroupStats struct {
	Dimension string  `json:"dimension"` // "all", or a key of the groups map
	Group     string  `json:"group"`     // "all", a group label, or NoGroup
	Strategy  string  `json:"strategy"`  // a datasets.Strategy, or Composite
	Customers int     `json:"customers"`
	Mean      float64 `json:"mean"`
	Median    float64 `json:"median"`
	// ActiveShare is the share (0–1) of the group's customers active in
	// the strategy; for the composite, active in any strategy.
	ActiveShare float64 `json:"active_share"`
	// Change is Mean minus the previous window's mean for the same group,
	// nil without a previous result or when the group had no customers
	// then.
	Change *float64 `json:"change,omitempty"`
}

// Aggregate summarises res per group. groups maps a dimension (e.g.
// "occupation", "community") to a label per customer of res, indexed like
// res.CustomerIDs; an empty label becomes [NoGroup]. The dimension "all"
// with the single group "all" is always included first; other dimensions
// follow in name order, groups in label order, strategies in
// [datasets.Strategies] order then the composite.
//
// When prev (the previous window's result) is given, Change compares means:
// prev's customers are placed in groups by their label in res (matched by
// customer id), so a customer who left since prev counts only in "all".
func Aggregate(ctx context.Context, res *Result, groups map[string][]string, prev *Result) ([]GroupStats, error) {
	n := res.Len()
	dims := make([]string, 0, len(groups))
	for d, labels := range groups {
		if len(labels) != n {
			return nil, fmt.Errorf("aggregate: dimension %s has %d labels for %d customers", d, len(labels), n)
		}
		if d == "all" {
			return nil, fmt.Errorf("aggregate: dimension name %q is reserved", d)
		}
		dims = append(dims, d)
	}
	slices.Sort(dims)

	var prevIdx []int // prevIdx[j] = index in res of prev's customer j, or -1
	if prev != nil {
		pos := make(map[string]int, n)
		for i, id := range res.CustomerIDs {
			pos[id] = i
		}
		prevIdx = make([]int, prev.Len())
		for j, id := range prev.CustomerIDs {
			if i, ok := pos[id]; ok {
				prevIdx[j] = i
			} else {
				prevIdx[j] = -1
			}
		}
	}

	all := make([]string, n)
	for i := range all {
		all[i] = "all"
	}
	var out []GroupStats
	for _, d := range append([]string{"all"}, dims...) {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("aggregate: %w", err)
		}
		labels := all
		if d != "all" {
			labels = groups[d]
		}
		members := map[string][]int{}
		for i, l := range labels {
			if l == "" {
				l = NoGroup
			}
			members[l] = append(members[l], i)
		}
		var prevMembers map[string][]int
		if prev != nil {
			prevMembers = map[string][]int{}
			for j, i := range prevIdx {
				switch {
				case d == "all":
					prevMembers["all"] = append(prevMembers["all"], j)
				case i >= 0:
					l := labels[i]
					if l == "" {
						l = NoGroup
					}
					prevMembers[l] = append(prevMembers[l], j)
				}
			}
		}
		names := make([]string, 0, len(members))
		for l := range members {
			names = append(names, l)
		}
		slices.Sort(names)
		for _, l := range names {
			idx := members[l]
			for _, s := range append(slices.Clone(datasets.Strategies), Composite) {
				scores, active := res.column(s)
				st := GroupStats{Dimension: d, Group: l, Strategy: string(s), Customers: len(idx)}
				st.Mean, st.Median, st.ActiveShare = summarize(idx, scores, active)
				if prev != nil {
					if pidx := prevMembers[l]; len(pidx) > 0 {
						ps, pa := prev.column(s)
						pm, _, _ := summarize(pidx, ps, pa)
						c := st.Mean - pm
						st.Change = &c
					}
				}
				out = append(out, st)
			}
		}
	}
	return out, nil
}

// column returns the scores and activity of a strategy or the composite.
func (r *Result) column(s datasets.Strategy) ([]float64, func(int) bool) {
	if s == Composite {
		return r.Composite, func(i int) bool {
			for _, t := range datasets.Strategies {
				if r.Active[t][i] {
					return true
				}
			}
			return false
		}
	}
	a := r.Active[s]
	return r.Scores[s], func(i int) bool { return a[i] }
}

func summarize(idx []int, scores []float64, active func(int) bool) (mean, median, activeShare float64) {
	if len(idx) == 0 {
		return 0, 0, 0
	}
	v := make([]float64, len(idx))
	na := 0
	sum := 0.0
	for k, i := range idx {
		v[k] = scores[i]
		sum += scores[i]
		if active(i) {
			na++
		}
	}
	slices.Sort(v)
	m := len(v) / 2
	median = v[m]
	if len(v)%2 == 0 {
		median = (v[m-1] + v[m]) / 2
	}
	return sum / float64(len(idx)), median, float64(na) / float64(len(idx))
}

// Maturity turns the "all" rows of [Aggregate]'s output into sentences for
// the business: which strategies are strongest and weakest relative to each
// other (ranked by the share of customers active in them, ties broken by
// mean score), which reach fewer than one customer in ten, and, when the
// rows carry changes, which moved most since the previous window. It returns
// nil when aggs has no "all" rows.
func Maturity(aggs []GroupStats) []string {
	var rows []GroupStats
	for _, a := range aggs {
		if a.Dimension == "all" && a.Strategy != Composite {
			rows = append(rows, a)
		}
	}
	if len(rows) == 0 {
		return nil
	}
	slices.SortStableFunc(rows, func(a, b GroupStats) int {
		if a.ActiveShare != b.ActiveShare {
			if a.ActiveShare > b.ActiveShare {
				return -1
			}
			return 1
		}
		if a.Mean != b.Mean {
			if a.Mean > b.Mean {
				return -1
			}
			return 1
		}
		return 0
	})
	name := func(g GroupStats) string { return strings.ToUpper(g.Strategy) }
	pct := func(x float64) string { return fmt.Sprintf("%.0f%%", math.Round(x*100)) }
	best, worst := rows[0], rows[len(rows)-1]
	out := []string{fmt.Sprintf("%s is the strongest strategy: %s of customers are active in it (mean score %.1f).",
		name(best), pct(best.ActiveShare), best.Mean)}
	if len(rows) > 1 {
		out = append(out, fmt.Sprintf("%s is the weakest: %s active (mean score %.1f).",
			name(worst), pct(worst.ActiveShare), worst.Mean))
	}
	if len(rows) > 2 {
		mid := make([]string, 0, len(rows)-2)
		for _, r := range rows[1 : len(rows)-1] {
			mid = append(mid, fmt.Sprintf("%s %s active", name(r), pct(r.ActiveShare)))
		}
		out = append(out, "In between: "+strings.Join(mid, ", ")+".")
	}
	var low []string
	for _, r := range rows {
		if r.ActiveShare < 0.1 {
			low = append(low, name(r))
		}
	}
	if len(low) > 0 {
		out = append(out, fmt.Sprintf("Reaching fewer than 1 customer in 10: %s.", strings.Join(low, ", ")))
	}
	var up, down *GroupStats
	for i := range rows {
		r := &rows[i]
		if r.Change == nil {
			continue
		}
		if up == nil || *r.Change > *up.Change {
			up = r
		}
		if down == nil || *r.Change < *down.Change {
			down = r
		}
	}
	if up != nil && *up.Change > 0 {
		out = append(out, fmt.Sprintf("Largest rise since the previous window: %s (mean %+.1f points).", name(*up), *up.Change))
	}
	if down != nil && *down.Change < 0 {
		out = append(out, fmt.Sprintf("Largest fall since the previous window: %s (mean %+.1f points).", name(*down), *down.Change))
	}
	return out
}

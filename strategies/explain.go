package strategies

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/custnet/custnet/datasets"
)

// Explanation tells why a customer scored what they did. The engine stores
// it as JSON beside the scores.
type Explanation struct {
	CustomerID string              `json:"customer_id"`
	Composite  float64             `json:"composite"`
	Strategies []StrategyReasoning `json:"strategies"`
}

// StrategyReasoning explains one strategy score.
type StrategyReasoning struct {
	Strategy datasets.Strategy `json:"strategy"`
	Score    float64           `json:"score"`
	// Drivers are the features that moved the score most, largest effect
	// first: always the top two, and a third when it moved the score by at
	// least one point.
	Drivers []Driver `json:"drivers"`
	// Sentence reads, for example, "CONNECT 86: PageRank 0.0031 (top 3%);
	// communities linked 4 (top 10%)".
	Sentence string `json:"sentence"`
}

// Driver is one feature's part in a strategy score.
type Driver struct {
	Feature    string  `json:"feature"`
	Value      float64 `json:"value"`
	Percentile float64 `json:"percentile"`
	// Effect is how many points the feature moved the strategy score away
	// from the population's mean score: w·(p − mean p) / Σw. Positive
	// pushes the score up.
	Effect float64 `json:"effect"`
}

// Explain returns the explanation of customer i (an index into
// CustomerIDs).
func (r *Result) Explain(i int) Explanation {
	e := Explanation{CustomerID: r.CustomerIDs[i], Composite: round2(r.Composite[i])}
	var buf []Driver
	for si, s := range datasets.Strategies {
		buf = r.drivers(buf[:0], i, si)
		score := r.Scores[s][i]
		e.Strategies = append(e.Strategies, StrategyReasoning{
			Strategy: s,
			Score:    round2(score),
			Drivers:  slices.Clone(buf),
			Sentence: sentence(s, score, buf),
		})
	}
	return e
}

// maxDrivers is the most drivers an explanation names per strategy.
const maxDrivers = 3

// drivers appends to dst the drivers of customer i's score on strategy si
// (an index into [datasets.Strategies]): of the features with a positive
// weight, those with the largest |effect| (equal effects keep feature
// order), always two and a third when it moved the score by at least one
// point, with percentile and effect rounded to two decimals.
func (r *Result) drivers(dst []Driver, i, si int) []Driver {
	s := datasets.Strategies[si]
	var top [maxDrivers]Driver // the largest effects so far, in order
	n := 0
	for k, f := range features {
		w := r.cfg.featureW[k]
		if f.Strategy != s || w == 0 {
			continue
		}
		p := r.Percentiles[k][i]
		effect := w * (p - r.meanPct[k]) / r.weightSu[si]
		j := n
		for j > 0 && math.Abs(effect) > math.Abs(top[j-1].Effect) {
			j--
		}
		if j == len(top) {
			continue
		}
		copy(top[j+1:], top[j:n])
		top[j] = Driver{Feature: f.Name, Value: r.values.Columns[k][i], Percentile: p, Effect: effect}
		n = min(n+1, len(top))
	}
	keep := min(2, n)
	if n > 2 && math.Abs(top[2].Effect) >= 1 {
		keep = 3
	}
	for _, d := range top[:keep] {
		d.Percentile, d.Effect = round2(d.Percentile), round2(d.Effect)
		dst = append(dst, d)
	}
	return dst
}

// sentence renders "CONNECT 86: PageRank 0.0031 (top 3%); shares: none".
func sentence(s datasets.Strategy, score float64, ds []Driver) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %.0f", strings.ToUpper(string(s)), score)
	for j, d := range ds {
		if j == 0 {
			b.WriteString(": ")
		} else {
			b.WriteString("; ")
		}
		f := features[featureIndex[d.Feature]]
		if d.Percentile == 0 && (d.Value == 0 || f.gate != f.Name) {
			fmt.Fprintf(&b, "%s: none", f.Label)
			continue
		}
		fmt.Fprintf(&b, "%s %s (%s)", f.Label, formatValue(d.Value, f.Unit), rankPhrase(d.Percentile))
	}
	return b.String()
}

// rankPhrase turns a percentile into "top 3%" or "bottom 20%".
func rankPhrase(p float64) string {
	if p >= 50 {
		return fmt.Sprintf("top %d%%", max(1, int(math.Ceil(100-p-1e-9))))
	}
	return fmt.Sprintf("bottom %d%%", max(1, int(math.Ceil(p-1e-9))))
}

func formatValue(v float64, unit string) string {
	if unit == "share" {
		return strconv.FormatFloat(math.Round(v*100), 'f', -1, 64) + "%"
	}
	if v == math.Trunc(v) && math.Abs(v) < 1e15 {
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	return strconv.FormatFloat(v, 'g', 3, 64)
}

func round2(v float64) float64 { return math.Round(v*100) / 100 }

// Package growth fits how a cost grows with a size (the exponent k of
// cost = a·size^k), for the benchmark suite and for benchmarks that run
// one sub-benchmark per size.
package growth

import (
	"errors"
	"fmt"
	"math"
	"testing"
)

// Exponent fits cost = a·size^k by least squares on log(cost) against
// log(size) and returns k: 1 means the cost grows linearly with the size,
// 2 quadratically. With two points it is the slope between them,
// log(c2/c1)/log(s2/s1). Sizes and costs must be positive, and there must
// be at least two distinct sizes.
func Exponent(sizes, costs []float64) (float64, error) {
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

// Series follows a benchmark that runs one sub-benchmark per size, in
// increasing size order. The zero value is ready.
type Series struct {
	size, sec, peakMB float64 // the previous size's, size 0 before the first
}

// Next reports size's peak memory (peak-rss-MB, when known: peakMB > 0)
// and, from the second size on, the growth exponents of seconds and peak
// memory against the size before (time-growth-exp, rss-growth-exp) on b,
// and returns them in words for a log line ("" for the first size).
func (s *Series) Next(b *testing.B, size, sec, peakMB float64) string {
	if peakMB > 0 {
		b.ReportMetric(peakMB, "peak-rss-MB")
	}
	prev := *s
	*s = Series{size: size, sec: sec, peakMB: peakMB}
	if prev.size == 0 {
		return ""
	}
	words := ""
	if k, err := Exponent([]float64{prev.size, size}, []float64{prev.sec, sec}); err == nil {
		b.ReportMetric(k, "time-growth-exp")
		words = fmt.Sprintf("time %.2f", k)
	}
	if k, err := Exponent([]float64{prev.size, size}, []float64{prev.peakMB, peakMB}); err == nil {
		b.ReportMetric(k, "rss-growth-exp")
		words += fmt.Sprintf(", memory %.2f", k)
	}
	return "growth exponents: " + words
}

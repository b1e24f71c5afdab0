package growth

import (
	"flag"
	"math"
	"testing"
)

func TestExponent(t *testing.T) {
	tests := []struct {
		name         string
		sizes, costs []float64
		want         float64
	}{
		{"linear growth over three sizes gives 1", []float64{1, 10, 100}, []float64{1, 10, 100}, 1},
		{"a cost that quadruples when the size doubles gives 2", []float64{1, 2}, []float64{1, 4}, 2},
		{"a constant cost gives 0", []float64{1e6, 1e7, 1e8}, []float64{3, 3, 3}, 0},
		{"square-root growth gives 0.5", []float64{100, 10000}, []float64{10, 100}, 0.5},
		{"noisy linear points fit by least squares", []float64{1, 10, 100}, []float64{1, 20, 100}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Exponent(tt.sizes, tt.costs)
			if err != nil {
				t.Fatal(err)
			}
			if math.Abs(got-tt.want) > 1e-12 {
				t.Errorf("exponent %v, want %v", got, tt.want)
			}
		})
	}
}

func TestExponentRefusesBadInput(t *testing.T) {
	for name, in := range map[string][2][]float64{
		"one point":           {{10}, {1}},
		"one distinct size":   {{10, 10}, {1, 2}},
		"a zero cost":         {{1, 10}, {0, 1}},
		"a negative size":     {{-1, 10}, {1, 1}},
		"lengths that differ": {{1, 10}, {1}},
	} {
		t.Run(name, func(t *testing.T) {
			if k, err := Exponent(in[0], in[1]); err == nil {
				t.Errorf("got %v, want an error", k)
			}
		})
	}
}

// TestSeriesReportsAgainstThePreviousSize feeds three sizes through one
// Series, each in a benchmark of its own as sub-benchmarks are, and checks
// the metrics each reports: none for the first, then the exponents
// against the size before (time 1 then 2, memory 0 then 1), and no memory
// metric when the peak is unknown.
func TestSeriesReportsAgainstThePreviousSize(t *testing.T) {
	// One iteration per benchmark, not a second's worth.
	bt := flag.Lookup("test.benchtime")
	old := bt.Value.String()
	if err := bt.Value.Set("1x"); err != nil {
		t.Fatal(err)
	}
	defer bt.Value.Set(old)
	var s Series
	step := func(size, sec, peakMB float64) (map[string]float64, string) {
		var words string
		r := testing.Benchmark(func(b *testing.B) {
			for b.Loop() {
			}
			words = s.Next(b, size, sec, peakMB)
		})
		return r.Extra, words
	}
	near := func(m map[string]float64, k string, want float64) bool {
		v, ok := m[k]
		return ok && math.Abs(v-want) < 1e-12
	}
	if m, w := step(1e3, 1, 10); w != "" || len(m) != 1 || !near(m, "peak-rss-MB", 10) {
		t.Errorf("first size: metrics %v, words %q; want the peak only", m, w)
	}
	if m, w := step(1e4, 10, 10); !near(m, "time-growth-exp", 1) || !near(m, "rss-growth-exp", 0) || w != "growth exponents: time 1.00, memory 0.00" {
		t.Errorf("second size: metrics %v, words %q", m, w)
	}
	if m, w := step(1e5, 1000, 100); !near(m, "time-growth-exp", 2) || !near(m, "rss-growth-exp", 1) || w != "growth exponents: time 2.00, memory 1.00" {
		t.Errorf("third size: metrics %v, words %q", m, w)
	}
	if m, _ := step(1e6, 1000, 0); !near(m, "time-growth-exp", 0) {
		t.Errorf("unknown peak: metrics %v, want the time exponent", m)
	} else if _, ok := m["rss-growth-exp"]; ok {
		t.Errorf("unknown peak: metrics %v, want no memory exponent", m)
	}
}

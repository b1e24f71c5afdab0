// Package reftimes reads the timings that graph/testdata/pagerank_ref.py
// prints, for the benchmark suite and graph's benchmarks.
package reftimes

import (
	"strconv"
	"strings"
)

// Timing is one line of the script's output: "<impl> <dataset> <nodes>
// <edges> <seconds>".
type Timing struct {
	Impl, Dataset string
	Nodes, Edges  int64
	Seconds       float64
}

// Parse returns the timings in out; lines of another shape are skipped.
func Parse(out []byte) []Timing {
	var ts []Timing
	for line := range strings.Lines(string(out)) {
		f := strings.Fields(line)
		if len(f) != 5 {
			continue
		}
		nodes, err1 := strconv.ParseInt(f[2], 10, 64)
		edges, err2 := strconv.ParseInt(f[3], 10, 64)
		sec, err3 := strconv.ParseFloat(f[4], 64)
		if err1 != nil || err2 != nil || err3 != nil {
			continue
		}
		ts = append(ts, Timing{Impl: f[0], Dataset: f[1], Nodes: nodes, Edges: edges, Seconds: sec})
	}
	return ts
}

package strategies_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/custnet/custnet/datasets"
	"github.com/custnet/custnet/strategies"
)

func ExampleParseConfig() {
	_, err := strategies.ParseConfig(strings.NewReader("features:\n  pagerank: 2\n  pagernk: 1\n"), "strategies.yaml")
	fmt.Println(err)
	// Output: strategies.yaml:3: unknown feature "pagernk"
}

func ExampleScore() {
	// Three customers; only c has shared anything.
	t := strategies.NewFeatureTable(3)
	t.CustomerIDs = append(t.CustomerIDs, "a", "b", "c")
	for k, f := range strategies.Features() {
		v := []float64{0, 0, 0}
		switch f.Name {
		case "shares":
			v[2] = 4
		case "recency_days", "median_gap_days":
			v = []float64{90, 90, 90} // no activity: the window length
		}
		t.Columns[k] = v
	}
	res, err := strategies.Score(context.Background(), t, nil)
	if err != nil {
		panic(err)
	}
	// shares percentile of c: (2 below + ½·1 equal)/3·100 = 83.3; CONNECT
	// averages it with nine zero percentiles.
	fmt.Printf("%.2f %.2f\n", res.Scores[datasets.Connect][2], res.Scores[datasets.Connect][0])
	fmt.Println(res.Explain(2).Strategies[3].Sentence)
	// Output:
	// 8.33 0.00
	// CONNECT 8: shares 4 (top 17%); customers linking in: none
}

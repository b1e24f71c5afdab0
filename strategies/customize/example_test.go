package customize_test

import (
	"bytes"
	"context"
	"fmt"

	"github.com/custnet/custnet/strategies/customize"
)

// Build a matrix from string ids, fit EASE, recommend with a reason, and
// round-trip the model through its file format.
func Example() {
	b := customize.NewBuilder()
	for _, r := range []struct{ who, what string }{
		{"ann", "tea"}, {"ann", "cake"},
		{"bob", "tea"}, {"bob", "cake"}, {"bob", "jam"},
		{"cat", "cake"}, {"cat", "jam"},
		{"dan", "tea"},
	} {
		b.Add(r.who, r.what, 1)
	}
	m, stats, err := b.Build()
	if err != nil {
		panic(err)
	}
	fmt.Printf("%d customers, %d items, %d ratings\n", stats.Customers, stats.Items, stats.Ratings)

	model, err := customize.Fit(context.Background(), m, customize.EASEOptions{Lambda: 1})
	if err != nil {
		panic(err)
	}
	var file bytes.Buffer
	if err := customize.Save(&file, model); err != nil {
		panic(err)
	}
	loaded, err := customize.Load(&file)
	if err != nil {
		panic(err)
	}
	dan, _ := m.CustomerIndex("dan")
	for _, r := range loaded.TopN(dan, 1, true) {
		fmt.Printf("%s: %s (%.3f), because dan rated %s %g\n", loaded.Name(), m.ItemID(r.Item), r.Score, m.ItemID(r.Because), r.BecauseRating)
	}
	// Output:
	// 4 customers, 3 items, 8 ratings
	// ease: cake (0.364), because dan rated tea 1
}

package engine

import (
	"math/rand/v2"
	"sort"

	"github.com/custnet/custnet/datasets"
)

// sortByDesc sorts idx by key descending, ties by index ascending.
func sortByDesc(idx []int, key func(int) float64) {
	sort.SliceStable(idx, func(a, b int) bool { return key(idx[a]) > key(idx[b]) })
}

func newPCG(seed uint64) rand.Source { return rand.NewPCG(seed, seed^0x9e3779b97f4a7c15) }

// itemActionsSQL lists the actions that link a customer to an item for the
// bipartite and co-activity graphs: engage, customize and commerce.
func itemActionsSQL() string {
	s := ""
	for _, a := range datasets.Vocabulary() {
		switch a.Strategy {
		case datasets.Engage, datasets.Customize, datasets.Commerce:
			if s != "" {
				s += ", "
			}
			s += quote(a.Name)
		}
	}
	return s
}

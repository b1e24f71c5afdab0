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
// It uses the bucket algorithm of Batagelj and Zaversnik, "An O(m)
// algorithm for cores decomposition of networks", 2003: O(n + m) time and
// O(n) extra memory.
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
	maxDeg := int32(0)
	for x := 0; x < n; x++ {
		deg[x] = int32(u.off[x+1] - u.off[x])
		maxDeg = max(maxDeg, deg[x])
	}
	bin := make([]int32, maxDeg+2)
	for _, d := range deg {
		bin[d+1]++
	}
	for d := int32(0); d <= maxDeg; d++ {
		bin[d+1] += bin[d]
	}
	// bin[d] is now the first position of degree d in vert.
	pos := make([]int32, n)
	vert := make([]int32, n)
	next := append([]int32(nil), bin...)
	for x := 0; x < n; x++ {
		p := next[deg[x]]
		next[deg[x]]++
		pos[x], vert[p] = p, int32(x)
	}
	for i := 0; i < n; i++ {
		if i&0xffff == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		v := vert[i]
		for _, w := range u.adj[u.off[v]:u.off[v+1]] {
			if deg[w] > deg[v] {
				dw := deg[w]
				pw, pf := pos[w], bin[dw]
				f := vert[pf]
				if f != w {
					vert[pw], vert[pf] = f, w
					pos[f], pos[w] = pw, pf
				}
				bin[dw]++
				deg[w]--
			}
		}
	}
	return deg, nil
}

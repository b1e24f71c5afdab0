package graph

import (
	"context"
	"fmt"
)

// Participation returns the participation coefficient of every node with
// respect to the partition of (for example from [Louvain]) (Guimerà and
// Amaral, "Functional cartography of complex metabolic networks", 2005):
//
//	P(i) = 1 − Σ_c (k_ic / k_i)²
//
// where k_ic is the weight of i's edges to nodes of community c in the
// undirected weighted view (w{u,v} = w(u→v)+w(v→u), loops excluded) and
// k_i = Σ_c k_ic. P(i) = 0 for nodes without such edges. O(n + m), on
// every core.
func Participation(ctx context.Context, g *Graph, of []int32) ([]float64, error) {
	if len(of) != g.n {
		return nil, fmt.Errorf("participation: %d labels for %d nodes", len(of), g.n)
	}
	u, err := g.undirectedView(ctx)
	if err != nil {
		return nil, fmt.Errorf("participation: %w", err)
	}
	k := int32(0)
	for _, c := range of {
		if c < 0 {
			return nil, fmt.Errorf("participation: negative community %d", c)
		}
		k = max(k, c+1)
	}
	p := make([]float64, g.n)
	// Nodes are independent: ranges of similar numbers of entries run on
	// every core.
	b := chunks(u.off, parWorkers(len(u.adj)))
	err = parallel(ctx, len(b)-1, func(part int) {
		s := newCommunitySums(int(k))
		for x := b[part]; x < b[part+1]; x++ {
			if x&0xffff == 0 && ctx.Err() != nil {
				return
			}
			ki := 0.0
			for j := u.off[x]; j < u.off[x+1]; j++ {
				s.add(of[u.adj[j]], u.w[j])
				ki += u.w[j]
			}
			if ki > 0 {
				sq := 0.0
				for _, c := range s.order {
					f := s.sum[c] / ki
					sq += f * f
				}
				p[x] = 1 - sq
			}
			s.clear()
		}
	})
	if err != nil {
		return nil, fmt.Errorf("participation: %w", err)
	}
	return p, nil
}

package graph

import (
	"context"
	"fmt"
)

// Components holds the weakly connected components of a graph.
type Components struct {
	// ID holds each node's component. Components are numbered 0..k-1 in
	// order of their smallest node.
	ID []int32
	// Size holds the number of nodes of each component, indexed by ID.
	Size []int32
}

// Largest returns the ID of the largest component (the smallest ID among
// ties) or -1 for the empty graph.
func (c Components) Largest() int32 {
	best := int32(-1)
	for i, s := range c.Size {
		if best < 0 || s > c.Size[best] {
			best = int32(i)
		}
	}
	return best
}

// WeakComponents returns the weakly connected components of g: the
// components of its undirected view. It uses union–find with union by
// index and path halving, in O(m·α(n)) time and O(n) memory.
func WeakComponents(ctx context.Context, g *Graph) (Components, error) {
	n := g.n
	parent := make([]int32, n)
	for i := range parent {
		parent[i] = int32(i)
	}
	find := func(x int32) int32 {
		for parent[x] != x {
			parent[x] = parent[parent[x]]
			x = parent[x]
		}
		return x
	}
	for u := 0; u < n; u++ {
		if u&0xffff == 0 {
			if err := ctx.Err(); err != nil {
				return Components{}, fmt.Errorf("components: %w", err)
			}
		}
		for _, v := range g.outAdj[g.outOff[u]:g.outOff[u+1]] {
			a, b := find(int32(u)), find(v)
			if a == b {
				continue
			}
			// The smaller index becomes the root, so a root is always
			// its component's smallest node.
			if a < b {
				parent[b] = a
			} else {
				parent[a] = b
			}
		}
	}
	c := Components{ID: make([]int32, n)}
	for u := 0; u < n; u++ {
		r := find(int32(u))
		if r == int32(u) {
			c.ID[u] = int32(len(c.Size))
			c.Size = append(c.Size, 0)
		} else {
			c.ID[u] = c.ID[r]
		}
		c.Size[c.ID[u]]++
	}
	return c, nil
}

package graph

import (
	"context"
	"fmt"
)

// undirected is the undirected simple view of a Graph: for u != v the
// edge {u,v} exists when u→v or v→u does, with weight w(u→v)+w(v→u).
// Self-loops are kept aside in loop (weight w(u→u)). Rows are sorted.
type undirected struct {
	n    int
	off  []int64
	adj  []int32
	w    []float64
	loop []float64
}

// undirectedView returns the graph's undirected view, building it on first
// use and caching it on the graph.
func (g *Graph) undirectedView(ctx context.Context) (*undirected, error) {
	g.uMu.Lock()
	defer g.uMu.Unlock()
	if g.u != nil {
		return g.u, nil
	}
	u, err := buildUndirected(ctx, g)
	if err != nil {
		return nil, fmt.Errorf("undirected view: %w", err)
	}
	g.u = u
	return u, nil
}

// buildUndirected merges each node's sorted out- and in-lists, in two
// parallel passes (count, then fill). O(n + m).
func buildUndirected(ctx context.Context, g *Graph) (*undirected, error) {
	n := g.n
	u := &undirected{n: n, off: make([]int64, n+1), loop: make([]float64, n)}
	deg := u.off[1:]
	bounds := chunks(g.outOff, 8*workers())
	parts := len(bounds) - 1
	merge := func(x int, emit func(v int32, w float64)) {
		oa, ob := g.outOff[x], g.outOff[x+1]
		ia, ib := g.inOff[x], g.inOff[x+1]
		for oa < ob || ia < ib {
			var v int32
			var w float64
			switch {
			case ia >= ib || (oa < ob && g.outAdj[oa] < g.inAdj[ia]):
				v, w = g.outAdj[oa], g.outW[oa]
				oa++
			case oa >= ob || g.inAdj[ia] < g.outAdj[oa]:
				v, w = g.inAdj[ia], g.inW[ia]
				ia++
			default:
				v, w = g.outAdj[oa], g.outW[oa]+g.inW[ia]
				oa++
				ia++
			}
			emit(v, w)
		}
	}
	err := parallel(ctx, parts, func(p int) {
		for x := bounds[p]; x < bounds[p+1]; x++ {
			c := int64(0)
			merge(x, func(v int32, w float64) {
				if v != int32(x) {
					c++
				}
			})
			deg[x] = c
		}
	})
	if err != nil {
		return nil, err
	}
	for x := 0; x < n; x++ {
		u.off[x+1] += u.off[x]
	}
	m := u.off[n]
	u.adj = make([]int32, m)
	u.w = make([]float64, m)
	err = parallel(ctx, parts, func(p int) {
		for x := bounds[p]; x < bounds[p+1]; x++ {
			k := u.off[x]
			merge(x, func(v int32, w float64) {
				if v == int32(x) {
					// a loop appears in both lists with the same weight
					u.loop[x] = w / 2
					return
				}
				u.adj[k], u.w[k] = v, w
				k++
			})
		}
	})
	if err != nil {
		return nil, err
	}
	return u, nil
}

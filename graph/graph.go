package graph

import (
	"context"
	"fmt"
	"sync"
)

// EdgeList is a directed edge list over dense node indices 0..n-1. Src and
// Dst have equal length; W, when not nil, has the same length and holds the
// weight of each edge (nil means every edge weighs 1). Weights must be
// finite and non-negative.
type EdgeList struct {
	Src, Dst []int32
	W        []float64
}

// Len returns the number of edges in the list.
func (e EdgeList) Len() int { return len(e.Src) }

// Graph is an immutable directed weighted graph over nodes 0..n-1, held as
// CSR (out-edges) and CSC (in-edges) arrays with neighbours sorted by index.
//
// Parallel edges are merged into one edge whose weight is the sum of theirs.
// Self-loops are kept: a loop u→u counts once in u's out-degree and once in
// its in-degree (as networkx does for a DiGraph), takes part in PageRank and
// strength, and is ignored by [CoreNumbers], [Clustering] and
// [Betweenness]; [Louvain] counts it as internal weight of u's community.
//
// A Graph is safe for concurrent use by multiple goroutines.
type Graph struct {
	n      int
	outOff []int64
	outAdj []int32
	outW   []float64
	inOff  []int64
	inAdj  []int32
	inW    []float64
	unit   bool // every merged weight is exactly 1
	// symmetric: an undirected graph without loops, each edge stored in
	// both directions ([Bipartite.Undirected]); [Analyze]'s summary counts
	// each pair once.
	symmetric bool

	uMu sync.Mutex
	u   *undirected // cached undirected view, built on first use
}

// Nodes returns the number of nodes.
func (g *Graph) Nodes() int { return g.n }

// Edges returns the number of distinct directed edges (parallel edges
// merged, self-loops included).
func (g *Graph) Edges() int { return len(g.outAdj) }

// Out returns the out-neighbours of u in increasing order and the weights
// of those edges. The slices alias the graph and must not be modified.
func (g *Graph) Out(u int32) (nbrs []int32, w []float64) {
	a, b := g.outOff[u], g.outOff[u+1]
	return g.outAdj[a:b], g.outW[a:b]
}

// In returns the in-neighbours of v in increasing order and the weights of
// those edges. The slices alias the graph and must not be modified.
func (g *Graph) In(v int32) (nbrs []int32, w []float64) {
	a, b := g.inOff[v], g.inOff[v+1]
	return g.inAdj[a:b], g.inW[a:b]
}

// Build returns the graph on n nodes with the edges of el. Parallel edges
// are summed and self-loops kept (see [Graph]).
//
// It runs two stable counting sorts (by destination, then by source), so it
// takes O(n + m) time and O(n + m) extra memory for m edges.
func Build(ctx context.Context, n int, el EdgeList) (*Graph, error) {
	m := len(el.Src)
	if n < 0 || int64(n) > 1<<31-1 {
		return nil, fmt.Errorf("build graph: %d nodes out of range", n)
	}
	if len(el.Dst) != m || (el.W != nil && len(el.W) != m) {
		return nil, fmt.Errorf("build graph: edge list columns differ in length (src %d, dst %d, w %d)", m, len(el.Dst), len(el.W))
	}
	for i := 0; i < m; i++ {
		if u, v := el.Src[i], el.Dst[i]; u < 0 || int(u) >= n || v < 0 || int(v) >= n {
			return nil, fmt.Errorf("build graph: edge %d (%d→%d) outside 0..%d", i, u, v, n-1)
		}
		if el.W != nil {
			if w := el.W[i]; !(w >= 0) || w > maxWeight {
				return nil, fmt.Errorf("build graph: edge %d weight %v is not finite and non-negative", i, w)
			}
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	// Pass 1: stable counting sort by destination.
	dOff := counts(n, el.Dst)
	bySrc := make([]int32, m)
	byW := make([]float64, m)
	byDst := make([]int32, m)
	pos := append([]int64(nil), dOff[:n]...)
	for i := 0; i < m; i++ {
		v := el.Dst[i]
		p := pos[v]
		pos[v]++
		bySrc[p], byDst[p] = el.Src[i], v
		if el.W != nil {
			byW[p] = el.W[i]
		} else {
			byW[p] = 1
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	// Pass 2: stable counting sort by source; rows come out sorted by dst.
	sOff := counts(n, bySrc)
	adj := make([]int32, m)
	w := make([]float64, m)
	copy(pos, sOff[:n])
	for i := 0; i < m; i++ {
		u := bySrc[i]
		p := pos[u]
		pos[u]++
		adj[p], w[p] = byDst[i], byW[i]
	}
	bySrc, byDst, byW = nil, nil, nil
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	// Merge parallel edges in place.
	g := &Graph{n: n, outOff: make([]int64, n+1), unit: true}
	k := int64(0)
	for u := 0; u < n; u++ {
		a, b := sOff[u], sOff[u+1]
		start := k
		for i := a; i < b; i++ {
			if k > start && adj[k-1] == adj[i] {
				w[k-1] += w[i]
				continue
			}
			adj[k], w[k] = adj[i], w[i]
			k++
		}
		g.outOff[u+1] = k
	}
	g.outAdj, g.outW = adj[:k:k], w[:k:k]
	for _, x := range g.outW {
		if x != 1 {
			g.unit = false
			break
		}
	}
	g.transpose()
	return g, nil
}

const maxWeight = 1.7976931348623157e308

// counts returns CSR offsets (length n+1) for the keys.
func counts(n int, keys []int32) []int64 {
	off := make([]int64, n+1)
	for _, k := range keys {
		off[k+1]++
	}
	for i := 0; i < n; i++ {
		off[i+1] += off[i]
	}
	return off
}

// transpose fills the CSC arrays from the CSR arrays; since rows are walked
// in increasing source order, each column comes out sorted.
func (g *Graph) transpose() {
	n, m := g.n, len(g.outAdj)
	g.inOff = counts(n, g.outAdj)
	g.inAdj = make([]int32, m)
	g.inW = make([]float64, m)
	pos := append([]int64(nil), g.inOff[:n]...)
	for u := 0; u < n; u++ {
		for i := g.outOff[u]; i < g.outOff[u+1]; i++ {
			v := g.outAdj[i]
			p := pos[v]
			pos[v]++
			g.inAdj[p], g.inW[p] = int32(u), g.outW[i]
		}
	}
}

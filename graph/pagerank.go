package graph

import (
	"context"
	"fmt"
	"math"
)

// PageRankOptions configure [PageRank]. The zero value gives the defaults
// below.
type PageRankOptions struct {
	// Damping is the probability of following an edge; 0 means 0.85.
	Damping float64
	// Tol stops the iteration once the L1 change between iterates is below
	// it; 0 means 1e-10.
	Tol float64
	// MaxIter bounds the number of iterations; 0 means 200.
	MaxIter int
	// Progress, when not nil, is called after each iteration with the
	// iteration count and MaxIter.
	Progress func(done, total int)
}

// PageRankResult is the outcome of [PageRank].
type PageRankResult struct {
	// Rank holds the PageRank of each node; it sums to 1.
	Rank []float64
	// Iterations is the number of iterations run.
	Iterations int
	// Delta is the L1 change of the last iteration; Delta >= Tol means the
	// iteration stopped at MaxIter without converging.
	Delta float64
}

// PageRank returns the weighted PageRank of every node (Page, Brin, Motwani
// and Winograd, "The PageRank citation ranking", 1999):
//
//	x'(v) = (1-d)/n + d·( Σ_{u→v} x(u)·w(u,v)/s(u) + Σ_{s(u)=0} x(u)/n )
//
// where s(u) is the out-strength of u. The mass of dangling nodes (no
// out-weight) is spread uniformly and the teleport vector is uniform, as in
// networkx.pagerank with its default arguments. Power iteration starts at
// x = 1/n and stops when ‖x'−x‖₁ < Tol or after MaxIter iterations; the
// error to the fixed point is then below Tol·d/(1−d).
//
// Each iteration is a sparse pull over the in-edge (CSC) arrays, parallel
// over rows on GOMAXPROCS goroutines and deterministic: O(n + m) time per
// iteration, O(n) extra memory. The empty graph has an empty rank.
func PageRank(ctx context.Context, g *Graph, opts PageRankOptions) (PageRankResult, error) {
	d, tol, maxIter := opts.Damping, opts.Tol, opts.MaxIter
	if d == 0 {
		d = 0.85
	}
	if tol == 0 {
		tol = 1e-10
	}
	if maxIter == 0 {
		maxIter = 200
	}
	if !(d > 0 && d < 1) || !(tol > 0) || maxIter < 0 {
		return PageRankResult{}, fmt.Errorf("pagerank: invalid options (damping %v, tol %v, max iter %d)", d, tol, maxIter)
	}
	n := g.n
	if n == 0 {
		return PageRankResult{Rank: []float64{}}, nil
	}
	inv := make([]float64, n)
	for u := 0; u < n; u++ {
		if s := sum(g.outW[g.outOff[u]:g.outOff[u+1]]); s > 0 {
			inv[u] = 1 / s
		}
	}
	x := make([]float64, n)
	next := make([]float64, n)
	y := make([]float64, n)
	for i := range x {
		x[i] = 1 / float64(n)
	}
	bounds := chunks(g.inOff, 8*workers())
	parts := len(bounds) - 1
	dangle := make([]float64, parts)
	diff := make([]float64, parts)
	res := PageRankResult{Delta: math.Inf(1)}
	unit := g.unit
	for it := 1; it <= maxIter; it++ {
		// y = x / s, and the dangling mass, by chunk.
		err := parallel(ctx, parts, func(p int) {
			dm := 0.0
			for u := bounds[p]; u < bounds[p+1]; u++ {
				y[u] = x[u] * inv[u]
				if inv[u] == 0 {
					dm += x[u]
				}
			}
			dangle[p] = dm
		})
		if err != nil {
			return PageRankResult{}, fmt.Errorf("pagerank: %w", err)
		}
		base := (1 - d + d*sum(dangle)) / float64(n)
		err = parallel(ctx, parts, func(p int) {
			df := 0.0
			off, adj, w := g.inOff, g.inAdj, g.inW
			for v := bounds[p]; v < bounds[p+1]; v++ {
				a, b := off[v], off[v+1]
				acc := 0.0
				if unit {
					for _, u := range adj[a:b] {
						acc += y[u]
					}
				} else {
					ws := w[a:b]
					for i, u := range adj[a:b] {
						acc += y[u] * ws[i]
					}
				}
				nv := base + d*acc
				df += math.Abs(nv - x[v])
				next[v] = nv
			}
			diff[p] = df
		})
		if err != nil {
			return PageRankResult{}, fmt.Errorf("pagerank: %w", err)
		}
		x, next = next, x
		res.Iterations, res.Delta = it, sum(diff)
		if opts.Progress != nil {
			opts.Progress(it, maxIter)
		}
		if res.Delta < tol {
			break
		}
	}
	res.Rank = x
	return res, nil
}

package graph

import (
	"context"
	"fmt"
	"math/rand/v2"
)

// LouvainOptions configure [Louvain]. The zero value gives the defaults
// below.
type LouvainOptions struct {
	// Resolution is γ in the modularity below; 0 means 1.
	Resolution float64
	// Threshold stops the aggregation once a level raises modularity by no
	// more than it (as networkx.louvain_communities); 0 means 1e-7.
	Threshold float64
	// MaxLevels bounds the number of aggregation levels; 0 means no bound.
	MaxLevels int
	// Source drives the random node order of each level; nil means
	// rand.NewPCG(1, 2). The result is deterministic for a given source
	// state.
	Source rand.Source
	// Progress, when not nil, is called after each level with the level
	// count and MaxLevels (0 when unbounded).
	Progress func(done, total int)
}

// Communities is a partition of the nodes found by [Louvain].
type Communities struct {
	// Of holds each node's community; communities are numbered 0..k-1 in
	// order of their smallest node.
	Of []int32
	// Size holds the number of nodes of each community.
	Size []int32
	// Modularity is Q of the partition on the undirected weighted view.
	Modularity float64
	// Levels is the number of aggregation levels run.
	Levels int
}

// Louvain partitions g into communities by greedy modularity maximisation
// with multi-level aggregation (Blondel, Guillaume, Lambiotte and Lefebvre,
// "Fast unfolding of communities in large networks", 2008). It works on the
// undirected weighted view: w{u,v} = w(u→v) + w(v→u) for u ≠ v, and a loop
// u→u keeps weight w(u→u) and counts as internal weight of u's community.
// It maximises
//
//	Q = Σ_c [ L_c/m − γ·(K_c/2m)² ]
//
// where m is the total weight, L_c the weight inside c and K_c the summed
// weighted degree of c's nodes (loops count twice in degrees), which is
// networkx.community.modularity on that view.
//
// Each level visits nodes in a random order drawn from opts.Source and
// moves each to the neighbouring community of largest gain
// k_{i,c} − γ·K_c·k_i/2m until no node gains, re-visiting only neighbours
// of moved nodes (Traag et al.'s fast local move); then communities become
// the nodes of the next level. When levels stop, the final partition is
// refined level by level from the coarsest to the original graph (moving
// single nodes again, Rotta and Noack 2011) and, if any moved, aggregation
// resumes (at most two such refinement rounds); this only raises Q. A sweep is O(m) with dense scratch arrays (no maps); the
// number of sweeps is small in practice (total time near-linear in m). A
// graph with no edge weight leaves every node in its own community, Q = 0.
func Louvain(ctx context.Context, g *Graph, opts LouvainOptions) (Communities, error) {
	u, err := g.undirectedView(ctx)
	if err != nil {
		return Communities{}, fmt.Errorf("louvain: %w", err)
	}
	c, err := u.louvain(ctx, opts)
	if err != nil {
		return Communities{}, fmt.Errorf("louvain: %w", err)
	}
	return c, nil
}

// level is one Louvain level: a symmetric weighted graph without loops in
// CSR form plus loop weights and weighted degrees.
type level struct {
	n    int
	off  []int64
	adj  []int32
	w    []float64
	loop []float64
	k    []float64
}

func (u *undirected) louvain(ctx context.Context, opts LouvainOptions) (Communities, error) {
	gamma, thr := opts.Resolution, opts.Threshold
	if gamma == 0 {
		gamma = 1
	}
	if thr == 0 {
		thr = 1e-7
	}
	src := opts.Source
	if src == nil {
		src = rand.NewPCG(1, 2)
	}
	rng := rand.New(src)
	n := u.n
	L := &level{n: n, off: u.off, adj: u.adj, w: u.w, loop: u.loop, k: make([]float64, n)}
	m2 := 0.0
	for x := 0; x < n; x++ {
		L.k[x] = sum(u.w[u.off[x]:u.off[x+1]]) + 2*u.loop[x]
		m2 += L.k[x]
	}
	of := make([]int32, n)
	for x := range of {
		of[x] = int32(x)
	}
	res := Communities{}
	if m2 > 0 {
		L0 := L
		q := L.modularity(of, n, gamma, m2)
		lv := 0
		// stack[i] is a level and maps[i] sends its nodes to stack[i+1]'s.
		stack := []*level{L0}
		var maps [][]int32
		for round := 0; round <= refineRounds; round++ {
			for opts.MaxLevels == 0 || lv < opts.MaxLevels {
				top := stack[len(stack)-1]
				comm, k, moved, err := top.moveNodes(ctx, rng, nil, gamma, m2)
				if err != nil {
					return Communities{}, err
				}
				if !moved {
					break
				}
				maps = append(maps, comm)
				lv++
				res.Levels = lv
				if opts.Progress != nil {
					opts.Progress(lv, opts.MaxLevels)
				}
				nq := top.modularity(comm, k, gamma, m2)
				if nq-q <= thr {
					break
				}
				q = nq
				stack = append(stack, top.aggregate(comm, k))
			}
			if len(maps) == 0 {
				break
			}
			// Multi-level refinement (Rotta and Noack, "Multilevel local
			// search algorithms for modularity clustering", 2011): from the
			// coarsest level to the original graph, start from the final
			// partition and move single nodes again.
			lab := maps[len(maps)-1]
			refined := false
			k := 0
			for i := len(maps) - 2; i >= 0; i-- {
				init := make([]int32, len(maps[i]))
				for x, y := range maps[i] {
					init[x] = lab[y]
				}
				var moved bool
				var err error
				lab, k, moved, err = stack[i].moveNodes(ctx, rng, init, gamma, m2)
				if err != nil {
					return Communities{}, err
				}
				refined = refined || moved
			}
			of = lab
			if !refined || len(maps) == 1 {
				break
			}
			q = L0.modularity(of, k, gamma, m2)
			stack = []*level{L0, L0.aggregate(of, k)}
			maps = [][]int32{of}
		}
	}
	// Renumber by smallest node and measure on the original view.
	res.Of = renumber(of)
	k := 0
	for _, c := range res.Of {
		k = max(k, int(c)+1)
	}
	res.Size = make([]int32, k)
	for _, c := range res.Of {
		res.Size[c]++
	}
	if m2 > 0 {
		L0 := &level{n: n, off: u.off, adj: u.adj, w: u.w, loop: u.loop, k: make([]float64, n)}
		for x := 0; x < n; x++ {
			L0.k[x] = sum(u.w[u.off[x]:u.off[x+1]]) + 2*u.loop[x]
		}
		res.Modularity = L0.modularity(res.Of, k, gamma, m2)
	}
	return res, nil
}

// renumber maps labels to 0..k-1 in order of first appearance.
func renumber(lab []int32) []int32 {
	id := make([]int32, len(lab))
	for i := range id {
		id[i] = -1
	}
	out := make([]int32, len(lab))
	k := int32(0)
	for i, c := range lab {
		if id[c] < 0 {
			id[c] = k
			k++
		}
		out[i] = id[c]
	}
	return out
}

// modularity returns Q of the partition comm (k communities) of L.
func (L *level) modularity(comm []int32, k int, gamma, m2 float64) float64 {
	in := make([]float64, k)
	tot := make([]float64, k)
	for x := 0; x < L.n; x++ {
		c := comm[x]
		tot[c] += L.k[x]
		in[c] += 2 * L.loop[x]
		for j := L.off[x]; j < L.off[x+1]; j++ {
			if comm[L.adj[j]] == c {
				in[c] += L.w[j]
			}
		}
	}
	q := 0.0
	for c := 0; c < k; c++ {
		f := tot[c] / m2
		q += in[c]/m2 - gamma*f*f
	}
	return q
}

// refineRounds bounds the refinement rounds after the level loop.
const refineRounds = 2

// moveNodes moves single nodes to the neighbouring community of largest
// modularity gain until none gains. Nodes are visited from a FIFO queue
// seeded with all nodes in random order; when a node moves, its neighbours
// outside its new community are queued again (the "fast local move" of
// Traag, Waltman and van Eck, "From Louvain to Leiden", 2019), so later
// sweeps touch only the part of the graph that changed. It returns the
// communities renumbered 0..k-1 by smallest node, k, and whether any node
// moved. init, when not nil, is the starting partition (labels below L.n);
// nil starts from singletons.
func (L *level) moveNodes(ctx context.Context, rng *rand.Rand, init []int32, gamma, m2 float64) ([]int32, int, bool, error) {
	n := L.n
	comm := make([]int32, n)
	tot := make([]float64, n)
	for x := 0; x < n; x++ {
		comm[x] = int32(x)
		if init != nil {
			comm[x] = init[x]
		}
		tot[comm[x]] += L.k[x]
	}
	queue := make([]int32, n) // ring buffer; a node is queued at most once
	for x := range queue {
		queue[x] = int32(x)
	}
	rng.Shuffle(n, func(i, j int) { queue[i], queue[j] = queue[j], queue[i] })
	inQ := make([]bool, n)
	for x := range inQ {
		inQ[x] = true
	}
	head, size := 0, n
	nw := make([]float64, n)
	seen := make([]bool, n)
	touched := make([]int32, 0, 64)
	moved := false
	// Each move raises Q strictly, so the queue empties; the bound only
	// guards against rounding ping-pong.
	for visits := 0; size > 0 && visits < maxVisitsPerNode*n; visits++ {
		if visits&0x3fff == 0 {
			if err := ctx.Err(); err != nil {
				return nil, 0, false, err
			}
		}
		x := queue[head]
		head++
		if head == n {
			head = 0
		}
		size--
		inQ[x] = false
		cx, kx := comm[x], L.k[x]
		a, b := L.off[x], L.off[x+1]
		for j := a; j < b; j++ {
			c := comm[L.adj[j]]
			if !seen[c] {
				seen[c] = true
				nw[c] = 0
				touched = append(touched, c)
			}
			nw[c] += L.w[j]
		}
		tot[cx] -= kx
		f := gamma * kx / m2
		stay := -f * tot[cx]
		if seen[cx] {
			stay += nw[cx]
		}
		best, bestGain := cx, stay
		for _, c := range touched {
			if g := nw[c] - f*tot[c]; g > bestGain {
				best, bestGain = c, g
			}
		}
		tot[best] += kx
		for _, c := range touched {
			seen[c] = false
		}
		touched = touched[:0]
		if best == cx {
			continue
		}
		comm[x] = best
		moved = true
		for _, y := range L.adj[a:b] {
			if !inQ[y] && comm[y] != best {
				inQ[y] = true
				tail := head + size
				if tail >= n {
					tail -= n
				}
				queue[tail] = y
				size++
			}
		}
	}
	comm = renumber(comm)
	k := 0
	for _, c := range comm {
		k = max(k, int(c)+1)
	}
	return comm, k, moved, nil
}

// maxVisitsPerNode bounds the node visits of one moveNodes call.
const maxVisitsPerNode = 1000

// aggregate returns the level whose nodes are the k communities of comm.
func (L *level) aggregate(comm []int32, k int) *level {
	// Members of each community, by counting sort.
	mOff := make([]int64, k+1)
	for _, c := range comm {
		mOff[c+1]++
	}
	for c := 0; c < k; c++ {
		mOff[c+1] += mOff[c]
	}
	mem := make([]int32, L.n)
	pos := append([]int64(nil), mOff[:k]...)
	for x, c := range comm {
		mem[pos[c]] = int32(x)
		pos[c]++
	}
	A := &level{n: k, off: make([]int64, k+1), loop: make([]float64, k), k: make([]float64, k)}
	A.adj = make([]int32, 0, len(L.adj)/2)
	A.w = make([]float64, 0, len(L.adj)/2)
	nw := make([]float64, k)
	seen := make([]bool, k)
	touched := make([]int32, 0, 64)
	for c := 0; c < k; c++ {
		internal := 0.0
		for _, x := range mem[mOff[c]:mOff[c+1]] {
			A.loop[c] += L.loop[x]
			A.k[c] += L.k[x]
			for j := L.off[x]; j < L.off[x+1]; j++ {
				d := comm[L.adj[j]]
				if d == int32(c) {
					internal += L.w[j]
					continue
				}
				if !seen[d] {
					seen[d] = true
					nw[d] = 0
					touched = append(touched, d)
				}
				nw[d] += L.w[j]
			}
		}
		A.loop[c] += internal / 2
		for _, d := range touched {
			A.adj = append(A.adj, d)
			A.w = append(A.w, nw[d])
			seen[d] = false
		}
		touched = touched[:0]
		A.off[c+1] = int64(len(A.adj))
	}
	return A
}

package graph

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
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

	work []moveWork // one entry per local-moving run, for benchmarks
	fine []int32    // communities of the first local-moving run, for Layout
}

// Layout returns the nodes ordered by community, within a community by the
// finer community of Louvain's first level (nested in it for the most
// part), then by node: an order that puts most edges' ends close together,
// for [BetweennessOptions.Layout]. Two stable counting sorts, O(n).
func (c Communities) Layout() []int32 {
	var order []int32 // nil: 0..n-1
	if c.fine != nil {
		order, _ = groupByLabel(order, c.fine, len(c.Of))
	}
	order, _ = groupByLabel(order, c.Of, len(c.Size))
	return order
}

// groupByLabel returns nodes stably sorted by lab[node] (a counting sort;
// nil nodes means 0..len(lab)-1) and the offsets of each label's run:
// label c's nodes are sorted[off[c]:off[c+1]]. Labels are below k.
func groupByLabel(nodes, lab []int32, k int) (sorted []int32, off []int64) {
	each := func(f func(v int32)) {
		if nodes == nil {
			for v := range lab {
				f(int32(v))
			}
			return
		}
		for _, v := range nodes {
			f(v)
		}
	}
	off = make([]int64, k+1)
	each(func(v int32) { off[lab[v]+1]++ })
	for c := range k {
		off[c+1] += off[c]
	}
	sorted = make([]int32, off[k])
	next := slices.Clone(off[:k])
	each(func(v int32) {
		sorted[next[lab[v]]] = v
		next[lab[v]]++
	})
	return sorted, off
}

// moveWork counts the work of one local-moving run ([level.moveNodes]).
type moveWork struct {
	nodes, entries int // size of the level: nodes and adjacency entries (2 per edge)
	sweeps         int // sweeps over the nodes
	visits         int // nodes visited
	scans          int // adjacency entries read while visiting
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
// Each level sweeps the nodes in a random order drawn from opts.Source and
// moves each to the neighbouring community of largest gain
// k_{i,c} − γ·K_c·k_i/2m until no node gains, re-visiting only nodes next
// to a moved node (Traag et al.'s fast local move); then communities become
// the nodes of the next level. When levels stop, the final partition is
// refined level by level from the coarsest to the original graph (moving
// single nodes again, Rotta and Noack 2011) and, if any moved, aggregation
// resumes (at most two such refinement rounds); this only raises Q.
//
// A sweep is O(n + m): each local-moving run from singletons first copies
// its level with the nodes renamed in the sweep order, so that the sweeps
// read the node and edge arrays front to back (refinement runs sweep in
// index order and need no copy), and sums a node's weights per neighbouring
// community in a small table sized to its degree rather than in arrays of
// n entries. How many sweeps and levels a graph needs depends on its
// structure: on the benchmark's power-law graphs, which have no
// communities, level 0 snowballs into a few giant communities that leave
// the nodes split between them on their own, and the adjacency entries
// read per entry grow from 14 at 1M edges to 20 at 10M and 27 at 30M, so
// the time grows faster than m (leidenalg's and igraph's grow faster
// still, benchmarks/RESULTS.md). The copy adds O(n + m) memory, and so does
// aggregating a level into many communities while it runs. A graph with no
// edge weight leaves every node in its own community, Q = 0.
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

// level returns u as Louvain's first level, with its weighted degrees.
func (u *undirected) level() *level {
	L := &level{n: u.n, off: u.off, adj: u.adj, w: u.w, loop: u.loop, k: make([]float64, u.n)}
	for x := range u.n {
		L.k[x] = sum(u.w[u.off[x]:u.off[x+1]]) + 2*u.loop[x]
	}
	return L
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
	L0 := u.level()
	m2 := 0.0
	for _, k := range L0.k {
		m2 += k
	}
	res := Communities{}
	of := make([]int32, n)
	for x := range of {
		of[x] = int32(x)
	}
	if m2 > 0 {
		q := L0.singletonModularity(gamma, m2)
		var space level // reused by every local-moving run
		lv := 0
		// stack[i] is a level and maps[i] sends its nodes to stack[i+1]'s.
		stack := []*level{L0}
		var maps [][]int32
		for round := 0; round <= refineRounds; round++ {
			for opts.MaxLevels == 0 || lv < opts.MaxLevels {
				top := stack[len(stack)-1]
				comm, k, moved, work, err := top.moveNodes(ctx, rng, &space, nil, gamma, m2)
				if err != nil {
					return Communities{}, err
				}
				res.work = append(res.work, work)
				if !moved {
					break
				}
				maps = append(maps, comm)
				if res.fine == nil {
					res.fine = comm
				}
				lv++
				res.Levels = lv
				if opts.Progress != nil {
					opts.Progress(lv, opts.MaxLevels)
				}
				// Q of comm on top is Q of the singletons on the aggregate.
				A := top.aggregate(comm, k)
				nq := A.singletonModularity(gamma, m2)
				if nq-q <= thr {
					break
				}
				q = nq
				stack = append(stack, A)
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
				var work moveWork
				var err error
				lab, k, moved, work, err = stack[i].moveNodes(ctx, rng, &space, init, gamma, m2)
				if err != nil {
					return Communities{}, err
				}
				res.work = append(res.work, work)
				refined = refined || moved
			}
			of = lab
			if !refined || len(maps) == 1 {
				break
			}
			A := L0.aggregate(of, k)
			q = A.singletonModularity(gamma, m2)
			stack = []*level{L0, A}
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

// singletonModularity returns Q of the partition of L into single nodes,
// Σ_x [2·loop_x/2m − γ·(k_x/2m)²]; on an aggregate it is Q of the
// partition that was aggregated.
func (L *level) singletonModularity(gamma, m2 float64) float64 {
	q := 0.0
	for x := 0; x < L.n; x++ {
		f := L.k[x] / m2
		q += 2*L.loop[x]/m2 - gamma*f*f
	}
	return q
}

// refineRounds bounds the refinement rounds after the level loop.
const refineRounds = 2

// moveNodes moves single nodes to the neighbouring community of largest
// modularity gain until none gains. Starting from singletons (init nil),
// it renames the nodes in a random order drawn from rng (see
// [level.shuffled]) and sweeps them in that order, the same in every sweep
// as in networkx; working on the renamed copy, a sweep reads the node and
// edge arrays front to back rather than at random. Starting from the
// partition init (labels below L.n), as the refinement does, it sweeps the
// nodes in index order without a copy: there, most nodes stay where they
// are after one sweep, and the copy would cost more than the sweep (0.27
// against 0.15 s on the 1.9M-node customer graph). Either way it visits a
// node again only after a neighbour has moved to a community other than
// the node's (the "pruning" of Ozaki, Tezuka and Inaba, 2016, akin to the
// fast local move of Traag, Waltman and van Eck, 2019), so later sweeps
// touch only the part of the graph that changed. It returns the
// communities (in L's names) renumbered 0..k-1 by smallest node, k,
// whether any node moved and the work done.
func (L *level) moveNodes(ctx context.Context, rng *rand.Rand, space *level, init []int32, gamma, m2 float64) ([]int32, int, bool, moveWork, error) {
	n := L.n
	comm := make([]int32, n)
	tot := make([]float64, n)
	S, pos := L, []int32(nil) // pos nil: S is L, node i is node i
	if init == nil {
		S, pos = L.shuffled(rng, space)
		for i := range comm {
			comm[i] = int32(i)
		}
	} else {
		copy(comm, init)
	}
	for i := range comm {
		tot[comm[i]] += S.k[i]
	}
	active := make([]bool, n)
	for i := range active {
		active[i] = true
	}
	var acc commWeights
	moved := false
	work := moveWork{nodes: n, entries: len(L.adj)}
	// Each move raises Q strictly, so the sweeps end; the bound only
	// guards against rounding ping-pong.
	for work.sweeps < maxSweeps {
		work.sweeps++
		again := false
		if err := ctx.Err(); err != nil {
			return nil, 0, false, work, err
		}
		for i := range n {
			if !active[i] {
				continue
			}
			active[i] = false
			cx, kx := comm[i], S.k[i]
			a, b := S.off[i], S.off[i+1]
			work.visits++
			work.scans += int(b - a)
			acc.gather(comm, S.adj[a:b], S.w[a:b])
			tot[cx] -= kx
			f := gamma * kx / m2
			stay := acc.weight(cx) - f*tot[cx]
			best, bestGain := cx, stay
			for _, h := range acc.slots {
				c := acc.keys[h]
				if g := acc.sums[h] - f*tot[c]; g > bestGain {
					best, bestGain = c, g
				}
			}
			tot[best] += kx
			acc.clear()
			if best == cx {
				continue
			}
			comm[i] = best
			moved, again = true, true
			for _, y := range S.adj[a:b] {
				if comm[y] != best {
					active[y] = true
				}
			}
		}
		if !again {
			break
		}
	}
	out := comm
	if pos != nil {
		out = make([]int32, n)
		for x, i := range pos {
			out[x] = comm[i]
		}
	}
	out = renumber(out)
	k := 0
	for _, c := range out {
		k = max(k, int(c)+1)
	}
	return out, k, moved, work, nil
}

// shuffled returns L with its nodes renamed in a random order drawn from
// rng, and pos, the new name of each node. Each row keeps its entries in
// their original order (neighbours renamed), so that ties between
// communities break the same way whatever the names. The result has no
// loops and is space, whose arrays are reused when large enough.
func (L *level) shuffled(rng *rand.Rand, space *level) (*level, []int32) {
	n := L.n
	ord := make([]int32, n)
	for x := range ord {
		ord[x] = int32(x)
	}
	rng.Shuffle(n, func(i, j int) { ord[i], ord[j] = ord[j], ord[i] })
	pos := make([]int32, n)
	for i, x := range ord {
		pos[x] = int32(i)
	}
	S := space
	S.n = n
	S.off = reuse(S.off, n+1)
	S.adj = reuse(S.adj, len(L.adj))
	S.w = reuse(S.w, len(L.w))
	S.k = reuse(S.k, n)
	for i, x := range ord {
		S.k[i] = L.k[x]
	}
	permuteRows(context.Background(), parWorkers(len(L.adj)), L.off, L.adj, ord, pos, S.off, S.adj,
		func(from, to, m int64) { copy(S.w[to:to+m], L.w[from:from+m]) })
	return S, pos
}

// parWorkers returns the goroutines worth starting for a pass over m
// adjacency entries: one below 2¹⁶, where starting them costs more than
// they save.
func parWorkers(m int) int {
	if m < 1<<16 {
		return 1
	}
	return workers()
}

// reuse returns s resliced to length n when its capacity allows, else a new
// slice; the contents are not cleared.
func reuse[T any](s []T, n int) []T {
	if cap(s) >= n {
		return s[:n]
	}
	return make([]T, n)
}

// maxSweeps bounds the sweeps of one moveNodes call.
const maxSweeps = 1000

// denseAggregate is the largest number of communities [level.aggregate]
// sums in a k × k table (8 MB of weights at 1024); it does so only when
// the table is not larger than a few times the level itself.
const denseAggregate = 1024

// aggregate returns the level whose nodes are the k communities of comm.
// Each community's row lists its neighbouring communities in order of
// first appearance over its members (in index order) and their edges.
func (L *level) aggregate(comm []int32, k int) *level {
	if k <= denseAggregate && k*k <= 4*(L.n+len(L.adj)) {
		return L.aggregateDense(comm, k)
	}
	return L.aggregateBuckets(comm, k)
}

// aggregateBuckets is aggregate for many communities, as after a level's
// first local-moving run (6,600 on the 100M-event customer graph). Reading
// the members' rows community by community jumps through the adjacency
// arrays, a few cache misses per member. Instead, one pass over the nodes
// in index order copies each entry's neighbouring community and weight
// into its community's bucket (a counting sort whose write cursors stay in
// the cache), on every core: part p of the nodes writes after parts 0..p-1
// in each bucket. The buckets are then summed on every core. A bucket
// holds its members' rows in index order, so every sum adds the same
// weights in the same order as aggregateDense: the levels are identical
// (tested). The buckets take 12 bytes per adjacency entry while they live.
func (L *level) aggregateBuckets(comm []int32, k int) *level {
	A := &level{n: k, off: make([]int64, k+1), loop: make([]float64, k), k: make([]float64, k)}
	for x := range L.n {
		c := comm[x]
		A.loop[c] += L.loop[x]
		A.k[c] += L.k[x]
	}
	// Bucket c is start[c]:start[c+1]; part p of the nodes writes its
	// entries of c from cur[p][c] on.
	nb := chunks(L.off, parWorkers(len(L.adj)))
	parts := len(nb) - 1
	cur := make([][]int64, parts)
	parallel(context.Background(), parts, func(p int) {
		cnt := make([]int64, k)
		for x := nb[p]; x < nb[p+1]; x++ {
			cnt[comm[x]] += L.off[x+1] - L.off[x]
		}
		cur[p] = cnt
	})
	start := make([]int64, k+1)
	for c := range k {
		at := start[c]
		for p := range parts {
			at, cur[p][c] = at+cur[p][c], at
		}
		start[c+1] = at
	}
	to := make([]int32, len(L.adj))
	tw := make([]float64, len(L.adj))
	parallel(context.Background(), parts, func(p int) {
		next := cur[p]
		for x := nb[p]; x < nb[p+1]; x++ {
			c := comm[x]
			at := next[c]
			for j := L.off[x]; j < L.off[x+1]; j++ {
				to[at], tw[at] = comm[L.adj[j]], L.w[j]
				at++
			}
			next[c] = at
		}
	})
	cur = nil
	// Sum each bucket; ranges of communities of similar numbers of
	// entries are summed on every core and concatenated.
	b := chunks(start, parWorkers(len(L.adj)))
	out := make([]struct {
		adj []int32
		w   []float64
	}, len(b)-1)
	parallel(context.Background(), len(b)-1, func(p int) {
		adj := make([]int32, 0, (start[b[p+1]]-start[b[p]])/2)
		w := make([]float64, 0, cap(adj))
		s := newCommunitySums(k)
		for c := b[p]; c < b[p+1]; c++ {
			internal := 0.0
			for j := start[c]; j < start[c+1]; j++ {
				if d := to[j]; d != int32(c) {
					s.add(d, tw[j])
				} else {
					internal += tw[j]
				}
			}
			A.loop[c] += internal / 2
			for _, d := range s.order {
				adj = append(adj, d)
				w = append(w, s.sum[d])
			}
			s.clear()
			A.off[c+1] = int64(len(adj)) // relative to the part; shifted below
		}
		out[p].adj, out[p].w = adj, w
	})
	total := 0
	for _, pt := range out {
		total += len(pt.adj)
	}
	A.adj, A.w = make([]int32, 0, total), make([]float64, 0, total)
	for p, pt := range out {
		base := int64(len(A.adj))
		for c := b[p]; c < b[p+1]; c++ {
			A.off[c+1] += base
		}
		A.adj = append(A.adj, pt.adj...)
		A.w = append(A.w, pt.w...)
	}
	return A
}

// aggregateDense is aggregate for few communities, as after a refinement
// (about 500 on the 100M-event customer graph): one pass over the nodes in
// index order sums the weights between communities in a k × k table,
// without the buckets of aggregateBuckets. A community's members are met
// in the same order there and here, and each sum adds the same weights in
// the same order, so the two build the same level (tested).
func (L *level) aggregateDense(comm []int32, k int) *level {
	A := &level{n: k, off: make([]int64, k+1), loop: make([]float64, k), k: make([]float64, k)}
	nw := make([]float64, k*k)
	seen := make([]bool, k*k)
	order := make([][]int32, k) // neighbouring communities by first appearance
	internal := make([]float64, k)
	for x := 0; x < L.n; x++ {
		c := int(comm[x])
		A.loop[c] += L.loop[x]
		A.k[c] += L.k[x]
		row, sw := nw[c*k:c*k+k], seen[c*k:c*k+k]
		for j := L.off[x]; j < L.off[x+1]; j++ {
			d := comm[L.adj[j]]
			if int(d) == c {
				internal[c] += L.w[j]
				continue
			}
			if !sw[d] {
				sw[d] = true
				order[c] = append(order[c], d)
			}
			row[d] += L.w[j]
		}
	}
	total := 0
	for c := range k {
		A.loop[c] += internal[c] / 2
		total += len(order[c])
		A.off[c+1] = int64(total)
	}
	A.adj, A.w = make([]int32, 0, total), make([]float64, 0, total)
	for c := range k {
		for _, d := range order[c] {
			A.adj = append(A.adj, d)
			A.w = append(A.w, nw[c*k+int(d)])
		}
	}
	return A
}

// communitySums sums weights per community in arrays of one entry per
// community, keeping the communities met in order of first appearance;
// clear empties only the entries used.
type communitySums struct {
	sum   []float64
	seen  []bool
	order []int32
}

func newCommunitySums(k int) *communitySums {
	return &communitySums{sum: make([]float64, k), seen: make([]bool, k), order: make([]int32, 0, 64)}
}

func (s *communitySums) add(c int32, w float64) {
	if !s.seen[c] {
		s.seen[c] = true
		s.sum[c] = 0
		s.order = append(s.order, c)
	}
	s.sum[c] += w
}

func (s *communitySums) clear() {
	for _, c := range s.order {
		s.seen[c] = false
	}
	s.order = s.order[:0]
}

// commWeights sums the edge weights from one node to each neighbouring
// community in a small open-addressing table sized to the node's degree,
// so that the sums stay in cache however many communities the level has.
type commWeights struct {
	buf   []int32   // community of each neighbour, gathered first
	keys  []int32   // table: community, or -1 for an empty slot
	sums  []float64 // table: weight to the community
	slots []int32   // used slots in order of first appearance
	bits  uint
}

// gather fills the table from the neighbours adj (weights w) of one node
// whose neighbours are in the communities comm. The community labels are
// loaded in a loop of their own, without branches, so that the processor
// can overlap their cache misses.
func (a *commWeights) gather(comm, adj []int32, w []float64) {
	d := len(adj)
	if cap(a.buf) < d {
		a.buf = make([]int32, d)
	}
	cs := a.buf[:d]
	for i, y := range adj {
		cs[i] = comm[y]
	}
	bits := uint(4)
	for 1<<bits < 2*d {
		bits++
	}
	if len(a.keys) < 1<<bits {
		a.keys = make([]int32, 1<<bits)
		for i := range a.keys {
			a.keys[i] = -1
		}
		a.sums = make([]float64, 1<<bits)
	}
	a.bits = bits
	mask := uint32(1)<<bits - 1
	keys, sums := a.keys, a.sums
	for i, c := range cs {
		h := a.hash(c)
		for keys[h] != c && keys[h] >= 0 {
			h = (h + 1) & mask
		}
		if keys[h] < 0 {
			keys[h], sums[h] = c, 0
			a.slots = append(a.slots, int32(h))
		}
		sums[h] += w[i]
	}
}

func (a *commWeights) hash(c int32) uint32 {
	return (uint32(c) * 0x9e3779b1) >> (32 - a.bits)
}

// weight returns the gathered weight to community c (0 when none).
func (a *commWeights) weight(c int32) float64 {
	mask := uint32(1)<<a.bits - 1
	for h := a.hash(c); ; h = (h + 1) & mask {
		switch a.keys[h] {
		case c:
			return a.sums[h]
		case -1:
			return 0
		}
	}
}

// clear empties the table for the next node.
func (a *commWeights) clear() {
	for _, h := range a.slots {
		a.keys[h] = -1
	}
	a.slots = a.slots[:0]
}

package graph

import (
	"context"
	"fmt"
	"slices"
)

// AnalyzeOptions configure [Analyze]. The zero value runs every metric
// with its defaults.
type AnalyzeOptions struct {
	PageRank    PageRankOptions
	Louvain     LouvainOptions
	Betweenness BetweennessOptions
	// SkipBetweenness leaves NodeMetrics.Betweenness at 0; betweenness is
	// by far the costliest metric (see [Betweenness]).
	SkipBetweenness bool
	// TopPerCommunity is the number of nodes listed in CommunityMetrics.Top;
	// 0 means 10, a negative number none.
	TopPerCommunity int
	// Progress, when not nil, is called after each metric with the number
	// of metrics done and the number to run.
	Progress func(done, total int)
}

// NodeMetrics is one node's row of an [Analysis].
type NodeMetrics struct {
	Node          int32   `json:"node"`
	InDegree      int32   `json:"in_degree"`
	OutDegree     int32   `json:"out_degree"`
	InStrength    float64 `json:"in_strength"`
	OutStrength   float64 `json:"out_strength"`
	PageRank      float64 `json:"pagerank"`
	Component     int32   `json:"component"` // weakly connected component, see [Components]
	ComponentSize int32   `json:"component_size"`
	Core          int32   `json:"core"` // k-core number, see [CoreNumbers]
	Clustering    float64 `json:"clustering"`
	Community     int32   `json:"community"` // see [Communities]
	Participation float64 `json:"participation"`
	Betweenness   float64 `json:"betweenness"`
}

// CommunityMetrics is one community's row of an [Analysis].
type CommunityMetrics struct {
	ID   int32 `json:"community"`
	Size int   `json:"size"`
	// InternalEdges counts distinct undirected node pairs inside the
	// community (loops excluded) and Density divides it by Size·(Size−1)/2
	// (0 for singletons).
	InternalEdges int64   `json:"internal_edges"`
	Density       float64 `json:"density"`
	// Modularity is the community's term L_c/m − γ·(K_c/2m)² of Q.
	Modularity float64 `json:"modularity"`
	// Top lists up to TopPerCommunity members by decreasing PageRank (ties
	// by smaller index).
	Top []int32 `json:"top"`
}

// DegreeCount is one bin of a degree distribution.
type DegreeCount struct {
	Degree int `json:"degree"`
	Count  int `json:"count"`
}

// Summary describes the whole graph.
type Summary struct {
	Nodes int `json:"nodes"`
	// Edges counts directed edges; on the undirected graph of
	// [Bipartite.Undirected], each customer–item pair once.
	Edges      int `json:"edges"`
	Components int `json:"components"`
	// LargestComponentShare is the largest component's share of the nodes
	// (0 for the empty graph).
	LargestComponentShare float64 `json:"largest_component_share"`
	Modularity            float64 `json:"modularity"`
	// Degrees maps total degree (in + out, as networkx's DiGraph.degree;
	// the number of neighbours, as Graph.degree, on the undirected graph of
	// [Bipartite.Undirected]) to the number of nodes with it, in
	// increasing degree order.
	Degrees []DegreeCount `json:"degrees"`
	// PageRankIterations is the number of PageRank iterations run.
	PageRankIterations int `json:"pagerank_iterations"`
	// Betweenness says how betweenness was computed: exactly (Pivots 0)
	// or from sampled pivots with a stated error. Nil when skipped.
	Betweenness *BetweennessPlan `json:"betweenness"`
}

// Analysis is the result of [Analyze].
type Analysis struct {
	Nodes       []NodeMetrics // indexed by node
	Communities []CommunityMetrics
	Summary     Summary
}

// Analyze runs every metric of the package on g and assembles per-node
// rows, per-community rows and a summary. Its cost is dominated by
// [Betweenness] unless skipped, then by [Louvain] and [PageRank]. Sampled
// betweenness runs on a copy of the graph laid out by the communities
// Louvain found ([Communities.Layout]), unless opts.Betweenness.Layout
// gives another order; the scores do not depend on it (up to rounding).
func Analyze(ctx context.Context, g *Graph, opts AnalyzeOptions) (*Analysis, error) {
	total := 7
	if opts.SkipBetweenness {
		total--
	}
	step := 0
	tick := func() {
		step++
		if opts.Progress != nil {
			opts.Progress(step, total)
		}
	}
	n := g.n
	a := &Analysis{Nodes: make([]NodeMetrics, n)}
	deg := DegreesOf(g)
	for x := range a.Nodes {
		a.Nodes[x] = NodeMetrics{
			Node: int32(x), InDegree: deg.In[x], OutDegree: deg.Out[x],
			InStrength: deg.InStrength[x], OutStrength: deg.OutStrength[x],
		}
	}
	tick()
	pr, err := PageRank(ctx, g, opts.PageRank)
	if err != nil {
		return nil, fmt.Errorf("analyze: %w", err)
	}
	for x, v := range pr.Rank {
		a.Nodes[x].PageRank = v
	}
	tick()
	cc, err := WeakComponents(ctx, g)
	if err != nil {
		return nil, fmt.Errorf("analyze: %w", err)
	}
	for x, c := range cc.ID {
		a.Nodes[x].Component, a.Nodes[x].ComponentSize = c, cc.Size[c]
	}
	tick()
	core, err := CoreNumbers(ctx, g)
	if err != nil {
		return nil, fmt.Errorf("analyze: %w", err)
	}
	for x, c := range core {
		a.Nodes[x].Core = c
	}
	tick()
	cl, err := Clustering(ctx, g)
	if err != nil {
		return nil, fmt.Errorf("analyze: %w", err)
	}
	for x, c := range cl {
		a.Nodes[x].Clustering = c
	}
	tick()
	com, err := Louvain(ctx, g, opts.Louvain)
	if err != nil {
		return nil, fmt.Errorf("analyze: %w", err)
	}
	part, err := Participation(ctx, g, com.Of)
	if err != nil {
		return nil, fmt.Errorf("analyze: %w", err)
	}
	for x := range a.Nodes {
		a.Nodes[x].Community, a.Nodes[x].Participation = com.Of[x], part[x]
	}
	u, err := g.undirectedView(ctx)
	if err != nil {
		return nil, fmt.Errorf("analyze: %w", err)
	}
	a.Communities = communityRows(u, com, pr.Rank, opts)
	tick()
	if !opts.SkipBetweenness {
		bo := opts.Betweenness
		if bo.Layout == nil && PlanBetweenness(n, g.Edges(), bo).Pivots != 0 {
			bo.Layout = com.Layout()
		}
		bc, err := Betweenness(ctx, g, bo)
		if err != nil {
			return nil, fmt.Errorf("analyze: %w", err)
		}
		for x, v := range bc {
			a.Nodes[x].Betweenness = v
		}
		plan := PlanBetweenness(n, g.Edges(), opts.Betweenness)
		a.Summary.Betweenness = &plan
		tick()
	}
	s := &a.Summary
	s.Nodes, s.Edges, s.Components = n, g.Edges(), len(cc.Size)
	if g.symmetric {
		s.Edges /= 2 // each pair stored both ways, no loops
	}
	if l := cc.Largest(); l >= 0 {
		s.LargestComponentShare = float64(cc.Size[l]) / float64(n)
	}
	s.Modularity, s.PageRankIterations = com.Modularity, pr.Iterations
	hist := map[int]int{} // at most √(2m) distinct degrees
	for x := range a.Nodes {
		d := deg.In[x] + deg.Out[x]
		if g.symmetric {
			d = deg.Out[x]
		}
		hist[int(d)]++
	}
	for d, c := range hist {
		s.Degrees = append(s.Degrees, DegreeCount{Degree: d, Count: c})
	}
	slices.SortFunc(s.Degrees, func(a, b DegreeCount) int { return a.Degree - b.Degree })
	return a, nil
}

// communityRows computes per-community size, internal edges, density,
// modularity term and top members by PageRank.
func communityRows(u *undirected, com Communities, rank []float64, opts AnalyzeOptions) []CommunityMetrics {
	k := len(com.Size)
	gamma := opts.Louvain.Resolution
	if gamma == 0 {
		gamma = 1
	}
	top := opts.TopPerCommunity
	if top == 0 {
		top = 10
	}
	rows := make([]CommunityMetrics, k)
	in := make([]float64, k)
	tot := make([]float64, k)
	m2 := 0.0
	for x := 0; x < u.n; x++ {
		c := com.Of[x]
		kx := 2 * u.loop[x]
		in[c] += 2 * u.loop[x]
		for j := u.off[x]; j < u.off[x+1]; j++ {
			kx += u.w[j]
			if com.Of[u.adj[j]] == c {
				in[c] += u.w[j]
				rows[c].InternalEdges++ // counted from both ends
			}
		}
		tot[c] += kx
		m2 += kx
	}
	best := topByRank(com.Of, k, top, rank)
	for c := range rows {
		r := &rows[c]
		r.ID, r.Size = int32(c), int(com.Size[c])
		r.InternalEdges /= 2
		if r.Size > 1 {
			r.Density = float64(r.InternalEdges) / (float64(r.Size) * float64(r.Size-1) / 2)
		}
		if m2 > 0 {
			f := tot[c] / m2
			r.Modularity = in[c]/m2 - gamma*f*f
		}
		r.Top = best[c]
	}
	return rows
}

// topByRank returns each of the k communities' top members by decreasing
// rank, ties by smaller index, at most top of them (none when top ≤ 0): a
// selection in one pass over the nodes in index order that keeps each
// community's best so far sorted (a later node displaces only a strictly
// smaller rank), rather than a sort of every member.
func topByRank(of []int32, k, top int, rank []float64) [][]int32 {
	best := make([][]int32, k)
	if top <= 0 {
		return best
	}
	for x, c := range of {
		b, r := best[c], rank[x]
		if len(b) == top && r <= rank[b[top-1]] {
			continue
		}
		i := len(b)
		for i > 0 && rank[b[i-1]] < r {
			i--
		}
		if len(b) < top {
			b = append(b, 0)
		}
		copy(b[i+1:], b[i:len(b)-1])
		b[i] = int32(x)
		best[c] = b
	}
	return best
}

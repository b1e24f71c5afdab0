package graph

import (
	"cmp"
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"reflect"
	"runtime"
	"slices"
	"testing"
	"time"

	gg "gonum.org/v1/gonum/graph"
	"gonum.org/v1/gonum/graph/community"
	"gonum.org/v1/gonum/graph/network"
	"gonum.org/v1/gonum/graph/simple"
	"gonum.org/v1/gonum/mat"
)

var ctx = context.Background()

func mustBuild(tb testing.TB, n int, el EdgeList) *Graph {
	tb.Helper()
	g, err := Build(ctx, n, el)
	if err != nil {
		tb.Fatal(err)
	}
	return g
}

// randomEdges returns m random edges on n nodes, with parallel edges and
// self-loops, and weights in (0, 3] when weighted.
func randomEdges(rng *rand.Rand, n, m int, weighted bool) EdgeList {
	el := EdgeList{Src: make([]int32, m), Dst: make([]int32, m)}
	if weighted {
		el.W = make([]float64, m)
	}
	for i := range m {
		el.Src[i], el.Dst[i] = int32(rng.IntN(n)), int32(rng.IntN(n))
		if weighted {
			el.W[i] = 3 * (1 - rng.Float64())
		}
	}
	return el
}

func TestBuild(t *testing.T) {
	t.Run("parallel edges are summed and self-loops kept", func(t *testing.T) {
		g := mustBuild(t, 3, EdgeList{
			Src: []int32{0, 0, 0, 1, 2, 2},
			Dst: []int32{1, 1, 0, 2, 0, 0},
			W:   []float64{1, 2, 5, 1, 0.5, 0.25},
		})
		if g.Nodes() != 3 || g.Edges() != 4 {
			t.Fatalf("got %d nodes, %d edges; want 3, 4", g.Nodes(), g.Edges())
		}
		nb, w := g.Out(0)
		if !slices.Equal(nb, []int32{0, 1}) || !slices.Equal(w, []float64{5, 3}) {
			t.Errorf("out(0) = %v %v, want [0 1] [5 3]", nb, w)
		}
		nb, w = g.In(0)
		if !slices.Equal(nb, []int32{0, 2}) || !slices.Equal(w, []float64{5, 0.75}) {
			t.Errorf("in(0) = %v %v, want [0 2] [5 0.75]", nb, w)
		}
		d := DegreesOf(g)
		if !slices.Equal(d.Out, []int32{2, 1, 1}) || !slices.Equal(d.In, []int32{2, 1, 1}) {
			t.Errorf("degrees out %v in %v, want [2 1 1] [2 1 1] (a loop counts in both)", d.Out, d.In)
		}
		if !slices.Equal(d.OutStrength, []float64{8, 1, 0.75}) || !slices.Equal(d.InStrength, []float64{5.75, 3, 1}) {
			t.Errorf("strengths out %v in %v", d.OutStrength, d.InStrength)
		}
	})
	for _, tc := range []struct {
		name string
		n    int
		el   EdgeList
	}{
		{"a node out of range is an error", 2, EdgeList{Src: []int32{0}, Dst: []int32{2}}},
		{"a negative node is an error", 2, EdgeList{Src: []int32{-1}, Dst: []int32{0}}},
		{"columns of different lengths are an error", 2, EdgeList{Src: []int32{0, 1}, Dst: []int32{0}}},
		{"a negative weight is an error", 2, EdgeList{Src: []int32{0}, Dst: []int32{1}, W: []float64{-1}}},
		{"a NaN weight is an error", 2, EdgeList{Src: []int32{0}, Dst: []int32{1}, W: []float64{math.NaN()}}},
		{"an infinite weight is an error", 2, EdgeList{Src: []int32{0}, Dst: []int32{1}, W: []float64{math.Inf(1)}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Build(ctx, tc.n, tc.el); err == nil {
				t.Error("no error")
			}
		})
	}
	t.Run("adding an edge never lowers the target's in-strength", func(t *testing.T) {
		rng := rand.New(rand.NewPCG(7, 7))
		for trial := range 50 {
			n := 1 + rng.IntN(30)
			el := randomEdges(rng, n, rng.IntN(100), true)
			before := DegreesOf(mustBuild(t, n, el))
			u, v, w := int32(rng.IntN(n)), int32(rng.IntN(n)), rng.Float64()
			el.Src, el.Dst, el.W = append(el.Src, u), append(el.Dst, v), append(el.W, w)
			after := DegreesOf(mustBuild(t, n, el))
			if after.InStrength[v] < before.InStrength[v] {
				t.Fatalf("trial %d: in-strength of %d fell from %g to %g", trial, v, before.InStrength[v], after.InStrength[v])
			}
			if after.InStrength[v]-before.InStrength[v]-w > 1e-12 {
				t.Fatalf("trial %d: in-strength of %d rose by %g, want %g", trial, v, after.InStrength[v]-before.InStrength[v], w)
			}
		}
	})
}

func TestCustomerNetwork(t *testing.T) {
	day := int64(24 * 3600)
	ev := PeerEvents{Src: []int32{0, 0, 0, 1}, Dst: []int32{1, 1, 1, 0}, Time: []int64{10 * day, 9 * day, 8 * day, 11 * day}}
	t.Run("without a half-life weights are event counts", func(t *testing.T) {
		g, err := NewCustomerNetwork(ctx, 2, ev, NetworkOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if _, w := g.Out(0); !slices.Equal(w, []float64{3}) {
			t.Errorf("weight 0→1 = %v, want [3]", w)
		}
	})
	t.Run("a half-life halves the weight of each older day", func(t *testing.T) {
		g, err := NewCustomerNetwork(ctx, 2, ev, NetworkOptions{HalfLife: 24 * time.Hour, Now: time.Unix(10*day, 0)})
		if err != nil {
			t.Fatal(err)
		}
		if _, w := g.Out(0); math.Abs(w[0]-1.75) > 1e-15 {
			t.Errorf("weight 0→1 = %v, want 1 + 1/2 + 1/4", w[0])
		}
		if _, w := g.Out(1); w[0] != 1 {
			t.Errorf("weight of a future event = %v, want 1", w[0])
		}
	})
	t.Run("a zero Now means the latest event", func(t *testing.T) {
		g, err := NewCustomerNetwork(ctx, 2, ev, NetworkOptions{HalfLife: 24 * time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		if _, w := g.Out(0); math.Abs(w[0]-0.875) > 1e-15 {
			t.Errorf("weight 0→1 = %v, want 1/2 + 1/4 + 1/8", w[0])
		}
	})
	t.Run("an event without a time weighs 1 and does not set the latest time", func(t *testing.T) {
		ev := PeerEvents{Src: []int32{0, 0, 1}, Dst: []int32{1, 1, 0}, Time: []int64{10 * day, 9 * day, NoTime}}
		g, err := NewCustomerNetwork(ctx, 2, ev, NetworkOptions{HalfLife: 24 * time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		if _, w := g.Out(0); math.Abs(w[0]-1.5) > 1e-15 {
			t.Errorf("weight 0→1 = %v, want 1 + 1/2 (the latest dated event is day 10)", w[0])
		}
		if _, w := g.Out(1); w[0] != 1 {
			t.Errorf("weight of an undated event = %v, want 1", w[0])
		}
	})
	t.Run("a half-life without times is an error", func(t *testing.T) {
		if _, err := NewCustomerNetwork(ctx, 2, PeerEvents{Src: []int32{0}, Dst: []int32{1}}, NetworkOptions{HalfLife: time.Hour}); err == nil {
			t.Error("no error")
		}
	})
}

// densePageRank solves (I − d·Mᵀ) x = (1−d)/n·1 exactly, where M is the
// row-stochastic transition matrix with dangling rows uniform.
func densePageRank(t *testing.T, n int, el EdgeList, d float64) []float64 {
	P := mat.NewDense(n, n, nil)
	for i := range el.Src {
		w := 1.0
		if el.W != nil {
			w = el.W[i]
		}
		P.Set(int(el.Src[i]), int(el.Dst[i]), P.At(int(el.Src[i]), int(el.Dst[i]))+w)
	}
	A := mat.NewDense(n, n, nil)
	for u := 0; u < n; u++ {
		s := 0.0
		for v := 0; v < n; v++ {
			s += P.At(u, v)
		}
		for v := 0; v < n; v++ {
			p := 1 / float64(n)
			if s > 0 {
				p = P.At(u, v) / s
			}
			A.Set(v, u, -d*p)
		}
	}
	for v := 0; v < n; v++ {
		A.Set(v, v, A.At(v, v)+1)
	}
	b := mat.NewVecDense(n, nil)
	for v := 0; v < n; v++ {
		b.SetVec(v, (1-d)/float64(n))
	}
	var x mat.VecDense
	if err := x.SolveVec(A, b); err != nil {
		t.Fatal(err)
	}
	return x.RawVector().Data
}

func TestPageRank(t *testing.T) {
	t.Run("the empty graph has an empty rank", func(t *testing.T) {
		pr, err := PageRank(ctx, mustBuild(t, 0, EdgeList{}), PageRankOptions{})
		if err != nil || len(pr.Rank) != 0 {
			t.Errorf("got %v, %v", pr.Rank, err)
		}
	})
	t.Run("a single node has rank 1", func(t *testing.T) {
		pr, err := PageRank(ctx, mustBuild(t, 1, EdgeList{}), PageRankOptions{})
		if err != nil || len(pr.Rank) != 1 || math.Abs(pr.Rank[0]-1) > 1e-12 {
			t.Errorf("got %v, %v", pr.Rank, err)
		}
	})
	t.Run("random graphs sum to 1, are non-negative and match a dense solve", func(t *testing.T) {
		rng := rand.New(rand.NewPCG(1, 1))
		for trial := range 40 {
			n := 1 + rng.IntN(40)
			el := randomEdges(rng, n, rng.IntN(4*n), trial%2 == 0)
			pr, err := PageRank(ctx, mustBuild(t, n, el), PageRankOptions{})
			if err != nil {
				t.Fatal(err)
			}
			s := 0.0
			for _, x := range pr.Rank {
				if x < 0 {
					t.Fatalf("trial %d: negative rank %g", trial, x)
				}
				s += x
			}
			if math.Abs(s-1) > 1e-9 {
				t.Fatalf("trial %d: ranks sum to %.15f", trial, s)
			}
			want := densePageRank(t, n, el, 0.85)
			l1 := 0.0
			for i := range want {
				l1 += math.Abs(want[i] - pr.Rank[i])
			}
			if l1 > 1e-9 {
				t.Fatalf("trial %d (n=%d, m=%d): L1 distance to dense solve %g", trial, n, el.Len(), l1)
			}
		}
	})
	t.Run("a self-loop keeps the walker on its node", func(t *testing.T) {
		// 0→0 (w 3) and 0→1 (w 1); 1 is dangling.
		el := EdgeList{Src: []int32{0, 0}, Dst: []int32{0, 1}, W: []float64{3, 1}}
		pr, err := PageRank(ctx, mustBuild(t, 2, el), PageRankOptions{})
		if err != nil {
			t.Fatal(err)
		}
		want := densePageRank(t, 2, el, 0.85)
		if math.Abs(pr.Rank[0]-want[0]) > 1e-10 || pr.Rank[0] <= pr.Rank[1] {
			t.Errorf("rank %v, want %v", pr.Rank, want)
		}
	})
	t.Run("the result does not depend on GOMAXPROCS", func(t *testing.T) {
		rng := rand.New(rand.NewPCG(3, 3))
		g := mustBuild(t, 5000, randomEdges(rng, 5000, 40000, true))
		a, _ := PageRank(ctx, g, PageRankOptions{})
		old := runtime.GOMAXPROCS(1)
		b, _ := PageRank(ctx, g, PageRankOptions{})
		runtime.GOMAXPROCS(old)
		l1 := 0.0
		for i := range a.Rank {
			l1 += math.Abs(a.Rank[i] - b.Rank[i])
		}
		if l1 > 1e-12 {
			t.Errorf("L1 distance between 1 and %d procs: %g", old, l1)
		}
	})
	t.Run("invalid options are an error", func(t *testing.T) {
		if _, err := PageRank(ctx, mustBuild(t, 1, EdgeList{}), PageRankOptions{Damping: 1.5}); err == nil {
			t.Error("no error")
		}
	})
}

func TestSmallGraphMetrics(t *testing.T) {
	// A triangle 0-1-2 with a pendant 3 on 0, a loop on 3, and an isolated 4.
	g := mustBuild(t, 5, EdgeList{
		Src: []int32{0, 1, 2, 1, 3, 3},
		Dst: []int32{1, 2, 0, 0, 0, 3},
	})
	t.Run("components are numbered by smallest node", func(t *testing.T) {
		cc, err := WeakComponents(ctx, g)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(cc.ID, []int32{0, 0, 0, 0, 1}) || !slices.Equal(cc.Size, []int32{4, 1}) || cc.Largest() != 0 {
			t.Errorf("got %v %v", cc.ID, cc.Size)
		}
	})
	t.Run("core numbers ignore loops and direction", func(t *testing.T) {
		core, err := CoreNumbers(ctx, g)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(core, []int32{2, 2, 2, 1, 0}) {
			t.Errorf("got %v, want [2 2 2 1 0]", core)
		}
	})
	t.Run("clustering counts triangles on the simple view", func(t *testing.T) {
		c, err := Clustering(ctx, g)
		if err != nil {
			t.Fatal(err)
		}
		want := []float64{1.0 / 3, 1, 1, 0, 0}
		for i := range want {
			if math.Abs(c[i]-want[i]) > 1e-15 {
				t.Errorf("c(%d) = %g, want %g", i, c[i], want[i])
			}
		}
	})
	t.Run("participation splits a node's weight over communities", func(t *testing.T) {
		p, err := Participation(ctx, g, []int32{0, 0, 1, 1, 2})
		if err != nil {
			t.Fatal(err)
		}
		// Node 0: weight 2 to 1 (0→1 and 1→0), 1 to 2, 1 to 3.
		// k=4, community 0 gets 2, community 1 gets 2: 1 − 1/4 − 1/4.
		// Node 2's neighbours 0 and 1 are both in community 0.
		want := []float64{0.5, 1 - (2.0/3)*(2.0/3) - (1.0/3)*(1.0/3), 0, 0, 0}
		for i := range want {
			if math.Abs(p[i]-want[i]) > 1e-15 {
				t.Errorf("P(%d) = %g, want %g", i, p[i], want[i])
			}
		}
	})
	t.Run("participation on every core agrees with the formula, edge by edge", func(t *testing.T) {
		rng := rand.New(rand.NewPCG(31, 31))
		n, m := 20000, 80000 // above 2^16 adjacency entries: split over the cores
		el := randomEdges(rng, n, m, true)
		g := mustBuild(t, n, el)
		of := make([]int32, n)
		for x := range of {
			of[x] = int32(rng.IntN(40))
		}
		p, err := Participation(ctx, g, of)
		if err != nil {
			t.Fatal(err)
		}
		// k_ic from the edge list itself: each edge u→v, u ≠ v, adds its
		// weight to u's sum for v's community and to v's for u's.
		kic := make([]map[int32]float64, n)
		for x := range kic {
			kic[x] = map[int32]float64{}
		}
		for i := range el.Src {
			u, v := el.Src[i], el.Dst[i]
			if u == v {
				continue
			}
			w := el.W[i]
			kic[u][of[v]] += w
			kic[v][of[u]] += w
		}
		for x := range n {
			ki := 0.0
			for _, w := range kic[x] {
				ki += w
			}
			want := 0.0
			if ki > 0 {
				want = 1
				for _, w := range kic[x] {
					want -= (w / ki) * (w / ki)
				}
			}
			if math.Abs(p[x]-want) > 1e-12 {
				t.Fatalf("P(%d) = %.15g, want %.15g", x, p[x], want)
			}
		}
	})
}

func TestEmptyAndSingleNode(t *testing.T) {
	for _, n := range []int{0, 1} {
		g := mustBuild(t, n, EdgeList{})
		a, err := Analyze(ctx, g, AnalyzeOptions{})
		if err != nil {
			t.Fatalf("n=%d: %v", n, err)
		}
		if len(a.Nodes) != n || len(a.Communities) != n || a.Summary.Components != n || a.Summary.Modularity != 0 {
			t.Errorf("n=%d: got %+v", n, a)
		}
		if n == 1 && (a.Nodes[0].PageRank != 1 || a.Summary.LargestComponentShare != 1 || a.Nodes[0].Betweenness != 0) {
			t.Errorf("single node: %+v %+v", a.Nodes[0], a.Summary)
		}
	}
}

// gonumUndirected returns the undirected weighted view of el as gonum
// builds it: w{u,v} = Σ w(u→v) + Σ w(v→u), loops w(u→u).
func gonumUndirected(n int, el EdgeList) *simple.WeightedUndirectedGraph {
	g := simple.NewWeightedUndirectedGraph(0, 0)
	for i := 0; i < n; i++ {
		g.AddNode(simple.Node(i))
	}
	for i := range el.Src {
		u, v := int64(el.Src[i]), int64(el.Dst[i])
		w := 1.0
		if el.W != nil {
			w = el.W[i]
		}
		if e := g.WeightedEdge(u, v); e != nil {
			w += e.Weight()
		}
		g.SetWeightedEdge(simple.WeightedEdge{F: simple.Node(u), T: simple.Node(v), W: w})
	}
	return g
}

func TestLouvain(t *testing.T) {
	t.Run("the parallel copy and aggregation give one core's partition", func(t *testing.T) {
		// 300 planted communities of 20 nodes, 45,000 links, 3 in 4
		// inside a community: about 90,000 adjacency entries, above the
		// 2^16 where the level copy and the aggregation go parallel.
		rng := rand.New(rand.NewPCG(41, 41))
		const n, k, m = 6000, 300, 45000
		var el EdgeList
		for range m {
			a := rng.IntN(n)
			b := rng.IntN(n)
			if rng.IntN(4) < 3 {
				b = a/(n/k)*(n/k) + rng.IntN(n/k)
			}
			el.Src, el.Dst = append(el.Src, int32(a)), append(el.Dst, int32(b))
		}
		g := mustBuild(t, n, el)
		if u, err := g.undirectedView(ctx); err != nil || len(u.adj) < 1<<16 {
			t.Fatalf("want ≥ 2^16 adjacency entries, got %d (%v)", len(u.adj), err)
		}
		run := func(procs int) Communities {
			defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(procs))
			com, err := Louvain(ctx, g, LouvainOptions{})
			if err != nil {
				t.Fatal(err)
			}
			return com
		}
		one, three := run(1), run(3)
		if one.Levels < 2 {
			t.Fatalf("want an aggregated level, got %d levels", one.Levels)
		}
		if !slices.Equal(one.Of, three.Of) || one.Modularity != three.Modularity || one.Levels != three.Levels {
			t.Errorf("1 core: %d communities, Q %v, %d levels; 3 cores: %d, %v, %d", len(one.Size), one.Modularity, one.Levels, len(three.Size), three.Modularity, three.Levels)
		}
	})
	t.Run("two cliques joined by one edge are two communities", func(t *testing.T) {
		var el EdgeList
		for c := int32(0); c < 2; c++ {
			for i := int32(0); i < 5; i++ {
				for j := int32(0); j < 5; j++ {
					if i != j {
						el.Src, el.Dst = append(el.Src, 5*c+i), append(el.Dst, 5*c+j)
					}
				}
			}
		}
		el.Src, el.Dst = append(el.Src, 0), append(el.Dst, 5)
		com, err := Louvain(ctx, mustBuild(t, 10, el), LouvainOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(com.Of, []int32{0, 0, 0, 0, 0, 1, 1, 1, 1, 1}) {
			t.Errorf("got %v", com.Of)
		}
	})
	t.Run("modularity agrees with gonum's community.Q on random graphs", func(t *testing.T) {
		rng := rand.New(rand.NewPCG(5, 5))
		for trial := range 20 {
			n := 2 + rng.IntN(60)
			el := randomEdges(rng, n, rng.IntN(5*n), trial%2 == 0)
			// gonum's simple graphs hold no loops; checkLouvain covers them.
			for i := 0; i < el.Len(); i++ {
				if el.Src[i] == el.Dst[i] {
					el.Dst[i] = (el.Dst[i] + 1) % int32(n)
				}
			}
			g := mustBuild(t, n, el)
			com, err := Louvain(ctx, g, LouvainOptions{Source: rand.NewPCG(uint64(trial), 0)})
			if err != nil {
				t.Fatal(err)
			}
			groups := make([][]gg.Node, len(com.Size))
			for x, c := range com.Of {
				groups[c] = append(groups[c], simple.Node(x))
			}
			want := community.Q(gonumUndirected(n, el), groups, 1)
			if math.IsNaN(want) {
				want = 0 // no edges
			}
			if math.Abs(com.Modularity-want) > 1e-9 {
				t.Fatalf("trial %d: Q = %.12f, gonum %.12f", trial, com.Modularity, want)
			}
			if com.Modularity < -1e-12 && g.Edges() > 0 {
				t.Fatalf("trial %d: negative modularity %g", trial, com.Modularity)
			}
		}
	})
	t.Run("loops count as internal weight in the reported modularity", func(t *testing.T) {
		rng := rand.New(rand.NewPCG(6, 6))
		for trial := range 20 {
			n := 2 + rng.IntN(40)
			g := mustBuild(t, n, randomEdges(rng, n, 1+rng.IntN(4*n), true))
			com, err := Louvain(ctx, g, LouvainOptions{Source: rand.NewPCG(uint64(trial), 0)})
			if err != nil {
				t.Fatal(err)
			}
			if q := modularityOf(g, com.Of); math.Abs(q-com.Modularity) > 1e-9 {
				t.Fatalf("trial %d: Q = %.12f, recomputed %.12f", trial, com.Modularity, q)
			}
		}
	})
	t.Run("the dense aggregation builds the level the aggregation by buckets builds", func(t *testing.T) {
		rng := rand.New(rand.NewPCG(12, 12))
		partition := func(n int) ([]int32, int) {
			k := 1 + rng.IntN(min(n, denseAggregate))
			comm := make([]int32, n)
			for x := range comm {
				comm[x] = int32(rng.IntN(k))
			}
			comm = renumber(comm) // every label used
			return comm, int(slices.Max(comm)) + 1
		}
		same := func(a, b *level) bool {
			return a.n == b.n && slices.Equal(a.off, b.off) && slices.Equal(a.adj, b.adj) && slices.Equal(a.w, b.w) &&
				slices.Equal(a.loop, b.loop) && slices.Equal(a.k, b.k)
		}
		for trial := range 30 {
			n := 2 + rng.IntN(3000)
			m := rng.IntN(8 * n)
			if trial == 0 {
				n, m = 20000, 80000 // above 2^16 entries: buckets filled and summed on every core
			}
			u, err := mustBuild(t, n, randomEdges(rng, n, m, trial%3 != 0)).undirectedView(ctx)
			if err != nil {
				t.Fatal(err)
			}
			L := u.level()
			if trial%2 == 1 {
				// Every node with a loop, as on the levels above the first,
				// so that a community sums several.
				L.loop = make([]float64, n)
				for x := range n {
					L.loop[x] = 3 * (1 - rng.Float64())
					L.k[x] += 2 * L.loop[x]
				}
			}
			comm, k := partition(n)
			if !same(L.aggregateDense(comm, k), L.aggregateBuckets(comm, k)) {
				t.Fatalf("trial %d (%d nodes, %d communities): the levels differ", trial, n, k)
			}
			// And one level up, from an aggregate.
			A := L.aggregateBuckets(comm, k)
			comm, k = partition(A.n)
			if !same(A.aggregateDense(comm, k), A.aggregateBuckets(comm, k)) {
				t.Fatalf("trial %d, aggregated level (%d nodes, %d communities): the levels differ", trial, A.n, k)
			}
		}
	})
	t.Run("a graph without edges keeps singletons", func(t *testing.T) {
		com, err := Louvain(ctx, mustBuild(t, 3, EdgeList{}), LouvainOptions{})
		if err != nil || !slices.Equal(com.Of, []int32{0, 1, 2}) || com.Modularity != 0 {
			t.Errorf("got %+v, %v", com, err)
		}
	})
}

func TestBetweenness(t *testing.T) {
	t.Run("exact betweenness agrees with gonum on random graphs", func(t *testing.T) {
		rng := rand.New(rand.NewPCG(9, 9))
		for trial := range 24 {
			n := 3 + rng.IntN(50)
			m := rng.IntN(4 * n)
			if trial >= 20 {
				// Sparse graphs of a few thousand nodes: BFS levels of a
				// few nodes spread over many bitmap words are sorted, wide
				// ones are read back from the bitmap (both in forward).
				n = 1000 + rng.IntN(1000)
				m = n + rng.IntN(n)
			}
			el := randomEdges(rng, n, m, false)
			bc, err := Betweenness(ctx, mustBuild(t, n, el), BetweennessOptions{ExactLimit: n})
			if err != nil {
				t.Fatal(err)
			}
			dg := simple.NewDirectedGraph()
			for i := 0; i < n; i++ {
				dg.AddNode(simple.Node(i))
			}
			for i := range el.Src {
				if el.Src[i] != el.Dst[i] {
					dg.SetEdge(simple.Edge{F: simple.Node(el.Src[i]), T: simple.Node(el.Dst[i])})
				}
			}
			ref := network.Betweenness(dg)
			scale := 1 / (float64(n-1) * float64(n-2))
			for v := 0; v < n; v++ {
				if want := ref[int64(v)] * scale; math.Abs(bc[v]-want) > 1e-12 {
					t.Fatalf("trial %d: b(%d) = %g, gonum %g", trial, v, bc[v], want)
				}
			}
		}
	})
	t.Run("sampled betweenness is unbiased", func(t *testing.T) {
		rng := rand.New(rand.NewPCG(11, 11))
		n := 60
		g := mustBuild(t, n, randomEdges(rng, n, 240, false))
		exact, _ := Betweenness(ctx, g, BetweennessOptions{})
		mean := make([]float64, n)
		const runs = 300
		for r := range runs {
			est, err := Betweenness(ctx, g, BetweennessOptions{ExactLimit: 10, Pivots: 15, Source: rand.NewPCG(uint64(r), 1)})
			if err != nil {
				t.Fatal(err)
			}
			for v := range est {
				mean[v] += est[v] / runs
			}
		}
		for v := range mean {
			// Each estimate has error ≤ 0.35 w.p. 0.95 (Hoeffding, k = 15);
			// the mean of 300 is 17x tighter.
			if math.Abs(mean[v]-exact[v]) > 0.02 {
				t.Errorf("b(%d): mean estimate %g, exact %g", v, mean[v], exact[v])
			}
		}
	})
}

// TestCoreNumbersByDefinition compares CoreNumbers on random graphs with
// the definition: for k = 1, 2, ..., repeatedly delete nodes of degree < k;
// the survivors have core number ≥ k.
func TestCoreNumbersByDefinition(t *testing.T) {
	rng := rand.New(rand.NewPCG(31, 31))
	for trial := range 40 {
		n := 1 + rng.IntN(120)
		el := randomEdges(rng, n, rng.IntN(8*n), false)
		core, err := CoreNumbers(ctx, mustBuild(t, n, el))
		if err != nil {
			t.Fatal(err)
		}
		nb := make([]map[int32]bool, n)
		for i := range nb {
			nb[i] = map[int32]bool{}
		}
		for i := range el.Src {
			if a, b := el.Src[i], el.Dst[i]; a != b {
				nb[a][b], nb[b][a] = true, true
			}
		}
		want := make([]int32, n)
		for k := int32(1); ; k++ {
			alive := make([]bool, n)
			for i := range alive {
				alive[i] = want[i] == k-1 // survivors of the (k−1)-core
			}
			for changed := true; changed; {
				changed = false
				for x := range n {
					if !alive[x] {
						continue
					}
					d := int32(0)
					for y := range nb[x] {
						if alive[y] {
							d++
						}
					}
					if d < k {
						alive[x], changed = false, true
					}
				}
			}
			any := false
			for x := range n {
				if alive[x] {
					want[x], any = k, true
				}
			}
			if !any {
				break
			}
		}
		if !slices.Equal(core, want) {
			t.Fatalf("trial %d (n %d, %d edges): got %v, want %v", trial, n, len(el.Src), core, want)
		}
	}
}

func TestBetweennessLayout(t *testing.T) {
	t.Run("a layout changes no score and no pivot", func(t *testing.T) {
		rng := rand.New(rand.NewPCG(21, 21))
		for trial := range 20 {
			n := 3 + rng.IntN(80)
			g := mustBuild(t, n, randomEdges(rng, n, rng.IntN(5*n), false))
			layout := make([]int32, n)
			for i := range layout {
				layout[i] = int32(i)
			}
			rng.Shuffle(n, func(i, j int) { layout[i], layout[j] = layout[j], layout[i] })
			for _, opts := range []BetweennessOptions{{}, {ExactLimit: 2, Pivots: 1 + rng.IntN(n), Source: rand.NewPCG(uint64(trial), 5)}} {
				want, err := Betweenness(ctx, g, opts)
				if err != nil {
					t.Fatal(err)
				}
				if opts.Source != nil {
					opts.Source = rand.NewPCG(uint64(trial), 5)
				}
				opts.Layout = layout
				got, err := Betweenness(ctx, g, opts)
				if err != nil {
					t.Fatal(err)
				}
				for v := range want {
					if !(math.Abs(got[v]-want[v]) <= 1e-12*max(1, want[v])) {
						t.Fatalf("trial %d, pivots %d: b(%d) = %g with the layout, %g without", trial, opts.Pivots, v, got[v], want[v])
					}
				}
			}
		}
	})
	t.Run("paths hundreds of levels deep are exact", func(t *testing.T) {
		// A directed path 0→1→…→n−1: v lies on the v·(n−1−v) paths from
		// an earlier to a later node. Sources near 0 reach depth 299, one
		// node per BFS level.
		const n = 300
		var el EdgeList
		for v := int32(0); v+1 < n; v++ {
			el.Src, el.Dst = append(el.Src, v), append(el.Dst, v+1)
		}
		bc, err := Betweenness(ctx, mustBuild(t, n, el), BetweennessOptions{})
		if err != nil {
			t.Fatal(err)
		}
		for v := range n {
			want := float64(v*(n-1-v)) / float64((n-1)*(n-2))
			if !(math.Abs(bc[v]-want) <= 1e-12) { // NaN fails too
				t.Fatalf("b(%d) = %g, want %g", v, bc[v], want)
			}
		}
	})
	t.Run("a layout that is not a permutation is refused", func(t *testing.T) {
		g := mustBuild(t, 3, EdgeList{Src: []int32{0, 1}, Dst: []int32{1, 2}})
		for _, l := range [][]int32{{0, 1}, {0, 1, 1}, {0, 1, 3}, {-1, 1, 2}} {
			if _, err := Betweenness(ctx, g, BetweennessOptions{Layout: l}); err == nil {
				t.Errorf("layout %v accepted", l)
			}
		}
	})
	t.Run("the communities' layout groups communities, then first-level communities", func(t *testing.T) {
		rng := rand.New(rand.NewPCG(23, 23))
		n := 400
		g := mustBuild(t, n, randomEdges(rng, n, 1600, false))
		com, err := Louvain(ctx, g, LouvainOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if com.fine == nil || com.Levels < 2 {
			t.Fatalf("want a run of several levels, got %d levels", com.Levels)
		}
		order := com.Layout()
		if _, err := layoutPositions(n, order); err != nil {
			t.Fatal(err)
		}
		for i := 1; i < n; i++ {
			a, b := order[i-1], order[i]
			ka := [3]int32{com.Of[a], com.fine[a], a}
			kb := [3]int32{com.Of[b], com.fine[b], b}
			if slices.Compare(ka[:], kb[:]) >= 0 {
				t.Fatalf("positions %d, %d: (community, first-level community, node) %v before %v", i-1, i, ka, kb)
			}
		}
	})
}

// TestBipartiteUndirected analyses customers A, B (nodes 0, 1) and items
// x, y (nodes 2, 3) with A–x weighing 2, A–y 1 and B–x 1 as an undirected
// graph, the form the engine analyses. Expected values by hand:
//   - PageRank: A and x are symmetric (strength 3 each, 2 to each other), as
//     are B and y (strength 1, to x and A). With a = PR(A) = PR(x) and
//     b = PR(B) = PR(y): b = 0.15/4 + 0.85·(1/3)·a and 2a + 2b = 1, so
//     a = 0.4625/(1 + 0.85/3) = 0.360389610… and b = 0.5 − a. networkx
//     2.8.8's pagerank on the undirected weighted graph gives the same
//     (0.3603896103896105 and 0.1396103896103894).
//   - Betweenness: A is on the shortest paths x–y and B–y, x on A–B and
//     B–y: 2 of the 3 pairs not involving them, so 2/3 normalised (the
//     directed form counts both directions over (n−1)(n−2) = 6: 4/6); B and
//     y are on none. networkx's betweenness_centrality gives 2/3, 2/3, 0, 0.
//   - The summary counts 3 edges and degrees 1, 1, 2, 2; every core number
//     is 1 and every clustering coefficient 0 (no triangles in a bipartite
//     graph).
//
// On the one-way Graph() every customer had the same PageRank and zero
// betweenness, which the last check shows.
func TestBipartiteUndirected(t *testing.T) {
	b, err := NewBipartite(ctx, 2, 2, Interactions{Customer: []int32{0, 0, 1, 0}, Item: []int32{0, 1, 0, 0}, W: []float64{1, 1, 1, 1}})
	if err != nil {
		t.Fatal(err)
	}
	g, err := b.Undirected(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if g.Nodes() != 4 || g.Edges() != 6 {
		t.Fatalf("%d nodes, %d directed edges, want 4 and 6", g.Nodes(), g.Edges())
	}
	an, err := Analyze(ctx, g, AnalyzeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	a := 0.4625 / (1 + 0.85/3)
	want := []struct {
		pr, bc   float64
		deg      int32
		strength float64
	}{{a, 2.0 / 3, 2, 3}, {0.5 - a, 0, 1, 1}, {a, 2.0 / 3, 2, 3}, {0.5 - a, 0, 1, 1}}
	for x, w := range want {
		r := an.Nodes[x]
		if math.Abs(r.PageRank-w.pr) > 1e-10 || math.Abs(r.Betweenness-w.bc) > 1e-12 ||
			r.InDegree != w.deg || r.OutDegree != w.deg || r.InStrength != w.strength || r.OutStrength != w.strength ||
			r.Core != 1 || r.Clustering != 0 {
			t.Errorf("node %d: %+v, want PageRank %.12f, betweenness %g, degree %d both ways, strength %g, core 1", x, r, w.pr, w.bc, w.deg, w.strength)
		}
	}
	if s := an.Summary; s.Edges != 3 || !reflect.DeepEqual(s.Degrees, []DegreeCount{{1, 2}, {2, 2}}) || s.Components != 1 {
		t.Errorf("summary %+v, want 3 edges, degrees 1:2 and 2:2, one component", s)
	}
	one, err := Analyze(ctx, b.Graph(), AnalyzeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if one.Nodes[0].PageRank != one.Nodes[1].PageRank || one.Nodes[0].Betweenness != 0 {
		t.Errorf("one-way graph: customers' PageRank %g and %g, A's betweenness %g: the contrast this test documents is gone",
			one.Nodes[0].PageRank, one.Nodes[1].PageRank, one.Nodes[0].Betweenness)
	}
}

func TestCoActivity(t *testing.T) {
	rng := rand.New(rand.NewPCG(13, 13))
	C, I, m := 80, 40, 600
	in := Interactions{Customer: make([]int32, m), Item: make([]int32, m), W: make([]float64, m)}
	for e := range m {
		in.Customer[e] = int32(rng.IntN(C - 5)) // customers 75..79 have no items
		// Item 0 is bought by almost everyone.
		in.Item[e] = int32(min(rng.IntN(I), rng.IntN(I)))
		in.W[e] = float64(1 + rng.IntN(3))
	}
	b, err := NewBipartite(ctx, C, I, in)
	if err != nil {
		t.Fatal(err)
	}
	// Brute-force dense reference.
	X := make([][]float64, C)
	df := make([]int, I)
	for c := range X {
		X[c] = make([]float64, I)
	}
	for e := range m {
		if X[in.Customer[e]][in.Item[e]] == 0 {
			df[in.Item[e]]++
		}
		X[in.Customer[e]][in.Item[e]] += in.W[e]
	}
	active := 0
	for c := range X {
		if slices.ContainsFunc(X[c], func(x float64) bool { return x > 0 }) {
			active++
		}
	}
	for _, tc := range []struct {
		name   string
		opts   CoActivityOptions
		capped func(i int) bool
	}{
		{"top-k cosine on IDF vectors matches a dense computation", CoActivityOptions{K: 5}, func(int) bool { return false }},
		{"items above the degree cap are dropped from the vectors", CoActivityOptions{K: 5, MaxItemDegree: 20}, func(i int) bool { return df[i] > 20 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g, err := CoActivity(ctx, b, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			V := make([][]float64, C)
			for c := range V {
				V[c] = make([]float64, I)
				for i := range I {
					if df[i] > 0 && !tc.capped(i) {
						V[c][i] = X[c][i] * math.Log(float64(active)/float64(df[i]))
					}
				}
			}
			dot := func(a, b []float64) float64 {
				s := 0.0
				for i := range a {
					s += a[i] * b[i]
				}
				return s
			}
			for c := 0; c < C; c++ {
				type cand struct {
					d int32
					s float64
				}
				var want []cand
				for d := 0; d < C; d++ {
					if d == c {
						continue
					}
					nc, nd := math.Sqrt(dot(V[c], V[c])), math.Sqrt(dot(V[d], V[d]))
					if nc == 0 || nd == 0 {
						continue
					}
					if s := dot(V[c], V[d]) / (nc * nd); s > 1e-12 {
						want = append(want, cand{int32(d), s})
					}
				}
				slices.SortStableFunc(want, func(a, b cand) int {
					if a.s > b.s+1e-12 {
						return -1
					}
					if a.s < b.s-1e-12 {
						return 1
					}
					return int(a.d - b.d)
				})
				want = want[:min(tc.opts.K, len(want))]
				nb, w := g.Out(int32(c))
				if len(nb) != len(want) {
					t.Fatalf("customer %d: %d neighbours, want %d", c, len(nb), len(want))
				}
				for _, x := range want {
					i := slices.Index(nb, x.d)
					if i < 0 || math.Abs(w[i]-x.s) > 1e-12 {
						t.Fatalf("customer %d: neighbour %d (sim %g) missing or wrong: %v %v", c, x.d, x.s, nb, w)
					}
				}
			}
		})
	}
	t.Run("the output does not depend on GOMAXPROCS", func(t *testing.T) {
		a, _ := CoActivity(ctx, b, CoActivityOptions{K: 3})
		old := runtime.GOMAXPROCS(1)
		c, _ := CoActivity(ctx, b, CoActivityOptions{K: 3})
		runtime.GOMAXPROCS(old)
		if !slices.Equal(a.outAdj, c.outAdj) || !slices.Equal(a.outW, c.outW) {
			t.Error("outputs differ")
		}
	})
	t.Run("bipartite degrees count distinct items and summed weights", func(t *testing.T) {
		d := b.Degrees()
		for c := 0; c < C; c++ {
			deg, s := int32(0), 0.0
			for i := range I {
				if X[c][i] > 0 {
					deg++
					s += X[c][i]
				}
			}
			if d.CustomerDegree[c] != deg || math.Abs(d.CustomerStrength[c]-s) > 1e-12 {
				t.Fatalf("customer %d: %d %g, want %d %g", c, d.CustomerDegree[c], d.CustomerStrength[c], deg, s)
			}
		}
		for i := 0; i < I; i++ {
			if int(d.ItemDegree[i]) != df[i] {
				t.Fatalf("item %d: degree %d, want %d", i, d.ItemDegree[i], df[i])
			}
		}
	})
}

func TestCancellation(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 17))
	g := mustBuild(t, 2000, randomEdges(rng, 2000, 10000, false))
	b, err := NewBipartite(ctx, 2000, 2000, Interactions{Customer: g.outAdj, Item: g.inAdj})
	if err != nil {
		t.Fatal(err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	for _, tc := range []struct {
		name string
		run  func() error
	}{
		{"pagerank stops", func() error { _, err := PageRank(cctx, g, PageRankOptions{}); return err }},
		{"louvain stops", func() error { _, err := Louvain(cctx, mustBuild(t, 10, EdgeList{}), LouvainOptions{}); return err }},
		{"betweenness stops", func() error { _, err := Betweenness(cctx, g, BetweennessOptions{}); return err }},
		{"components stop", func() error { _, err := WeakComponents(cctx, g); return err }},
		{"co-activity stops", func() error { _, err := CoActivity(cctx, b, CoActivityOptions{}); return err }},
		{"analyze stops", func() error { _, err := Analyze(cctx, g, AnalyzeOptions{}); return err }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.run(); !errors.Is(err, context.Canceled) {
				t.Errorf("got %v, want context.Canceled", err)
			}
		})
	}
}

func TestAnalyze(t *testing.T) {
	rng := rand.New(rand.NewPCG(19, 19))
	n := 300
	g := mustBuild(t, n, randomEdges(rng, n, 900, true))
	var calls []int
	a, err := Analyze(ctx, g, AnalyzeOptions{TopPerCommunity: 3, Progress: func(done, total int) { calls = append(calls, done) }})
	if err != nil {
		t.Fatal(err)
	}
	t.Run("progress reports every metric in order", func(t *testing.T) {
		if !slices.Equal(calls, []int{1, 2, 3, 4, 5, 6, 7}) {
			t.Errorf("progress calls %v", calls)
		}
	})
	// Ties at the cut are the next subtest's: on this random graph the
	// members that share a PageRank are not among a community's top three.
	t.Run("each community lists its members of highest PageRank", func(t *testing.T) {
		members := map[int32][]int32{}
		for x, nm := range a.Nodes {
			members[nm.Community] = append(members[nm.Community], int32(x))
		}
		for _, c := range a.Communities {
			ms := members[c.ID]
			slices.SortFunc(ms, func(x, y int32) int {
				if d := cmp.Compare(a.Nodes[y].PageRank, a.Nodes[x].PageRank); d != 0 {
					return d
				}
				return cmp.Compare(x, y)
			})
			if want := ms[:min(3, len(ms))]; !slices.Equal(c.Top, want) {
				t.Errorf("community %d: top %v, want %v", c.ID, c.Top, want)
			}
		}
	})
	t.Run("on equal PageRank the smaller indices are listed, in order", func(t *testing.T) {
		// Two 5-cliques interleaved by index: every node has the same
		// PageRank, each clique is a community.
		var el EdgeList
		for _, odd := range []int32{0, 1} {
			for i := int32(0); i < 5; i++ {
				for j := int32(0); j < 5; j++ {
					if i != j {
						el.Src, el.Dst = append(el.Src, 2*i+odd), append(el.Dst, 2*j+odd)
					}
				}
			}
		}
		a, err := Analyze(ctx, mustBuild(t, 10, el), AnalyzeOptions{TopPerCommunity: 3, SkipBetweenness: true})
		if err != nil {
			t.Fatal(err)
		}
		var tops [][]int32
		for _, c := range a.Communities {
			tops = append(tops, c.Top)
		}
		if want := [][]int32{{0, 2, 4}, {1, 3, 5}}; !reflect.DeepEqual(tops, want) {
			t.Errorf("tops %v, want %v", tops, want)
		}
	})
	t.Run("community rows add up to the summary", func(t *testing.T) {
		size, q := 0, 0.0
		for _, c := range a.Communities {
			size += c.Size
			q += c.Modularity
			if len(c.Top) > 3 || len(c.Top) == 0 {
				t.Fatalf("community %d lists %d top nodes", c.ID, len(c.Top))
			}
			for i := 1; i < len(c.Top); i++ {
				if a.Nodes[c.Top[i]].PageRank > a.Nodes[c.Top[i-1]].PageRank {
					t.Fatalf("community %d: top not by decreasing PageRank", c.ID)
				}
			}
			if c.Density < 0 || c.Density > 1 {
				t.Fatalf("community %d: density %g", c.ID, c.Density)
			}
		}
		if size != n || math.Abs(q-a.Summary.Modularity) > 1e-12 {
			t.Errorf("sizes sum to %d (want %d), modularity terms to %g (want %g)", size, n, q, a.Summary.Modularity)
		}
		hist := 0
		for _, d := range a.Summary.Degrees {
			hist += d.Count
		}
		if hist != n {
			t.Errorf("degree histogram counts %d nodes, want %d", hist, n)
		}
	})
}

func TestPlanBetweenness(t *testing.T) {
	// Hand calculation: k = ⌈R²·ln(2/δ)/(2ε²)⌉ with R = n/(n−1);
	// ln 20 = 2.99573, so ε = δ = 0.1 needs ⌈149.79·R²⌉ = 150 pivots.
	cases := []struct {
		name        string
		n, m        int
		opts        BetweennessOptions
		pivots      int
		eps, epsAll float64
		confidence  float64
	}{
		{name: "small graphs are exact", n: 20000, m: 1e6, opts: BetweennessOptions{}, confidence: 1},
		{name: "defaults give 150 pivots for 0.1 at 90%", n: 100001, m: 1e6, opts: BetweennessOptions{},
			pivots: 150, eps: 100001.0 / 100000 * math.Sqrt(math.Log(20)/300), epsAll: 100001.0 / 100000 * math.Sqrt(math.Log(2*100001/0.1)/300), confidence: 0.9},
		{name: "the work cap lowers the pivots of the 100M-event graph to 80", n: 1_920_000, m: 10_580_000, opts: BetweennessOptions{}, // 10⁹/(n+m) = 80
			pivots: 80, eps: 1_920_000.0 / 1_919_999 * math.Sqrt(math.Log(20)/160), epsAll: 1_920_000.0 / 1_919_999 * math.Sqrt(math.Log(2*1_920_000/0.1)/160), confidence: 0.9},
		{name: "a fixed pivot count states its error", n: 50000, m: 1e5, opts: BetweennessOptions{Pivots: 1000, Delta: 0.05},
			pivots: 1000, eps: 50000.0 / 49999 * math.Sqrt(math.Log(40)/2000), epsAll: 50000.0 / 49999 * math.Sqrt(math.Log(2*50000/0.05)/2000), confidence: 0.95},
		{name: "as many pivots as nodes is exact", n: 30000, m: 10, opts: BetweennessOptions{Epsilon: 0.001}, confidence: 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := PlanBetweenness(c.n, c.m, c.opts)
			if p.Pivots != c.pivots || p.Confidence != c.confidence ||
				math.Abs(p.Epsilon-c.eps) > 1e-12 || math.Abs(p.EpsilonAll-c.epsAll) > 1e-12 {
				t.Fatalf("got %+v, want pivots %d ε %g ε_all %g confidence %g", p, c.pivots, c.eps, c.epsAll, c.confidence)
			}
			if c.eps > 0 {
				t.Logf("ε = %.4f per node, %.4f for all nodes", p.Epsilon, p.EpsilonAll)
			}
		})
	}
}

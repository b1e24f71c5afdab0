package graph

import (
	"context"
	"fmt"
)

// Clustering returns the local clustering coefficient of every node on the
// unweighted undirected simple view (u–v adjacent when u→v or v→u; loops
// dropped):
//
//	c(v) = 2·T(v) / (deg(v)·(deg(v)−1)),   c(v) = 0 when deg(v) < 2,
//
// where T(v) is the number of triangles through v (Watts and Strogatz,
// "Collective dynamics of small-world networks", 1998). This matches
// networkx.clustering(G.to_undirected()) on an unweighted graph.
//
// Triangles are counted once each by the degree-ordered forward algorithm
// (Schank and Wagner, "Finding, counting and listing all triangles in large
// graphs", 2005), parallel over nodes: O(m^1.5) time, O(n) memory per
// goroutine.
func Clustering(ctx context.Context, g *Graph) ([]float64, error) {
	u, err := g.undirectedView(ctx)
	if err != nil {
		return nil, fmt.Errorf("clustering: %w", err)
	}
	c, err := u.clustering(ctx)
	if err != nil {
		return nil, fmt.Errorf("clustering: %w", err)
	}
	return c, nil
}

func (u *undirected) clustering(ctx context.Context) ([]float64, error) {
	n := u.n
	deg := func(x int32) int64 { return u.off[x+1] - u.off[x] }
	higher := func(a, b int32) bool { // rank(b) > rank(a)
		da, db := deg(a), deg(b)
		return db > da || (db == da && b > a)
	}
	// Forward adjacency: neighbours of higher rank, kept in index order.
	fOff := make([]int64, n+1)
	for x := 0; x < n; x++ {
		c := int64(0)
		for _, y := range u.adj[u.off[x]:u.off[x+1]] {
			if higher(int32(x), y) {
				c++
			}
		}
		fOff[x+1] = fOff[x] + c
	}
	fAdj := make([]int32, fOff[n])
	for x := 0; x < n; x++ {
		k := fOff[x]
		for _, y := range u.adj[u.off[x]:u.off[x+1]] {
			if higher(int32(x), y) {
				fAdj[k] = y
				k++
			}
		}
	}
	bounds := chunks(fOff, 16*workers())
	parts := len(bounds) - 1
	w := workers()
	tri := make([][]int64, w)
	mark := make([][]int32, w)
	slot := make(chan int, w)
	for i := range w {
		slot <- i
	}
	err := parallel(ctx, parts, func(p int) {
		s := <-slot
		defer func() { slot <- s }()
		if tri[s] == nil {
			tri[s] = make([]int64, n)
			mark[s] = make([]int32, n)
		}
		t, mk := tri[s], mark[s]
		for x := bounds[p]; x < bounds[p+1]; x++ {
			stamp := int32(x + 1)
			fx := fAdj[fOff[x]:fOff[x+1]]
			for _, y := range fx {
				mk[y] = stamp
			}
			for _, y := range fx {
				for _, z := range fAdj[fOff[y]:fOff[y+1]] {
					if mk[z] == stamp {
						t[x]++
						t[y]++
						t[z]++
					}
				}
			}
		}
	})
	if err != nil {
		return nil, err
	}
	c := make([]float64, n)
	for x := 0; x < n; x++ {
		var T int64
		for s := range tri {
			if tri[s] != nil {
				T += tri[s][x]
			}
		}
		if d := deg(int32(x)); d >= 2 && T > 0 {
			c[x] = float64(2*T) / float64(d*(d-1))
		}
	}
	return c, nil
}

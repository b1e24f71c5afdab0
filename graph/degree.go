package graph

// Degrees holds per-node degree and strength, indexed by node.
//
// Degree counts distinct neighbours (parallel edges were merged by
// [Build]); a self-loop adds one to both in- and out-degree. Strength is the
// sum of edge weights.
type Degrees struct {
	In, Out                 []int32
	InStrength, OutStrength []float64
}

// DegreesOf returns the in/out degree and strength of every node in O(n+m).
func DegreesOf(g *Graph) Degrees {
	d := Degrees{
		In:          make([]int32, g.n),
		Out:         make([]int32, g.n),
		InStrength:  make([]float64, g.n),
		OutStrength: make([]float64, g.n),
	}
	for u := 0; u < g.n; u++ {
		d.Out[u] = int32(g.outOff[u+1] - g.outOff[u])
		d.In[u] = int32(g.inOff[u+1] - g.inOff[u])
		d.OutStrength[u] = sum(g.outW[g.outOff[u]:g.outOff[u+1]])
		d.InStrength[u] = sum(g.inW[g.inOff[u]:g.inOff[u+1]])
	}
	return d
}

func sum(x []float64) float64 {
	s := 0.0
	for _, v := range x {
		s += v
	}
	return s
}

package reports

import (
	"cmp"
	"math"
	"slices"
)

// netView is the part of a network that the page draws.
type netView struct {
	nodes      []Node     // kept nodes, highest PageRank first
	links      [][2]int32 // indices into nodes, heaviest first
	totalNodes int        // distinct nodes in the input
	totalEdges int        // distinct edges among all input nodes
}

// selectNetwork keeps the maxNodes nodes with the highest PageRank (ties by
// ID) and the maxEdges heaviest distinct edges among them. Duplicate node
// IDs keep their first occurrence; self-loops and edges to unknown nodes are
// dropped. It runs in O(n log n + m log m).
func selectNetwork(ns *NetworkSection, maxNodes, maxEdges int) netView {
	seen := make(map[string]bool, len(ns.Nodes))
	nodes := make([]Node, 0, len(ns.Nodes))
	for _, n := range ns.Nodes {
		if seen[n.ID] {
			continue
		}
		seen[n.ID] = true
		nodes = append(nodes, n)
	}
	v := netView{totalNodes: len(nodes)}
	slices.SortStableFunc(nodes, func(a, b Node) int {
		if c := cmp.Compare(b.PageRank, a.PageRank); c != 0 {
			return c
		}
		return cmp.Compare(a.ID, b.ID)
	})
	if len(nodes) > maxNodes {
		nodes = nodes[:maxNodes]
	}
	v.nodes = nodes
	index := make(map[string]int32, len(nodes))
	for i, n := range nodes {
		index[n.ID] = int32(i)
	}

	type wedge struct {
		a, b int32
		w    float64
	}
	pairs := make(map[[2]int32]int, len(ns.Edges))
	var kept []wedge
	all := make(map[[2]string]bool)
	for _, e := range ns.Edges {
		if e.Source == e.Target || !seen[e.Source] || !seen[e.Target] {
			continue
		}
		k := [2]string{e.Source, e.Target}
		if k[0] > k[1] {
			k[0], k[1] = k[1], k[0]
		}
		all[k] = true
		a, okA := index[e.Source]
		b, okB := index[e.Target]
		if !okA || !okB {
			continue
		}
		if a > b {
			a, b = b, a
		}
		w := e.Weight
		if w == 0 || math.IsNaN(w) {
			w = 1
		}
		if i, ok := pairs[[2]int32{a, b}]; ok {
			kept[i].w = max(kept[i].w, w)
			continue
		}
		pairs[[2]int32{a, b}] = len(kept)
		kept = append(kept, wedge{a, b, w})
	}
	v.totalEdges = len(all)
	slices.SortStableFunc(kept, func(x, y wedge) int {
		if c := cmp.Compare(y.w, x.w); c != 0 {
			return c
		}
		if c := cmp.Compare(x.a, y.a); c != 0 {
			return c
		}
		return cmp.Compare(x.b, y.b)
	})
	if len(kept) > maxEdges {
		kept = kept[:maxEdges]
	}
	v.links = make([][2]int32, len(kept))
	for i, e := range kept {
		v.links[i] = [2]int32{e.a, e.b}
	}
	return v
}

// layoutNetwork places the nodes for drawing: each group gets a disc with
// area proportional to its size, discs are packed along a spiral, nodes start
// on a sunflower pattern inside their disc (most central in the middle), and
// a short Fruchterman–Reingold run (edges within a group attract, nearby
// nodes repel, each node is pulled back to its disc) reveals structure within communities.
// Repulsion only looks at neighbouring grid cells, so an iteration costs
// O(n + m) for evenly spread nodes. It is deterministic. group[i] is node i's
// layout group; coordinates are returned in [10, 990].
func layoutNetwork(group []int, ngroups int, links [][2]int32) (xs, ys []float64) {
	n := len(group)
	xs, ys = make([]float64, n), make([]float64, n)
	if n == 0 {
		return xs, ys
	}
	const k = 10.0 // ideal distance between nodes
	members := make([][]int, ngroups)
	for i, g := range group {
		members[g] = append(members[g], i)
	}

	// Pack the group discs, largest first, along an Archimedean spiral.
	order := make([]int, ngroups)
	for g := range order {
		order[g] = g
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(len(members[b]), len(members[a])) })
	cx, cy, rad := make([]float64, ngroups), make([]float64, ngroups), make([]float64, ngroups)
	var placed []int
	for _, g := range order {
		if len(members[g]) == 0 {
			continue
		}
		rad[g] = k * math.Sqrt(float64(len(members[g])))
		for theta := 0.0; ; theta += 0.05 {
			r := k * theta / (2 * math.Pi) * 2
			x, y := r*math.Cos(theta), r*math.Sin(theta)
			ok := true
			for _, h := range placed {
				if math.Hypot(x-cx[h], y-cy[h]) < rad[g]+rad[h]+2*k {
					ok = false
					break
				}
			}
			if ok {
				cx[g], cy[g] = x, y
				break
			}
		}
		placed = append(placed, g)
	}

	// Sunflower seeding inside each disc.
	const golden = 2.399963229728653 // π(3 − √5)
	for g, ms := range members {
		for j, i := range ms {
			r := rad[g] * math.Sqrt((float64(j)+0.5)/float64(len(ms)))
			a := float64(j) * golden
			xs[i], ys[i] = cx[g]+r*math.Cos(a), cy[g]+r*math.Sin(a)
		}
	}

	// Fruchterman–Reingold refinement with a grid for repulsion.
	dx, dy := make([]float64, n), make([]float64, n)
	const iters = 60
	cell := 3 * k
	type key struct{ x, y int32 }
	buckets := make(map[key][]int, n)
	for it := 0; it < iters; it++ {
		clear(dx)
		clear(dy)
		for key := range buckets {
			buckets[key] = buckets[key][:0]
		}
		for i := range n {
			c := key{int32(math.Floor(xs[i] / cell)), int32(math.Floor(ys[i] / cell))}
			buckets[c] = append(buckets[c], i)
		}
		for i := range n {
			c := key{int32(math.Floor(xs[i] / cell)), int32(math.Floor(ys[i] / cell))}
			for ox := int32(-1); ox <= 1; ox++ {
				for oy := int32(-1); oy <= 1; oy++ {
					for _, j := range buckets[key{c.x + ox, c.y + oy}] {
						if j == i {
							continue
						}
						ddx, ddy := xs[i]-xs[j], ys[i]-ys[j]
						d2 := ddx*ddx + ddy*ddy
						if d2 > cell*cell {
							continue
						}
						if d2 < 1e-6 {
							// Coincident nodes: separate them by index.
							ddx, ddy, d2 = float64(i-j)*1e-3, 1e-3, 1e-6
						}
						f := k * k / d2 // k²/d, divided by d for the unit vector
						dx[i] += ddx * f
						dy[i] += ddy * f
					}
				}
			}
		}
		for _, l := range links {
			a, b := l[0], l[1]
			if group[a] != group[b] {
				continue // ties across groups are drawn but do not pull discs together
			}
			ddx, ddy := xs[a]-xs[b], ys[a]-ys[b]
			d := math.Hypot(ddx, ddy)
			if d < 1e-9 {
				continue
			}
			f := d / k // d²/k, divided by d for the unit vector
			dx[a] -= ddx * f
			dy[a] -= ddy * f
			dx[b] += ddx * f
			dy[b] += ddy * f
		}
		temp := k * 2 * (1 - float64(it)/iters)
		for i := range n {
			g := group[i]
			dx[i] += (cx[g] - xs[i]) * 0.03
			dy[i] += (cy[g] - ys[i]) * 0.03
			d := math.Hypot(dx[i], dy[i])
			if d > temp {
				dx[i], dy[i] = dx[i]/d*temp, dy[i]/d*temp
			}
			xs[i] += dx[i]
			ys[i] += dy[i]
		}
	}

	// Scale into [10, 990], keeping the aspect ratio.
	minX, maxX, minY, maxY := xs[0], xs[0], ys[0], ys[0]
	for i := range n {
		minX, maxX = min(minX, xs[i]), max(maxX, xs[i])
		minY, maxY = min(minY, ys[i]), max(maxY, ys[i])
	}
	span := max(maxX-minX, maxY-minY, 1e-9)
	for i := range n {
		xs[i] = round(10+(xs[i]-minX)/span*980, 1)
		ys[i] = round(10+(ys[i]-minY)/span*980, 1)
	}
	return xs, ys
}

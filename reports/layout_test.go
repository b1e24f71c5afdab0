package reports

import (
	"fmt"
	"math"
	"slices"
	"testing"
)

func TestSelectNetwork(t *testing.T) {
	ns := &NetworkSection{
		Nodes: []Node{
			{ID: "a", PageRank: 0.1}, {ID: "b", PageRank: 0.4}, {ID: "c", PageRank: 0.3},
			{ID: "d", PageRank: 0.2}, {ID: "b", PageRank: 0.9}, // duplicate id
		},
		Edges: []Edge{
			{Source: "b", Target: "c", Weight: 1},
			{Source: "c", Target: "b", Weight: 5}, // same pair, heavier
			{Source: "b", Target: "d", Weight: 2},
			{Source: "c", Target: "d", Weight: 3},
			{Source: "a", Target: "b", Weight: 9},  // a is dropped
			{Source: "d", Target: "d", Weight: 9},  // self-loop
			{Source: "d", Target: "zz", Weight: 9}, // unknown node
		},
	}
	tests := []struct {
		name               string
		maxNodes, maxEdges int
		wantNodes          []string
		wantLinks          [][2]int32
	}{
		{"the most central nodes are kept, heaviest ties first", 3, 10, []string{"b", "c", "d"}, [][2]int32{{0, 1}, {1, 2}, {0, 2}}},
		{"the edge cap keeps the heaviest ties", 3, 2, []string{"b", "c", "d"}, [][2]int32{{0, 1}, {1, 2}}},
		{"a generous cap keeps every node", 10, 10, []string{"b", "c", "d", "a"}, [][2]int32{{0, 3}, {0, 1}, {1, 2}, {0, 2}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := selectNetwork(ns, tt.maxNodes, tt.maxEdges)
			var ids []string
			for _, n := range v.nodes {
				ids = append(ids, n.ID)
			}
			if !slices.Equal(ids, tt.wantNodes) {
				t.Errorf("nodes = %v, want %v", ids, tt.wantNodes)
			}
			if !slices.Equal(v.links, tt.wantLinks) {
				t.Errorf("links = %v, want %v", v.links, tt.wantLinks)
			}
			if v.totalNodes != 4 || v.totalEdges != 4 {
				t.Errorf("totals = %d nodes, %d edges; want 4, 4", v.totalNodes, v.totalEdges)
			}
		})
	}
}

func TestLayoutNetwork(t *testing.T) {
	const n, groups = 600, 6
	group := make([]int, n)
	var links [][2]int32
	for i := range n {
		group[i] = i % groups
		if i >= groups {
			links = append(links, [2]int32{int32(i), int32(i - groups)})
		}
	}
	xs, ys := layoutNetwork(group, groups, links)

	t.Run("coordinates are finite and inside the drawing box", func(t *testing.T) {
		for i := range n {
			if math.IsNaN(xs[i]) || math.IsNaN(ys[i]) || xs[i] < 10 || xs[i] > 990 || ys[i] < 10 || ys[i] > 990 {
				t.Fatalf("node %d at (%v, %v)", i, xs[i], ys[i])
			}
		}
	})
	t.Run("the layout is deterministic", func(t *testing.T) {
		xs2, ys2 := layoutNetwork(group, groups, links)
		if !slices.Equal(xs, xs2) || !slices.Equal(ys, ys2) {
			t.Error("two layouts of the same graph differ")
		}
	})
	t.Run("members of a group sit closer to each other than to other groups", func(t *testing.T) {
		cx, cy, cnt := make([]float64, groups), make([]float64, groups), make([]float64, groups)
		for i := range n {
			cx[group[i]] += xs[i]
			cy[group[i]] += ys[i]
			cnt[group[i]]++
		}
		for g := range groups {
			cx[g] /= cnt[g]
			cy[g] /= cnt[g]
		}
		misplaced := 0
		for i := range n {
			own := math.Hypot(xs[i]-cx[group[i]], ys[i]-cy[group[i]])
			for g := range groups {
				if g != group[i] && math.Hypot(xs[i]-cx[g], ys[i]-cy[g]) < own {
					misplaced++
					break
				}
			}
		}
		if misplaced > n/50 {
			t.Errorf("%d of %d nodes are nearer another group's centre", misplaced, n)
		}
	})
	t.Run("no two nodes share a position", func(t *testing.T) {
		seen := map[string]bool{}
		for i := range n {
			k := fmt.Sprint(xs[i], ys[i])
			if seen[k] {
				t.Fatalf("two nodes at %s", k)
			}
			seen[k] = true
		}
	})
	t.Run("an empty graph gives no coordinates", func(t *testing.T) {
		xs, ys := layoutNetwork(nil, 0, nil)
		if len(xs) != 0 || len(ys) != 0 {
			t.Error("coordinates for no nodes")
		}
	})
}

func TestNiceCeil(t *testing.T) {
	for _, tt := range []struct{ in, want int64 }{{0, 1}, {7, 10}, {120, 200}, {98211, 100000}, {100000, 100000}, {943, 1000}} {
		t.Run(fmt.Sprintf("%d rounds up to %d", tt.in, tt.want), func(t *testing.T) {
			if got := niceCeil(tt.in); got != tt.want {
				t.Errorf("niceCeil(%d) = %d", tt.in, got)
			}
		})
	}
}

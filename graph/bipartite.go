package graph

import (
	"context"
	"fmt"
)

// Interactions are customer–item events (purchases, ratings, views) over
// dense customer indices 0..customers-1 and item indices 0..items-1. W,
// when not nil, holds each event's weight (nil means 1 per event).
type Interactions struct {
	Customer, Item []int32
	W              []float64
}

// Bipartite is the customer–item graph: an edge from each customer to each
// item they interacted with, weighted by the summed weight of their events.
// It is safe for concurrent use.
type Bipartite struct {
	customers, items int
	// g has nodes 0..customers-1 for customers and customers+i for item i;
	// its CSR rows are customers' items and its CSC rows items' customers.
	g *Graph
}

// NewBipartite returns the bipartite graph of the interactions in
// O(customers + items + m) time. Repeated customer–item events are summed.
func NewBipartite(ctx context.Context, customers, items int, in Interactions) (*Bipartite, error) {
	m := len(in.Customer)
	if len(in.Item) != m {
		return nil, fmt.Errorf("bipartite graph: %d customers for %d items in interactions", m, len(in.Item))
	}
	if customers < 0 || items < 0 || int64(customers)+int64(items) > 1<<31-1 {
		return nil, fmt.Errorf("bipartite graph: %d customers and %d items out of range", customers, items)
	}
	dst := make([]int32, m)
	for i, it := range in.Item {
		if it < 0 || int(it) >= items {
			return nil, fmt.Errorf("bipartite graph: interaction %d: item %d outside 0..%d", i, it, items-1)
		}
		if c := in.Customer[i]; c < 0 || int(c) >= customers {
			return nil, fmt.Errorf("bipartite graph: interaction %d: customer %d outside 0..%d", i, c, customers-1)
		}
		dst[i] = int32(customers) + it
	}
	g, err := Build(ctx, customers+items, EdgeList{Src: in.Customer, Dst: dst, W: in.W})
	if err != nil {
		return nil, fmt.Errorf("bipartite graph: %w", err)
	}
	return &Bipartite{customers: customers, items: items, g: g}, nil
}

// Customers returns the number of customers.
func (b *Bipartite) Customers() int { return b.customers }

// Items returns the number of items.
func (b *Bipartite) Items() int { return b.items }

// Edges returns the number of distinct customer–item pairs.
func (b *Bipartite) Edges() int { return b.g.Edges() }

// ItemsOf returns the items of customer c in increasing order (a new
// slice) and the summed weights (aliasing the graph: do not modify).
func (b *Bipartite) ItemsOf(c int32) (items []int32, w []float64) {
	a, e := b.g.outOff[c], b.g.outOff[c+1]
	items = b.g.outAdj[a:e]
	base := int32(b.customers)
	out := make([]int32, len(items))
	for i, x := range items {
		out[i] = x - base
	}
	return out, b.g.outW[a:e]
}

// CustomersOf returns the customers of item i in increasing order and the
// summed weights. The slices alias the graph and must not be modified.
func (b *Bipartite) CustomersOf(i int32) (customers []int32, w []float64) {
	v := int32(b.customers) + i
	a, e := b.g.inOff[v], b.g.inOff[v+1]
	return b.g.inAdj[a:e], b.g.inW[a:e]
}

// BipartiteDegrees holds degree (distinct neighbours) and strength (summed
// weight) of both sides of a [Bipartite], indexed by customer and by item.
type BipartiteDegrees struct {
	CustomerDegree   []int32
	CustomerStrength []float64
	ItemDegree       []int32
	ItemStrength     []float64
	// Density is edges / (customers·items), 0 when either side is empty.
	Density float64
}

// Degrees returns the degrees and strengths of customers and items in
// O(customers + items + m).
func (b *Bipartite) Degrees() BipartiteDegrees {
	d := DegreesOf(b.g)
	c := b.customers
	out := BipartiteDegrees{
		CustomerDegree:   d.Out[:c:c],
		CustomerStrength: d.OutStrength[:c:c],
		ItemDegree:       d.In[c:],
		ItemStrength:     d.InStrength[c:],
	}
	if b.customers > 0 && b.items > 0 {
		out.Density = float64(b.g.Edges()) / (float64(b.customers) * float64(b.items))
	}
	return out
}

// Graph returns the bipartite graph as a directed [Graph] with customers
// as nodes 0..Customers()-1 and item i as node Customers()+i, edges
// pointing from customers to items.
func (b *Bipartite) Graph() *Graph { return b.g }

// Undirected returns the bipartite graph with every customer–item edge in
// both directions, the same weight each way: the form in which PageRank
// walks from items back to customers and betweenness finds paths through
// items (on [Bipartite.Graph], whose edges all point to items, every
// customer gets the same PageRank and zero betweenness). It is how
// networkx treats an undirected graph in pagerank. [Analyze]'s summary
// counts each pair once. O(customers + items + m).
func (b *Bipartite) Undirected(ctx context.Context) (*Graph, error) {
	g := b.g
	m := g.Edges()
	el := EdgeList{Src: make([]int32, 0, 2*m), Dst: make([]int32, 0, 2*m), W: make([]float64, 0, 2*m)}
	for c := 0; c < b.customers; c++ {
		for j := g.outOff[c]; j < g.outOff[c+1]; j++ {
			el.Src = append(el.Src, int32(c), g.outAdj[j])
			el.Dst = append(el.Dst, g.outAdj[j], int32(c))
			el.W = append(el.W, g.outW[j], g.outW[j])
		}
	}
	u, err := Build(ctx, g.n, el)
	if err != nil {
		return nil, fmt.Errorf("bipartite graph: %w", err)
	}
	u.symmetric = true
	return u, nil
}

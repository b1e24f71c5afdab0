// Package graph builds customer graphs from plain edge lists and computes
// network metrics over them in compressed sparse row form.
//
// Three graphs are offered: the directed customer network of peer actions
// ([NewCustomerNetwork]), the customer–item bipartite graph ([NewBipartite])
// and its co-activity projection ([CoActivity]). Every graph is a [Graph]
// over dense node indices 0..n-1; the caller owns the mapping from indices
// to customer ids.
//
// Metrics return slices indexed by node: [DegreesOf], [PageRank],
// [WeakComponents], [CoreNumbers], [Clustering], [Louvain],
// [Participation] and [Betweenness]. [Analyze] runs them all and returns
// per-node rows, per-community rows and a whole-graph summary.
//
// Long-running functions take a [context.Context] first and check it in
// their outer loops; progress is reported through an optional
// func(done, total int) in their options (nil is silent). The package never
// touches a database: the engine hands it slices and stores what it returns.
//
// Example:
//
//	g, err := graph.Build(ctx, n, graph.EdgeList{Src: src, Dst: dst})
//	if err != nil { ... }
//	a, err := graph.Analyze(ctx, g, graph.AnalyzeOptions{SkipBetweenness: true})
package graph

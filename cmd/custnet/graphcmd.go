package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/custnet/custnet/engine"
)

func (a *app) graphCmd() *cobra.Command {
	var (
		store, kind string
		halfLife    time.Duration
		k           int
		seed        uint64
		asJSON      bool
		noBetween   bool
	)
	cmd := &cobra.Command{
		Use:   "graph",
		Short: "Build an interaction graph and store its network metrics",
		Long: `Graph builds one interaction graph of the consented customers and stores, per
customer, in/out degree and strength, PageRank, weakly connected component,
k-core, clustering coefficient, Louvain community, participation coefficient
and betweenness (table graph_metrics), plus communities and a summary.
Every consented customer gets a row: those not in the graph (no peer link in
the customer network, no item interaction in the bipartite and coactivity
graphs) have degree 0 and no PageRank, component or community (NULL).

Kinds: customer (customer→customer links from peer actions: trust, follow,
share, reply, answer, vote...), bipartite (customer–item interactions,
undirected: in- and out-degree are equal, the summary counts each pair once), and
coactivity (customers linked by shared items, top-k cosine on IDF weights).`,
		Example: `  custnet graph --store shop.duckdb
  custnet graph --store shop.duckdb --kind coactivity --k 20 --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			switch kind {
			case engine.GraphCustomer, engine.GraphBipartite, engine.GraphCoActivity:
			default:
				return usageError{fmt.Errorf("--kind %q: want customer, bipartite or coactivity", kind)}
			}
			if k <= 0 {
				return usageError{fmt.Errorf("--k must be positive")}
			}
			e, err := a.openExisting(cmd.Context(), store, false)
			if err != nil {
				return err
			}
			defer e.Close()
			res, err := e.BuildGraph(cmd.Context(), engine.GraphOptions{Kind: kind, HalfLife: halfLife, K: k, Seed: seed, SkipBetweenness: noBetween})
			if err != nil {
				return err
			}
			if asJSON {
				return a.printJSON(res)
			}
			s := res.Summary
			fmt.Fprintf(a.stdout, "%s graph: %d nodes, %d edges, %d components (largest %.1f%%), modularity %.3f, %d communities (%.2fs)\n",
				res.Kind, s.Nodes, s.Edges, s.Components, 100*s.LargestComponentShare, s.Modularity, len(res.Communities), res.Seconds)
			if s.Edges == 0 && res.Kind == engine.GraphCustomer {
				fmt.Fprintln(a.stdout, "  the data has no customer-to-customer links (trust, follow, reply...); try --kind coactivity")
			}
			switch b := s.Betweenness; {
			case b == nil:
				fmt.Fprintln(a.stdout, "  betweenness: skipped")
			case b.Pivots == 0:
				fmt.Fprintln(a.stdout, "  betweenness: exact")
			default:
				fmt.Fprintf(a.stdout, "  betweenness: sampled from %d pivots, error at most %.3g per customer with probability %.2f\n", b.Pivots, b.Epsilon, b.Confidence)
			}
			for i, n := range res.Top {
				if i == 5 {
					break
				}
				fmt.Fprintf(a.stdout, "  top %d: customer %s  pagerank %.5f  in %d  community %d\n", i+1, n.Customer, n.PageRank, n.InDegree, n.Community)
			}
			return nil
		},
	}
	storeFlag(cmd, &store)
	f := cmd.Flags()
	f.StringVar(&kind, "kind", "customer", "graph kind: customer, bipartite or coactivity")
	f.Var(daysFlag{&halfLife}, "half-life", "customer network only: decay each link by its age before the latest dated link with this half-life, e.g. 90d (undated links count 1); 0 counts links")
	f.IntVar(&k, "k", 20, "neighbours per customer in the coactivity projection")
	f.Uint64Var(&seed, "seed", 1, "seed of Louvain's node order")
	f.BoolVar(&noBetween, "skip-betweenness", false, "skip betweenness centrality (the costliest metric)")
	f.BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

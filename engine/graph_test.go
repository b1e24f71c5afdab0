package engine

import (
	"context"
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/custnet/custnet/internal/dstest"
)

func TestBuildGraphFromFilmTrust(t *testing.T) {
	// The metrics go to DuckDB in records of 100 nodes, as a large graph's
	// do in records of a row group.
	was := metricsPerRecord
	metricsPerRecord = 100
	defer func() { metricsPerRecord = was }()
	e, _ := newTestEngine(t)
	if _, err := e.Ingest(context.Background(), IngestOptions{
		Path: dstest.Path(t, "filmtrust", "ratings.txt"), Format: "filmtrust", AssumeConsent: []string{"analytics"},
	}); err != nil {
		t.Fatal(err)
	}
	res, err := e.BuildGraph(context.Background(), GraphOptions{Kind: GraphCustomer})
	if err != nil {
		t.Fatal(err)
	}
	t.Run("the customer network has one node per linked customer and one edge per distinct link", func(t *testing.T) {
		nodes := count(t, e, `SELECT count(*) FROM (SELECT customer_id FROM events WHERE action='trust' UNION SELECT peer_id FROM events WHERE action='trust')`)
		edges := count(t, e, `SELECT count(*) FROM (SELECT DISTINCT customer_id, peer_id FROM events WHERE action='trust')`)
		if int64(res.Summary.Nodes) != nodes || int64(res.Summary.Edges) != edges {
			t.Fatalf("graph has %d nodes %d edges, SQL says %d and %d", res.Summary.Nodes, res.Summary.Edges, nodes, edges)
		}
		if n := count(t, e, `SELECT count(*) FROM graph_metrics WHERE kind = 'customer'`); n != nodes {
			t.Fatalf("graph_metrics rows = %d, want %d", n, nodes)
		}
	})
	t.Run("stored PageRank sums to one and in-degrees match the links", func(t *testing.T) {
		var sum float64
		if err := e.db.QueryRow(`SELECT sum(pagerank) FROM graph_metrics WHERE kind='customer'`).Scan(&sum); err != nil {
			t.Fatal(err)
		}
		if math.Abs(sum-1) > 1e-9 {
			t.Fatalf("PageRank sums to %v", sum)
		}
		bad := count(t, e, `SELECT count(*) FROM graph_metrics g JOIN (
			SELECT peer_id, count(DISTINCT customer_id) AS d FROM events WHERE action='trust' GROUP BY peer_id) x
			ON x.peer_id = g.customer_id WHERE g.in_degree <> x.d`)
		if bad != 0 {
			t.Fatalf("%d customers with a wrong in-degree", bad)
		}
	})
	t.Run("communities are stored with their top customers", func(t *testing.T) {
		if len(res.Communities) == 0 || res.Summary.Modularity <= 0.3 {
			t.Fatalf("%d communities, modularity %v", len(res.Communities), res.Summary.Modularity)
		}
		if n := count(t, e, `SELECT count(*) FROM communities WHERE kind='customer' AND len(top_customers) > 0`); n != int64(len(res.Communities)) {
			t.Fatalf("communities with top customers = %d, want %d", n, len(res.Communities))
		}
		storedCommunitiesMatch(t, e, GraphCustomer, res)
	})
	t.Run("revoking a customer erases their graph rows and community mentions", func(t *testing.T) {
		who := res.Top[0].Customer
		if _, err := e.Revoke(context.Background(), who, "analytics", "test"); err != nil {
			t.Fatal(err)
		}
		if n := count(t, e, `SELECT count(*) FROM graph_metrics WHERE customer_id = $1`, who); n != 0 {
			t.Fatal("graph_metrics row survives")
		}
		if n := count(t, e, `SELECT count(*) FROM communities WHERE list_contains(top_customers, $1)`, who); n != 0 {
			t.Fatal("community top list still names the customer")
		}
		if n := count(t, e, `SELECT count(*) FROM events WHERE peer_id = $1`, who); n != 0 {
			t.Fatal("links naming the customer survive")
		}
	})
	t.Run("co-activity and bipartite graphs build from ratings", func(t *testing.T) {
		for _, kind := range []string{GraphBipartite, GraphCoActivity} {
			r, err := e.BuildGraph(context.Background(), GraphOptions{Kind: kind, SkipBetweenness: true})
			if err != nil {
				t.Fatal(err)
			}
			if r.Summary.Edges == 0 {
				t.Fatalf("%s graph has no edges", kind)
			}
			storedCommunitiesMatch(t, e, kind, r)
			if kind == GraphBipartite {
				// Communities of items only list no top customers: an
				// empty list, not NULL.
				if n := count(t, e, `SELECT count(*) FROM communities WHERE kind = $1 AND len(top_customers) = 0`, kind); n == 0 {
					t.Error("no bipartite community without top customers: the empty-list case went untested")
				}
			}
		}
	})
}

// storedCommunitiesMatch checks, row for row, that the communities table
// holds res's communities of kind.
func storedCommunitiesMatch(t *testing.T, e *Engine, kind string, res *GraphResult) {
	t.Helper()
	want := map[int64]string{}
	for _, r := range res.Communities {
		want[r.Community] = fmt.Sprintf("%d %.12g %.12g [%s]", r.Size, r.Density, r.Modularity, strings.Join(r.Top, ", "))
	}
	rows, err := e.db.Query(`SELECT community, size, density, modularity, top_customers::VARCHAR FROM communities WHERE kind = $1`, kind)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	stored := 0
	for rows.Next() {
		var c, size int64
		var density, mod float64
		var top string
		if err := rows.Scan(&c, &size, &density, &mod, &top); err != nil {
			t.Fatal(err)
		}
		stored++
		if got := fmt.Sprintf("%d %.12g %.12g %s", size, density, mod, top); got != want[c] {
			t.Errorf("%s community %d stored as %q, the result has %q", kind, c, got, want[c])
		}
	}
	if stored != len(res.Communities) {
		t.Errorf("%d %s communities stored, the result has %d", stored, kind, len(res.Communities))
	}
}

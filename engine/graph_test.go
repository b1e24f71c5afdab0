package engine

import (
	"context"
	"fmt"
	"maps"
	"math"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/custnet/custnet/internal/dstest"
	"github.com/custnet/custnet/reports"
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
		if n := count(t, e, `SELECT count(*) FROM graph_metrics WHERE kind = 'customer' AND pagerank IS NOT NULL`); n != nodes {
			t.Fatalf("graph_metrics rows in the graph = %d, want %d", n, nodes)
		}
	})
	t.Run("every consented customer has a row, the unlinked ones with no links and no community", func(t *testing.T) {
		consented := count(t, e, `SELECT count(*) FROM (`+activeSQL("analytics")+`)`)
		linked := count(t, e, `SELECT count(*) FROM graph_metrics WHERE kind = 'customer' AND pagerank IS NOT NULL`)
		if n := count(t, e, `SELECT count(DISTINCT customer_id) FROM graph_metrics WHERE kind = 'customer'`); n != consented || n <= linked {
			t.Fatalf("graph_metrics has %d customers, %d consented, %d in the graph: want every consented customer, more than the linked ones (FilmTrust's raters without trust links)", n, consented, linked)
		}
		if n := count(t, e, `SELECT count(*) FROM graph_metrics WHERE kind = 'customer' AND pagerank IS NULL
			AND (in_degree, out_degree, in_strength, out_strength, core, clustering, participation, betweenness) = (0, 0, 0, 0, 0, 0, 0, 0)
			AND component IS NULL AND component_size IS NULL AND community IS NULL`); n != consented-linked {
			t.Errorf("%d rows outside the graph with zero links and NULL PageRank, component and community, want %d", n, consented-linked)
		}
		if n := count(t, e, `SELECT count(*) FROM graph_metrics g JOIN events e USING (customer_id)
			WHERE g.kind = 'customer' AND g.pagerank IS NULL AND e.action = 'trust'`); n != 0 {
			t.Errorf("%d trust links from customers said to be outside the graph", n)
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
				// Undirected: each customer–item pair once in the summary,
				// in- and out-degree equal, and PageRank that tells
				// customers apart (the one-way graph gave all the same).
				pairs := count(t, e, `SELECT count(*) FROM (SELECT DISTINCT customer_id, item_id FROM events
					WHERE item_id IS NOT NULL AND action IN (`+itemActionsSQL()+`))`)
				if int64(r.Summary.Edges) != pairs {
					t.Errorf("bipartite summary counts %d edges, the store has %d customer–item pairs", r.Summary.Edges, pairs)
				}
				if n := count(t, e, `SELECT count(*) FROM graph_metrics WHERE kind = $1 AND in_degree <> out_degree`, kind); n != 0 {
					t.Errorf("%d bipartite rows with in-degree ≠ out-degree", n)
				}
				if n := count(t, e, `SELECT count(DISTINCT pagerank) FROM graph_metrics WHERE kind = $1`, kind); n < 100 {
					t.Errorf("%d distinct customer PageRanks in the bipartite graph", n)
				}
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

// TestCustomerNetworkLinks checks which events become links and how a
// half-life weighs them, on a hand-made store: a peer on a view or a
// purchase is rejected at ingest; trust, follow and answer are links;
// with a 90-day half-life a trust 91 days before the latest dated link
// (2024-01-01 to 2024-04-01, a leap year) weighs 2^(-91/90) and an
// undated one 1.
func TestCustomerNetworkLinks(t *testing.T) {
	ctx := context.Background()
	events := filepath.Join(t.TempDir(), "ev.csv")
	write(t, events, "customer_id,action,at,channel,item_id,peer_id,value\n"+
		"a,trust,2024-01-01T00:00:00Z,web,,b,1\n"+
		"a,trust,2024-04-01T00:00:00Z,web,,b,1\n"+
		"b,follow,2024-04-01T00:00:00Z,web,,c,\n"+
		"c,answer,2024-03-01T00:00:00Z,web,i1,a,\n"+
		"d,trust,,web,,a,\n"+
		"a,view,2024-04-01T00:00:00Z,web,i1,c,30\n"+
		"c,purchase,2024-04-01T00:00:00Z,web,i2,d,9\n")
	e, _ := newTestEngine(t)
	if res, err := e.Ingest(ctx, IngestOptions{Path: events, Format: "events", AssumeConsent: []string{"analytics"}}); err != nil || res.Loaded != 5 || res.Rejected != 2 {
		t.Fatalf("ingest: %+v, %v; want 5 loaded, the view and the purchase with a peer rejected", res, err)
	}
	outStrength := func(opt GraphOptions) map[string]float64 {
		t.Helper()
		res, err := e.BuildGraph(ctx, opt)
		if err != nil {
			t.Fatal(err)
		}
		if res.Summary.Edges != 4 {
			t.Errorf("%v: %d edges, want 4 (a→b, b→c, c→a, d→a)", opt.HalfLife, res.Summary.Edges)
		}
		got := map[string]float64{}
		rows, err := e.db.QueryContext(ctx, `SELECT customer_id, out_strength FROM graph_metrics WHERE kind = 'customer'`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var id string
			var s float64
			if err := rows.Scan(&id, &s); err != nil {
				t.Fatal(err)
			}
			got[id] = s
		}
		return got
	}
	if got, want := outStrength(GraphOptions{}), map[string]float64{"a": 2, "b": 1, "c": 1, "d": 1}; !maps.Equal(got, want) {
		t.Errorf("counts: out-strengths %v, want %v", got, want)
	}
	got := outStrength(GraphOptions{HalfLife: 90 * 24 * time.Hour})
	want := map[string]float64{"a": 1 + math.Exp2(-91.0/90), "b": 1, "c": math.Exp2(-31.0 / 90), "d": 1}
	for id, w := range want {
		if math.Abs(got[id]-w) > 1e-12 {
			t.Errorf("half-life 90d: out-strength of %s = %v, want %v", id, got[id], w)
		}
	}
	if _, err := e.BuildGraph(ctx, GraphOptions{Kind: GraphBipartite, HalfLife: time.Hour}); err == nil || !strings.Contains(err.Error(), "customer network only") {
		t.Errorf("bipartite graph with a half-life: %v, want a refusal", err)
	}
}

// TestCustomersOutsideTheNetwork follows a FilmTrust customer with ratings
// but no trust link ("3") through what reads graph_metrics, where they have
// a row with a NULL PageRank and community: the report must still build
// (it scanned NULL into an int before), the export must say they are
// outside the network rather than "not computed", and once the co-activity
// graph exists (they share rated films) it must give that community. A
// summary stored with the Go names of older versions must still feed the
// report's network section.
func TestCustomersOutsideTheNetwork(t *testing.T) {
	ctx := context.Background()
	e, _ := newTestEngine(t)
	for _, f := range []string{"ratings.txt", "trust.txt"} {
		if _, err := e.Ingest(ctx, IngestOptions{Path: dstest.Path(t, "filmtrust", f), Format: "filmtrust", AssumeConsent: []string{"analytics"}}); err != nil {
			t.Fatal(err)
		}
	}
	const who = "3"
	if n := count(t, e, `SELECT count(*) FROM events WHERE action = 'trust' AND (customer_id = $1 OR peer_id = $1)`, who); n != 0 {
		t.Fatalf("customer %s has %d trust links; the test needs one without", who, n)
	}
	if _, err := e.BuildGraph(ctx, GraphOptions{SkipBetweenness: true}); err != nil {
		t.Fatal(err)
	}
	r, err := e.ReportData(ctx)
	if err != nil {
		t.Fatalf("report data with customers outside the network: %v", err)
	}
	if r.Network == nil || r.Network.GraphNodes != 874 || r.Network.GraphEdges != 1853 || len(r.Network.Nodes) != 874 {
		t.Fatalf("network section %+v, want the 874 trust-graph customers and 1,853 links", r.Network)
	}
	x, err := e.Export(ctx, who)
	if err != nil {
		t.Fatal(err)
	}
	if x.Community != nil || !x.OutsideNetwork {
		t.Errorf("export of %s after the customer graph: community %+v, outside %v; want none, outside", who, x.Community, x.OutsideNetwork)
	}
	var html strings.Builder
	if err := reports.WriteCustomer(ctx, &html, x, reports.Options{}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(html.String(), "You are in no community") || strings.Contains(html.String(), "Not computed yet: run custnet graph") {
		t.Error("the export page does not say the customer is outside the computed network")
	}
	if _, err := e.BuildGraph(ctx, GraphOptions{Kind: GraphCoActivity, SkipBetweenness: true}); err != nil {
		t.Fatal(err)
	}
	want := count(t, e, `SELECT community FROM graph_metrics WHERE kind = 'coactivity' AND customer_id = $1`, who)
	if x, err = e.Export(ctx, who); err != nil {
		t.Fatal(err)
	}
	if x.Community == nil || int64(x.Community.ID) != want || x.OutsideNetwork {
		t.Errorf("export of %s after the co-activity graph: community %+v, outside %v; want co-activity community %d", who, x.Community, x.OutsideNetwork, want)
	}
	// Older versions stored the summary with Go's field names.
	if _, err := e.db.ExecContext(ctx, `UPDATE graph_summary SET summary = '{"Nodes":874,"Edges":1853,"Components":1,"Degrees":[{"Degree":1,"Count":874}]}'
		WHERE kind = 'customer'`); err != nil {
		t.Fatal(err)
	}
	if r, err = e.ReportData(ctx); err != nil {
		t.Fatal(err)
	}
	if r.Network == nil || r.Network.GraphEdges != 1853 || len(r.Network.Degrees) != 1 || r.Network.Degrees[0].Count != 874 {
		t.Errorf("network section from an old summary: %+v", r.Network)
	}
}

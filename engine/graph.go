package engine

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"runtime"
	"strconv"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	duckdb "github.com/duckdb/duckdb-go/v2"

	"github.com/custnet/custnet/graph"
)

// Graph kinds.
const (
	GraphCustomer   = "customer"   // customer→customer links from peer actions
	GraphBipartite  = "bipartite"  // customer–item interactions, undirected (graph.Bipartite.Undirected)
	GraphCoActivity = "coactivity" // customers linked by shared items (top-k cosine)
)

// GraphOptions configure [Engine.BuildGraph]. The zero value builds the
// customer network with every metric and default settings.
type GraphOptions struct {
	// Kind is GraphCustomer, GraphBipartite or GraphCoActivity. Zero: customer.
	Kind string
	// HalfLife, when positive, decays each peer event's weight with its
	// age before the latest dated peer event: w = 2^(-age/HalfLife); an
	// event without a time weighs 1. Zero: every event weighs 1. Only the
	// customer network has it; the other kinds refuse it.
	HalfLife time.Duration
	// K is the number of neighbours per customer in the co-activity
	// projection. Zero: 20.
	K int
	// Seed drives Louvain's node order. Zero: 1.
	Seed uint64
	// SkipBetweenness leaves betweenness at 0 (it is the costliest metric).
	SkipBetweenness bool
	// ExactBetweenness is the largest node count for exact betweenness;
	// above it, sampled pivots estimate it: as many as an additive error of
	// 0.1 with probability 0.9 needs (150), fewer on graphs too large for
	// the work budget of graph.BetweennessOptions.MaxWork. The summary
	// states the pivots and the error (see graph.PlanBetweenness). Zero:
	// 20,000.
	ExactBetweenness int
}

// GraphResult is what [Engine.BuildGraph] computed and stored.
type GraphResult struct {
	Kind        string         `json:"kind"`
	Summary     graph.Summary  `json:"summary"`
	Communities []CommunityRow `json:"communities"`
	Top         []NodeRow      `json:"top_by_pagerank"` // up to 20 customers
	Seconds     float64        `json:"seconds"`
}

// CommunityRow is one row of the communities table.
type CommunityRow struct {
	Community  int64    `json:"community"`
	Size       int64    `json:"size"`
	Density    float64  `json:"density"`
	Modularity float64  `json:"modularity"`
	Top        []string `json:"top_customers"`
}

// NodeRow is a customer and their network metrics.
type NodeRow struct {
	Customer string `json:"customer_id"`
	graph.NodeMetrics
}

// BuildGraph builds one interaction graph of the consented customers from
// the store, computes its network metrics and writes them to graph_metrics
// (one row per consented customer: those not in the graph, without a peer
// link in the customer network or an item interaction in the others, get
// degree, strength, core, clustering, participation and betweenness 0 and
// a NULL PageRank, component, component size and community; a co-activity
// node without neighbours is in the graph, in a community of its own),
// communities and graph_summary,
// replacing that kind's previous results in one transaction. Links to
// customers without an active analytics basis are left out.
func (e *Engine) BuildGraph(ctx context.Context, opt GraphOptions) (*GraphResult, error) {
	if opt.Kind == "" {
		opt.Kind = GraphCustomer
	}
	op := "graph " + opt.Kind
	if opt.Seed == 0 {
		opt.Seed = 1
	}
	start := time.Now()
	var (
		ids []string
		g   *graph.Graph
		err error
	)
	switch opt.Kind {
	case GraphCustomer:
		ids, g, err = e.customerNetwork(ctx, opt)
	case GraphBipartite, GraphCoActivity:
		if opt.HalfLife != 0 {
			return nil, errorf(KindBadInput, op, "a half-life applies to the customer network only, not to the %s graph", opt.Kind)
		}
		ids, g, err = e.itemGraph(ctx, opt)
	default:
		return nil, errorf(KindBadInput, op, "unknown graph kind %q (want customer, bipartite or coactivity)", opt.Kind)
	}
	if err != nil {
		return nil, wrap(op, err)
	}
	aopts := graph.AnalyzeOptions{
		SkipBetweenness: opt.SkipBetweenness,
		Betweenness:     graph.BetweennessOptions{ExactLimit: opt.ExactBetweenness},
		Louvain:         graph.LouvainOptions{Source: newPCG(opt.Seed)},
		Progress:        func(done, total int) { e.progress(op, int64(done), int64(total), false) },
	}
	an, err := graph.Analyze(ctx, g, aopts)
	if err != nil {
		return nil, wrap(op, err)
	}
	e.progress(op, 1, 1, true)
	res := &GraphResult{Kind: opt.Kind, Summary: an.Summary}
	if opt.Kind == GraphBipartite {
		// Only customers get metric rows; items are nodes len(ids).. of the graph.
		an.Nodes = an.Nodes[:len(ids)]
	}
	for _, c := range an.Communities {
		row := CommunityRow{Community: int64(c.ID), Size: int64(c.Size), Density: c.Density, Modularity: c.Modularity,
			Top: []string{}} // [] as in the table when a community has no customer (bipartite: items only)
		for _, n := range c.Top {
			if int(n) < len(ids) {
				row.Top = append(row.Top, ids[n])
			}
		}
		res.Communities = append(res.Communities, row)
	}
	res.Top = topByPageRank(an.Nodes, ids, 20)
	var edges []centralEdge
	if opt.Kind == GraphCoActivity {
		edges = centralEdges(g, an.Nodes, ids, 2000)
	}
	if err := e.writeGraph(ctx, opt.Kind, ids, an, res, edges); err != nil {
		return nil, wrap(op, err)
	}
	res.Seconds = time.Since(start).Seconds()
	e.log.Info("graph built", "kind", opt.Kind, "nodes", an.Summary.Nodes, "edges", an.Summary.Edges,
		"communities", len(an.Communities), "modularity", an.Summary.Modularity, "seconds", res.Seconds)
	return res, nil
}

type centralEdge struct {
	src, dst string
	w        float64
}

var edgeSchema = arrow.NewSchema([]arrow.Field{
	{Name: "src", Type: arrow.BinaryTypes.String},
	{Name: "dst", Type: arrow.BinaryTypes.String},
	{Name: "w", Type: arrow.PrimitiveTypes.Float64},
}, nil)

// centralEdges lists the edges among the k most central nodes (by
// PageRank), for drawing a graph whose links are not stored as events.
func centralEdges(g *graph.Graph, nodes []graph.NodeMetrics, ids []string, k int) []centralEdge {
	idx := make([]int, len(nodes))
	for i := range idx {
		idx[i] = i
	}
	sortByDesc(idx, func(i int) float64 { return nodes[i].PageRank })
	if len(idx) > k {
		idx = idx[:k]
	}
	keep := make(map[int32]bool, len(idx))
	for _, i := range idx {
		keep[int32(i)] = true
	}
	var out []centralEdge
	for _, i := range idx {
		nb, w := g.Out(int32(i))
		for j, v := range nb {
			if keep[v] && v != int32(i) {
				out = append(out, centralEdge{ids[i], ids[v], w[j]})
			}
		}
	}
	return out
}

func topByPageRank(nodes []graph.NodeMetrics, ids []string, k int) []NodeRow {
	idx := make([]int, 0, len(nodes))
	for i := range nodes {
		idx = append(idx, i)
	}
	// partial selection is enough for k=20, but a sort keeps it obvious.
	sortByDesc(idx, func(i int) float64 { return nodes[i].PageRank })
	if len(idx) > k {
		idx = idx[:k]
	}
	out := make([]NodeRow, len(idx))
	for j, i := range idx {
		out[j] = NodeRow{Customer: ids[i], NodeMetrics: nodes[i]}
	}
	return out
}

// gActiveSQL keeps the customers with an active analytics basis in a temp
// table, the node candidates of a graph.
var gActiveSQL = `CREATE OR REPLACE TEMP TABLE g_active AS ` + activeSQL("analytics")

// customerNetwork reads the peer links between consented customers: the
// events with a peer_id, which ingest accepts only on connect and
// collaborate actions that take one (datasets.CheckEvent).
func (e *Engine) customerNetwork(ctx context.Context, opt GraphOptions) ([]string, *graph.Graph, error) {
	var ids []string
	var ev graph.PeerEvents
	err := e.conn(ctx, func(c *sql.Conn, ar *duckdb.Arrow) error {
		stmts := []string{
			gActiveSQL,
			`CREATE OR REPLACE TEMP TABLE g_edges AS
				SELECT e.customer_id AS src, e.peer_id AS dst, epoch(e.at)::BIGINT AS t FROM events e
				SEMI JOIN g_active a ON a.customer_id = e.customer_id
				SEMI JOIN g_active b ON b.customer_id = e.peer_id
				WHERE e.peer_id IS NOT NULL`,
			`CREATE OR REPLACE TEMP TABLE g_nodes AS
				SELECT id, (row_number() OVER (ORDER BY id) - 1)::INTEGER AS idx
				FROM (SELECT src AS id FROM g_edges UNION SELECT dst FROM g_edges)`,
		}
		for _, s := range stmts {
			if _, err := c.ExecContext(ctx, s); err != nil {
				return err
			}
		}
		var err error
		if ids, err = readIDs(ctx, ar, `SELECT id FROM g_nodes ORDER BY idx`); err != nil {
			return err
		}
		err = readInt32Pairs(ctx, ar, `SELECT s.idx, d.idx, COALESCE(t, `+strconv.FormatInt(graph.NoTime, 10)+`) FROM g_edges
			JOIN g_nodes s ON s.id = g_edges.src JOIN g_nodes d ON d.id = g_edges.dst`,
			func(a, b []int32, t []int64) {
				ev.Src = append(ev.Src, a...)
				ev.Dst = append(ev.Dst, b...)
				ev.Time = append(ev.Time, t...)
			})
		if err != nil {
			return err
		}
		_, err = c.ExecContext(context.Background(), `DROP TABLE IF EXISTS g_edges; DROP TABLE IF EXISTS g_nodes; DROP TABLE IF EXISTS g_active`)
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	g, err := graph.NewCustomerNetwork(ctx, len(ids), ev, graph.NetworkOptions{HalfLife: opt.HalfLife})
	return ids, g, err
}

// itemGraph reads customer–item interactions (engage, customize, commerce
// actions with an item) of consented customers and returns the bipartite
// graph or its co-activity projection.
func (e *Engine) itemGraph(ctx context.Context, opt GraphOptions) ([]string, *graph.Graph, error) {
	var ids []string
	var nItems int
	var in graph.Interactions
	err := e.conn(ctx, func(c *sql.Conn, ar *duckdb.Arrow) error {
		stmts := []string{
			gActiveSQL,
			`CREATE OR REPLACE TEMP TABLE g_edges AS
				SELECT e.customer_id AS src, e.item_id AS item, count(*) AS w FROM events e
				SEMI JOIN g_active a ON a.customer_id = e.customer_id
				WHERE e.item_id IS NOT NULL AND e.action IN (` + itemActionsSQL() + `)
				GROUP BY ALL`,
			`CREATE OR REPLACE TEMP TABLE g_nodes AS
				SELECT id, (row_number() OVER (ORDER BY id) - 1)::INTEGER AS idx FROM (SELECT DISTINCT src AS id FROM g_edges)`,
			`CREATE OR REPLACE TEMP TABLE g_items AS
				SELECT id, (row_number() OVER (ORDER BY id) - 1)::INTEGER AS idx FROM (SELECT DISTINCT item AS id FROM g_edges)`,
		}
		for _, s := range stmts {
			if _, err := c.ExecContext(ctx, s); err != nil {
				return err
			}
		}
		var err error
		if ids, err = readIDs(ctx, ar, `SELECT id FROM g_nodes ORDER BY idx`); err != nil {
			return err
		}
		if err := c.QueryRowContext(ctx, `SELECT count(*) FROM g_items`).Scan(&nItems); err != nil {
			return err
		}
		err = readInt32Pairs(ctx, ar, `SELECT s.idx, i.idx, w FROM g_edges
			JOIN g_nodes s ON s.id = g_edges.src JOIN g_items i ON i.id = g_edges.item`,
			func(a, b []int32, w []int64) {
				in.Customer = append(in.Customer, a...)
				in.Item = append(in.Item, b...)
				for _, x := range w {
					in.W = append(in.W, float64(x)) // event counts
				}
			})
		if err != nil {
			return err
		}
		_, err = c.ExecContext(context.Background(), `DROP TABLE IF EXISTS g_edges; DROP TABLE IF EXISTS g_nodes; DROP TABLE IF EXISTS g_items; DROP TABLE IF EXISTS g_active`)
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	b, err := graph.NewBipartite(ctx, len(ids), nItems, in)
	if err != nil {
		return nil, nil, err
	}
	if opt.Kind == GraphBipartite {
		g, err := b.Undirected(ctx)
		return ids, g, err
	}
	g, err := graph.CoActivity(ctx, b, graph.CoActivityOptions{K: opt.K})
	return ids, g, err
}

// readIDs reads one string column through Arrow.
func readIDs(ctx context.Context, ar *duckdb.Arrow, q string) ([]string, error) {
	rr, err := ar.QueryContext(ctx, q)
	if err != nil {
		return nil, err
	}
	defer rr.Release()
	var ids []string
	for rr.Next() {
		col := rr.RecordBatch().Column(0).(*array.String)
		for i := 0; i < col.Len(); i++ {
			ids = append(ids, string([]byte(col.Value(i)))) // copy: the batch is released
		}
	}
	return ids, rr.Err()
}

// readInt32Pairs streams (INTEGER, INTEGER, BIGINT) rows as Arrow batches.
func readInt32Pairs(ctx context.Context, ar *duckdb.Arrow, q string, f func(a, b []int32, c []int64)) error {
	rr, err := ar.QueryContext(ctx, q)
	if err != nil {
		return err
	}
	defer rr.Release()
	for rr.Next() {
		rec := rr.RecordBatch()
		f(rec.Column(0).(*array.Int32).Int32Values(), rec.Column(1).(*array.Int32).Int32Values(),
			rec.Column(2).(*array.Int64).Int64Values())
	}
	return rr.Err()
}

var metricsSchema = arrow.NewSchema([]arrow.Field{
	{Name: "customer_id", Type: arrow.BinaryTypes.String},
	{Name: "in_degree", Type: arrow.PrimitiveTypes.Int64},
	{Name: "out_degree", Type: arrow.PrimitiveTypes.Int64},
	{Name: "in_strength", Type: arrow.PrimitiveTypes.Float64},
	{Name: "out_strength", Type: arrow.PrimitiveTypes.Float64},
	{Name: "pagerank", Type: arrow.PrimitiveTypes.Float64},
	{Name: "component", Type: arrow.PrimitiveTypes.Int64},
	{Name: "component_size", Type: arrow.PrimitiveTypes.Int64},
	{Name: "core", Type: arrow.PrimitiveTypes.Int64},
	{Name: "clustering", Type: arrow.PrimitiveTypes.Float64},
	{Name: "community", Type: arrow.PrimitiveTypes.Int64},
	{Name: "participation", Type: arrow.PrimitiveTypes.Float64},
	{Name: "betweenness", Type: arrow.PrimitiveTypes.Float64},
}, nil)

// metricsPerRecord is how many nodes' metrics go into one Arrow record of
// the graph write: one DuckDB row group. (A variable for the tests.)
var metricsPerRecord = 122_880

// communitySchema holds the rows of the communities table but its kind.
var communitySchema = arrow.NewSchema([]arrow.Field{
	{Name: "community", Type: arrow.PrimitiveTypes.Int64},
	{Name: "size", Type: arrow.PrimitiveTypes.Int64},
	{Name: "density", Type: arrow.PrimitiveTypes.Float64},
	{Name: "modularity", Type: arrow.PrimitiveTypes.Float64},
	{Name: "top_customers", Type: arrow.ListOf(arrow.BinaryTypes.String)},
}, nil)

func (e *Engine) writeGraph(ctx context.Context, kind string, ids []string, an *graph.Analysis, res *GraphResult, edges []centralEdge) error {
	recs := buildRecords(metricsSchema, len(an.Nodes), metricsPerRecord, runtime.GOMAXPROCS(0), func(b *array.RecordBuilder, i int) {
		n := &an.Nodes[i]
		b.Field(0).(*array.StringBuilder).Append(ids[i])
		b.Field(1).(*array.Int64Builder).Append(int64(n.InDegree))
		b.Field(2).(*array.Int64Builder).Append(int64(n.OutDegree))
		b.Field(3).(*array.Float64Builder).Append(n.InStrength)
		b.Field(4).(*array.Float64Builder).Append(n.OutStrength)
		b.Field(5).(*array.Float64Builder).Append(n.PageRank)
		b.Field(6).(*array.Int64Builder).Append(int64(n.Component))
		b.Field(7).(*array.Int64Builder).Append(int64(n.ComponentSize))
		b.Field(8).(*array.Int64Builder).Append(int64(n.Core))
		b.Field(9).(*array.Float64Builder).Append(n.Clustering)
		b.Field(10).(*array.Int64Builder).Append(int64(n.Community))
		b.Field(11).(*array.Float64Builder).Append(n.Participation)
		b.Field(12).(*array.Float64Builder).Append(n.Betweenness)
	})
	defer releaseAll(recs)
	crecs := buildRecords(communitySchema, len(res.Communities), len(res.Communities), 1, func(b *array.RecordBuilder, i int) {
		r := &res.Communities[i]
		b.Field(0).(*array.Int64Builder).Append(int64(r.Community))
		b.Field(1).(*array.Int64Builder).Append(int64(r.Size))
		b.Field(2).(*array.Float64Builder).Append(r.Density)
		b.Field(3).(*array.Float64Builder).Append(r.Modularity)
		lb := b.Field(4).(*array.ListBuilder)
		lb.Append(true)
		for _, id := range r.Top {
			lb.ValueBuilder().(*array.StringBuilder).Append(id)
		}
	})
	defer releaseAll(crecs)
	summary, err := json.Marshal(an.Summary)
	if err != nil {
		return err
	}
	return e.writeTx(ctx, func(c *sql.Conn, ar *duckdb.Arrow) error {
		rel, release, err := registerBatches(c, ar, "metrics_in", metricsSchema, recs)
		if err != nil {
			return err
		}
		defer release()
		crel, crelease, err := registerBatches(c, ar, "communities_in", communitySchema, crecs)
		if err != nil {
			return err
		}
		defer crelease()
		// Nothing reads graph_metrics or communities in storage order (every
		// reader sorts or looks up by key), so these inserts do not depend
		// on insertion order, unlike the recommendations write.
		tx := []struct {
			what string
			q    string
			args []any
		}{
			{"clear metrics", `DELETE FROM graph_metrics WHERE kind = $1`, []any{kind}},
			{"clear communities", `DELETE FROM communities WHERE kind = $1`, []any{kind}},
			{"clear edges", `DELETE FROM graph_edges WHERE kind = $1`, []any{kind}},
			{"store metrics", `INSERT INTO graph_metrics SELECT customer_id, $1, in_degree, out_degree, in_strength, out_strength, pagerank,
				component, component_size, core, clustering, community, participation, betweenness, now()::TIMESTAMP FROM ` + rel, []any{kind}},
			// Consented customers not in the graph have no links, core or
			// bridging, and no PageRank, component or community to speak of.
			{"store customers outside the graph", `INSERT INTO graph_metrics SELECT a.customer_id, $1, 0, 0, 0, 0, NULL, NULL, NULL, 0, 0, NULL, 0, 0, now()::TIMESTAMP
				FROM (` + activeSQL("analytics") + `) a ANTI JOIN graph_metrics g ON g.kind = $1 AND g.customer_id = a.customer_id`, []any{kind}},
			{"store summary", `INSERT OR REPLACE INTO graph_summary VALUES ($1, $2, now()::TIMESTAMP)`, []any{kind, string(summary)}},
			{"store communities", `INSERT INTO communities SELECT $1, community, size, density, modularity, top_customers FROM ` + crel, []any{kind}},
		}
		for _, s := range tx {
			if _, err := c.ExecContext(ctx, s.q, s.args...); err != nil {
				return fmt.Errorf("%s: %w", s.what, err)
			}
		}
		if len(edges) > 0 {
			eb := array.NewRecordBuilder(memory.DefaultAllocator, edgeSchema)
			defer eb.Release()
			for _, ed := range edges {
				eb.Field(0).(*array.StringBuilder).Append(ed.src)
				eb.Field(1).(*array.StringBuilder).Append(ed.dst)
				eb.Field(2).(*array.Float64Builder).Append(ed.w)
			}
			erel, erelease, err := registerRecords(c, ar, "edges_in", edgeSchema, eb)
			if err != nil {
				return err
			}
			defer erelease()
			if _, err := c.ExecContext(ctx, `INSERT INTO graph_edges SELECT $1, src, dst, w FROM `+erel, kind); err != nil {
				return fmt.Errorf("store edges: %w", err)
			}
		}
		return nil
	})
}

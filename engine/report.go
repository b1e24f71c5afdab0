package engine

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"time"

	"github.com/custnet/custnet/graph"
	"github.com/custnet/custnet/reports"
)

// ReportOptions configure [Engine.Report]. The zero value pseudonymises
// customer ids with the store's own secret key.
type ReportOptions struct {
	// Title of the page. Zero: "custnet report".
	Title string
	// ShowIDs reveals customer ids instead of keyed-hash pseudonyms.
	ShowIDs bool
}

// Report assembles the report of what the store holds (every section whose
// stage has run) and writes it to path as one self-contained HTML file,
// atomically.
func (e *Engine) Report(ctx context.Context, path string, opt ReportOptions) error {
	const op = "report"
	r, err := e.ReportData(ctx)
	if err != nil {
		return wrap(op, err)
	}
	if opt.Title != "" {
		r.Title = opt.Title
	}
	ropts := reports.Options{ShowIDs: opt.ShowIDs}
	if !opt.ShowIDs {
		if ropts.PseudonymKey, err = e.pseudonymKey(ctx); err != nil {
			return wrap(op, err)
		}
	}
	return wrap(op, reports.WriteFile(ctx, path, r, ropts))
}

// ReportData gathers the report's input from the store without rendering it.
func (e *Engine) ReportData(ctx context.Context) (*reports.Report, error) {
	r := &reports.Report{Title: "custnet report", GeneratedAt: time.Now().UTC()}
	if err := e.reportData(ctx, r); err != nil {
		return nil, err
	}
	if err := e.reportNetwork(ctx, r); err != nil {
		return nil, err
	}
	if err := e.reportStrategies(ctx, r); err != nil {
		return nil, err
	}
	if err := e.reportRecommendations(ctx, r); err != nil {
		return nil, err
	}
	return r, nil
}

// pseudonymKey returns the store's secret pseudonym key, creating it once.
func (e *Engine) pseudonymKey(ctx context.Context) ([]byte, error) {
	var k string
	err := e.db.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = 'pseudonym_key'`).Scan(&k)
	if err == sql.ErrNoRows {
		if e.opts.ReadOnly {
			// A key derived from anything guessable would make pseudonyms
			// reversible; the secret is made once, by a writer.
			return nil, errorf(KindBadInput, "", "the store has no pseudonym key yet and is open read-only: open it read-write once, or show ids")
		}
		b := make([]byte, 32)
		if _, err := rand.Read(b); err != nil {
			return nil, err
		}
		k = hex.EncodeToString(b)
		if _, err := e.db.ExecContext(ctx, `INSERT OR IGNORE INTO meta VALUES ('pseudonym_key', $1)`, k); err != nil {
			return nil, err
		}
		return e.pseudonymKey(ctx)
	}
	if err != nil {
		return nil, err
	}
	return []byte(k), nil
}

func (e *Engine) reportData(ctx context.Context, r *reports.Report) error {
	s, err := e.Stats(ctx)
	if err != nil {
		return err
	}
	d := &reports.DataSection{}
	for _, in := range s.Ingests {
		d.Sources = append(d.Sources, reports.Source{Format: in.Format, Path: in.Path, SHA256: in.SHA256,
			RowsRead: in.Read, RowsLoaded: in.Loaded, RowsDuplicate: in.Duplicate, RowsRejected: in.Rejected, RowsWithoutConsent: in.WithoutConsent})
	}
	for _, c := range s.Consents {
		d.Consent = append(d.Consent, reports.ConsentSummary{Purpose: c.Purpose, Granted: c.Granted, Refused: c.Refused, Revoked: c.Revoked})
	}
	r.Data = d
	if s.First != nil {
		r.Window = reports.Window{From: *s.First, To: *s.Last}
		r.AsOf = *s.Last
	}
	return nil
}

// reportNetwork reads the customer graph's most central customers, the links
// among them, the communities and the degree distribution.
// The customer network is the customer graph when it has links; a store
// without peer links (ratings only, like MovieLens) shows the co-activity
// projection instead.
func (e *Engine) reportNetwork(ctx context.Context, r *reports.Report) error {
	var summary sql.NullString
	var kind string
	err := e.db.QueryRowContext(ctx, `SELECT kind, summary::VARCHAR FROM graph_summary
		WHERE kind IN ('customer', 'coactivity')
		  AND COALESCE(summary->>'$.edges', summary->>'$.Edges')::BIGINT > 0 -- "Edges": stores from before the JSON names
		ORDER BY kind = 'customer' DESC LIMIT 1`).Scan(&kind, &summary)
	if err == sql.ErrNoRows {
		return nil
	}
	if err != nil {
		return err
	}
	n := &reports.NetworkSection{}
	var sum graph.Summary // decoding matches names case-insensitively, so older "Nodes" keys still read
	if err := json.Unmarshal([]byte(summary.String), &sum); err == nil {
		n.GraphNodes, n.GraphEdges = sum.Nodes, sum.Edges
		for _, d := range sum.Degrees {
			n.Degrees = append(n.Degrees, reports.DegreeCount{Degree: d.Degree, Count: int64(d.Count)})
		}
	}
	rows, err := e.db.QueryContext(ctx, `SELECT customer_id, community, pagerank FROM graph_metrics
		WHERE kind = $1 AND pagerank IS NOT NULL ORDER BY pagerank DESC, customer_id LIMIT 2000`, kind)
	if err != nil {
		return err
	}
	for rows.Next() {
		var nd reports.Node
		if err := rows.Scan(&nd.ID, &nd.Community, &nd.PageRank); err != nil {
			rows.Close()
			return err
		}
		nd.Label = nd.ID
		n.Nodes = append(n.Nodes, nd)
	}
	rows.Close()
	edgeSQL := `WITH top AS (SELECT customer_id FROM graph_metrics WHERE kind = 'customer' AND pagerank IS NOT NULL
			ORDER BY pagerank DESC, customer_id LIMIT 2000)
		SELECT customer_id, peer_id, count(*)::DOUBLE AS w FROM events
		SEMI JOIN top a USING (customer_id) SEMI JOIN top b ON b.customer_id = events.peer_id
		WHERE peer_id IS NOT NULL AND peer_id <> customer_id
		GROUP BY ALL ORDER BY w DESC, customer_id, peer_id LIMIT 8000`
	if kind == GraphCoActivity {
		edgeSQL = `SELECT src, dst, w FROM graph_edges WHERE kind = 'coactivity' ORDER BY w DESC, src, dst LIMIT 8000`
	}
	rows, err = e.db.QueryContext(ctx, edgeSQL)
	if err != nil {
		return err
	}
	for rows.Next() {
		var ed reports.Edge
		if err := rows.Scan(&ed.Source, &ed.Target, &ed.Weight); err != nil {
			rows.Close()
			return err
		}
		n.Edges = append(n.Edges, ed)
	}
	rows.Close()
	rows, err = e.db.QueryContext(ctx, `SELECT community, size, density, modularity, top_customers FROM communities
		WHERE kind = $1 ORDER BY size DESC, community LIMIT 50`, kind)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var c reports.Community
		var top duckdbStrings
		if err := rows.Scan(&c.ID, &c.Size, &c.Density, &c.Modularity, &top); err != nil {
			return err
		}
		c.TopCustomers = top
		n.Communities = append(n.Communities, c)
	}
	r.Network = n
	return rows.Err()
}

// duckdbStrings scans a DuckDB VARCHAR[] column.
type duckdbStrings []string

func (s *duckdbStrings) Scan(v any) error {
	*s = nil
	list, _ := v.([]any)
	for _, x := range list {
		if str, ok := x.(string); ok {
			*s = append(*s, str)
		}
	}
	return nil
}

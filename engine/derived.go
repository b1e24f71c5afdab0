package engine

// derivedSchemaSQL creates the tables the analytics stages write. Every one
// of them is keyed by customer_id where it holds per-customer rows, so that
// revocation can erase a customer everywhere (see [Engine.Revoke]).
const derivedSchemaSQL = `
CREATE TABLE IF NOT EXISTS graph_metrics (
	customer_id VARCHAR NOT NULL,
	kind VARCHAR NOT NULL,
	in_degree BIGINT, out_degree BIGINT,
	in_strength DOUBLE, out_strength DOUBLE,
	pagerank DOUBLE,
	component BIGINT, component_size BIGINT,
	core BIGINT,
	clustering DOUBLE,
	community BIGINT,
	participation DOUBLE,
	betweenness DOUBLE,
	computed_at TIMESTAMP
);
CREATE TABLE IF NOT EXISTS communities (
	kind VARCHAR NOT NULL,
	community BIGINT NOT NULL,
	size BIGINT,
	density DOUBLE,
	modularity DOUBLE,
	top_customers VARCHAR[]
);
CREATE TABLE IF NOT EXISTS graph_edges (
	kind VARCHAR NOT NULL,
	src VARCHAR NOT NULL,
	dst VARCHAR NOT NULL,
	w DOUBLE
);
CREATE TABLE IF NOT EXISTS graph_summary (
	kind VARCHAR PRIMARY KEY,
	summary JSON,
	computed_at TIMESTAMP
);
CREATE TABLE IF NOT EXISTS scores (
	customer_id VARCHAR NOT NULL,
	as_of TIMESTAMP NOT NULL,
	"window" VARCHAR NOT NULL,
	access DOUBLE, engage DOUBLE, customize DOUBLE, connect DOUBLE, collaborate DOUBLE,
	composite DOUBLE,
	explanation VARCHAR -- compact JSON text, drivers as numbers (strategies.Result.AppendStoredExplanation); read with strategies.ParseExplanation
);
CREATE TABLE IF NOT EXISTS strategy_aggregates (
	as_of TIMESTAMP, "window" VARCHAR,
	dimension VARCHAR, grp VARCHAR,
	strategy VARCHAR,
	customers BIGINT, mean DOUBLE, median DOUBLE, active_share DOUBLE,
	change DOUBLE
);
CREATE TABLE IF NOT EXISTS recommendations (
	customer_id VARCHAR NOT NULL,
	model VARCHAR NOT NULL,
	rank INTEGER NOT NULL,
	item_id VARCHAR NOT NULL,
	score DOUBLE,
	reason VARCHAR,
	computed_at TIMESTAMP
);
CREATE TABLE IF NOT EXISTS evaluations (
	model VARCHAR, dataset VARCHAR, protocol VARCHAR,
	result JSON, computed_at TIMESTAMP
);
`

// customerTables lists every table with per-customer rows and the columns
// naming a customer: what revocation of analytics erases.
var customerTables = []struct {
	table string
	cols  []string
}{
	{"events", []string{"customer_id", "peer_id"}},
	{"customers", []string{"customer_id"}},
	{"rejects", []string{"customer_id"}},
	{"graph_metrics", []string{"customer_id"}},
	{"graph_edges", []string{"src", "dst"}},
	{"scores", []string{"customer_id"}},
	{"recommendations", []string{"customer_id"}},
}

//go:build duckdb_arrow

package strategies

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/array"
	duckdb "github.com/duckdb/duckdb-go/v2"

	"github.com/custnet/custnet/datasets"
)

// graphMetricsDDL is a copy of the graph_metrics table of engine/derived.go
// (the engine's copy is unexported).
const graphMetricsDDL = `
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
);`

// newTestDB opens an in-memory DuckDB with the canonical schema,
// graph_metrics and the scoring_events view over every event.
func newTestDB(tb testing.TB) *sql.DB {
	tb.Helper()
	db, err := sql.Open("duckdb", "")
	if err != nil {
		tb.Fatal(err)
	}
	db.SetMaxOpenConns(1) // one in-memory database, one connection
	tb.Cleanup(func() { db.Close() })
	for _, q := range []string{datasets.SchemaSQL, graphMetricsDDL,
		`CREATE VIEW scoring_events AS SELECT * FROM events`} {
		if _, err := db.Exec(q); err != nil {
			tb.Fatal(err)
		}
	}
	return db
}

func mustExec(tb testing.TB, db *sql.DB, q string, args ...any) {
	tb.Helper()
	if _, err := db.Exec(q, args...); err != nil {
		tb.Fatalf("%v\n%s", err, q)
	}
}

// loadFixture loads testdata/{events,customers,graph_metrics}.csv.
func loadFixture(tb testing.TB, db *sql.DB) {
	tb.Helper()
	td := func(name string) string {
		p, err := filepath.Abs(filepath.Join("testdata", name))
		if err != nil {
			tb.Fatal(err)
		}
		return strings.ReplaceAll(p, "'", "''")
	}
	mustExec(tb, db, `INSERT INTO events SELECT * FROM read_csv('`+td("events.csv")+`', header = true, columns = {
		'event_id': 'UBIGINT', 'at': 'TIMESTAMP', 'customer_id': 'VARCHAR', 'action': 'VARCHAR',
		'channel': 'VARCHAR', 'item_id': 'VARCHAR', 'peer_id': 'VARCHAR', 'value': 'DOUBLE',
		'source': 'VARCHAR', 'batch_id': 'BIGINT'})`)
	mustExec(tb, db, `INSERT INTO customers SELECT * FROM read_csv('`+td("customers.csv")+`', header = true, columns = {
		'customer_id': 'VARCHAR', 'attrs': 'JSON', 'source': 'VARCHAR'})`)
	mustExec(tb, db, `INSERT INTO graph_metrics SELECT * FROM read_csv('`+td("graph_metrics.csv")+`', header = true, columns = {
		'customer_id': 'VARCHAR', 'kind': 'VARCHAR', 'in_degree': 'BIGINT', 'out_degree': 'BIGINT',
		'in_strength': 'DOUBLE', 'out_strength': 'DOUBLE', 'pagerank': 'DOUBLE', 'component': 'BIGINT',
		'component_size': 'BIGINT', 'core': 'BIGINT', 'clustering': 'DOUBLE', 'community': 'BIGINT',
		'participation': 'DOUBLE', 'betweenness': 'DOUBLE', 'computed_at': 'TIMESTAMP'})`)
}

// queryFeatures runs FeatureSQL through DuckDB's Arrow interface, as the
// engine does, and reads the result with FeatureTableFromArrow.
func queryFeatures(tb testing.TB, db *sql.DB, w Window, cfg *Config) *FeatureTable {
	tb.Helper()
	q, err := FeatureSQL(w, cfg)
	if err != nil {
		tb.Fatal(err)
	}
	ctx := context.Background()
	conn, err := db.Conn(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	defer conn.Close()
	var ft *FeatureTable
	err = conn.Raw(func(dc any) error {
		ar, err := duckdb.NewArrowFromConn(dc.(driver.Conn))
		if err != nil {
			return err
		}
		rr, err := ar.QueryContext(ctx, q)
		if err != nil {
			return err
		}
		defer rr.Release()
		ft, err = FeatureTableFromArrow(ctx, array.RecordReader(rr))
		return err
	})
	if err != nil {
		tb.Fatalf("feature query: %v", err)
	}
	return ft
}

var fixtureWindow = Window{AsOf: time.Date(2024, 6, 30, 12, 0, 0, 0, time.UTC), Days: 30}

package engine

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	duckdb "github.com/duckdb/duckdb-go/v2"

	"github.com/custnet/custnet/datasets"
	"github.com/custnet/custnet/internal/atomicfile"
	"github.com/custnet/custnet/strategies"
)

// ScoreOptions configure [Engine.Score]. The zero value scores the last 90
// days of the data with the default weights, aggregated for the whole
// business and per community.
type ScoreOptions struct {
	// AsOf is the last day of the window. Zero: the day of the latest event.
	AsOf time.Time
	// Days is the window length. Zero: 90.
	Days int
	// Config holds weights and the action→strategy mapping. Nil: defaults
	// (strategies.DefaultConfig).
	Config *strategies.Config
	// By lists customer attributes to aggregate by (e.g. "occupation"), in
	// addition to the graph community. Zero: communities only.
	By []string
	// ComparePrevious also scores the window before this one and reports
	// each aggregate's change against it.
	ComparePrevious bool
	// FeatureParts is the number of slices of customers whose features
	// are computed one query at a time (see strategies.FeatureSQLSlices).
	// Zero: one slice per 10 million stored events, so that DuckDB's
	// memory need stays within a modest memory limit at any size.
	FeatureParts int
}

// WindowText describes the scored window in words: "window 90d to
// 2024-06-30", or, for data without event times, that every event counts.
func (r *ScoreResult) WindowText() string {
	if r.AsOf.IsZero() {
		return "no event times in the data, so every event counts and time features are 0"
	}
	return fmt.Sprintf("window %dd to %s", r.Days, r.AsOf.Format(time.DateOnly))
}

// eventsPerFeaturePart sizes the slices of the feature query.
const eventsPerFeaturePart = 10_000_000

func featureParts(events int64, set int) int {
	if set > 0 {
		return set
	}
	return int(max(1, (events+eventsPerFeaturePart-1)/eventsPerFeaturePart))
}

// ScoreResult summarises a scoring run; per-customer rows are in the
// scores table and [Engine.Scores].
type ScoreResult struct {
	AsOf       time.Time               `json:"as_of"`
	Days       int                     `json:"window_days"`
	Customers  int                     `json:"customers"`
	Aggregates []strategies.GroupStats `json:"aggregates"`
	Maturity   []string                `json:"maturity"`
	Seconds    float64                 `json:"seconds"`
	Steps      map[string]float64      `json:"step_seconds"`
}

// CustomerScores is one customer's five strategy scores with explanations.
type CustomerScores struct {
	Customer    string                 `json:"customer_id"`
	AsOf        time.Time              `json:"as_of"`
	Window      string                 `json:"window"`
	Scores      map[string]float64     `json:"scores"`
	Composite   float64                `json:"composite"`
	Explanation strategies.Explanation `json:"explanation"`
}

// Score computes, for every customer with an active analytics basis, the
// five strategy features in DuckDB over the window, scores them 0–100 with
// explanations, aggregates per community and the given attributes, and
// replaces the scores and strategy_aggregates tables in one transaction.
// Run [Engine.BuildGraph] first for the CONNECT network features; without
// it they are 0 for everyone.
func (e *Engine) Score(ctx context.Context, opt ScoreOptions) (*ScoreResult, error) {
	const op = "score"
	start := time.Now()
	if opt.Days == 0 {
		opt.Days = 90
	}
	if opt.Days < 0 {
		return nil, errorf(KindBadInput, op, "window of %d days", opt.Days)
	}
	cfg := opt.Config
	if cfg == nil {
		cfg = strategies.DefaultConfig()
	}
	res := &ScoreResult{Days: opt.Days, Steps: map[string]float64{}}
	lap := func(name string, t time.Time) { res.Steps[name] += time.Since(t).Seconds() }
	var cur, prev *strategies.Result
	groups := map[string][]string{}
	err := e.conn(ctx, func(c *sql.Conn, ar *duckdb.Arrow) error {
		// Every statement below reads one snapshot of the store, so that
		// slices computed one after the other, and the relations they
		// share, see the same events and consents even if an ingest or a
		// revocation commits meanwhile. Nothing is written: the
		// transaction ends with a rollback, which also drops every
		// temporary table and view made below, even after an error has
		// aborted the transaction (checked with DuckDB 1.5.6).
		if _, err := c.ExecContext(ctx, `BEGIN TRANSACTION`); err != nil {
			return err
		}
		defer c.ExecContext(context.Background(), `ROLLBACK`)
		// The consenting customers are resolved once, into a table: a view
		// over the ledger would rank every customer's consent records again
		// in each statement that reads scoring_events, slices included.
		if _, err := c.ExecContext(ctx, `CREATE OR REPLACE TEMP TABLE scoring_customers AS `+activeSQL("analytics")); err != nil {
			return err
		}
		if _, err := c.ExecContext(ctx, `CREATE OR REPLACE TEMP VIEW scoring_events AS
			SELECT events.* FROM events SEMI JOIN temp.scoring_customers a USING (customer_id)`); err != nil {
			return err
		}
		var events int64
		if err := c.QueryRowContext(ctx, `SELECT count(*) FROM events`).Scan(&events); err != nil {
			return err
		}
		// The per-customer aggregates are built for a slice of the
		// customers at a time when the store is large, so that DuckDB holds
		// a slice's worth of them within its memory limit; the relations
		// every slice needs whole are built once per window first.
		var bounds []string
		if parts := featureParts(events, opt.FeatureParts); parts > 1 {
			var err error
			if bounds, err = queryStrings(ctx, c, strategies.FeatureSliceBoundsSQL(parts)); err != nil {
				return fmt.Errorf("features: slices: %w", err)
			}
		}
		run := func(w strategies.Window) (*strategies.Result, error) {
			t := time.Now()
			if w.AsOf.IsZero() {
				// The latest event's date, resolved here so that the feature
				// query reads scoring_events once (see strategies.FeatureSQL).
				var last sql.NullTime
				if err := c.QueryRowContext(ctx, `SELECT CAST(max("at") AS DATE) FROM scoring_events`).Scan(&last); err != nil {
					return nil, fmt.Errorf("features: latest event: %w", err)
				}
				if last.Valid {
					w.AsOf = last.Time
				}
			}
			fq, err := strategies.FeatureSQLSlices(w, cfg, bounds)
			if err != nil {
				return nil, errorf(KindBadInput, "", "%v", err)
			}
			defer func() {
				for _, s := range fq.Cleanup {
					c.ExecContext(context.WithoutCancel(ctx), s)
				}
			}()
			for _, s := range fq.Setup {
				if _, err := c.ExecContext(ctx, s); err != nil {
					return nil, fmt.Errorf("features: %w", err)
				}
			}
			tables := make([]*strategies.FeatureTable, len(fq.Parts))
			for part, q := range fq.Parts {
				rr, err := ar.QueryContext(ctx, q)
				if err != nil {
					return nil, fmt.Errorf("features: %w", err)
				}
				tables[part], err = strategies.FeatureTableFromArrow(ctx, rr)
				rr.Release()
				if err != nil {
					return nil, err
				}
			}
			table, err := strategies.ConcatFeatureTables(tables)
			if err != nil {
				return nil, err
			}
			lap("features (SQL)", t)
			t = time.Now()
			r, err := strategies.Score(ctx, table, cfg)
			lap("scores (Go)", t)
			return r, err
		}
		var err error
		if cur, err = run(strategies.Window{AsOf: opt.AsOf, Days: opt.Days}); err != nil {
			return err
		}
		if opt.ComparePrevious && !cur.AsOf.IsZero() {
			if prev, err = run(strategies.Window{AsOf: cur.AsOf.AddDate(0, 0, -opt.Days), Days: opt.Days}); err != nil {
				return err
			}
		}
		t := time.Now()
		groups, err = e.groupLabels(ctx, c, cur.CustomerIDs, opt.By)
		lap("groups", t)
		return err
	})
	if err != nil {
		return nil, wrap(op, err)
	}
	t := time.Now()
	aggs, err := strategies.Aggregate(ctx, cur, groups, prev)
	if err != nil {
		return nil, wrap(op, err)
	}
	res.AsOf, res.Customers, res.Aggregates, res.Maturity = cur.AsOf, cur.Len(), aggs, strategies.Maturity(aggs)
	lap("aggregates", t)
	t = time.Now()
	if err := e.writeScores(ctx, cur, res); err != nil {
		return nil, wrap(op, err)
	}
	lap("write", t)
	res.Seconds = time.Since(start).Seconds()
	e.log.Info("scored", "customers", res.Customers, "as_of", res.AsOf.Format(time.DateOnly), "days", res.Days, "seconds", res.Seconds)
	return res, nil
}

// groupLabels returns, per dimension, each scored customer's label: their
// customer-network community and the requested attributes.
func (e *Engine) groupLabels(ctx context.Context, c *sql.Conn, ids []string, by []string) (map[string][]string, error) {
	pos := make(map[string]int, len(ids))
	for i, id := range ids {
		pos[id] = i
	}
	groups := map[string][]string{}
	fill := func(dim, q string, args ...any) error {
		labels := make([]string, len(ids))
		rows, err := c.QueryContext(ctx, q, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		any := false
		for rows.Next() {
			var id string
			var label sql.NullString
			if err := rows.Scan(&id, &label); err != nil {
				return err
			}
			if i, ok := pos[id]; ok && label.Valid {
				labels[i] = label.String
				any = true
			}
		}
		if any {
			groups[dim] = labels
		}
		return rows.Err()
	}
	if err := fill("community", `SELECT customer_id, community::VARCHAR FROM graph_metrics WHERE kind = 'customer'`); err != nil {
		return nil, err
	}
	for _, attr := range by {
		if attr == "" || attr == "all" || attr == "community" {
			continue
		}
		if err := fill(attr, `SELECT customer_id, json_extract_string(attrs, '$.' || $1) FROM customers`, attr); err != nil {
			return nil, err
		}
		if _, ok := groups[attr]; !ok {
			return nil, errorf(KindBadInput, "", "no customer has the attribute %q", attr)
		}
	}
	return groups, nil
}

var scoreSchema = arrow.NewSchema([]arrow.Field{
	{Name: "customer_id", Type: arrow.BinaryTypes.String},
	{Name: "access", Type: arrow.PrimitiveTypes.Float64},
	{Name: "engage", Type: arrow.PrimitiveTypes.Float64},
	{Name: "customize", Type: arrow.PrimitiveTypes.Float64},
	{Name: "connect", Type: arrow.PrimitiveTypes.Float64},
	{Name: "collaborate", Type: arrow.PrimitiveTypes.Float64},
	{Name: "composite", Type: arrow.PrimitiveTypes.Float64},
	{Name: "explanation", Type: arrow.BinaryTypes.String},
}, nil)

// writeScores replaces the scores and strategy_aggregates tables in one
// transaction. Score rows, with their explanations in the compact stored
// form (strategies.Result.AppendStoredExplanation), are built in batches
// and streamed to DuckDB as they are made, so memory stays bounded by a
// batch rather than growing with the number of customers.
func (e *Engine) writeScores(ctx context.Context, r *strategies.Result, res *ScoreResult) error {
	window := fmt.Sprintf("%dd", res.Days)
	return e.writeTx(ctx, func(c *sql.Conn, ar *duckdb.Arrow) error {
		if _, err := c.ExecContext(ctx, `DELETE FROM scores; DELETE FROM strategy_aggregates`); err != nil {
			return err
		}
		pctx, cancel := context.WithCancel(ctx)
		defer cancel()
		out := make(chan arrow.RecordBatch, 1)
		go func() {
			defer close(out)
			b := array.NewRecordBuilder(memory.DefaultAllocator, scoreSchema)
			defer b.Release()
			var js []byte
			send := func() bool {
				rec := b.NewRecordBatch()
				select {
				case out <- rec:
					return true
				case <-pctx.Done():
					rec.Release()
					return false
				}
			}
			for i, id := range r.CustomerIDs {
				b.Field(0).(*array.StringBuilder).Append(id)
				for k, st := range datasets.Strategies {
					b.Field(1 + k).(*array.Float64Builder).Append(r.Scores[st][i])
				}
				b.Field(6).(*array.Float64Builder).Append(r.Composite[i])
				js = r.AppendStoredExplanation(js[:0], i)
				b.Field(7).(*array.StringBuilder).BinaryBuilder.Append(js)
				if (i+1)%batchRows == 0 && !send() {
					return
				}
			}
			if b.Field(0).Len() > 0 {
				send()
			}
		}()
		if _, err := insertFromStream(ctx, c, ar, "scores_in", scoreSchema, out, nil, cancel,
			`INSERT INTO scores SELECT customer_id, $1, $2, access, engage, customize, connect,
			collaborate, composite, explanation FROM scores_in`, res.AsOf, window); err != nil {
			return err
		}
		return insertAggregates(ctx, c, ar, res.AsOf, window, res.Aggregates)
	})
}

var aggregateSchema = arrow.NewSchema([]arrow.Field{
	{Name: "dimension", Type: arrow.BinaryTypes.String},
	{Name: "grp", Type: arrow.BinaryTypes.String},
	{Name: "strategy", Type: arrow.BinaryTypes.String},
	{Name: "customers", Type: arrow.PrimitiveTypes.Int64},
	{Name: "mean", Type: arrow.PrimitiveTypes.Float64},
	{Name: "median", Type: arrow.PrimitiveTypes.Float64},
	{Name: "active_share", Type: arrow.PrimitiveTypes.Float64},
	{Name: "change", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
}, nil)

// insertAggregates appends aggs to strategy_aggregates in one statement over
// an Arrow view: there is a row per group and strategy (82,302 of them for a
// million generated customers in 13,712 communities), too many to insert
// one statement at a time.
func insertAggregates(ctx context.Context, c *sql.Conn, ar *duckdb.Arrow, asOf time.Time, window string, aggs []strategies.GroupStats) error {
	b := array.NewRecordBuilder(memory.DefaultAllocator, aggregateSchema)
	defer b.Release()
	for _, a := range aggs {
		b.Field(0).(*array.StringBuilder).Append(a.Dimension)
		b.Field(1).(*array.StringBuilder).Append(a.Group)
		b.Field(2).(*array.StringBuilder).Append(a.Strategy)
		b.Field(3).(*array.Int64Builder).Append(int64(a.Customers))
		b.Field(4).(*array.Float64Builder).Append(a.Mean)
		b.Field(5).(*array.Float64Builder).Append(a.Median)
		b.Field(6).(*array.Float64Builder).Append(a.ActiveShare)
		if a.Change != nil {
			b.Field(7).(*array.Float64Builder).Append(*a.Change)
		} else {
			b.Field(7).AppendNull()
		}
	}
	rel, release, err := registerRecords(c, ar, "aggregates_in", aggregateSchema, b)
	if err != nil {
		return err
	}
	defer release()
	_, err = c.ExecContext(ctx, `INSERT INTO strategy_aggregates SELECT $1, $2, dimension, grp, strategy, customers,
		mean, median, active_share, change FROM `+rel, asOf, window)
	return err
}

// Scores returns a customer's latest strategy scores with explanations, or
// [ErrNotFound] when they have not been scored (or have revoked analytics).
func (e *Engine) Scores(ctx context.Context, customer string) (*CustomerScores, error) {
	op := "scores of customer " + customer
	cs := &CustomerScores{Customer: customer, Scores: map[string]float64{}}
	vals := make([]float64, len(datasets.Strategies))
	var expl string
	err := e.db.QueryRowContext(ctx, `SELECT as_of, "window", access, engage, customize, connect, collaborate, composite,
		explanation FROM scores WHERE customer_id = $1`, customer).
		Scan(&cs.AsOf, &cs.Window, &vals[0], &vals[1], &vals[2], &vals[3], &vals[4], &cs.Composite, &expl)
	if err == sql.ErrNoRows {
		return nil, errorf(KindNotFound, op, "no scores for customer %s (not scored yet, or no analytics consent)", customer)
	}
	if err != nil {
		return nil, wrap(op, err)
	}
	for k, s := range datasets.Strategies {
		cs.Scores[string(s)] = vals[k]
	}
	if cs.Explanation, err = strategies.ParseExplanation(customer, vals, cs.Composite, []byte(expl)); err != nil {
		return nil, wrap(op, err)
	}
	return cs, nil
}

// ExportScores copies the scores table to out as parquet, csv or jsonl,
// through a temporary file and a rename. Each row's explanation is the
// full [strategies.Explanation] JSON, sentences included (a nested object
// in jsonl, text otherwise). It returns the number of rows.
func (e *Engine) ExportScores(ctx context.Context, format, out string) (int64, error) {
	op := "export scores to " + out
	opts := map[string]string{"parquet": "FORMAT parquet", "csv": "FORMAT csv, HEADER", "jsonl": "FORMAT json"}[format]
	if opts == "" {
		return 0, errorf(KindBadInput, op, "format %q: want parquet, csv or jsonl", format)
	}
	var n int64
	if err := e.db.QueryRowContext(ctx, `SELECT count(*) FROM scores`).Scan(&n); err != nil {
		return 0, wrap(op, err)
	}
	if n == 0 {
		return 0, errorf(KindNotFound, op, "no scores yet: run custnet score")
	}
	explanation := explanationUDFName + `(customer_id, access, engage, customize, connect, collaborate, composite, explanation)`
	if format == "jsonl" {
		explanation += "::JSON" // a nested object rather than a string
	}
	err := atomicfile.Via(out, func(tmp string) error {
		return e.conn(ctx, func(c *sql.Conn, _ *duckdb.Arrow) error {
			if err := registerExplanationUDF(c); err != nil {
				return err
			}
			_, err := c.ExecContext(ctx, `COPY (SELECT customer_id, as_of, "window", access, engage, customize, connect, collaborate,
				composite, `+explanation+` AS explanation FROM scores ORDER BY customer_id) TO `+quote(tmp)+` (`+opts+`)`)
			return err
		})
	})
	return n, wrap(op, err)
}

// explanationUDFName is the SQL function that renders a stored explanation:
// custnet_explanation(customer_id, access, engage, customize, connect,
// collaborate, composite, explanation) returns the full
// [strategies.Explanation] JSON as text (see [strategies.ParseExplanation]).
const explanationUDFName = "custnet_explanation"

// explanationUDF implements [explanationUDFName] for DuckDB.
type explanationUDF struct{}

func (explanationUDF) Config() duckdb.ScalarFuncConfig {
	varchar, _ := duckdb.NewTypeInfo(duckdb.TYPE_VARCHAR)
	double, _ := duckdb.NewTypeInfo(duckdb.TYPE_DOUBLE)
	in := []duckdb.TypeInfo{varchar}
	for range len(datasets.Strategies) + 1 { // the strategies and the composite
		in = append(in, double)
	}
	return duckdb.ScalarFuncConfig{InputTypeInfos: append(in, varchar), ResultTypeInfo: varchar}
}

func (explanationUDF) Executor() duckdb.ScalarFuncExecutor {
	return duckdb.ScalarFuncExecutor{RowExecutor: func(v []driver.Value) (any, error) {
		ns := len(datasets.Strategies)
		scores := make([]float64, ns)
		for k := range scores {
			scores[k] = v[1+k].(float64)
		}
		ex, err := strategies.ParseExplanation(v[0].(string), scores, v[1+ns].(float64), []byte(v[2+ns].(string)))
		if err != nil {
			return nil, err
		}
		js, err := json.Marshal(ex)
		return string(js), err
	}}
}

// registerExplanationUDF makes [explanationUDFName] callable in the
// database of c. DuckDB keeps scalar functions in its system catalog, shared
// by every connection of a database (and by engines that opened the same
// file in this process), so a second registration finds it there.
func registerExplanationUDF(c *sql.Conn) error {
	err := duckdb.RegisterScalarUDF(c, explanationUDFName, explanationUDF{})
	if err == nil {
		return nil
	}
	var exists bool
	if qerr := c.QueryRowContext(context.Background(), `SELECT count(*) > 0 FROM duckdb_functions() WHERE function_name = $1`,
		explanationUDFName).Scan(&exists); qerr == nil && exists {
		return nil
	}
	return fmt.Errorf("register %s: %w", explanationUDFName, err)
}

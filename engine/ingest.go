package engine

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	duckdb "github.com/duckdb/duckdb-go/v2"

	"github.com/custnet/custnet/datasets"
)

// IngestOptions describe one ingest batch. Path is required; everything
// else has a documented zero value.
type IngestOptions struct {
	// Path of the source file (or folder for multi-file formats).
	Path string
	// Format is a name from datasets.Formats, or "" / "auto" to detect it
	// from the content.
	Format string
	// Consents is a consents CSV (customer_id,purpose,granted,at[,source])
	// appended to the ledger in the same transaction. Zero: none.
	Consents string
	// AssumeConsent declares, as the operator, a basis for the listed
	// purposes for every customer in this source who has no ledger record
	// for that purpose yet. The declaration is recorded in the ledger and in
	// the ingests table. Zero: nothing is assumed.
	AssumeConsent []string
	// UseLedger allows a batch with neither Consents nor AssumeConsent,
	// relying on records already in the ledger. Zero: such a batch is
	// refused, because nothing may enter without a recorded basis.
	UseLedger bool
	// Strict stores nothing when any record is bad and returns the first
	// bad records in the error. Zero: bad records go to the rejects table.
	Strict bool
}

// RejectsError is why a strict ingest stored nothing: its first bad
// records (at most 10), each with file, line and reason. Ingest returns it
// inside an [Error] of kind [KindBadInput]; read it with errors.As.
type RejectsError struct {
	Rejects []datasets.Reject
}

func (e *RejectsError) Error() string {
	var b strings.Builder
	b.WriteString("strict mode: bad records, nothing stored:")
	for _, r := range e.Rejects {
		fmt.Fprintf(&b, "\n  %s:%d: %s", r.File, r.Line, r.Reason)
	}
	return b.String()
}

// IngestResult is the provenance of one batch, as stored in the ingests
// table.
type IngestResult struct {
	BatchID        int64                 `json:"batch_id"`
	Format         string                `json:"format"`
	Path           string                `json:"path"`
	Files          []datasets.SourceFile `json:"files"`
	Read           int64                 `json:"rows_read"`
	Loaded         int64                 `json:"loaded"`
	Duplicate      int64                 `json:"duplicate"`
	Rejected       int64                 `json:"rejected"`
	WithoutConsent int64                 `json:"without_consent"`
	ConsentRecords int64                 `json:"consent_records"`
	// Revoked counts the customers whose latest analytics decision became
	// a revocation with this batch's consents file; Erased is what that
	// erased per table (their earlier events and everything derived).
	Revoked  int              `json:"revoked,omitempty"`
	Erased   map[string]int64 `json:"erased,omitempty"`
	Declared []string         `json:"declared_consent,omitempty"`
	Scale    *datasets.Scale  `json:"scale,omitempty"`
	Started  time.Time        `json:"started"`
	Seconds  float64          `json:"seconds"`
}

// Ingest reads one source into the store in a single transaction: either
// the whole batch is stored or nothing is (including on cancellation or a
// crash). Events whose customer lacks an active analytics basis are counted
// and dropped; events already in the store are counted as duplicates.
func (e *Engine) Ingest(ctx context.Context, opt IngestOptions) (*IngestResult, error) {
	op := "ingest " + opt.Path
	if opt.Path == "" {
		return nil, errorf(KindBadInput, "ingest", "no source path given")
	}
	if e.opts.ReadOnly {
		return nil, errorf(KindBadInput, op, "the store is open read-only")
	}
	for _, p := range opt.AssumeConsent {
		if !datasets.ValidPurpose(p) {
			return nil, errorf(KindBadInput, op, "cannot assume consent for %q: purposes are %s", p, strings.Join(datasets.Purposes, ", "))
		}
	}
	if opt.Consents == "" && len(opt.AssumeConsent) == 0 && !opt.UseLedger {
		return nil, errorf(KindNoConsent, op, "no consent basis: give a consents file (--consents FILE) or declare, as the operator, the basis of the whole source (--assume-consent analytics[,personalization]); nothing enters the store without a recorded basis")
	}
	format := opt.Format
	if format == "" || format == "auto" {
		f, err := datasets.Detect(opt.Path)
		if err != nil {
			return nil, ingestErr(opt.Path, err)
		}
		format = f
	}
	if _, ok := datasets.LookupFormat(format); !ok {
		return nil, errorf(KindBadInput, op, "unknown format %q", format)
	}
	start := time.Now()
	res := &IngestResult{Format: format, Path: opt.Path, Declared: opt.AssumeConsent, Started: start.UTC()}
	write := e.writeTx
	if opt.Consents != "" || len(opt.AssumeConsent) > 0 {
		write = e.writeLedgerTx // the batch adds ledger records
	}
	err := write(ctx, func(c *sql.Conn, ar *duckdb.Arrow) error {
		return e.ingestTx(ctx, c, ar, opt, format, res)
	})
	if err != nil {
		if ctx.Err() != nil {
			return nil, &Error{Kind: KindCanceled, Op: op, Err: fmt.Errorf("canceled; the store is as before the batch: %w", ctx.Err())}
		}
		return nil, ingestErr(opt.Path, err)
	}
	res.Seconds = time.Since(start).Seconds()
	e.progress("ingest "+filepath.Base(opt.Path), res.Read, res.Read, true)
	e.log.Info("ingested", "path", opt.Path, "format", format, "batch", res.BatchID, "read", res.Read,
		"loaded", res.Loaded, "duplicate", res.Duplicate, "rejected", res.Rejected,
		"without_consent", res.WithoutConsent, "seconds", res.Seconds)
	return res, nil
}

// ingestErr wraps an error of the ingest of path, naming the file once when
// err is an input error about it ("ingest: u.data: file is empty").
func ingestErr(path string, err error) error {
	var ie *datasets.InputError
	if errors.As(err, &ie) && ie.File == path {
		return wrap("ingest", badInput(err))
	}
	return wrap("ingest "+path, badInput(err))
}

// badInput marks datasets.InputError as KindBadInput.
func badInput(err error) error {
	var ie *datasets.InputError
	if errors.As(err, &ie) {
		return &Error{Kind: KindBadInput, Err: err}
	}
	return err
}

func (e *Engine) ingestTx(ctx context.Context, c *sql.Conn, ar *duckdb.Arrow, opt IngestOptions, format string, res *IngestResult) error {
	if err := c.QueryRowContext(ctx, `SELECT COALESCE(max(batch_id), 0) + 1 FROM ingests`).Scan(&res.BatchID); err != nil {
		return err
	}
	batch := res.BatchID
	source := format
	t0 := time.Now()
	phase := func(name string) {
		e.log.Debug("ingest phase", "phase", name, "seconds", time.Since(t0).Seconds())
		t0 = time.Now()
	}
	// 1. Consent records from the file, before the gate.
	if opt.Consents != "" {
		seq, err := ledgerEnd(ctx, c)
		if err != nil {
			return err
		}
		n, sf, err := e.loadConsents(ctx, c, ar, opt.Consents)
		if err != nil {
			return err
		}
		res.ConsentRecords = n
		res.Files = append(res.Files, sf)
		if n > 0 {
			// A revocation in the file takes effect as Revoke's would.
			revoked, erased, err := eraseRevokedSince(ctx, c, seq)
			if err != nil {
				return err
			}
			e.forgetInModel(revoked...) // even if the batch then fails: forgetting is safe
			res.Revoked, res.Erased = len(revoked), erased
		}
	}
	// 2. The gate: the ledger's state, applied in Go while the file streams
	// straight into events, so the batch is written once.
	gate, err := loadGate(ctx, c, ar, opt.AssumeConsent)
	if err != nil {
		return err
	}
	phase("consents and gate")
	sink, sum, loaded, err := e.streamEvents(ctx, c, ar, opt, format, gate, source, batch)
	if sink != nil {
		defer sink.release()
	}
	if err != nil {
		return err
	}
	phase("stream events")
	res.Files = append(res.Files, sum.Files...)
	res.Read, res.Scale, res.Rejected = sum.Records, sum.Scale, sink.rejected
	res.Loaded, res.WithoutConsent = loaded, sink.withoutConsent
	res.Duplicate = sink.batchDup + (sink.events.Load() - loaded)
	if opt.Strict && len(sink.strictErrs) > 0 {
		return &Error{Kind: KindBadInput, Err: &RejectsError{Rejects: sink.strictErrs}}
	}
	if res.Loaded == 0 && res.Rejected > 0 {
		// Nothing loadable; keep the provenance and the rejects so the
		// operator can see why.
		e.log.Warn("no valid records", "path", opt.Path, "rejected", res.Rejected)
	}
	// 3. The operator's declared basis, recorded for the customers (actors,
	// peers, attribute rows) of this batch who had no record. The sink
	// noted the attribute rows' customers; the events' were collected as
	// they streamed.
	for _, ids := range []*strSet{&sink.named.customers, &sink.named.peers} {
		for id := range ids.all() {
			gate.note(id)
		}
	}
	if err := recordDeclared(ctx, c, ar, gate, fmt.Sprintf("declared by operator for %s (batch %d)", filepath.Base(opt.Path), batch)); err != nil {
		return fmt.Errorf("record declared consent: %w", err)
	}
	phase("declared consent")
	// 4. Attributes: customers only with a basis; items always (they are not personal).
	if err := e.storeAttrs(ctx, c, ar, sink, source); err != nil {
		return err
	}
	phase("attributes")
	// 5. Rejects and provenance.
	if res.Rejected > 0 {
		rel, release, err := registerRecords(c, ar, "rejects_in", rejectSchema, sink.rejects)
		if err != nil {
			return err
		}
		defer release()
		if _, err := c.ExecContext(ctx, `INSERT INTO rejects SELECT $1, file, line, reason, raw, customer_id FROM `+rel, batch); err != nil {
			return fmt.Errorf("store rejects: %w", err)
		}
	}
	var sha []string
	for _, f := range res.Files {
		sha = append(sha, f.SHA256)
	}
	return recordProvenance(ctx, c, provenance{res, strings.Join(sha, ","), opt.AssumeConsent})
}

// provenance is one batch's row of the ingests table.
type provenance struct {
	res      *IngestResult
	sha      string   // the source files' SHA-256 digests, comma-separated
	declared []string // purposes the operator declared
}

// recordProvenance writes the ingests rows of batches, in one statement.
func recordProvenance(ctx context.Context, c *sql.Conn, rows ...provenance) error {
	const cols = 14
	var q strings.Builder
	q.WriteString(`INSERT INTO ingests VALUES `)
	args := make([]any, 0, cols*len(rows))
	for i, p := range rows {
		if i > 0 {
			q.WriteByte(',')
		}
		q.WriteByte('(')
		for k := 1; k <= cols; k++ {
			fmt.Fprintf(&q, "$%d, ", i*cols+k)
		}
		q.WriteString(`now()::TIMESTAMP)`)
		res := p.res
		var smin, smax, sstep any
		if res.Scale != nil {
			smin, smax, sstep = res.Scale.Min, res.Scale.Max, res.Scale.Step
		}
		args = append(args, res.BatchID, res.Format, res.Path, p.sha, strings.Join(p.declared, ","),
			res.Read, res.Loaded, res.Duplicate, res.Rejected, res.WithoutConsent, smin, smax, sstep, res.Started)
	}
	if _, err := c.ExecContext(ctx, q.String(), args...); err != nil {
		return fmt.Errorf("record provenance: %w", err)
	}
	return nil
}

// loadGate reads the ledger's latest record per customer for analytics
// and for the declared purposes (the others decide nothing here), through
// Arrow: at millions of customers, scanning rows one by one through
// database/sql cost seconds.
func loadGate(ctx context.Context, c *sql.Conn, ar *duckdb.Arrow, declared []string) (*ledgerGate, error) {
	g := &ledgerGate{recorded: map[string]uint8{}, declared: declared, undeclared: map[string]uint8{}}
	bit := map[string]uint8{}
	purposes := []string{quote("analytics")}
	for i, p := range declared {
		if p == "analytics" {
			g.analyticsBit = 1 << i // its records are the granted and refused sets
		} else {
			bit[p] = 1 << i
			purposes = append(purposes, quote(p))
		}
	}
	rr, err := ar.QueryContext(ctx, `SELECT customer_id, purpose, granted FROM consents
		WHERE purpose IN (`+strings.Join(purposes, ", ")+`)
		QUALIFY row_number() OVER (PARTITION BY customer_id, purpose ORDER BY "at" DESC, seq DESC) = 1`)
	if err != nil {
		return nil, err
	}
	defer rr.Release()
	for rr.Next() {
		rec := rr.RecordBatch()
		ids, purpose, granted := rec.Column(0).(*array.String), rec.Column(1).(*array.String), rec.Column(2).(*array.Boolean)
		for i := range ids.Len() {
			id := ids.Value(i)
			if purpose.Value(i) == "analytics" {
				if granted.Value(i) {
					g.granted.add(id)
				} else {
					g.refused.add(id)
				}
			}
			if b := bit[purpose.Value(i)]; b != 0 {
				g.recorded[strings.Clone(id)] |= b
			}
		}
	}
	return g, rr.Err()
}

// recordDeclared appends the operator's declared grants for the customers
// the gate noted as lacking a record for a declared purpose.
func recordDeclared(ctx context.Context, c *sql.Conn, ar *duckdb.Arrow, g *ledgerGate, source string) error {
	if len(g.undeclared) == 0 {
		return nil
	}
	b := array.NewRecordBuilder(memory.DefaultAllocator, consentSchema)
	defer b.Release()
	now := arrow.Timestamp(time.Now().UTC().UnixMicro())
	ids := make([]string, 0, len(g.undeclared))
	for id := range g.undeclared {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	var ord int64
	for _, id := range ids {
		for i, p := range g.declared {
			if g.undeclared[id]&(1<<i) == 0 {
				continue
			}
			b.Field(0).(*array.StringBuilder).Append(id)
			b.Field(1).(*array.StringBuilder).Append(p)
			b.Field(2).(*array.BooleanBuilder).Append(true)
			b.Field(3).(*array.TimestampBuilder).Append(now)
			b.Field(4).(*array.StringBuilder).Append(source)
			b.Field(5).(*array.Int64Builder).Append(ord)
			ord++
		}
	}
	rel, release, err := registerRecords(c, ar, "declared_in", consentSchema, b)
	if err != nil {
		return err
	}
	defer release()
	_, err = c.ExecContext(ctx, `INSERT INTO consents (customer_id, purpose, granted, "at", source)
		SELECT customer_id, purpose, granted, "at", source FROM `+rel+` ORDER BY ord`)
	return err
}

// activeSQL selects the customers whose latest ledger record for purpose
// is a grant. Latest means the greatest at, ties broken by ledger order.
func activeSQL(purpose string) string {
	return `SELECT customer_id FROM consents WHERE purpose = ` + quote(purpose) + `
		QUALIFY row_number() OVER (PARTITION BY customer_id ORDER BY "at" DESC, seq DESC) = 1 AND granted`
}

// streamEvents runs the format reader in a goroutine and DuckDB's INSERT on
// this one, joined by an Arrow stream: the file is parsed, gated and
// loaded into events in one pass without holding it in memory. It returns
// the number of rows stored (events already in the store are skipped).
func (e *Engine) streamEvents(ctx context.Context, c *sql.Conn, ar *duckdb.Arrow, opt IngestOptions, format string,
	gate *ledgerGate, source string, batch int64) (*streamSink, datasets.Summary, int64, error) {
	// Timed events carry their own order, so DuckDB may insert converted
	// chunks from several threads; untimed ones keep the file's order,
	// which is then the only order of repeats. The setting is global to
	// the database: the transaction resets it when it ends (see tx).
	keep := datasets.KeepsFileOrder(format)
	if _, err := c.ExecContext(ctx, fmt.Sprintf(`SET preserve_insertion_order = %t`, keep)); err != nil {
		return nil, datasets.Summary{}, 0, err
	}
	pctx, cancel := context.WithCancel(ctx)
	defer cancel()
	sink := newStreamSink(pctx, cancel, opt.Strict, gate)
	sink.seen.reserve(expectedEvents(format, opt.Path))
	step := "ingest " + filepath.Base(opt.Path)
	sink.onEvent = func(n int64) { e.progress(step, n, -1, false) }
	var (
		sum      datasets.Summary
		parseErr error
		done     = make(chan struct{})
	)
	go func() {
		defer close(done)
		s, err := datasets.Read(pctx, format, opt.Path, sink, datasets.ReadOptions{})
		if errors.Is(err, errStrictStop) {
			err = nil
		}
		if ferr := sink.flush(); err == nil && pctx.Err() == nil {
			err = ferr
		}
		// Settle the results before closing the stream: DuckDB reads
		// parseErr (through the reader's Err) once dedupe has seen staged
		// closed and closed out.
		sum, parseErr = s, err
		close(sink.staged)
	}()
	go sink.dedupe()
	// The store's existing events are skipped; on an empty store the
	// anti-join is left out.
	var stored int64
	if err := c.QueryRowContext(ctx, `SELECT count(*) FROM (SELECT 1 FROM events LIMIT 1)`).Scan(&stored); err != nil {
		cancel()
		<-done
		return sink, sum, 0, err
	}
	insert := `INSERT INTO events SELECT s.*, $1, $2 FROM stage_in s`
	if stored > 0 {
		insert += ` ANTI JOIN events e ON e.event_id = s.event_id`
	}
	r, insErr := insertFromStream(ctx, c, ar, "stage_in", stageSchema, sink.out,
		func() error { return errors.Join(parseErr, sink.dedupeErr) }, cancel, insert, source, batch)
	<-done
	if err := errors.Join(parseErr, sink.dedupeErr); err != nil {
		return sink, sum, 0, err
	}
	if insErr != nil {
		return sink, sum, 0, fmt.Errorf("load events: %w", insErr)
	}
	loaded, _ := r.RowsAffected()
	return sink, sum, loaded, nil
}

// insertFromStream runs query (which reads the view name) over the record
// batches a producer sends on in, as one DuckDB statement, and then tidies
// up whatever happened: it stops the producer (cancel; DuckDB may have
// stopped reading early), releases the batches it still sends until it
// closes in, and drops the view. streamErr is the producer's error, which
// DuckDB sees as the stream's error (nil: none).
func insertFromStream(ctx context.Context, c *sql.Conn, ar *duckdb.Arrow, name string, schema *arrow.Schema,
	in <-chan arrow.RecordBatch, streamErr func() error, cancel context.CancelFunc, query string, args ...any) (sql.Result, error) {
	drain := func() {
		cancel()
		for rec := range in {
			rec.Release()
		}
	}
	release, err := ar.RegisterView(newChanReader(schema, in, streamErr), name)
	if err != nil {
		drain()
		return nil, err
	}
	r, err := c.ExecContext(ctx, query, args...)
	drain()
	if _, derr := c.ExecContext(context.Background(), `DROP VIEW IF EXISTS `+name); derr != nil && err == nil {
		err = derr
	}
	release()
	return r, err
}

// csvLineBytes is what a line of a generated events CSV takes, a little
// less than the usual 50 to 55 bytes, so that the guess is rather high.
const csvLineBytes = 48

// maxExpectedEvents caps the guess of expectedEvents: a file of longer
// lines than csvLineBytes (long ids) holds fewer events than its size
// suggests, and above the cap the set grows as needed instead of being
// allocated for a count it may never reach.
const maxExpectedEvents = 1 << 27

// expectedEvents guesses from its size how many events an events CSV
// holds, for the id set's first size, or returns 0 when it cannot tell
// (other formats, compressed files, folders). A guess too low only lets the
// set grow; one too high, for lines much longer than csvLineBytes, makes
// the set larger than it needs by about as much, up to maxExpectedEvents.
func expectedEvents(format, path string) int {
	if format != "events" || !strings.EqualFold(filepath.Ext(path), ".csv") {
		return 0
	}
	fi, err := os.Stat(path)
	if err != nil || !fi.Mode().IsRegular() {
		return 0
	}
	return int(min(fi.Size()/csvLineBytes, maxExpectedEvents))
}

// registerRecords exposes buffered rows to DuckDB as the view name on c
// and returns the name and a cleanup that drops the view and frees the
// rows (the driver's release alone leaves the view behind, reading freed
// memory if queried again).
func registerRecords(c execQuerier, ar *duckdb.Arrow, name string, schema *arrow.Schema, b *array.RecordBuilder) (string, func(), error) {
	rec := b.NewRecordBatch()
	defer rec.Release()
	return registerBatches(c, ar, name, schema, []arrow.RecordBatch{rec})
}

// registerBatches is [registerRecords] for finished records, read in the
// order given (the view keeps its own references to them).
func registerBatches(c execQuerier, ar *duckdb.Arrow, name string, schema *arrow.Schema, recs []arrow.RecordBatch) (string, func(), error) {
	rr, err := array.NewRecordReader(schema, recs)
	if err != nil {
		return "", nil, err
	}
	release, err := ar.RegisterView(rr, name)
	if err != nil {
		rr.Release()
		return "", nil, err
	}
	return name, func() {
		c.ExecContext(context.Background(), `DROP VIEW IF EXISTS `+name)
		release()
		rr.Release()
	}, nil
}

// storeAttrs stores the batch's attribute rows (customers only with an
// active analytics basis; items always, they are not personal) and a bare
// row for every new customer and item the batch's events name.
func (e *Engine) storeAttrs(ctx context.Context, c *sql.Conn, ar *duckdb.Arrow, sink *streamSink, source string) error {
	type stmt struct {
		what string
		q    string
		args []any
	}
	var stmts []stmt
	if sink.customers.Field(0).Len() > 0 {
		if err := materialise(ctx, c, ar, "cust_in", attrSchema, sink.customers); err != nil {
			return err
		}
		stmts = append(stmts, stmt{"customers", `INSERT INTO customers
			SELECT DISTINCT ON (id) id, attrs::JSON, $1 FROM cust_in SEMI JOIN (` + activeSQL("analytics") + `) a ON a.customer_id = id
			ON CONFLICT (customer_id) DO UPDATE SET attrs = excluded.attrs, source = excluded.source`, []any{source}})
	}
	if sink.items.Field(0).Len() > 0 {
		if err := materialise(ctx, c, ar, "items_in", attrSchema, sink.items); err != nil {
			return err
		}
		stmts = append(stmts, stmt{"items", `INSERT INTO items
			SELECT DISTINCT ON (id) id, title, attrs::JSON, $1 FROM items_in
			ON CONFLICT (item_id) DO UPDATE SET title = excluded.title, attrs = excluded.attrs, source = excluded.source`, []any{source}})
	}
	// The customers and items the batch's events name, collected while
	// they streamed (events that were already in the store included: their
	// rows exist unless something removed them, and then belong back).
	for _, named := range []struct {
		table string
		ids   *strSet
	}{{"customers", &sink.named.customers}, {"items", &sink.named.items}} {
		if named.ids.len() == 0 {
			continue
		}
		if err := materialiseIDs(ctx, c, ar, named.table+"_named", named.ids); err != nil {
			return err
		}
	}
	if sink.named.customers.len() > 0 {
		stmts = append(stmts, stmt{"customers", `INSERT INTO customers
			SELECT id, '{}'::JSON, $1 FROM customers_named ON CONFLICT DO NOTHING`, []any{source}})
	}
	if sink.named.items.len() > 0 {
		stmts = append(stmts, stmt{"items", `INSERT INTO items
			SELECT id, NULL, '{}'::JSON, $1 FROM items_named ON CONFLICT DO NOTHING`, []any{source}})
	}
	stmts = append(stmts, stmt{"attributes", `DROP TABLE IF EXISTS cust_in; DROP TABLE IF EXISTS items_in;
		DROP TABLE IF EXISTS customers_named; DROP TABLE IF EXISTS items_named`, nil})
	for _, st := range stmts {
		if _, err := c.ExecContext(ctx, st.q, st.args...); err != nil {
			return fmt.Errorf("store %s: %w", st.what, err)
		}
	}
	return nil
}

var idSchema = arrow.NewSchema([]arrow.Field{{Name: "id", Type: arrow.BinaryTypes.String}}, nil)

// materialiseIDs copies a set of ids, in the set's order (first named
// first), into a temp table.
func materialiseIDs(ctx context.Context, c *sql.Conn, ar *duckdb.Arrow, table string, ids *strSet) error {
	b := array.NewRecordBuilder(memory.DefaultAllocator, idSchema)
	defer b.Release()
	sb := b.Field(0).(*array.StringBuilder)
	sb.Reserve(ids.len())
	for id := range ids.all() {
		sb.Append(id)
	}
	return materialise(ctx, c, ar, table, idSchema, b)
}

// materialise copies buffered rows into a temp table.
func materialise(ctx context.Context, c *sql.Conn, ar *duckdb.Arrow, table string, schema *arrow.Schema, b *array.RecordBuilder) error {
	rel, release, err := registerRecords(c, ar, table+"_view", schema, b)
	if err != nil {
		return err
	}
	defer release()
	_, err = c.ExecContext(ctx, `CREATE OR REPLACE TEMP TABLE `+table+` AS SELECT * FROM `+rel)
	return err
}

var consentSchema = arrow.NewSchema([]arrow.Field{
	{Name: "customer_id", Type: arrow.BinaryTypes.String},
	{Name: "purpose", Type: arrow.BinaryTypes.String},
	{Name: "granted", Type: arrow.FixedWidthTypes.Boolean},
	{Name: "at", Type: &arrow.TimestampType{Unit: arrow.Microsecond}},
	{Name: "source", Type: arrow.BinaryTypes.String},
	{Name: "ord", Type: arrow.PrimitiveTypes.Int64},
}, nil)

// loadConsents appends a consents file to the ledger in file order,
// skipping records identical to ones already there (re-ingesting a
// consents file changes nothing).
func (e *Engine) loadConsents(ctx context.Context, c *sql.Conn, ar *duckdb.Arrow, path string) (int64, datasets.SourceFile, error) {
	b := array.NewRecordBuilder(memory.DefaultAllocator, consentSchema)
	defer b.Release()
	var ord int64
	sf, err := datasets.ReadConsents(ctx, path, func(r datasets.Consent) error {
		b.Field(0).(*array.StringBuilder).Append(r.Customer)
		b.Field(1).(*array.StringBuilder).Append(r.Purpose)
		b.Field(2).(*array.BooleanBuilder).Append(r.Granted)
		b.Field(3).(*array.TimestampBuilder).Append(arrow.Timestamp(r.At))
		b.Field(4).(*array.StringBuilder).Append(r.Source)
		b.Field(5).(*array.Int64Builder).Append(ord)
		ord++
		return nil
	})
	if err != nil {
		return 0, sf, err
	}
	rel, release, err := registerRecords(c, ar, "consents_in", consentSchema, b)
	if err != nil {
		return 0, sf, err
	}
	defer release()
	r, err := c.ExecContext(ctx, `INSERT INTO consents (customer_id, purpose, granted, "at", source)
		SELECT customer_id, purpose, granted, "at", source FROM (
			SELECT DISTINCT ON (customer_id, purpose, granted, "at", source) * FROM `+rel+` ORDER BY customer_id, purpose, granted, "at", source, ord) n
		ANTI JOIN consents c USING (customer_id, purpose, granted, "at", source)
		ORDER BY ord`)
	if err != nil {
		return 0, sf, fmt.Errorf("store consents: %w", err)
	}
	n, _ := r.RowsAffected()
	return n, sf, nil
}

package engine

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	duckdb "github.com/duckdb/duckdb-go/v2"

	"github.com/custnet/custnet/datasets"
)

// AppendOptions configure [Engine.Append].
type AppendOptions struct {
	// Source names where the batch came from in its provenance (the
	// ingests table's source_path and [IngestResult.Path]), e.g.
	// "POST /v1/events". Zero: "append".
	Source string
}

// maxAppendRejects bounds the bad events a refused [Engine.Append] lists.
const maxAppendRejects = 10

// appendFormat is the source kind of appended events: the canonical events
// format's, so an event appended and the same event read from an events
// file have one id.
const appendFormat = "events"

// Append stores a small batch of events already parsed (one HTTP request's,
// say) in one transaction, whole or not at all, without the file machinery
// of [Engine.Ingest]:
//
//   - The batch is validated whole first (see [datasets.CheckEvent]). A bad
//     event refuses the batch: the error is of kind [KindBadInput] and holds
//     a [RejectsError] with the first bad events (at most 10), whose Line
//     is the event's 1-based position in events and File is the source.
//   - Event ids are recomputed from the fields, as for an events file, so
//     an event already in the store, or repeated in the batch, is counted
//     as a duplicate and stored once.
//   - The consent gate is the ledger: an event is stored only when its
//     customer's latest analytics record is a grant; other events are
//     counted as without consent. (Append declares no basis; use Ingest
//     with AssumeConsent or Consents for that.)
//   - The batch gets its own batch id and provenance row in the ingests
//     table, and bare customer and item rows for ids new to the store.
//
// Concurrent calls are committed together (group commit): the calls
// arriving while a transaction runs, or within [Options.CommitInterval] of
// the last one's start, share the next one, each with its own batch id and
// result, so a busy server pays one commit for many batches.
// Validation happens before grouping, so a bad batch never sinks another;
// a failure of the shared transaction (an I/O error, say) fails every call
// of the group and stores none of them. Append returns once its batch is
// committed. A call whose ctx is done before its group starts stores
// nothing and returns [KindCanceled]; once its group has started it is
// committed and reported as such. The events slice is not modified or
// kept. Safe for concurrent use.
func (e *Engine) Append(ctx context.Context, events []datasets.Event, opt AppendOptions) (*IngestResult, error) {
	if opt.Source == "" {
		opt.Source = "append"
	}
	op := "append " + opt.Source
	if e.opts.ReadOnly {
		return nil, errorf(KindBadInput, op, "the store is open read-only")
	}
	if len(events) == 0 {
		return nil, errorf(KindBadInput, op, "the batch has no events")
	}
	evs := make([]datasets.Event, len(events))
	var bad []datasets.Reject
	for i := range events {
		ev := events[i]
		if r := datasets.CheckEvent(&ev); r != "" {
			if len(bad) < maxAppendRejects {
				bad = append(bad, datasets.Reject{File: opt.Source, Line: int64(i + 1), Reason: r, Customer: ev.Customer})
			}
			continue
		}
		ev.ID = datasets.EventID(appendFormat, &ev)
		evs[i] = ev
	}
	if len(bad) > 0 {
		return nil, &Error{Kind: KindBadInput, Op: op, Err: &RejectsError{Rejects: bad}}
	}
	start := time.Now()
	req := &appendReq{ctx: ctx, source: opt.Source, events: evs, done: make(chan struct{})}
	q := &e.appends
	q.mu.Lock()
	q.pending = append(q.pending, req)
	q.mu.Unlock()
	// Either a committer takes this request with its group, or this call
	// becomes the committer of everything pending, itself included.
	select {
	case q.turn <- struct{}{}:
		select {
		case <-req.done:
			// The group before took this request; the turn goes to the
			// calls still waiting for it.
		default:
			// Holding the turn, let the batches of the rest of the
			// CommitInterval gather behind this one.
			if wait := time.Until(q.lastStart.Add(e.opts.CommitInterval)); wait > 0 {
				time.Sleep(wait)
			}
			q.lastStart = time.Now()
			q.mu.Lock()
			group := q.pending
			q.pending = nil
			q.mu.Unlock()
			e.commitAppends(group)
		}
		<-q.turn
	case <-req.done:
	}
	<-req.done
	if req.err != nil {
		return nil, wrap(op, req.err)
	}
	req.res.Seconds = time.Since(start).Seconds()
	e.log.Debug("appended", "source", opt.Source, "batch", req.res.BatchID, "read", req.res.Read,
		"loaded", req.res.Loaded, "duplicate", req.res.Duplicate, "without_consent", req.res.WithoutConsent)
	return req.res, nil
}

// appendQueue holds the Append calls waiting for a group commit.
type appendQueue struct {
	mu      sync.Mutex
	pending []*appendReq
	turn    chan struct{} // capacity 1: held by the call committing a group
	// lastStart is when the last group was taken; read and written only
	// by the holder of turn.
	lastStart time.Time
}

// appendReq is one Append call: its validated events, and its answer once
// done is closed.
type appendReq struct {
	ctx    context.Context
	source string
	events []datasets.Event
	res    *IngestResult
	err    error
	done   chan struct{}
}

// commitAppends commits group in one transaction and answers every call.
func (e *Engine) commitAppends(group []*appendReq) {
	live := group[:0]
	for _, r := range group {
		if err := r.ctx.Err(); err != nil {
			r.err = &Error{Kind: KindCanceled, Err: fmt.Errorf("canceled before the batch was stored; nothing was: %w", err)}
			close(r.done)
			continue
		}
		live = append(live, r)
	}
	if len(live) == 0 {
		return
	}
	// The group's calls may be canceled from now on: they are committed
	// and told so, rather than half-answered.
	ctx := context.Background()
	err := e.writeTx(ctx, func(c *sql.Conn, ar *duckdb.Arrow) error {
		return e.appendTx(ctx, c, ar, live)
	})
	for _, r := range live {
		if err != nil {
			r.res, r.err = nil, err
		}
		close(r.done)
	}
}

// appendSchema is stageSchema with each row's batch id.
var appendSchema = arrow.NewSchema(append(stageSchema.Fields(), arrow.Field{Name: "batch_id", Type: arrow.PrimitiveTypes.Int64}), nil)

// appendTx stores the group's batches; the caller holds writeMu, so the
// consent cache and the store cannot change underneath.
func (e *Engine) appendTx(ctx context.Context, c *sql.Conn, ar *duckdb.Arrow, group []*appendReq) error {
	// The gate and the duplicates within the group, in Go.
	type cand struct {
		ev  *datasets.Event
		req int
	}
	var cands []cand
	var seen idSet
	started := time.Now().UTC()
	err := e.readConsents(ctx, func(m map[string]decisions) {
		for i, r := range group {
			r.res = &IngestResult{Format: appendFormat, Path: r.source, Files: []datasets.SourceFile{}, Read: int64(len(r.events)), Started: started}
			for k := range r.events {
				ev := &r.events[k]
				switch {
				case !m[ev.Customer].analytics.granted:
					r.res.WithoutConsent++
				case !seen.add(ev.ID):
					r.res.Duplicate++
				default:
					cands = append(cands, cand{ev, i})
				}
			}
		}
	})
	if err != nil {
		return fmt.Errorf("consent gate: %w", err)
	}
	// One statement looks up what the store has already: the last batch
	// id, the candidates' event ids (duplicates), their customers and items
	// (whose bare rows exist). DuckDB's statements cost far more than
	// their rows here, so fewer is faster.
	ids, customers, items := make([]string, len(cands)), map[string]bool{}, map[string]bool{}
	for i, cd := range cands {
		ids[i] = strconv.FormatUint(cd.ev.ID, 10)
		customers[cd.ev.Customer] = false
		if cd.ev.Item != "" {
			items[cd.ev.Item] = false
		}
	}
	q := `SELECT 0, COALESCE(max(batch_id), 0)::VARCHAR FROM ingests`
	if len(cands) > 0 {
		q += ` UNION ALL SELECT 1, event_id::VARCHAR FROM events WHERE event_id IN (` + strings.Join(ids, ",") + `)
			UNION ALL SELECT 2, customer_id FROM customers WHERE customer_id IN (` + quoteKeys(customers) + `)`
	}
	if len(items) > 0 {
		q += ` UNION ALL SELECT 3, item_id FROM items WHERE item_id IN (` + quoteKeys(items) + `)`
	}
	var last int64
	var stored idSet
	rows, err := c.QueryContext(ctx, q)
	if err != nil {
		return fmt.Errorf("look up the store: %w", err)
	}
	for rows.Next() {
		var kind int
		var v string
		if err := rows.Scan(&kind, &v); err != nil {
			rows.Close()
			return err
		}
		switch kind {
		case 0:
			last, err = strconv.ParseInt(v, 10, 64)
		case 1:
			var id uint64
			id, err = strconv.ParseUint(v, 10, 64)
			stored.add(id)
		case 2:
			customers[v] = true
		case 3:
			items[v] = true
		}
		if err != nil {
			rows.Close()
			return err
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	for i, r := range group {
		r.res.BatchID = last + 1 + int64(i)
	}
	b := array.NewRecordBuilder(memory.DefaultAllocator, appendSchema)
	defer b.Release()
	staged, batchIDs := newStageBuilders(b), b.Field(8).(*array.Int64Builder)
	var newCustomers, newItems []string
	for _, cd := range cands {
		r := group[cd.req]
		if !stored.add(cd.ev.ID) {
			r.res.Duplicate++
			continue
		}
		r.res.Loaded++
		staged.append(cd.ev)
		batchIDs.Append(r.res.BatchID)
		if !customers[cd.ev.Customer] {
			customers[cd.ev.Customer] = true
			newCustomers = append(newCustomers, cd.ev.Customer)
		}
		if cd.ev.Item != "" && !items[cd.ev.Item] {
			items[cd.ev.Item] = true
			newItems = append(newItems, cd.ev.Item)
		}
	}
	if b.Field(0).Len() > 0 {
		rel, release, err := registerRecords(c, ar, "append_in", appendSchema, b)
		if err != nil {
			return err
		}
		_, err = c.ExecContext(ctx, `INSERT INTO events SELECT event_id, "at", customer_id, action, channel, item_id, peer_id, value, $1, batch_id FROM `+rel, appendFormat)
		release()
		if err != nil {
			return fmt.Errorf("store events: %w", err)
		}
	}
	// Bare rows for customers and items new to the store (no other
	// writer runs: the caller holds writeMu).
	if len(newCustomers) > 0 {
		if _, err := c.ExecContext(ctx, `INSERT INTO customers SELECT id, '{}'::JSON, $2 FROM unnest($1::VARCHAR[]) t(id)`,
			newCustomers, appendFormat); err != nil {
			return fmt.Errorf("store customers: %w", err)
		}
	}
	if len(newItems) > 0 {
		if _, err := c.ExecContext(ctx, `INSERT INTO items SELECT id, NULL, '{}'::JSON, $2 FROM unnest($1::VARCHAR[]) t(id)`,
			newItems, appendFormat); err != nil {
			return fmt.Errorf("store items: %w", err)
		}
	}
	prov := make([]provenance, len(group))
	for i, r := range group {
		prov[i] = provenance{res: r.res}
	}
	return recordProvenance(ctx, c, prov...)
}

// quoteKeys lists the keys of m as SQL string literals, comma-separated.
func quoteKeys(m map[string]bool) string {
	var b strings.Builder
	for k := range m {
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(quote(k))
	}
	return b.String()
}

package engine

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/custnet/custnet/datasets"
)

// stageSchema is the Arrow schema of parsed events on their way into DuckDB.
var stageSchema = arrow.NewSchema([]arrow.Field{
	{Name: "event_id", Type: arrow.PrimitiveTypes.Uint64},
	{Name: "at", Type: &arrow.TimestampType{Unit: arrow.Microsecond}, Nullable: true},
	{Name: "customer_id", Type: arrow.BinaryTypes.String},
	{Name: "action", Type: arrow.BinaryTypes.String},
	{Name: "channel", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "item_id", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "peer_id", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "value", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
}, nil)

var attrSchema = arrow.NewSchema([]arrow.Field{
	{Name: "id", Type: arrow.BinaryTypes.String},
	{Name: "title", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "attrs", Type: arrow.BinaryTypes.String},
}, nil)

var rejectSchema = arrow.NewSchema([]arrow.Field{
	{Name: "file", Type: arrow.BinaryTypes.String},
	{Name: "line", Type: arrow.PrimitiveTypes.Int64},
	{Name: "reason", Type: arrow.BinaryTypes.String},
	{Name: "raw", Type: arrow.BinaryTypes.String},
	{Name: "customer_id", Type: arrow.BinaryTypes.String, Nullable: true},
}, nil)

const batchRows = 1 << 16

// maxStoredRejects bounds the rejects kept per batch; the rest are counted.
const maxStoredRejects = 100_000

// streamSink is a datasets.Sink that turns events into Arrow record
// batches delivered through a channel, consumed by DuckDB as a view while
// the parser is still running. Attributes and rejects are buffered (they are
// small next to events) and inserted after the events.
//
// Two goroutines work on it: the reader's, which calls the Sink methods and
// gates and buffers events, and [streamSink.dedupe]'s, which drops a
// batch's repeated events, collects the customers, items and peers they
// name, and hands the records on to out: the lookups in those (large) sets
// are off the reader's path.
type streamSink struct {
	ctx     context.Context
	cancel  context.CancelFunc     // stops the reader and DuckDB's scan when dedupe fails
	staged  chan stagedRecord      // flushed records, to dedupe
	out     chan arrow.RecordBatch // de-duplicated records, to DuckDB
	freeIDs chan []uint64          // id slices dedupe is done with
	b       *array.RecordBuilder
	fields  stageBuilders // b's
	ids     []uint64      // the event ids of the rows in b
	n       int
	events  atomic.Int64 // rows handed to out

	customers, items *array.RecordBuilder
	rejects          *array.RecordBuilder
	rejected         int64
	strict           bool
	strictErrs       []datasets.Reject
	onEvent          func(n int64)

	// The consent gate, applied while streaming (see ledgerGate).
	gate           *ledgerGate
	withoutConsent int64
	seen           idSet    // event ids of this batch, for in-batch duplicates (dedupe's)
	named          namedIDs // customers, items and peers the batch's events name (dedupe's)
	batchDup       int64    // dedupe's; read once out is closed
	dedupeErr      error    // dedupe's; read once out is closed
}

// stagedRecord is a flushed record and the event id of each of its rows.
type stagedRecord struct {
	rec arrow.RecordBatch
	ids []uint64
}

// ledgerGate holds the consent ledger's state for the batch's decisions:
// the latest analytics record of every customer who has one, and which
// customers lack a record for a declared purpose (they get the operator's
// declared basis, recorded after the stream).
type ledgerGate struct {
	// The customers whose latest analytics record is a grant, and those
	// whose latest is a refusal or revocation.
	granted, refused strSet
	recorded         map[string]uint8 // declared purposes other than analytics with any record, a bit per purpose
	declared         []string         // purposes the operator declared
	undeclared       map[string]uint8 // customers of this batch lacking a record for declared purpose bits
	analyticsBit     uint8            // analytics' bit when declared (its records are granted ∪ refused), else 0

	// The last customer pass looked up (copied: the reader reuses its
	// buffers): events come grouped by customer more often than not, and
	// the answer does not change during a batch.
	lastPass   []byte
	lastPassed bool
}

// pass reports whether customer's events may be stored: their latest
// analytics record is a grant, or they have none and the operator declared
// analytics for the source.
func (g *ledgerGate) pass(customer string) bool {
	if g.granted.len() == 0 && g.refused.len() == 0 {
		return g.analyticsBit != 0
	}
	if customer == string(g.lastPass) && g.lastPass != nil {
		return g.lastPassed
	}
	granted := g.granted.has(customer) || (g.analyticsBit != 0 && !g.refused.has(customer))
	g.lastPass, g.lastPassed = append(g.lastPass[:0], customer...), granted
	return granted
}

// note remembers customer when a declared purpose has no record for them.
func (g *ledgerGate) note(customer string) {
	if len(g.declared) == 0 || customer == "" {
		return
	}
	full := uint8(1)<<len(g.declared) - 1
	rec := g.recorded[customer]
	if g.analyticsBit != 0 && (g.granted.has(customer) || g.refused.has(customer)) {
		rec |= g.analyticsBit
	}
	if rec == full {
		return
	}
	if _, ok := g.undeclared[customer]; ok {
		return
	}
	g.undeclared[strings.Clone(customer)] = full &^ rec
}

var errStrictStop = errors.New("strict mode: stopping at the first bad rows")

func newStreamSink(ctx context.Context, cancel context.CancelFunc, strict bool, gate *ledgerGate) *streamSink {
	mem := memory.DefaultAllocator
	s := &streamSink{
		ctx:       ctx,
		cancel:    cancel,
		staged:    make(chan stagedRecord, 2),
		out:       make(chan arrow.RecordBatch, 2),
		freeIDs:   make(chan []uint64, 4),
		b:         array.NewRecordBuilder(mem, stageSchema),
		customers: array.NewRecordBuilder(mem, attrSchema),
		items:     array.NewRecordBuilder(mem, attrSchema),
		rejects:   array.NewRecordBuilder(mem, rejectSchema),
		strict:    strict,
		gate:      gate,
	}
	s.fields = newStageBuilders(s.b)
	return s
}

func appendNullable(b *array.StringBuilder, s string) {
	if s == "" {
		b.AppendNull()
	} else {
		b.Append(s)
	}
}

func (s *streamSink) Event(e *datasets.Event) error {
	if s.strict && len(s.strictErrs) > 0 {
		return nil // nothing will be stored; keep reading only to find more bad rows
	}
	if !s.gate.pass(e.Customer) {
		s.withoutConsent++
		return nil
	}
	s.ids = append(s.ids, e.ID)
	s.fields.append(e)
	s.n++
	if s.n == batchRows {
		return s.flush()
	}
	return nil
}

// stageBuilders are the field builders of a record builder whose first
// fields are stageSchema's, asserted to their types once rather than for
// every field of every row.
type stageBuilders struct {
	id                                *array.Uint64Builder
	at                                *array.TimestampBuilder
	cust, action, channel, item, peer *array.StringBuilder
	value                             *array.Float64Builder
}

func newStageBuilders(b *array.RecordBuilder) stageBuilders {
	return stageBuilders{
		id:      b.Field(0).(*array.Uint64Builder),
		at:      b.Field(1).(*array.TimestampBuilder),
		cust:    b.Field(2).(*array.StringBuilder),
		action:  b.Field(3).(*array.StringBuilder),
		channel: b.Field(4).(*array.StringBuilder),
		item:    b.Field(5).(*array.StringBuilder),
		peer:    b.Field(6).(*array.StringBuilder),
		value:   b.Field(7).(*array.Float64Builder),
	}
}

func (f stageBuilders) append(e *datasets.Event) {
	f.id.Append(e.ID)
	if e.HasAt {
		f.at.Append(arrow.Timestamp(e.At))
	} else {
		f.at.AppendNull()
	}
	f.cust.Append(e.Customer)
	f.action.Append(e.Action)
	appendNullable(f.channel, e.Channel)
	appendNullable(f.item, e.Item)
	appendNullable(f.peer, e.Peer)
	if e.HasValue {
		f.value.Append(e.Value)
	} else {
		f.value.AppendNull()
	}
}

// reserve makes room in the builders for a record like rec (stageSchema),
// so that the next one is not built by growing every buffer by doubling.
func (f stageBuilders) reserve(rec arrow.RecordBatch) {
	f.id.Reserve(batchRows)
	f.at.Reserve(batchRows)
	f.value.Reserve(batchRows)
	for i, b := range []*array.StringBuilder{f.cust, f.action, f.channel, f.item, f.peer} {
		b.Reserve(batchRows)
		b.ReserveData(len(rec.Column(2 + i).(*array.String).ValueBytes()))
	}
}

// flush hands the buffered rows to dedupe. The reader's goroutine closes
// staged after its last flush.
func (s *streamSink) flush() error {
	if s.n == 0 {
		return nil
	}
	sr := stagedRecord{rec: s.b.NewRecordBatch(), ids: s.ids}
	s.n = 0
	s.fields.reserve(sr.rec)
	select {
	case s.ids = <-s.freeIDs:
		s.ids = s.ids[:0]
	default:
		s.ids = make([]uint64, 0, batchRows)
	}
	select {
	case s.staged <- sr:
		return nil
	case <-s.ctx.Done():
		sr.rec.Release()
		return s.ctx.Err()
	}
}

// dedupe drops from each staged record the events already seen in this
// batch (an exact repeat has the same id, see [datasets.EventID]), notes
// the ids its events name (see namedIDs) and passes the record on to out,
// in order. It closes out once staged is
// closed and drained; on cancellation it releases what it is given.
func (s *streamSink) dedupe() {
	defer close(s.out)
	var keep []bool
	for sr := range s.staged {
		rec := sr.rec
		if s.ctx.Err() != nil {
			rec.Release()
			continue
		}
		keep = slices.Grow(keep[:0], len(sr.ids))[:len(sr.ids)] // addAll sets every entry
		if r := s.seen.addAll(sr.ids, keep); r > 0 {
			s.batchDup += int64(r)
			var err error
			if rec, err = keepRows(rec, keep); err != nil {
				s.dedupeErr = err
				s.cancel()
			}
		}
		select {
		case s.freeIDs <- sr.ids:
		default:
		}
		if rec == nil {
			continue
		}
		s.named.add(rec)
		n := s.events.Add(rec.NumRows())
		if s.onEvent != nil {
			s.onEvent(n)
		}
		select {
		case s.out <- rec:
		case <-s.ctx.Done():
			rec.Release()
		}
	}
}

// namedIDs collects the distinct customers, items and peers that events
// name, so that they get a row in the customers and items tables, and the
// operator's declared basis, without reading the events back.
type namedIDs struct {
	customers, items, peers strSet
	last                    []byte // the last customer added (a copy: events come grouped by customer)
}

// add notes the customer_id, item_id and peer_id of every row of rec
// (stageSchema).
func (n *namedIDs) add(rec arrow.RecordBatch) {
	cust := rec.Column(2).(*array.String)
	for i := range cust.Len() {
		if c := cust.Value(i); c != string(n.last) {
			n.customers.add(c)
			n.last = append(n.last[:0], c...)
		}
	}
	n.items.addColumn(rec.Column(5).(*array.String))
	n.peers.addColumn(rec.Column(6).(*array.String))
}

// keepRows returns the rows of rec whose keep is true, or nil when there
// are none, and releases rec.
func keepRows(rec arrow.RecordBatch, keep []bool) (arrow.RecordBatch, error) {
	defer rec.Release()
	var runs [][2]int64 // [from, to) of kept rows
	var kept int64
	for i := 0; i < len(keep); {
		if !keep[i] {
			i++
			continue
		}
		j := i
		for j < len(keep) && keep[j] {
			j++
		}
		runs = append(runs, [2]int64{int64(i), int64(j)})
		kept += int64(j - i)
		i = j
	}
	if kept == 0 {
		return nil, nil
	}
	cols := make([]arrow.Array, rec.NumCols())
	for c := range cols {
		parts := make([]arrow.Array, len(runs))
		for k, r := range runs {
			parts[k] = array.NewSlice(rec.Column(c), r[0], r[1])
		}
		col, err := array.Concatenate(parts, memory.DefaultAllocator)
		for _, p := range parts {
			p.Release()
		}
		if err != nil {
			for _, done := range cols[:c] {
				done.Release()
			}
			return nil, fmt.Errorf("drop repeated events: %w", err)
		}
		cols[c] = col
	}
	out := array.NewRecordBatch(rec.Schema(), cols, kept)
	for _, col := range cols {
		col.Release()
	}
	return out, nil
}

func (s *streamSink) Reject(r datasets.Reject) error {
	s.rejected++
	if s.strict {
		if len(s.strictErrs) < 10 {
			s.strictErrs = append(s.strictErrs, r)
		}
		if len(s.strictErrs) >= 10 {
			return errStrictStop
		}
		return nil
	}
	if s.rejected > maxStoredRejects {
		return nil
	}
	b := s.rejects
	b.Field(0).(*array.StringBuilder).Append(r.File)
	b.Field(1).(*array.Int64Builder).Append(r.Line)
	b.Field(2).(*array.StringBuilder).Append(r.Reason)
	b.Field(3).(*array.StringBuilder).Append(r.Raw)
	appendNullable(b.Field(4).(*array.StringBuilder), r.Customer)
	return nil
}

func appendAttr(b *array.RecordBuilder, a datasets.Attr) error {
	js, err := json.Marshal(a.Attrs)
	if err != nil {
		return err
	}
	if a.Attrs == nil {
		js = []byte("{}")
	}
	b.Field(0).(*array.StringBuilder).Append(a.ID)
	appendNullable(b.Field(1).(*array.StringBuilder), a.Title)
	b.Field(2).(*array.StringBuilder).Append(string(js))
	return nil
}

func (s *streamSink) Customer(a datasets.Attr) error {
	if !s.gate.pass(a.ID) {
		return nil
	}
	s.gate.note(a.ID)
	return appendAttr(s.customers, a)
}
func (s *streamSink) Item(a datasets.Attr) error { return appendAttr(s.items, a) }

func (s *streamSink) release() {
	s.b.Release()
	s.customers.Release()
	s.items.Release()
	s.rejects.Release()
}

// chanReader is an array.RecordReader over the sink's channel. errp is read
// after the channel closes, to surface the parser's error to DuckDB.
type chanReader struct {
	refs   atomic.Int64
	in     <-chan arrow.RecordBatch
	cur    arrow.RecordBatch
	err    func() error
	schema *arrow.Schema
}

// newChanReader reads the batches sent on in; err, when not nil, gives the
// producer's error once in is closed.
func newChanReader(schema *arrow.Schema, in <-chan arrow.RecordBatch, err func() error) *chanReader {
	r := &chanReader{in: in, err: err, schema: schema}
	r.refs.Store(1)
	return r
}

func (r *chanReader) Retain() { r.refs.Add(1) }
func (r *chanReader) Release() {
	if r.refs.Add(-1) == 0 && r.cur != nil {
		r.cur.Release()
		r.cur = nil
	}
}
func (r *chanReader) Schema() *arrow.Schema { return r.schema }
func (r *chanReader) Next() bool {
	if r.cur != nil {
		r.cur.Release()
		r.cur = nil
	}
	rec, ok := <-r.in
	if !ok {
		return false
	}
	r.cur = rec
	return true
}
func (r *chanReader) Record() arrow.RecordBatch      { return r.cur }
func (r *chanReader) RecordBatch() arrow.RecordBatch { return r.cur }
func (r *chanReader) Err() error {
	if r.err == nil {
		return nil
	}
	return r.err()
}

// buildRecords builds Arrow records of schema from n units (a customer's
// list, a node's metrics: fill appends unit i's rows to b), per units to a
// record, in order, with up to workers goroutines. DuckDB inserts several
// records faster than one of the same rows (18.4M recommendation rows:
// 3.7 s against 7.2-7.9 s on two cores), which points at its Arrow scan
// taking one thread per record, and keeps the records' order when
// insertion order is preserved. There is always at least one record, empty when n is 0. The
// caller releases the records.
func buildRecords(schema *arrow.Schema, n, per, workers int, fill func(b *array.RecordBuilder, i int)) []arrow.RecordBatch {
	per = max(1, per)
	recs := make([]arrow.RecordBatch, max(1, (n+per-1)/per))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range max(1, min(workers, len(recs))) {
		wg.Go(func() {
			b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
			defer b.Release()
			for {
				k := int(next.Add(1) - 1)
				if k >= len(recs) {
					return
				}
				for i := k * per; i < min(n, (k+1)*per); i++ {
					fill(b, i)
				}
				recs[k] = b.NewRecordBatch()
			}
		})
	}
	wg.Wait()
	return recs
}

// releaseAll releases records.
func releaseAll(recs []arrow.RecordBatch) {
	for _, r := range recs {
		r.Release()
	}
}

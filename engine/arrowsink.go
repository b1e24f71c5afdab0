package engine

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
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
type streamSink struct {
	ctx    context.Context
	out    chan arrow.RecordBatch
	b      *array.RecordBuilder
	n      int
	events atomic.Int64

	customers, items *array.RecordBuilder
	rejects          *array.RecordBuilder
	rejected         int64
	strict           bool
	strictErrs       []datasets.Reject
	onEvent          func(n int64)

	// The consent gate, applied while streaming (see ledgerGate).
	gate           *ledgerGate
	withoutConsent int64
	seen           idSet // event ids of this batch, for in-batch duplicates
	batchDup       int64
}

// ledgerGate holds the consent ledger's state for the batch's decisions:
// the latest analytics record of every customer who has one, and which
// customers lack a record for a declared purpose (they get the operator's
// declared basis, recorded after the stream).
type ledgerGate struct {
	analytics     map[string]bool  // latest analytics record: granted?
	recorded      map[string]uint8 // purposes with any record, bit per declared purpose
	declared      []string         // purposes the operator declared
	undeclared    map[string]uint8 // customers of this batch lacking a record for declared purpose bits
	declAnalytics bool
}

// pass reports whether customer's events may be stored: their latest
// analytics record is a grant, or they have none and the operator declared
// analytics for the source.
func (g *ledgerGate) pass(customer string) bool {
	granted, ok := g.analytics[customer]
	if ok {
		return granted
	}
	return g.declAnalytics
}

// note remembers customer when a declared purpose has no record for them.
func (g *ledgerGate) note(customer string) {
	if len(g.declared) == 0 || customer == "" {
		return
	}
	full := uint8(1)<<len(g.declared) - 1
	if g.recorded[customer] == full {
		return
	}
	if _, ok := g.undeclared[customer]; ok {
		return
	}
	g.undeclared[strings.Clone(customer)] = full &^ g.recorded[customer]
}

var errStrictStop = errors.New("strict mode: stopping at the first bad rows")

func newStreamSink(ctx context.Context, strict bool, gate *ledgerGate) *streamSink {
	mem := memory.DefaultAllocator
	return &streamSink{
		ctx:       ctx,
		out:       make(chan arrow.RecordBatch, 2),
		b:         array.NewRecordBuilder(mem, stageSchema),
		customers: array.NewRecordBuilder(mem, attrSchema),
		items:     array.NewRecordBuilder(mem, attrSchema),
		rejects:   array.NewRecordBuilder(mem, rejectSchema),
		strict:    strict,
		gate:      gate,
	}
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
	if !s.seen.add(e.ID) {
		s.batchDup++
		return nil
	}
	s.gate.note(e.Customer)
	s.gate.note(e.Peer)
	appendStaged(s.b, e)
	s.n++
	if s.n == batchRows {
		return s.flush()
	}
	return nil
}

// appendStaged appends e to b, whose first fields are stageSchema's.
func appendStaged(b *array.RecordBuilder, e *datasets.Event) {
	b.Field(0).(*array.Uint64Builder).Append(e.ID)
	if e.HasAt {
		b.Field(1).(*array.TimestampBuilder).Append(arrow.Timestamp(e.At))
	} else {
		b.Field(1).AppendNull()
	}
	b.Field(2).(*array.StringBuilder).Append(e.Customer)
	b.Field(3).(*array.StringBuilder).Append(e.Action)
	appendNullable(b.Field(4).(*array.StringBuilder), e.Channel)
	appendNullable(b.Field(5).(*array.StringBuilder), e.Item)
	appendNullable(b.Field(6).(*array.StringBuilder), e.Peer)
	if e.HasValue {
		b.Field(7).(*array.Float64Builder).Append(e.Value)
	} else {
		b.Field(7).AppendNull()
	}
}

func (s *streamSink) flush() error {
	if s.n == 0 {
		return nil
	}
	rec := s.b.NewRecordBatch()
	n := s.events.Add(int64(s.n))
	s.n = 0
	if s.onEvent != nil {
		s.onEvent(n)
	}
	select {
	case s.out <- rec:
		return nil
	case <-s.ctx.Done():
		rec.Release()
		return s.ctx.Err()
	}
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
func (r *chanReader) Err() error                     { return r.err() }

// recordsReader builds a reader over finished records (attributes, rejects).
func recordsReader(schema *arrow.Schema, b *array.RecordBuilder) (array.RecordReader, error) {
	rec := b.NewRecordBatch()
	defer rec.Release()
	return array.NewRecordReader(schema, []arrow.RecordBatch{rec})
}

package datasets

import (
	"bufio"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"

	"github.com/custnet/custnet/internal/atomicfile"
	"github.com/custnet/custnet/internal/dropbehind"
)

// GenerateStats reports what [WriteGenerated] wrote.
type GenerateStats struct {
	Events    int64
	Customers int
	Consents  int64
	Bytes     int64         // size of the events file
	Files     []string      // every file written, events file first
	Elapsed   time.Duration // wall time of the whole run
}

// WriteGenerated runs [Generate] and writes the events file at path, in the
// format its extension names:
//
//   - .parquet: columns event_id UINT64 ([EventID] with source "events"),
//     at TIMESTAMP(us, UTC), customer_id, action, channel, item_id, peer_id
//     STRING, value DOUBLE; nulls where a field is unused; snappy pages,
//     row groups of 65,536 rows.
//   - .csv or .csv.gz: header customer_id,action,at,channel,item_id,peer_id,value,
//     at in RFC 3339 with Z, empty fields for nulls.
//   - .jsonl: one object per line with the CSV's keys; null fields left out.
//
// Beside it, with the extension replaced, go STEM.consents.csv
// (customer_id,purpose,granted,at,source), STEM.customers.csv (customer_id,
// segment, region, age_band, planted_community) and STEM.truth.json (the
// [Truth]). Each file is written to a temporary file in the same folder and
// renamed into place only when everything succeeded, events file last, so a
// crash or a cancelled ctx leaves no half-written file. The events file
// goes to disk as it is written, keeping at most 128 MiB of it in the page
// cache (internal/dropbehind): a 100M-event CSV is 5.3 GB.
func WriteGenerated(ctx context.Context, path string, opt GenerateOptions) (Truth, GenerateStats, error) {
	began := time.Now()
	var st GenerateStats
	stem, kind, err := genOutputKind(path)
	if err != nil {
		return Truth{}, st, err
	}
	files := []string{path, stem + ".consents.csv", stem + ".customers.csv", stem + ".truth.json"}
	tmps := make([]*os.File, len(files))
	var sink *genFileSink
	defer func() {
		if sink != nil && sink.ev != nil {
			sink.ev.close() // idempotent; stops the Parquet encoder after a failure
		}
		for _, f := range tmps {
			if f != nil {
				f.Close()
				os.Remove(f.Name())
			}
		}
	}()
	for i, name := range files {
		f, err := atomicfile.Temp(name)
		if err != nil {
			return Truth{}, st, fmt.Errorf("generate %s: %w", path, err)
		}
		tmps[i] = f
	}
	sink = &genFileSink{
		consents:  bufio.NewWriterSize(tmps[1], 1<<16),
		customers: bufio.NewWriterSize(tmps[2], 1<<16),
	}
	sink.consents.WriteString("customer_id,purpose,granted,at,source\n")
	sink.customers.WriteString("customer_id,segment,region,age_band,planted_community\n")
	// Up to gigabytes: written without filling the page cache.
	evw := dropbehind.New(tmps[0])
	switch kind {
	case "parquet":
		sink.ev, err = newGenParquet(evw)
	case "csv", "csv.gz", "jsonl":
		sink.ev = newGenText(evw, kind)
	}
	if err != nil {
		return Truth{}, st, fmt.Errorf("generate %s: %w", path, err)
	}

	truth, err := Generate(ctx, opt, sink)
	if err != nil {
		return truth, st, fmt.Errorf("generate %s: %w", path, err)
	}
	if err := sink.ev.close(); err != nil {
		return truth, st, fmt.Errorf("generate %s: %w", path, err)
	}
	for _, w := range []*bufio.Writer{sink.consents, sink.customers} {
		if err := w.Flush(); err != nil {
			return truth, st, fmt.Errorf("generate %s: %w", path, err)
		}
	}
	tj, err := json.MarshalIndent(truth, "", " ")
	if err != nil {
		return truth, st, fmt.Errorf("generate %s: truth: %w", path, err)
	}
	if _, err := tmps[3].Write(append(tj, '\n')); err != nil {
		return truth, st, fmt.Errorf("generate %s: %w", path, err)
	}
	for _, f := range tmps {
		if err := f.Close(); err != nil {
			return truth, st, fmt.Errorf("generate %s: %w", path, err)
		}
	}
	if err := ctx.Err(); err != nil {
		return truth, st, fmt.Errorf("generate %s: %w", path, err)
	}
	// Siblings first, the events file last: its presence means all are.
	for _, i := range []int{1, 2, 3, 0} {
		if err := os.Rename(tmps[i].Name(), files[i]); err != nil {
			return truth, st, fmt.Errorf("generate %s: %w", path, err)
		}
		tmps[i] = nil
	}
	if fi, err := os.Stat(path); err == nil {
		st.Bytes = fi.Size()
	}
	st.Events, st.Customers, st.Consents = sink.events, sink.ncust, sink.nconsent
	st.Files = files
	st.Elapsed = time.Since(began)
	return truth, st, nil
}

// genOutputKind splits path into its stem and format.
func genOutputKind(path string) (stem, kind string, err error) {
	lower := strings.ToLower(path)
	for _, k := range []string{"csv.gz", "parquet", "csv", "jsonl"} {
		if strings.HasSuffix(lower, "."+k) {
			return path[:len(path)-len(k)-1], k, nil
		}
	}
	return "", "", fmt.Errorf("generate %s: unknown output format (want .parquet, .csv, .csv.gz or .jsonl)", path)
}

type genEventWriter interface {
	write(batch []Event) error
	close() error // flushes; a second call does nothing
}

// genFileSink is the GenSink behind WriteGenerated.
type genFileSink struct {
	ev        genEventWriter
	consents  *bufio.Writer
	customers *bufio.Writer
	buf       []byte
	events    int64
	ncust     int
	nconsent  int64
}

func (s *genFileSink) Customer(a Attr) error {
	s.ncust++
	b := append(s.buf[:0], a.ID...)
	for _, k := range []string{"segment", "region", "age_band", "planted_community"} {
		b = append(b, ',')
		b = append(b, a.Attrs[k]...)
	}
	b = append(b, '\n')
	s.buf = b
	_, err := s.customers.Write(b)
	return err
}

func (s *genFileSink) Consent(c Consent) error {
	s.nconsent++
	b := append(s.buf[:0], c.Customer...)
	b = append(b, ',')
	b = append(b, c.Purpose...)
	b = append(b, ',')
	b = strconv.AppendBool(b, c.Granted)
	b = append(b, ',')
	b = time.UnixMicro(c.At).UTC().AppendFormat(b, time.RFC3339)
	b = append(b, ',')
	b = append(b, c.Source...)
	b = append(b, '\n')
	s.buf = b
	_, err := s.consents.Write(b)
	return err
}

func (s *genFileSink) Events(batch []Event) error {
	s.events += int64(len(batch))
	return s.ev.write(batch)
}

// genText writes CSV, gzipped CSV or JSON Lines.
type genText struct {
	gz   *gzip.Writer
	w    *bufio.Writer
	json bool
	buf  []byte
}

func newGenText(f io.Writer, kind string) *genText {
	t := &genText{json: kind == "jsonl"}
	var dst io.Writer = f
	if kind == "csv.gz" {
		t.gz, _ = gzip.NewWriterLevel(f, gzip.BestSpeed)
		dst = t.gz
	}
	t.w = bufio.NewWriterSize(dst, 1<<20)
	if !t.json {
		t.w.WriteString("customer_id,action,at,channel,item_id,peer_id,value\n")
	}
	return t
}

func appendValue(b []byte, v float64) []byte {
	return strconv.AppendFloat(b, v, 'f', -1, 64)
}

func (t *genText) write(batch []Event) error {
	for i := range batch {
		e := &batch[i]
		b := t.buf[:0]
		if t.json {
			b = appendJSONField(b, `{"customer_id":`, e.Customer)
			b = appendJSONField(b, `,"action":`, e.Action)
			b = append(b, `,"at":"`...)
			b = time.UnixMicro(e.At).UTC().AppendFormat(b, time.RFC3339)
			b = append(b, '"')
			if e.Channel != "" {
				b = appendJSONField(b, `,"channel":`, e.Channel)
			}
			if e.Item != "" {
				b = appendJSONField(b, `,"item_id":`, e.Item)
			}
			if e.Peer != "" {
				b = appendJSONField(b, `,"peer_id":`, e.Peer)
			}
			if e.HasValue {
				b = append(b, `,"value":`...)
				b = appendValue(b, e.Value)
			}
			b = append(b, "}\n"...)
		} else {
			b = append(b, e.Customer...)
			b = append(b, ',')
			b = append(b, e.Action...)
			b = append(b, ',')
			b = time.UnixMicro(e.At).UTC().AppendFormat(b, time.RFC3339)
			b = append(b, ',')
			b = append(b, e.Channel...)
			b = append(b, ',')
			b = append(b, e.Item...)
			b = append(b, ',')
			b = append(b, e.Peer...)
			b = append(b, ',')
			if e.HasValue {
				b = appendValue(b, e.Value)
			}
			b = append(b, '\n')
		}
		t.buf = b
		if _, err := t.w.Write(b); err != nil {
			return err
		}
	}
	return nil
}

// appendJSONField appends key and s as a JSON string; generated strings are
// plain ASCII identifiers, so quoting is all they need.
func appendJSONField(b []byte, key, s string) []byte {
	b = append(b, key...)
	return strconv.AppendQuote(b, s)
}

func (t *genText) close() error {
	if t.w == nil {
		return nil
	}
	err := t.w.Flush()
	if t.gz != nil {
		if gerr := t.gz.Close(); gerr != nil && err == nil {
			err = gerr
		}
	}
	t.w = nil
	return err
}

// genParquetRows is the number of rows per record batch and row group.
const genParquetRows = 1 << 16

// genEventsSchema is the Arrow schema of generated Parquet events files.
var genEventsSchema = arrow.NewSchema([]arrow.Field{
	{Name: "event_id", Type: arrow.PrimitiveTypes.Uint64, Nullable: true},
	{Name: "at", Type: &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}},
	{Name: "customer_id", Type: arrow.BinaryTypes.String},
	{Name: "action", Type: arrow.BinaryTypes.String},
	{Name: "channel", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "item_id", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "peer_id", Type: arrow.BinaryTypes.String, Nullable: true},
	{Name: "value", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
}, nil)

// genParquet streams events into a Parquet file, one row group per
// genParquetRows rows. Building record batches and encoding them overlap:
// a goroutine encodes the previous batch while the next one fills.
type genParquet struct {
	fw   *pqarrow.FileWriter
	b    *array.RecordBuilder
	rows int
	recs chan arrow.RecordBatch
	done chan error
}

func newGenParquet(f io.Writer) (*genParquet, error) {
	props := parquet.NewWriterProperties(
		parquet.WithCompression(compress.Codecs.Snappy),
		// No dictionaries: arrow-go's dictionary encoder allocates per
		// value and costs a third of the write time, for files only 15%
		// smaller once snappy has seen the repeated action names.
		parquet.WithDictionaryDefault(false),
		parquet.WithMaxRowGroupLength(genParquetRows),
		parquet.WithCreatedBy("custnet generator"),
	)
	// The Parquet writer closes a sink that is an io.Closer; the file is
	// closed by WriteGenerated after its mode is set.
	fw, err := pqarrow.NewFileWriter(genEventsSchema, struct{ io.Writer }{f}, props, pqarrow.NewArrowWriterProperties(pqarrow.WithStoreSchema()))
	if err != nil {
		return nil, fmt.Errorf("parquet writer: %w", err)
	}
	b := array.NewRecordBuilder(memory.DefaultAllocator, genEventsSchema)
	b.Reserve(genParquetRows)
	p := &genParquet{fw: fw, b: b, recs: make(chan arrow.RecordBatch, 1), done: make(chan error, 1)}
	go func() {
		var err error
		for rec := range p.recs {
			if err == nil {
				err = fw.Write(rec)
			}
			rec.Release()
		}
		if cerr := fw.Close(); cerr != nil && err == nil {
			err = cerr
		}
		p.done <- err
	}()
	return p, nil
}

func (p *genParquet) write(batch []Event) error {
	var (
		id    = p.b.Field(0).(*array.Uint64Builder)
		at    = p.b.Field(1).(*array.TimestampBuilder)
		cust  = p.b.Field(2).(*array.StringBuilder)
		act   = p.b.Field(3).(*array.StringBuilder)
		ch    = p.b.Field(4).(*array.StringBuilder)
		item  = p.b.Field(5).(*array.StringBuilder)
		peer  = p.b.Field(6).(*array.StringBuilder)
		value = p.b.Field(7).(*array.Float64Builder)
	)
	opt := func(b *array.StringBuilder, s string) {
		if s == "" {
			b.AppendNull()
		} else {
			b.Append(s)
		}
	}
	for i := range batch {
		e := &batch[i]
		id.Append(e.ID)
		at.Append(arrow.Timestamp(e.At))
		cust.Append(e.Customer)
		act.Append(e.Action)
		opt(ch, e.Channel)
		opt(item, e.Item)
		opt(peer, e.Peer)
		if e.HasValue {
			value.Append(e.Value)
		} else {
			value.AppendNull()
		}
		p.rows++
		if p.rows == genParquetRows {
			if err := p.flush(); err != nil {
				return err
			}
		}
	}
	return nil
}

func (p *genParquet) flush() error {
	if p.rows == 0 {
		return nil
	}
	rec := p.b.NewRecordBatch()
	p.rows = 0
	p.recs <- rec // an encoding error surfaces at close
	p.b.Reserve(genParquetRows)
	return nil
}

func (p *genParquet) close() error {
	if p.recs == nil {
		return nil
	}
	err := p.flush()
	close(p.recs)
	if werr := <-p.done; werr != nil && err == nil {
		err = fmt.Errorf("parquet: %w", werr)
	}
	p.b.Release()
	p.recs = nil
	return err
}

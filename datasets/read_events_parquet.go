package datasets

import (
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

// parquetBatchRows is the number of rows per record batch read from a
// Parquet file.
const parquetBatchRows = 64 << 10

// readEventsParquet reads an events Parquet file batch by batch. Parquet
// needs random access, so the stored bytes are hashed in one sequential
// pass first (a .gz file is inflated into a temporary file on that pass),
// then the file is read through pqarrow's record reader.
func readEventsParquet(ctx context.Context, src *source, sink Sink) (Summary, error) {
	var sum Summary
	path := src.path
	if src.gz != nil {
		tmp, err := os.CreateTemp("", "custnet-*.parquet")
		if err != nil {
			return sum, fmt.Errorf("inflate %s: %w", src.path, err)
		}
		defer os.Remove(tmp.Name())
		defer tmp.Close()
		if _, err := io.Copy(tmp, src.r); err != nil {
			return sum, src.readError(err)
		}
		path = tmp.Name()
	}
	sf, err := src.finish()
	if err != nil {
		return sum, err
	}
	sum.Files = append(sum.Files, sf)
	f, err := os.Open(path)
	if err != nil {
		return sum, openError(src.path, err)
	}
	defer f.Close()
	pf, err := file.NewParquetReader(f)
	if err != nil {
		return sum, &InputError{File: src.path, Reason: "not a readable Parquet file: " + err.Error(), Err: err}
	}
	defer pf.Close()
	fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{BatchSize: parquetBatchRows}, memory.DefaultAllocator)
	if err != nil {
		return sum, &InputError{File: src.path, Reason: "not a readable Parquet file: " + err.Error(), Err: err}
	}
	schema, err := fr.Schema()
	if err != nil {
		return sum, &InputError{File: src.path, Reason: "parquet schema: " + err.Error(), Err: err}
	}
	names := make([]string, schema.NumFields())
	for i, fd := range schema.Fields() {
		names[i] = fd.Name
	}
	layout, err := newEventLayout(src.path, 0, names)
	if err != nil {
		return sum, err
	}
	for c, i := range layout.idx {
		if i >= 0 && c != colEventID && !parquetTypeOK(c, schema.Field(i).Type) {
			return sum, &InputError{File: src.path, Reason: fmt.Sprintf("column %q has type %s, which custnet cannot read", names[i], schema.Field(i).Type)}
		}
	}
	rr, err := fr.GetRecordReader(ctx, nil, nil)
	if err != nil {
		return sum, &InputError{File: src.path, Reason: "parquet: " + err.Error(), Err: err}
	}
	defer rr.Release()
	clk := newClock()
	var (
		e     Event
		row   eventFields
		idBuf []byte
	)
	for rr.Next() {
		if err := ctx.Err(); err != nil {
			return sum, err
		}
		rec := rr.RecordBatch()
		n := int(rec.NumRows())
		for i := 0; i < n; i++ {
			sum.Records++
			if sum.Records%ctxEvery == 0 {
				if err := ctx.Err(); err != nil {
					return sum, err
				}
			}
			var at *int64
			var atv int64
			for c, k := range layout.idx {
				row[c] = ""
				if k < 0 || c == colEventID {
					continue
				}
				col := rec.Column(k)
				if col.IsNull(i) {
					continue
				}
				if c == colAt {
					if v, ok := parquetMicros(col, i); ok {
						atv, at = v, &atv
						continue
					}
				}
				row[c] = parquetText(col, i)
			}
			r, cust := row.fillAt(clk, &e, at, &idBuf)
			if r != "" {
				if err := sink.Reject(Reject{File: src.path, Line: sum.Records, Reason: r, Raw: parquetRaw(&row, at), Customer: cust}); err != nil {
					return sum, err
				}
				continue
			}
			if err := sink.Event(&e); err != nil {
				return sum, err
			}
		}
	}
	if err := rr.Err(); err != nil && err != io.EOF {
		if ctx.Err() != nil {
			return sum, ctx.Err()
		}
		return sum, &InputError{File: src.path, Line: sum.Records, Reason: "parquet: " + err.Error(), Err: err}
	}
	if sum.Records == 0 {
		return sum, &InputError{File: src.path, Reason: "no data rows"}
	}
	return sum, nil
}

func parquetTypeOK(c int, t arrow.DataType) bool {
	if d, ok := t.(*arrow.DictionaryType); ok {
		t = d.ValueType
	}
	switch t.ID() {
	case arrow.STRING, arrow.LARGE_STRING, arrow.BINARY, arrow.LARGE_BINARY,
		arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64,
		arrow.UINT8, arrow.UINT16, arrow.UINT32, arrow.UINT64:
		return true
	case arrow.FLOAT32, arrow.FLOAT64:
		return c == colValue
	case arrow.TIMESTAMP, arrow.DATE32, arrow.DATE64:
		return c == colAt
	}
	return false
}

// parquetMicros reads a TIMESTAMP or DATE cell as microseconds since the
// epoch (the instant, whatever the column's time zone).
func parquetMicros(col arrow.Array, i int) (int64, bool) {
	switch a := col.(type) {
	case *array.Timestamp:
		u := a.DataType().(*arrow.TimestampType).Unit
		v := int64(a.Value(i))
		switch u {
		case arrow.Second:
			return v * 1_000_000, true
		case arrow.Millisecond:
			return v * 1000, true
		case arrow.Microsecond:
			return v, true
		default:
			return floorDiv(v, 1000), true
		}
	case *array.Date32:
		return int64(a.Value(i)) * 86400 * 1_000_000, true
	case *array.Date64:
		return int64(a.Value(i)) * 1000, true
	}
	return 0, false
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && (a < 0) {
		q--
	}
	return q
}

// parquetText renders a cell as text. Strings are copied: arrow's string
// values alias buffers that are released with the batch.
func parquetText(col arrow.Array, i int) string {
	switch a := col.(type) {
	case *array.String:
		return strings.Clone(a.Value(i))
	case *array.LargeString:
		return strings.Clone(a.Value(i))
	case *array.Binary:
		return string(a.Value(i))
	case *array.LargeBinary:
		return string(a.Value(i))
	case *array.Int8:
		return strconv.FormatInt(int64(a.Value(i)), 10)
	case *array.Int16:
		return strconv.FormatInt(int64(a.Value(i)), 10)
	case *array.Int32:
		return strconv.FormatInt(int64(a.Value(i)), 10)
	case *array.Int64:
		return strconv.FormatInt(a.Value(i), 10)
	case *array.Uint8:
		return strconv.FormatUint(uint64(a.Value(i)), 10)
	case *array.Uint16:
		return strconv.FormatUint(uint64(a.Value(i)), 10)
	case *array.Uint32:
		return strconv.FormatUint(uint64(a.Value(i)), 10)
	case *array.Uint64:
		return strconv.FormatUint(a.Value(i), 10)
	case *array.Float32:
		return strconv.FormatFloat(float64(a.Value(i)), 'g', -1, 32)
	case *array.Float64:
		return strconv.FormatFloat(a.Value(i), 'g', -1, 64)
	case *array.Dictionary:
		return parquetText(a.Dictionary(), a.GetValueIndex(i))
	}
	return col.ValueStr(i)
}

func parquetRaw(row *eventFields, at *int64) string {
	var b strings.Builder
	for c, v := range row {
		if c == colAt && at != nil {
			v = strconv.FormatInt(*at, 10) + "us"
		}
		if v == "" {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(eventColumnNames[c])
		b.WriteByte('=')
		b.WriteString(v)
	}
	return rawText([]byte(b.String()))
}

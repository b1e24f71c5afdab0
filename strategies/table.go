package strategies

import (
	"context"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// FeatureTable holds the features of a scored population in columns. It is
// what [FeatureSQL] returns, in Go. It is not safe for concurrent
// modification; [Score] only reads it.
type FeatureTable struct {
	// AsOf is the last day of the window, zero when unknown.
	AsOf time.Time
	// CustomerIDs names the customer of each row.
	CustomerIDs []string
	// Columns holds one column per feature, in [Features] order, each as
	// long as CustomerIDs. Values must be finite.
	Columns [][]float64
}

// NewFeatureTable returns an empty table with one column per feature and
// room for n customers.
func NewFeatureTable(n int) *FeatureTable {
	t := &FeatureTable{CustomerIDs: make([]string, 0, n), Columns: make([][]float64, len(features))}
	for i := range t.Columns {
		t.Columns[i] = make([]float64, 0, n)
	}
	return t
}

// Len returns the number of customers.
func (t *FeatureTable) Len() int { return len(t.CustomerIDs) }

// Column returns the column of the named feature, or nil.
func (t *FeatureTable) Column(name string) []float64 {
	i, ok := featureIndex[name]
	if !ok || i >= len(t.Columns) {
		return nil
	}
	return t.Columns[i]
}

func (t *FeatureTable) validate() error {
	if len(t.Columns) != len(features) {
		return fmt.Errorf("feature table has %d columns, want %d", len(t.Columns), len(features))
	}
	n := len(t.CustomerIDs)
	for i, col := range t.Columns {
		if len(col) != n {
			return fmt.Errorf("feature %s: %d values for %d customers", features[i].Name, len(col), n)
		}
		for j, v := range col {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("feature %s: customer %s: value %v is not finite", features[i].Name, t.CustomerIDs[j], v)
			}
		}
	}
	return nil
}

// FeatureTableFromArrow reads the result of the [FeatureSQL] query. It needs
// a customer_id string column and a numeric column per feature (matched by
// name); an as_of column (date or timestamp) is optional and sets AsOf.
// NULL feature values read as 0. The reader is consumed, not released.
func FeatureTableFromArrow(ctx context.Context, rr array.RecordReader) (*FeatureTable, error) {
	schema := rr.Schema()
	idCol := -1
	asOfCol := -1
	colOf := make([]int, len(features))
	for i := range colOf {
		colOf[i] = -1
	}
	for i, f := range schema.Fields() {
		switch f.Name {
		case "customer_id":
			idCol = i
		case "as_of":
			asOfCol = i
		default:
			if k, ok := featureIndex[f.Name]; ok {
				colOf[k] = i
			}
		}
	}
	if idCol < 0 {
		return nil, fmt.Errorf("read features: no customer_id column")
	}
	for k, c := range colOf {
		if c < 0 {
			return nil, fmt.Errorf("read features: no column %s", features[k].Name)
		}
	}
	t := NewFeatureTable(0)
	for rr.Next() {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("read features: %w", err)
		}
		rec := rr.RecordBatch()
		n := int(rec.NumRows())
		if err := appendIDs(&t.CustomerIDs, rec.Column(idCol)); err != nil {
			return nil, fmt.Errorf("read features: customer_id: %w", err)
		}
		if asOfCol >= 0 && t.AsOf.IsZero() && n > 0 {
			t.AsOf = readTime(rec.Column(asOfCol))
		}
		for k, c := range colOf {
			if err := appendFloats(&t.Columns[k], rec.Column(c)); err != nil {
				return nil, fmt.Errorf("read features: %s: %w", features[k].Name, err)
			}
		}
	}
	if err := rr.Err(); err != nil {
		return nil, fmt.Errorf("read features: %w", err)
	}
	return t, nil
}

func appendIDs(dst *[]string, a arrow.Array) error {
	type stringer interface{ Value(int) string }
	s, ok := a.(stringer)
	if !ok || !arrow.IsBaseBinary(a.DataType().ID()) && a.DataType().ID() != arrow.STRING_VIEW {
		return fmt.Errorf("type %s is not a string", a.DataType())
	}
	for i := 0; i < a.Len(); i++ {
		if a.IsNull(i) {
			return fmt.Errorf("row %d is NULL", len(*dst))
		}
		// Value aliases the Arrow buffer, which is released with the batch.
		*dst = append(*dst, strings.Clone(s.Value(i)))
	}
	return nil
}

func appendFloats(dst *[]float64, a arrow.Array) error {
	switch c := a.(type) {
	case *array.Float64:
		vals := c.Float64Values()
		if c.NullN() == 0 {
			*dst = append(*dst, vals...)
			return nil
		}
		for i, v := range vals {
			if c.IsNull(i) {
				v = 0
			}
			*dst = append(*dst, v)
		}
	case *array.Int64:
		for i, v := range c.Int64Values() {
			if c.IsNull(i) {
				v = 0
			}
			*dst = append(*dst, float64(v))
		}
	case *array.Int32:
		for i, v := range c.Int32Values() {
			if c.IsNull(i) {
				v = 0
			}
			*dst = append(*dst, float64(v))
		}
	default:
		return fmt.Errorf("type %s is not float64, int64 or int32", a.DataType())
	}
	return nil
}

func readTime(a arrow.Array) time.Time {
	for i := 0; i < a.Len(); i++ {
		if a.IsNull(i) {
			continue
		}
		switch c := a.(type) {
		case *array.Date32:
			return c.Value(i).ToTime().UTC()
		case *array.Date64:
			return c.Value(i).ToTime().UTC()
		case *array.Timestamp:
			u, err := c.DataType().(*arrow.TimestampType).GetToTimeFunc()
			if err == nil {
				return u(c.Value(i)).UTC()
			}
		}
		return time.Time{}
	}
	return time.Time{}
}

// ConcatFeatureTables joins the tables of [FeatureSQLSlices]' slices, in
// slice order, into one table ordered by customer id: what the whole query
// would have returned. The slices are increasing ranges of ids, so this is
// a concatenation; it returns an error if an id does not follow the one
// before it. AsOf is the first non-zero one. One table is returned as is.
func ConcatFeatureTables(parts []*FeatureTable) (*FeatureTable, error) {
	if len(parts) == 1 {
		return parts[0], nil
	}
	n := 0
	for _, p := range parts {
		n += len(p.CustomerIDs)
	}
	out := NewFeatureTable(n)
	for _, p := range parts {
		if k := len(out.CustomerIDs); k > 0 && len(p.CustomerIDs) > 0 && p.CustomerIDs[0] <= out.CustomerIDs[k-1] {
			return nil, fmt.Errorf("feature slices out of order: %q after %q", p.CustomerIDs[0], out.CustomerIDs[k-1])
		}
		out.CustomerIDs = append(out.CustomerIDs, p.CustomerIDs...)
		for c := range out.Columns {
			out.Columns[c] = append(out.Columns[c], p.Columns[c]...)
		}
		if out.AsOf.IsZero() {
			out.AsOf = p.AsOf
		}
	}
	return out, nil
}

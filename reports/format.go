package reports

import (
	"math"
	"strconv"
	"strings"
)

// newTable returns a table with the given headers; a header starting with
// "#" names a numeric (right-aligned) column, the "#" is dropped.
func newTable(head ...string) *table {
	t := &table{Head: make([]string, len(head)), Numeric: make([]bool, len(head))}
	for i, h := range head {
		if strings.HasPrefix(h, "#") {
			t.Numeric[i] = true
			h = h[1:]
		}
		t.Head[i] = h
	}
	return t
}

// add appends a row, padding or trimming it to the number of columns.
func (t *table) add(cells ...string) {
	row := make([]string, len(t.Head))
	copy(row, cells)
	t.Rows = append(t.Rows, row)
}

// fmtInt formats n with thousands separators: 1234567 → "1,234,567".
func fmtInt[T ~int | ~int64](n T) string {
	s := strconv.FormatInt(int64(n), 10)
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// fmtFloat formats v with the given decimals, or "–" when v is not a number.
func fmtFloat(v float64, decimals int) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "–"
	}
	return strconv.FormatFloat(v, 'f', decimals, 64)
}

// fmtPct formats a ratio in [0, 1] as a percentage with one decimal.
func fmtPct(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "–"
	}
	return strconv.FormatFloat(v*100, 'f', 1, 64) + "%"
}

// fmtSigned formats a change with an explicit sign: "+1.5", "-0.3".
func fmtSigned(v float64, decimals int) string {
	s := fmtFloat(v, decimals)
	if v > 0 {
		return "+" + s
	}
	return s
}

package strategies

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"

	"github.com/custnet/custnet/datasets"
)

// AppendStoredExplanation appends customer i's explanation (an index into
// CustomerIDs) to dst in the compact JSON form the engine stores beside the
// scores: numbers, no prose. It is an object with one key per strategy, in
// [datasets.Strategies] order, whose value lists the drivers of
// [Result.Explain] as [feature, value, percentile, effect] arrays:
//
//	{"access":[["active_days",12,85.5,7.21],["channels",2,60,3.1]],"engage":[…],…}
//
// The scores, the composite and the sentences are not repeated: the first
// two are columns of their own and [ParseExplanation] renders the sentences
// from the feature table when the explanation is read. It is safe to call
// from several goroutines.
func (r *Result) AppendStoredExplanation(dst []byte, i int) []byte {
	var buf [maxDrivers]Driver
	dst = append(dst, '{')
	for si, s := range datasets.Strategies {
		if si > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, '"')
		dst = append(dst, s...)
		dst = append(dst, `":[`...)
		for j, d := range r.drivers(buf[:0], i, si) {
			if j > 0 {
				dst = append(dst, ',')
			}
			dst = append(dst, `["`...)
			dst = append(dst, d.Feature...) // feature names need no escaping
			dst = append(dst, `",`...)
			dst = appendNumber(dst, d.Value)
			dst = append(dst, ',')
			dst = appendNumber(dst, d.Percentile)
			dst = append(dst, ',')
			dst = appendNumber(dst, d.Effect)
			dst = append(dst, ']')
		}
		dst = append(dst, ']')
	}
	return append(dst, '}')
}

// appendNumber appends v as the shortest JSON number that reads back as v:
// integers without exponent, others with 'g' formatting.
func appendNumber(dst []byte, v float64) []byte {
	if v == math.Trunc(v) && math.Abs(v) < 1e15 {
		return strconv.AppendFloat(dst, v, 'f', -1, 64)
	}
	return strconv.AppendFloat(dst, v, 'g', -1, 64)
}

// storedDriver reads one [feature, value, percentile, effect] array.
type storedDriver Driver

func (d *storedDriver) UnmarshalJSON(b []byte) error {
	return json.Unmarshal(b, &[4]any{&d.Feature, &d.Value, &d.Percentile, &d.Effect})
}

// ParseExplanation rebuilds customer's [Explanation], sentences included,
// from its stored form (see [Result.AppendStoredExplanation]) and the
// customer's stored scores: scores in [datasets.Strategies] order and the
// composite, unrounded. The result equals what [Result.Explain] returned
// when the scores were computed. It also reads the full Explanation JSON
// that stores of schema version 1 hold.
func ParseExplanation(customer string, scores []float64, composite float64, stored []byte) (Explanation, error) {
	if len(scores) != len(datasets.Strategies) {
		return Explanation{}, fmt.Errorf("explanation of %s: %d scores, want %d", customer, len(scores), len(datasets.Strategies))
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(stored, &m); err != nil {
		return Explanation{}, fmt.Errorf("explanation of %s: %w", customer, err)
	}
	if legacy, ok := m["strategies"]; ok {
		e := Explanation{CustomerID: customer, Composite: round2(composite)}
		if err := json.Unmarshal(legacy, &e.Strategies); err != nil {
			return Explanation{}, fmt.Errorf("explanation of %s: %w", customer, err)
		}
		return e, nil
	}
	e := Explanation{CustomerID: customer, Composite: round2(composite), Strategies: make([]StrategyReasoning, 0, len(scores))}
	for si, s := range datasets.Strategies {
		raw, ok := m[string(s)]
		if !ok {
			return Explanation{}, fmt.Errorf("explanation of %s: no %s drivers", customer, s)
		}
		var sds []storedDriver
		if err := json.Unmarshal(raw, &sds); err != nil {
			return Explanation{}, fmt.Errorf("explanation of %s: %s: %w", customer, s, err)
		}
		ds := make([]Driver, len(sds))
		for j, d := range sds {
			k, ok := featureIndex[d.Feature]
			if !ok || features[k].Strategy != s {
				return Explanation{}, fmt.Errorf("explanation of %s: %s: unknown feature %q", customer, s, d.Feature)
			}
			ds[j] = Driver(d)
		}
		e.Strategies = append(e.Strategies, StrategyReasoning{
			Strategy: s,
			Score:    round2(scores[si]),
			Drivers:  ds,
			Sentence: sentence(s, scores[si], ds),
		})
	}
	return e, nil
}

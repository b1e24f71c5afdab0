package strategies

import (
	"context"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/custnet/custnet/datasets"
)

func storedScores(res *Result, i int) []float64 {
	var scores []float64
	for _, s := range datasets.Strategies {
		scores = append(scores, res.Scores[s][i])
	}
	return scores
}

func TestStoredExplanation(t *testing.T) {
	res, err := Score(context.Background(), syntheticTable(500, 3), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("every stored explanation is JSON that reads back as Explain", func(t *testing.T) {
		for i, id := range res.CustomerIDs {
			stored := res.AppendStoredExplanation(nil, i)
			if !json.Valid(stored) {
				t.Fatalf("%s: invalid JSON %s", id, stored)
			}
			got, err := ParseExplanation(id, storedScores(res, i), res.Composite[i], stored)
			if err != nil {
				t.Fatal(err)
			}
			if exp := res.Explain(i); !reflect.DeepEqual(got, exp) {
				t.Fatalf("%s: read back %+v, want %+v", id, got, exp)
			}
		}
	})
	t.Run("the stored form is a third of the full JSON or less", func(t *testing.T) {
		var stored, full int
		for i := range res.CustomerIDs {
			stored += len(res.AppendStoredExplanation(nil, i))
			js, err := json.Marshal(res.Explain(i))
			if err != nil {
				t.Fatal(err)
			}
			full += len(js)
		}
		if 3*stored > full {
			t.Errorf("stored %d bytes, full JSON %d", stored, full)
		}
	})
	t.Run("the full JSON of schema version 1 stores still reads", func(t *testing.T) {
		exp := res.Explain(7)
		js, err := json.Marshal(exp)
		if err != nil {
			t.Fatal(err)
		}
		got, err := ParseExplanation(exp.CustomerID, storedScores(res, 7), res.Composite[7], js)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, exp) {
			t.Errorf("read back %+v, want %+v", got, exp)
		}
	})
	t.Run("malformed stored forms are errors", func(t *testing.T) {
		good := string(res.AppendStoredExplanation(nil, 0))
		for name, stored := range map[string]string{
			"not JSON":         "{",
			"a strategy lacks": strings.Replace(good, `"collaborate":`, `"other":`, 1),
			"unknown feature":  strings.Replace(good, `[["`, `[["nonsense`, 1),
			"driver not array": strings.Replace(good, `"access":[[`, `"access":[{},[`, 1),
		} {
			if _, err := ParseExplanation("c", storedScores(res, 0), 0, []byte(stored)); err == nil {
				t.Errorf("%s: no error for %s", name, stored)
			}
		}
		if _, err := ParseExplanation("c", []float64{1}, 0, []byte(good)); err == nil {
			t.Error("one score: no error")
		}
	})
}

// BenchmarkAppendStoredExplanation measures the stored explanations the
// engine writes beside the scores; compare with BenchmarkExplain.
func BenchmarkAppendStoredExplanation(b *testing.B) {
	tab := syntheticTable(100_000, 1)
	res, err := Score(context.Background(), tab, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	var buf []byte
	i := 0
	for b.Loop() {
		buf = res.AppendStoredExplanation(buf[:0], i%tab.Len())
		i++
	}
}

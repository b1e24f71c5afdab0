package benchmarks

import (
	"github.com/apache/arrow-go/v18/arrow/array"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/custnet/custnet/datasets"
	"github.com/custnet/custnet/engine"
	"github.com/custnet/custnet/internal/dstest"
)

// BenchmarkAppend times [engine.Engine.Append] of 10-event batches (the
// serve benchmark's) into a store holding MovieLens 100k, from one caller
// (a transaction per batch) and from 16 at once (group commit).
//
//	go test -tags duckdb_arrow -run '^$' -bench Append -benchtime 2000x ./benchmarks/
func BenchmarkAppend(b *testing.B) {
	for _, clients := range []int{1, 16} {
		b.Run("clients="+strconv.Itoa(clients), func(b *testing.B) {
			e, err := engine.Open(ctx, engine.Options{Path: filepath.Join(b.TempDir(), "append.duckdb")})
			if err != nil {
				b.Fatal(err)
			}
			defer e.Close()
			if _, err := e.Ingest(ctx, engine.IngestOptions{Path: dstest.Path(b, "movielens-100k", "u.data"),
				Format: "movielens-100k", AssumeConsent: []string{"analytics"}}); err != nil {
				b.Fatal(err)
			}
			if err := e.Grant(ctx, "append-bench", "analytics", "benchmark"); err != nil {
				b.Fatal(err)
			}
			var next, loaded atomic.Int64
			b.ReportAllocs()
			b.ResetTimer()
			var wg sync.WaitGroup
			for range clients {
				wg.Add(1)
				go func() {
					defer wg.Done()
					evs := make([]datasets.Event, 10)
					for {
						n := next.Add(1) - 1
						if n >= int64(b.N) {
							return
						}
						for k := range evs {
							evs[k] = datasets.Event{Customer: "append-bench", Action: "view", Channel: "web",
								Item: "b" + strconv.FormatInt(n, 10), Value: float64(k), HasValue: true}
						}
						res, err := e.Append(ctx, evs, engine.AppendOptions{Source: "benchmark"})
						if err != nil {
							b.Error(err)
							return
						}
						loaded.Add(res.Loaded)
					}
				}()
			}
			wg.Wait()
			b.StopTimer()
			if got, want := loaded.Load(), int64(10*b.N); got != want {
				b.Fatalf("loaded %d events, want %d", got, want)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "batches/s")
			b.ReportMetric(batchesPerCommit(b, e), "batches/commit")
		})
	}
}

// batchesPerCommit is the mean number of appended batches (format
// "events") per transaction: now(), which fills the ingests table's
// finished column, is a transaction's start time, shared by the batches of
// a group commit.
func batchesPerCommit(b *testing.B, e *engine.Engine) float64 {
	var v float64
	err := e.QueryArrow(ctx, `SELECT count(*)::DOUBLE / count(DISTINCT finished) FROM ingests WHERE format = 'events'`, func(rr array.RecordReader) error {
		for rr.Next() {
			v = rr.RecordBatch().Column(0).(*array.Float64).Value(0)
		}
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	return v
}

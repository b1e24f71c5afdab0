package engine

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// concWriteViews writes n view events of the MovieLens customers 1..943
// (all new to the store) as an events CSV, and returns its path and the
// number of events per customer.
func concWriteViews(tb testing.TB, n int) (string, map[string]int64) {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "views.csv")
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	w := bufio.NewWriter(f)
	w.WriteString("customer_id,action,at,item_id,value\n")
	per := map[string]int64{}
	t0 := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range n {
		c := strconv.Itoa(1 + i%943)
		per[c]++
		fmt.Fprintf(w, "%s,view,%s,%d,%d\n", c, t0.Add(time.Duration(i)*time.Second).Format(time.RFC3339), 1+i%1682, i%300)
	}
	if err := w.Flush(); err != nil {
		tb.Fatal(err)
	}
	if err := f.Close(); err != nil {
		tb.Fatal(err)
	}
	return path, per
}

// TestConcurrencyReadersSeeBeforeOrAfterAnIngest hammers one Engine from 32
// goroutines (Recommend, Export, HasConsent, Stats) while an ingest runs:
// no call may fail, and every reader sees the store as it was before the
// ingest or after it, never half of it. Run it under the race detector:
//
//	go test -race -tags duckdb_arrow ./engine/ -run Concurrency
func TestConcurrencyReadersSeeBeforeOrAfterAnIngest(t *testing.T) {
	ctx := context.Background()
	e, _ := newTestEngine(t)
	ingestML100k(t, e)
	if _, err := e.Train(ctx, TrainOptions{Model: "knn-baseline"}); err != nil {
		t.Fatal(err)
	}
	const (
		readers = 32
		views   = 100_000
		minOps  = 8 // per reader, even when the ingest is quick
	)
	path, perCustomer := concWriteViews(t, views)
	st, err := e.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	before, after := st.Events, st.Events+views
	// Each reader exports its own customer; their counts before and after.
	type span struct{ before, after int64 }
	exports := map[string]span{}
	for g := range readers {
		c := strconv.Itoa(1 + g)
		x, err := e.Export(ctx, c)
		if err != nil {
			t.Fatal(err)
		}
		exports[c] = span{x.EventCount, x.EventCount + perCustomer[c]}
	}

	var (
		ingesting  atomic.Bool
		seenBefore atomic.Int64 // Stats calls that saw the count before the ingest
		seenAfter  atomic.Int64
		during     atomic.Int64 // calls made while the ingest ran
		wg         sync.WaitGroup
		ready      sync.WaitGroup
		errs       = make(chan error, readers)
	)
	ingestDone := make(chan struct{})
	ready.Add(readers)
	for g := range readers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := strconv.Itoa(1 + g)
			fail := func(format string, args ...any) {
				errs <- fmt.Errorf("reader %d: "+format, append([]any{g}, args...)...)
			}
			ready.Done()
			for i := 0; ; i++ {
				select {
				case <-ingestDone:
					if i >= minOps {
						return
					}
				default:
				}
				if ingesting.Load() {
					during.Add(1)
				}
				switch (g + i) % 4 {
				case 0:
					recs, err := e.Recommend(ctx, c, 10)
					if err != nil || len(recs) != 10 {
						fail("recommend %s: %d items, %v", c, len(recs), err)
						return
					}
				case 1:
					x, err := e.Export(ctx, c)
					if err != nil {
						fail("export %s: %v", c, err)
						return
					}
					if s := exports[c]; x.EventCount != s.before && x.EventCount != s.after {
						fail("export %s holds %d events: neither %d (before) nor %d (after)", c, x.EventCount, s.before, s.after)
						return
					}
					if int64(len(x.Events)) != x.EventCount {
						fail("export %s: %d events listed, %d counted", c, len(x.Events), x.EventCount)
						return
					}
				case 2:
					ok, err := e.HasConsent(ctx, c, "personalization")
					if err != nil || !ok {
						fail("has consent %s: %v, %v", c, ok, err)
						return
					}
				case 3:
					s, err := e.Stats(ctx)
					if err != nil {
						fail("stats: %v", err)
						return
					}
					switch s.Events {
					case before:
						seenBefore.Add(1)
					case after:
						seenAfter.Add(1)
					default:
						fail("stats saw %d events: neither %d (before) nor %d (after)", s.Events, before, after)
						return
					}
				}
			}
		}()
	}
	ready.Wait()
	ingesting.Store(true)
	start := time.Now()
	res, ierr := e.Ingest(ctx, IngestOptions{Path: path, Format: "events", UseLedger: true})
	ingesting.Store(false)
	elapsed := time.Since(start)
	close(ingestDone)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if ierr != nil {
		t.Fatalf("ingest: %v", ierr)
	}
	if res.Loaded != views {
		t.Fatalf("ingest loaded %d, want %d", res.Loaded, views)
	}
	t.Logf("ingest of %d events took %s; %d reads ran during it; stats saw before %d times, after %d times",
		views, elapsed.Round(time.Millisecond), during.Load(), seenBefore.Load(), seenAfter.Load())
	if during.Load() == 0 {
		t.Fatal("no read overlapped the ingest: the test tested nothing")
	}
	if st, _ := e.Stats(ctx); st.Events != after {
		t.Fatalf("after the ingest the store holds %d events, want %d", st.Events, after)
	}
}

package engine

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/custnet/custnet/datasets"
)

func view(customer, item string, value float64) datasets.Event {
	return datasets.Event{Customer: customer, Action: "view", Channel: "web", Item: item, Value: value, HasValue: true}
}

func mustAppend(tb testing.TB, e *Engine, events ...datasets.Event) *IngestResult {
	tb.Helper()
	res, err := e.Append(context.Background(), events, AppendOptions{Source: "test"})
	if err != nil {
		tb.Fatal(err)
	}
	return res
}

func TestAppendStoresABatchWholeOrNotAtAll(t *testing.T) {
	ctx := context.Background()
	e, _ := newTestEngine(t)
	for _, c := range []string{"a", "b", "d"} {
		if err := e.Grant(ctx, c, "analytics", "test"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.Revoke(ctx, "d", "analytics", "test"); err != nil {
		t.Fatal(err)
	}
	t.Run("a good batch is stored with its provenance and bare customer and item rows", func(t *testing.T) {
		at := time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC).UnixMicro()
		res := mustAppend(t, e, view("a", "i1", 30),
			datasets.Event{Customer: "a", Action: "rate", Item: "i2", Value: 4, HasValue: true, At: at, HasAt: true},
			datasets.Event{Customer: "b", Action: "share", Item: "i1", Peer: "a"})
		if res.Read != 3 || res.Loaded != 3 || res.Duplicate != 0 || res.WithoutConsent != 0 || res.BatchID == 0 || res.Path != "test" {
			t.Fatalf("%+v", res)
		}
		if n := count(t, e, `SELECT count(*) FROM events WHERE batch_id = $1 AND source = 'events'`, res.BatchID); n != 3 {
			t.Fatalf("%d events of the batch stored", n)
		}
		if n := count(t, e, `SELECT count(*) FROM ingests WHERE batch_id = $1 AND source_path = 'test' AND rows_read = 3 AND loaded = 3`, res.BatchID); n != 1 {
			t.Fatal("no provenance row for the batch")
		}
		if n := count(t, e, `SELECT count(*) FROM customers WHERE customer_id IN ('a', 'b')`); n != 2 {
			t.Fatalf("%d customer rows, want 2", n)
		}
		if n := count(t, e, `SELECT count(*) FROM items WHERE item_id IN ('i1', 'i2')`); n != 2 {
			t.Fatalf("%d item rows, want 2", n)
		}
	})
	t.Run("an event appended and the same event in an events file are one event", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "ev.csv")
		write(t, path, "customer_id,action,at,channel,item_id,peer_id,value\na,view,,web,i1,,30\n")
		res, err := e.Ingest(ctx, IngestOptions{Path: path, Format: "events", UseLedger: true})
		if err != nil {
			t.Fatal(err)
		}
		if res.Loaded != 0 || res.Duplicate != 1 {
			t.Fatalf("the file's copy of an appended event: %+v", res)
		}
	})
	t.Run("a bad event refuses the whole batch, naming each bad event's position", func(t *testing.T) {
		events0, ingests0 := count(t, e, `SELECT count(*) FROM events`), count(t, e, `SELECT count(*) FROM ingests`)
		_, err := e.Append(ctx, []datasets.Event{view("a", "bad-1", 1), {Customer: "a", Action: "teleport"},
			view("a", "bad-2", 1), {Action: "view"}, {Customer: "a", Action: "view", Item: "bad\x003"}}, AppendOptions{Source: "test"})
		var re *RejectsError
		if !errors.Is(err, ErrBadInput) || !errors.As(err, &re) {
			t.Fatalf("err = %v, want bad input with a RejectsError", err)
		}
		want := []struct {
			line   int64
			reason string
		}{{2, `action "teleport" is not in the vocabulary`}, {4, "customer_id is empty"}, {5, "item_id contains a NUL character"}}
		if len(re.Rejects) != len(want) {
			t.Fatalf("rejects %+v", re.Rejects)
		}
		for i, w := range want {
			if r := re.Rejects[i]; r.Line != w.line || r.Reason != w.reason || r.File != "test" {
				t.Errorf("reject %d = %+v, want line %d: %s", i, r, w.line, w.reason)
			}
		}
		if count(t, e, `SELECT count(*) FROM events`) != events0 || count(t, e, `SELECT count(*) FROM ingests`) != ingests0 {
			t.Fatal("a refused batch left rows behind")
		}
	})
	t.Run("events of customers without an analytics grant are counted, not stored", func(t *testing.T) {
		res := mustAppend(t, e, view("a", "gate-1", 1), view("c", "gate-2", 1), view("d", "gate-3", 1))
		if res.Loaded != 1 || res.WithoutConsent != 2 {
			t.Fatalf("%+v", res)
		}
		if n := count(t, e, `SELECT count(*) FROM events WHERE customer_id IN ('c', 'd')`); n != 0 {
			t.Fatalf("%d events stored without consent", n)
		}
	})
	t.Run("duplicates within the batch and of stored events are counted and stored once", func(t *testing.T) {
		res := mustAppend(t, e, view("a", "dup-1", 1), view("a", "dup-1", 1), view("a", "gate-1", 1))
		if res.Loaded != 1 || res.Duplicate != 2 {
			t.Fatalf("%+v", res)
		}
		if n := count(t, e, `SELECT count(*) FROM events WHERE item_id = 'dup-1'`); n != 1 {
			t.Fatalf("dup-1 stored %d times", n)
		}
	})
	t.Run("a grant lets the next batch in and a revocation erases what was appended", func(t *testing.T) {
		if err := e.Grant(ctx, "c", "analytics", "test"); err != nil {
			t.Fatal(err)
		}
		if res := mustAppend(t, e, view("c", "later-1", 1), view("c", "later-2", 1)); res.Loaded != 2 {
			t.Fatalf("after the grant: %+v", res)
		}
		if _, err := e.Revoke(ctx, "c", "analytics", "test"); err != nil {
			t.Fatal(err)
		}
		if n := count(t, e, `SELECT count(*) FROM events WHERE customer_id = 'c'`) + count(t, e, `SELECT count(*) FROM customers WHERE customer_id = 'c'`); n != 0 {
			t.Fatalf("%d rows of c survive the revocation", n)
		}
		if res := mustAppend(t, e, view("c", "later-3", 1)); res.Loaded != 0 || res.WithoutConsent != 1 {
			t.Fatalf("after the revocation: %+v", res)
		}
	})
	t.Run("an empty batch is refused", func(t *testing.T) {
		if _, err := e.Append(ctx, nil, AppendOptions{}); !errors.Is(err, ErrBadInput) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("a canceled call stores nothing", func(t *testing.T) {
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if _, err := e.Append(cctx, []datasets.Event{view("a", "canceled-1", 1)}, AppendOptions{}); !errors.Is(err, ErrCanceled) {
			t.Fatalf("err = %v", err)
		}
		if n := count(t, e, `SELECT count(*) FROM events WHERE item_id = 'canceled-1'`); n != 0 {
			t.Fatal("a canceled batch was stored")
		}
	})
}

// TestAppendGateFollowsTheLedgerNotTheCallOrder checks the consent cache's
// incremental update against the ledger's rule (latest time wins): a grant
// recorded now does not override a revocation dated later.
func TestAppendGateFollowsTheLedgerNotTheCallOrder(t *testing.T) {
	ctx := context.Background()
	e, _ := newTestEngine(t)
	dir := t.TempDir()
	events, consents := filepath.Join(dir, "ev.csv"), filepath.Join(dir, "consents.csv")
	write(t, events, "customer_id,action,item_id\nf,view,x\n")
	later := time.Now().UTC().Add(6 * time.Hour).Format(time.RFC3339)
	write(t, consents, "customer_id,purpose,granted,at\nf,analytics,true,2024-01-01T00:00:00Z\nf,analytics,false,"+later+"\n")
	if _, err := e.Ingest(ctx, IngestOptions{Path: events, Format: "events", Consents: consents}); err != nil {
		t.Fatal(err)
	}
	// The gate's cache is loaded here, then updated by the grant.
	if res := mustAppend(t, e, view("f", "y", 1)); res.WithoutConsent != 1 {
		t.Fatalf("before the grant: %+v", res)
	}
	if err := e.Grant(ctx, "f", "analytics", "test"); err != nil {
		t.Fatal(err)
	}
	ok, err := e.HasConsent(ctx, "f", "analytics")
	if err != nil || ok {
		t.Fatalf("HasConsent = %v, %v; the later revocation is the latest record", ok, err)
	}
	if res := mustAppend(t, e, view("f", "z", 1)); res.WithoutConsent != 1 || res.Loaded != 0 {
		t.Fatalf("after a grant older than the latest record: %+v", res)
	}
}

// TestAppendConcurrentBatchesAreAtomic appends from many goroutines at
// once, a fifth of the batches bad, while readers export the customer: the
// good batches are all stored whole with their own provenance, the bad ones
// not at all, and no reader ever sees part of a batch. Run it with -race.
func TestAppendConcurrentBatchesAreAtomic(t *testing.T) {
	ctx := context.Background()
	e, err := Open(ctx, Options{Path: filepath.Join(t.TempDir(), "c.duckdb"), CommitInterval: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	if err := e.Grant(ctx, "g", "analytics", "test"); err != nil {
		t.Fatal(err)
	}
	const (
		writers  = 12
		perBatch = 10
		batches  = 15 // per writer
	)
	var good, bad atomic.Int64
	var seenPart atomic.Value
	stop := make(chan struct{})
	var readers sync.WaitGroup
	for range 3 {
		readers.Add(1)
		go func() {
			defer readers.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				x, err := e.Export(ctx, "g")
				if err != nil && !errors.Is(err, ErrNotFound) {
					seenPart.CompareAndSwap(nil, err.Error())
					return
				}
				if x != nil && x.EventCount%perBatch != 0 {
					seenPart.CompareAndSwap(nil, fmt.Sprintf("a reader saw %d events", x.EventCount))
				}
			}
		}()
	}
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := range batches {
				evs := make([]datasets.Event, perBatch)
				for i := range evs {
					evs[i] = view("g", "w"+strconv.Itoa(w)+"-"+strconv.Itoa(k), float64(i))
				}
				isBad := (w+k)%5 == 0
				if isBad {
					evs[perBatch-1].Action = "fly"
				}
				res, err := e.Append(ctx, evs, AppendOptions{Source: "test"})
				switch {
				case isBad && errors.Is(err, ErrBadInput):
					bad.Add(1)
				case !isBad && err == nil && res.Loaded == perBatch:
					good.Add(1)
				default:
					t.Errorf("writer %d batch %d (bad %v): %+v, %v", w, k, isBad, res, err)
				}
			}
		}()
	}
	wg.Wait()
	close(stop)
	readers.Wait()
	if v := seenPart.Load(); v != nil {
		t.Fatal(v)
	}
	if good.Load()+bad.Load() != writers*batches || bad.Load() == 0 {
		t.Fatalf("good %d bad %d", good.Load(), bad.Load())
	}
	if n := count(t, e, `SELECT count(*) FROM events`); n != good.Load()*perBatch {
		t.Fatalf("%d events stored, want %d", n, good.Load()*perBatch)
	}
	if n := count(t, e, `SELECT count(*) FROM (SELECT item_id FROM events GROUP BY item_id, batch_id HAVING count(*) = $1)`, perBatch); n != good.Load() {
		t.Fatalf("%d whole batches, want %d", n, good.Load())
	}
	if n := count(t, e, `SELECT count(DISTINCT batch_id) FROM ingests WHERE loaded = $1`, perBatch); n != good.Load() {
		t.Fatalf("%d provenance rows, want %d", n, good.Load())
	}
}

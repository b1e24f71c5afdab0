package server

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestGracefulShutdownLosesNoAcceptedEvent posts event batches from many
// goroutines to a real listener, cancels the server's context mid-way, and
// checks that every batch answered 200 is in the store afterwards.
func TestGracefulShutdownLosesNoAcceptedEvent(t *testing.T) {
	e := newTestEngine(t)
	if err := e.Grant(ctx, "s1", "analytics", "test"); err != nil {
		t.Fatal(err)
	}
	s, err := New(e, Options{OperatorToken: testToken, ShutdownTimeout: 20 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + ln.Addr().String() + "/v1/events"
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	served := make(chan error, 1)
	go func() { served <- s.Serve(sctx, ln) }()

	const (
		posters  = 16
		requests = 400
		perBatch = 5
		cancelAt = 60 // cancel once this many batches were accepted
	)
	client := &http.Client{Timeout: 30 * time.Second}
	var (
		next, accepted, afterCancel atomic.Int64
		canceled                    atomic.Bool
		mu                          sync.Mutex
		ok                          []int // request numbers answered 200
		wg                          sync.WaitGroup
	)
	for range posters {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1) - 1)
				if i >= requests {
					return
				}
				var b bytes.Buffer
				b.WriteString(`{"consent":"ledger","events":[`)
				for k := range perBatch {
					if k > 0 {
						b.WriteByte(',')
					}
					fmt.Fprintf(&b, `{"customer_id":"s1","action":"view","item_id":"shut-%d","value":%d}`, i, k)
				}
				b.WriteString(`]}`)
				req, _ := http.NewRequest("POST", url, &b)
				req.Header.Set("Authorization", "Bearer "+testToken)
				resp, err := client.Do(req)
				if err != nil {
					continue // refused or cut off: not acknowledged, so nothing is owed
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 {
					continue
				}
				if canceled.Load() {
					afterCancel.Add(1)
				}
				mu.Lock()
				ok = append(ok, i)
				mu.Unlock()
				if accepted.Add(1) == cancelAt {
					canceled.Store(true)
					cancel()
				}
			}
		}()
	}
	wg.Wait()
	select {
	case err := <-served:
		if err != nil {
			t.Fatalf("Serve: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Serve did not return after the context was cancelled")
	}
	t.Logf("%d of %d batches accepted, %d of them answered after the cancel", len(ok), requests, afterCancel.Load())
	if len(ok) < cancelAt {
		t.Fatalf("only %d batches accepted; the shutdown came too early to test anything", len(ok))
	}
	if len(ok) == requests {
		t.Fatalf("every batch was accepted: the shutdown came too late to test anything")
	}
	items := itemsOf(t, e, "s1")
	for _, i := range ok {
		if n := items[fmt.Sprintf("shut-%d", i)]; n != perBatch {
			t.Errorf("batch %d was answered 200 but the store has %d of its %d events", i, n, perBatch)
		}
	}
	for id, n := range items {
		if n != perBatch {
			t.Errorf("item %s has %d events: a batch was stored in part", id, n)
		}
	}
	t.Run("after shutdown the port refuses connections", func(t *testing.T) {
		if _, err := client.Get("http://" + ln.Addr().String() + "/healthz"); err == nil {
			t.Fatal("the server still answers")
		}
	})
}

func TestShutdownWaitsForTheRequestInFlight(t *testing.T) {
	e := newTestEngine(t)
	s, err := New(e, Options{OperatorToken: testToken})
	if err != nil {
		t.Fatal(err)
	}
	// Hold the only ingest slots so that a batch is in flight, then cancel.
	for range cap(s.ingests) {
		s.ingests <- struct{}{}
	}
	if err := e.Grant(ctx, "w1", "analytics", "test"); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	sctx, cancel := context.WithCancel(ctx)
	served := make(chan error, 1)
	go func() { served <- s.Serve(sctx, ln) }()
	type result struct {
		code int
		err  error
	}
	done := make(chan result, 1)
	go func() {
		req, _ := http.NewRequest("POST", "http://"+ln.Addr().String()+"/v1/events",
			bytes.NewBufferString(`{"events":[{"customer_id":"w1","action":"visit","item_id":"held"}]}`))
		req.Header.Set("Authorization", "Bearer "+testToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			done <- result{err: err}
			return
		}
		resp.Body.Close()
		done <- result{code: resp.StatusCode}
	}()
	// Wait until the request is inside the handler, waiting for a slot.
	deadline := time.Now().Add(10 * time.Second)
	for s.metrics.inFlight.Load() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the request never reached the handler")
		}
		time.Sleep(time.Millisecond)
	}
	cancel()
	time.Sleep(100 * time.Millisecond)
	select {
	case err := <-served:
		t.Fatalf("Serve returned (%v) while a request was in flight", err)
	default:
	}
	t.Run("new connections are refused while draining", func(t *testing.T) {
		if _, err := net.DialTimeout("tcp", ln.Addr().String(), time.Second); err == nil {
			t.Fatal("a new connection was accepted during shutdown")
		}
	})
	<-s.ingests // free a slot: the held request proceeds
	r := <-done
	if r.err != nil || r.code != 200 {
		t.Fatalf("the request in flight got %d, %v; want 200", r.code, r.err)
	}
	if err := <-served; err != nil {
		t.Fatalf("Serve: %v", err)
	}
	if n := itemsOf(t, e, "w1")["held"]; n != 1 {
		t.Fatalf("the batch answered 200 during shutdown is not stored (%d events)", n)
	}
}

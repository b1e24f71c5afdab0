package server

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/custnet/custnet/engine"
)

func TestEventBatchesAreStoredWholeOrRejectedWhole(t *testing.T) {
	e := newTestEngine(t)
	f := newFixture(t, e, Options{OperatorToken: testToken})
	for _, c := range []string{"c1", "c2"} {
		if err := e.Grant(ctx, c, "analytics", "test"); err != nil {
			t.Fatal(err)
		}
	}
	t.Run("a good batch is stored whole and answered with its provenance", func(t *testing.T) {
		code, body := f.do(t, "POST", "/v1/events", testToken, `{"consent":"ledger","events":[
			{"customer_id":"c1","action":"view","at":"2024-05-01T12:00:00Z","channel":"web","item_id":"good-1","value":12.5},
			{"customer_id":"c1","action":"rate","at":"2024-05-01T12:01:00Z","item_id":"good-2","value":4},
			{"customer_id":"c1","action":"share","item_id":"good-3","peer_id":"c2"}]}`)
		if code != 200 {
			t.Fatalf("%d %s", code, body)
		}
		var res engine.IngestResult
		mustJSON(t, body, &res)
		if res.Read != 3 || res.Loaded != 3 || res.BatchID == 0 {
			t.Fatalf("%+v", res)
		}
		if strings.Contains(string(body), "custnet-events-") {
			t.Fatalf("the answer names the server's temporary file: %s", body)
		}
		items := itemsOf(t, e, "c1")
		for _, id := range []string{"good-1", "good-2", "good-3"} {
			if items[id] != 1 {
				t.Fatalf("item %s stored %d times; items %v", id, items[id], items)
			}
		}
	})
	t.Run("posting the same batch again adds nothing", func(t *testing.T) {
		code, body := f.do(t, "POST", "/v1/events", testToken, `{"events":[
			{"customer_id":"c1","action":"view","at":"2024-05-01T12:00:00Z","channel":"web","item_id":"good-1","value":12.5}]}`)
		var res engine.IngestResult
		mustJSON(t, body, &res)
		if code != 200 || res.Loaded != 0 || res.Duplicate != 1 {
			t.Fatalf("%d %s", code, body)
		}
	})
	t.Run("events of a customer without analytics consent are counted, not stored", func(t *testing.T) {
		code, body := f.do(t, "POST", "/v1/events", testToken, `{"events":[
			{"customer_id":"c1","action":"visit","item_id":"mixed-1"},
			{"customer_id":"stranger","action":"visit","item_id":"mixed-2"}]}`)
		var res engine.IngestResult
		mustJSON(t, body, &res)
		if code != 200 || res.Loaded != 1 || res.WithoutConsent != 1 {
			t.Fatalf("%d %s", code, body)
		}
		if n := len(itemsOf(t, e, "stranger")); n != 0 {
			t.Fatalf("stored %d events of a customer without consent", n)
		}
	})
	bad := []struct {
		name   string
		events []string
		index  int
		reason string
	}{
		{"an action outside the vocabulary", []string{
			`{"customer_id":"c1","action":"visit","item_id":"bad-a-1"}`,
			`{"customer_id":"c1","action":"teleport","item_id":"bad-a-2"}`,
			`{"customer_id":"c1","action":"visit","item_id":"bad-a-3"}`}, 1, `action "teleport" is not in the vocabulary`},
		{"a value that is not a number", []string{
			`{"customer_id":"c1","action":"rate","item_id":"bad-b-1","value":"five"}`,
			`{"customer_id":"c1","action":"visit","item_id":"bad-b-2"}`}, 0, `value "five" is not a number`},
		{"a missing customer", []string{
			`{"customer_id":"c1","action":"visit","item_id":"bad-c-1"}`,
			`{"action":"visit","item_id":"bad-c-2"}`}, 1, "customer_id is empty"},
		{"an unknown field", []string{
			`{"customer_id":"c1","action":"visit","item_id":"bad-d-1"}`,
			`{"customer_id":"c1","action":"visit","item_id":"bad-d-2","colour":"red"}`}, 1, `unknown fields "colour"`},
		{"a time that is not a time", []string{
			`{"customer_id":"c1","action":"visit","item_id":"bad-e-1","at":"yesterday"}`,
			`{"customer_id":"c1","action":"visit","item_id":"bad-e-2"}`}, 0, "yesterday"},
		{"an event that is not an object", []string{
			`{"customer_id":"c1","action":"visit","item_id":"bad-f-1"}`,
			`["c1","visit"]`}, 1, "not a JSON object"},
	}
	for _, tc := range bad {
		t.Run("a batch with "+tc.name+" is rejected whole with the row's reason", func(t *testing.T) {
			body := `{"events":[` + strings.Join(tc.events, ",") + `]}`
			code, resp := f.do(t, "POST", "/v1/events", testToken, body)
			if code != 422 {
				t.Fatalf("%d %s", code, resp)
			}
			var eb errorBody
			mustJSON(t, resp, &eb)
			if eb.Kind != "bad input" || len(eb.Rejects) != 1 {
				t.Fatalf("%s", resp)
			}
			if r := eb.Rejects[0]; r.Index != tc.index || !strings.Contains(r.Reason, tc.reason) {
				t.Fatalf("reject %+v, want index %d and a reason with %q", r, tc.index, tc.reason)
			}
			if strings.Contains(string(resp), "custnet-events-") || strings.Contains(string(resp), "/tmp") {
				t.Fatalf("the answer names the server's temporary file: %s", resp)
			}
			for id := range itemsOf(t, e, "c1") {
				if strings.HasPrefix(id, "bad-") {
					t.Fatalf("item %s of a rejected batch was stored", id)
				}
			}
		})
	}
	t.Run("every bad row of a batch is reported", func(t *testing.T) {
		code, resp := f.do(t, "POST", "/v1/events", testToken, `{"events":[
			{"customer_id":"c1","action":"fly"},{"customer_id":"c1","action":"visit"},{"customer_id":"c1","action":"swim"}]}`)
		var eb errorBody
		mustJSON(t, resp, &eb)
		if code != 422 || len(eb.Rejects) != 2 || eb.Rejects[0].Index != 0 || eb.Rejects[1].Index != 2 {
			t.Fatalf("%d %s", code, resp)
		}
	})
	requests := []struct{ name, body, contains string }{
		{"an empty batch", `{"events":[]}`, "no events"},
		{"a batch without events", `{}`, "no events"},
		{"a basis other than the ledger", `{"consent":"assume","events":[{"customer_id":"c1","action":"visit"}]}`, "ledger"},
		{"an unknown top-level field", `{"evnts":[]}`, "evnts"},
	}
	for _, tc := range requests {
		t.Run(tc.name+" is a bad request", func(t *testing.T) {
			code, resp := f.do(t, "POST", "/v1/events", testToken, tc.body)
			if code != 400 || !strings.Contains(string(resp), tc.contains) {
				t.Fatalf("%d %s", code, resp)
			}
		})
	}
	t.Run("the metrics count stored and rejected events", func(t *testing.T) {
		_, page := f.do(t, "GET", "/metrics", testToken, nil)
		for _, want := range []string{"custnet_ingested_events_total 4\n", "custnet_ingest_rejected_events_total 8\n",
			"custnet_ingest_without_consent_events_total 1\n", `custnet_ingest_batches_total{result="accepted"} 3` + "\n"} {
			if !strings.Contains(string(page), want) {
				t.Errorf("metrics lack %q", want)
			}
		}
	})
}

func TestEventBatchesBeyondTheQueueAreShed(t *testing.T) {
	e := newTestEngine(t)
	if err := e.Grant(ctx, "q1", "analytics", "test"); err != nil {
		t.Fatal(err)
	}
	f := newFixture(t, e, Options{OperatorToken: testToken, MaxConcurrentIngests: 2})
	// Hold both slots, so that batches queue behind them.
	for range cap(f.s.ingests) {
		f.s.ingests <- struct{}{}
	}
	batch := func(i int) string {
		return fmt.Sprintf(`{"events":[{"customer_id":"q1","action":"visit","item_id":"queued-%d"}]}`, i)
	}
	post := func(i int) (*http.Response, error) {
		req, _ := http.NewRequest("POST", f.url+"/v1/events", strings.NewReader(batch(i)))
		req.Header.Set("Authorization", "Bearer "+testToken)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		return resp, err
	}
	codes := make(chan int, 2)
	for i := range 2 {
		go func() {
			resp, err := post(i)
			if err != nil {
				codes <- 0
				return
			}
			codes <- resp.StatusCode
		}()
	}
	for f.s.ingestWaiting.Load() < 2 {
		time.Sleep(time.Millisecond)
	}
	t.Run("a batch finding the queue full is refused at once with Retry-After", func(t *testing.T) {
		resp, err := post(9)
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != 503 || resp.Header.Get("Retry-After") == "" {
			t.Fatalf("%d, Retry-After %q", resp.StatusCode, resp.Header.Get("Retry-After"))
		}
		if n := itemsOf(t, e, "q1")["queued-9"]; n != 0 {
			t.Fatal("a shed batch was stored")
		}
		var page strings.Builder
		f.s.metrics.write(&page)
		if !strings.Contains(page.String(), `custnet_ingest_batches_total{result="shed"} 1`) {
			t.Fatalf("/metrics does not count the shed batch:\n%s", page.String())
		}
	})
	t.Run("the queued batches are stored once the slots free up", func(t *testing.T) {
		for range cap(f.s.ingests) {
			<-f.s.ingests
		}
		for range 2 {
			if code := <-codes; code != 200 {
				t.Fatalf("a queued batch got %d", code)
			}
		}
		items := itemsOf(t, e, "q1")
		if items["queued-0"] != 1 || items["queued-1"] != 1 {
			t.Fatalf("items %v", items)
		}
	})
}

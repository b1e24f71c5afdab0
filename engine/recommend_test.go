package engine

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	duckdb "github.com/duckdb/duckdb-go/v2"

	"github.com/custnet/custnet/internal/dstest"
)

func TestRecommendRespectsConsentAndHistory(t *testing.T) {
	e, _ := newTestEngine(t)
	ctx := context.Background()
	ingestML100k(t, e)
	// Customer 2 withdraws personalization only: they stay in analytics but
	// get no recommendations and are left out of training.
	if _, err := e.Revoke(ctx, "2", "personalization", "test"); err != nil {
		t.Fatal(err)
	}
	modelPath := filepath.Join(t.TempDir(), "m.cnm")
	tr, err := e.Train(ctx, TrainOptions{Model: "knn-baseline", Out: modelPath})
	if err != nil {
		t.Fatal(err)
	}
	if tr.Stats.Customers != 942 {
		t.Fatalf("trained on %d customers, want 942 (customer 2 withdrew personalization)", tr.Stats.Customers)
	}
	t.Run("recommendations never contain items the customer rated", func(t *testing.T) {
		for _, c := range []string{"1", "13", "405", "655"} {
			recs, err := e.Recommend(ctx, c, 20)
			if err != nil {
				t.Fatal(err)
			}
			if len(recs) != 20 {
				t.Fatalf("customer %s: %d recommendations", c, len(recs))
			}
			for _, r := range recs {
				if n := count(t, e, `SELECT count(*) FROM events WHERE customer_id = $1 AND item_id = $2`, c, r.ItemID); n != 0 {
					t.Fatalf("customer %s was recommended item %s they rated", c, r.ItemID)
				}
			}
		}
	})
	t.Run("recommendations come with titles and reasons", func(t *testing.T) {
		recs, _ := e.Recommend(ctx, "1", 5)
		if recs[0].Title == "" || !strings.HasPrefix(recs[0].Reason, "because you rated ") {
			t.Fatalf("first recommendation: %+v", recs[0])
		}
	})
	t.Run("a customer without personalization consent gets a clear refusal", func(t *testing.T) {
		_, err := e.Recommend(ctx, "2", 10)
		if !errors.Is(err, ErrNoConsent) || !strings.Contains(err.Error(), "personalization") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("batch recommendations cover exactly the consented customers", func(t *testing.T) {
		out := filepath.Join(t.TempDir(), "recs.parquet")
		n, err := e.RecommendAll(ctx, 10, out)
		if err != nil {
			t.Fatal(err)
		}
		if n != 942 || count(t, e, `SELECT count(*) FROM recommendations WHERE customer_id = '2'`) != 0 {
			t.Fatalf("served %d customers", n)
		}
		if got := count(t, e, `SELECT count(*) FROM read_parquet($1)`, out); got != 9420 {
			t.Fatalf("parquet rows = %d, want 9420", got)
		}
		if bad := count(t, e, `SELECT count(*) FROM recommendations r SEMI JOIN events e
			ON e.customer_id = r.customer_id AND e.item_id = r.item_id`); bad != 0 {
			t.Fatalf("%d batch recommendations are items already rated", bad)
		}
	})
	t.Run("the Parquet file is in customer and rank order across row groups", func(t *testing.T) {
		// 942 customers × 200 items: 188,400 rows, two DuckDB row groups,
		// so that a parallel scan could reorder them, built and inserted
		// as 19 Arrow records by several goroutines and DuckDB threads.
		defer smallRecRecords()()
		out := filepath.Join(t.TempDir(), "recs200.parquet")
		if _, err := e.RecommendAll(ctx, 200, out); err != nil {
			t.Fatal(err)
		}
		if got := count(t, e, `SELECT count(*) FROM read_parquet($1)`, out); got != 942*200 {
			t.Fatalf("parquet rows = %d, want %d", got, 942*200)
		}
		if bad := outOfOrder(t, e, out); bad != 0 {
			t.Fatalf("%d rows of the Parquet file come before the row they follow", bad)
		}
	})
	t.Run("insertion order turned off by an aborted write transaction does not unsort the file", func(t *testing.T) {
		// An ingest of timed events turns insertion order off for the
		// whole database; when an error aborts its transaction, DuckDB
		// refuses every statement but ROLLBACK, so only the end of the
		// transaction can turn it on again.
		var next error // what DuckDB says to a statement after the failing one
		err := e.writeTx(ctx, func(c *sql.Conn, _ *duckdb.Arrow) error {
			if _, err := c.ExecContext(ctx, "SET preserve_insertion_order = false"); err != nil {
				return err
			}
			_, err := c.ExecContext(ctx, "SELECT CAST('not a number' AS INTEGER)")
			_, next = c.ExecContext(ctx, "SELECT 1")
			return err
		})
		if err == nil || next == nil || !strings.Contains(next.Error(), "aborted") {
			t.Fatalf("want an aborted transaction: the failing statement gave %v, the next one %v", err, next)
		}
		var on bool
		if err := e.db.QueryRowContext(ctx, "SELECT current_setting('preserve_insertion_order')").Scan(&on); err != nil || !on {
			t.Fatalf("insertion order after the aborted transaction: %v (%v)", on, err)
		}
		defer smallRecRecords()()
		out := filepath.Join(t.TempDir(), "recs200.parquet")
		if _, err := e.RecommendAll(ctx, 200, out); err != nil {
			t.Fatal(err)
		}
		if bad := outOfOrder(t, e, out); bad != 0 {
			t.Fatalf("%d rows of the Parquet file come before the row they follow", bad)
		}
	})
	t.Run("revoking analytics removes the customer's recommendations", func(t *testing.T) {
		if _, err := e.Revoke(ctx, "13", "analytics", "test"); err != nil {
			t.Fatal(err)
		}
		if n := count(t, e, `SELECT count(*) FROM recommendations WHERE customer_id = '13'`); n != 0 {
			t.Fatalf("%d recommendations survive", n)
		}
	})
	t.Run("a consented customer without ratings gets popular items with that reason", func(t *testing.T) {
		if err := e.Grant(ctx, "newcomer", "personalization", "test"); err != nil {
			t.Fatal(err)
		}
		recs, err := e.Recommend(ctx, "newcomer", 3)
		if err != nil {
			t.Fatal(err)
		}
		// Item 50 (Star Wars) is the most rated item of MovieLens 100k: 583 ratings.
		if len(recs) != 3 || recs[0].ItemID != "50" || !strings.Contains(recs[0].Reason, "rated nothing yet") {
			t.Fatalf("cold start: %+v", recs)
		}
	})
	t.Run("an unknown customer is not found rather than refused", func(t *testing.T) {
		if _, err := e.Recommend(ctx, "nobody-at-all", 3); !errors.Is(err, ErrNotFound) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("a saved model loads back and a truncated one is refused", func(t *testing.T) {
		if err := e.LoadModel(ctx, modelPath); err != nil {
			t.Fatal(err)
		}
		b, _ := os.ReadFile(modelPath)
		cut := filepath.Join(t.TempDir(), "cut.cnm")
		os.WriteFile(cut, b[:len(b)/2], 0o644)
		if err := e.LoadModel(ctx, cut); !errors.Is(err, ErrBadInput) {
			t.Fatalf("truncated model: err = %v", err)
		}
		foreign := filepath.Join(t.TempDir(), "x.cnm")
		os.WriteFile(foreign, []byte("PK\x03\x04 not a model"), 0o644)
		if err := e.LoadModel(ctx, foreign); !errors.Is(err, ErrBadInput) {
			t.Fatalf("foreign file: err = %v", err)
		}
	})
}

func TestExportHoldsEverythingAboutTheCustomer(t *testing.T) {
	e, _ := newTestEngine(t)
	ctx := context.Background()
	ingestML100k(t, e)
	x, err := e.Export(ctx, "1")
	if err != nil {
		t.Fatal(err)
	}
	if x.EventCount != 272 || x.Attributes["occupation"] != "technician" || len(x.Consents) != 2 {
		t.Fatalf("export: %d events, attrs %v, %d consents", x.EventCount, x.Attributes, len(x.Consents))
	}
	if _, err := e.Export(ctx, "no-such-customer"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown customer: err = %v", err)
	}
	if _, err := e.Revoke(ctx, "1", "analytics", "test"); err != nil {
		t.Fatal(err)
	}
	x, err = e.Export(ctx, "1")
	if err != nil {
		t.Fatal(err)
	}
	if x.EventCount != 0 || x.Attributes != nil || x.Consents[len(x.Consents)-1].Status != "revoked" {
		t.Fatalf("after revocation: %d events, attrs %v, last consent %+v", x.EventCount, x.Attributes, x.Consents[len(x.Consents)-1])
	}
	if b, _ := json.Marshal(x); !bytes.Contains(b, []byte(`"events":[]`)) {
		t.Fatalf("after revocation the JSON export should list no events as [], got %s", b)
	}
}

// TestRepeatedRatingsKeepTheFilesLast checks the one-rating-per-pair rule
// through the store on FilmTrust, which has no times: customer 308 rated
// item 235 as 4 and later as 1.5, and item 207 as 3.5 then 3 (found with
// awk over ratings.txt; item 12 was rated 4 twice, an exact duplicate).
func TestRepeatedRatingsKeepTheFilesLast(t *testing.T) {
	e, _ := newTestEngine(t)
	ctx := context.Background()
	if _, err := e.Ingest(ctx, IngestOptions{Path: dstest.Path(t, "filmtrust", "ratings.txt"), Format: "filmtrust",
		AssumeConsent: []string{"analytics", "personalization"}}); err != nil {
		t.Fatal(err)
	}
	tr, err := e.Train(ctx, TrainOptions{Model: "baseline"})
	if err != nil {
		t.Fatal(err)
	}
	if tr.Stats.Repeats != 2 || tr.Stats.Ratings != 35494 {
		t.Fatalf("ratings %d, repeats %d; want 35494 and 2", tr.Stats.Ratings, tr.Stats.Repeats)
	}
	m := e.served.Load().m.Train()
	u, _ := m.CustomerIndex("308")
	items, ratings := m.Row(u)
	want := map[string]float32{"235": 1.5, "207": 3, "12": 4}
	for k, i := range items {
		if w, ok := want[m.ItemID(i)]; ok && ratings[k] != w {
			t.Errorf("customer 308, item %s: rating %v, want the file's last %v", m.ItemID(i), ratings[k], w)
		}
	}
}

func TestRecommendReusesListsOnlyWhileTheModelAndConsentHold(t *testing.T) {
	e, _ := newTestEngine(t)
	ctx := context.Background()
	ingestML100k(t, e)
	if _, err := e.Train(ctx, TrainOptions{Model: "knn-baseline"}); err != nil {
		t.Fatal(err)
	}
	t.Run("a warmed list is what the model computes", func(t *testing.T) {
		n, err := e.WarmRecommendations(ctx, 10)
		if err != nil || n != 943 {
			t.Fatalf("warmed %d lists, %v; want the 943 consented customers", n, err)
		}
		if kept := len(e.served.Load().tops.lists); kept != 943 {
			t.Fatalf("%d lists kept after warming, want 943", kept)
		}
		s := e.served.Load()
		for _, c := range []string{"1", "500", "943"} {
			u, _ := s.m.Train().CustomerIndex(c)
			want := s.lists(s.m.TopN(u, 10, true))
			got, err := e.Recommend(ctx, c, 10)
			if err != nil || !slices.Equal(got, want) {
				t.Fatalf("customer %s: %v, %v; computed %v", c, got, err, want)
			}
		}
	})
	t.Run("changing a returned list does not change the next answer", func(t *testing.T) {
		a, _ := e.Recommend(ctx, "7", 5)
		a[0].ItemID = "changed"
		b, _ := e.Recommend(ctx, "7", 5)
		if b[0].ItemID == "changed" {
			t.Fatal("the cache hands out its own slice")
		}
	})
	t.Run("a revoked personalization consent is refused even with a list kept", func(t *testing.T) {
		if _, err := e.Recommend(ctx, "9", 10); err != nil {
			t.Fatal(err)
		}
		if _, err := e.Revoke(ctx, "9", "personalization", "test"); err != nil {
			t.Fatal(err)
		}
		if _, err := e.Recommend(ctx, "9", 10); !errors.Is(err, ErrNoConsent) {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("a new model starts with no lists kept", func(t *testing.T) {
		if _, err := e.Train(ctx, TrainOptions{Model: "baseline"}); err != nil {
			t.Fatal(err)
		}
		s := e.served.Load()
		if len(s.tops.lists) != 0 {
			t.Fatalf("%d lists carried over to a new model", len(s.tops.lists))
		}
		if _, err := e.Recommend(ctx, "1", 10); err != nil {
			t.Fatal(err)
		}
		if len(s.tops.lists) != 1 {
			t.Fatalf("after one request the new model keeps %d lists, want 1", len(s.tops.lists))
		}
	})
}

// An analytics revocation erases the customer's ratings from the store; a
// model trained before it still holds them, and must not use them: neither
// the model in memory nor the same model loaded from its file.
func TestRecommendForgetsRatingsErasedAfterTraining(t *testing.T) {
	e, path := newTestEngine(t)
	ctx := context.Background()
	ingestML100k(t, e)
	modelPath := filepath.Join(t.TempDir(), "m.cnm")
	if _, err := e.Train(ctx, TrainOptions{Model: "knn-baseline", Out: modelPath}); err != nil {
		t.Fatal(err)
	}
	personal := func(t *testing.T, e *Engine, c string) bool {
		t.Helper()
		recs, err := e.Recommend(ctx, c, 10)
		if err != nil || len(recs) != 10 {
			t.Fatalf("customer %s: %d recommendations, %v", c, len(recs), err)
		}
		return strings.HasPrefix(recs[0].Reason, "because you rated ")
	}
	if !personal(t, e, "1") || !personal(t, e, "5") {
		t.Fatal("before any revocation customers 1 and 5 get lists from their ratings")
	}
	if _, err := e.Revoke(ctx, "1", "analytics", "test"); err != nil {
		t.Fatal(err)
	}
	t.Run("the model in memory", func(t *testing.T) {
		recs, err := e.Recommend(ctx, "1", 10)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range recs {
			if !strings.HasPrefix(r.Reason, "popular: ") || !strings.Contains(r.Reason, "revoked analytics") {
				t.Fatalf("customer 1 after revoking analytics: %+v", r)
			}
		}
		if !personal(t, e, "5") {
			t.Fatal("customer 5 lost their personal list")
		}
	})
	t.Run("batch lists", func(t *testing.T) {
		ids, lists, err := e.consentedLists(ctx, "test", e.served.Load(), 10, -1)
		if err != nil {
			t.Fatal(err)
		}
		k, _ := slices.BinarySearch(ids, "1")
		if ids[k] != "1" || !strings.HasPrefix(lists[k][0].Reason, "popular: ") {
			t.Fatalf("batch list of customer 1: %+v", lists[k])
		}
	})
	t.Run("the same model loaded from its file", func(t *testing.T) {
		if err := e.Close(); err != nil {
			t.Fatal(err)
		}
		e2, err := Open(ctx, Options{Path: path})
		if err != nil {
			t.Fatal(err)
		}
		defer e2.Close()
		if err := e2.LoadModel(ctx, modelPath); err != nil {
			t.Fatal(err)
		}
		if personal(t, e2, "1") {
			t.Fatal("a loaded model used customer 1's erased ratings")
		}
		if !personal(t, e2, "5") {
			t.Fatal("a loaded model forgot customer 5, who revoked nothing")
		}
	})
}

// smallRecRecords makes the recommendations write cut its rows into
// records of 50 customers until the returned function restores the size.
func smallRecRecords() func() {
	was := recCustomersPerRecord
	recCustomersPerRecord = 50
	return func() { recCustomersPerRecord = was }
}

// outOfOrder counts the rows of a recommendations Parquet file that do not
// come after the row before them in (customer_id, rank) order.
func outOfOrder(t *testing.T, e *Engine, path string) int64 {
	t.Helper()
	return count(t, e, `SELECT count(*) FROM (
			SELECT customer_id, rank,
				lag(customer_id) OVER (ORDER BY file_row_number) AS pc,
				lag(rank) OVER (ORDER BY file_row_number) AS pr
			FROM read_parquet($1, file_row_number = true))
		WHERE pc > customer_id OR (pc = customer_id AND pr >= rank)`, path)
}

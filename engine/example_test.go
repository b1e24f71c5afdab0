package engine_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/custnet/custnet/engine"
)

// ratingsCSV is a tiny shop in custnet's events format: four customers
// rating five films on a 1–5 scale.
const ratingsCSV = `customer_id,action,at,item_id,value
alice,rate,2024-03-01T10:00:00Z,alien,5
alice,rate,2024-03-01T10:05:00Z,blade-runner,5
alice,rate,2024-03-01T10:10:00Z,casablanca,2
bob,rate,2024-03-02T09:00:00Z,alien,4
bob,rate,2024-03-02T09:05:00Z,blade-runner,5
bob,rate,2024-03-02T09:10:00Z,dune,5
bob,rate,2024-03-02T09:15:00Z,casablanca,1
carol,rate,2024-03-03T20:00:00Z,casablanca,5
carol,rate,2024-03-03T20:05:00Z,emma,4
carol,rate,2024-03-03T20:10:00Z,alien,2
dave,rate,2024-03-04T18:00:00Z,dune,4
dave,rate,2024-03-04T18:05:00Z,blade-runner,4
dave,rate,2024-03-04T18:10:00Z,emma,2
`

// writeShop writes ratingsCSV to a file in dir and returns its path.
func writeShop(dir string) string {
	path := filepath.Join(dir, "ratings.csv")
	if err := os.WriteFile(path, []byte(ratingsCSV), 0o644); err != nil {
		log.Fatal(err)
	}
	return path
}

// openShop opens an in-memory store holding ratingsCSV, with every customer
// consenting to analytics and personalization, and a trained knn-baseline.
func openShop(ctx context.Context) *engine.Engine {
	dir, err := os.MkdirTemp("", "custnet-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	e, err := engine.Open(ctx, engine.Options{})
	if err != nil {
		log.Fatal(err)
	}
	_, err = e.Ingest(ctx, engine.IngestOptions{Path: writeShop(dir), Format: "events",
		AssumeConsent: []string{"analytics", "personalization"}})
	if err != nil {
		log.Fatal(err)
	}
	if _, err := e.Train(ctx, engine.TrainOptions{Model: "knn-baseline"}); err != nil {
		log.Fatal(err)
	}
	return e
}

// A whole round: open a store, ingest consented ratings, train a
// recommender and recommend.
func Example() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "custnet-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	// A store file; engine.Options{} would keep it in memory instead.
	e, err := engine.Open(ctx, engine.Options{Path: filepath.Join(dir, "shop.duckdb")})
	if err != nil {
		log.Fatal(err)
	}
	defer e.Close()

	// Nothing enters without a consent basis: here the operator declares
	// one for every customer of this source, and the ledger records it.
	res, err := e.Ingest(ctx, engine.IngestOptions{
		Path:          writeShop(dir),
		Format:        "events",
		AssumeConsent: []string{"analytics", "personalization"},
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("loaded %d of %d rows\n", res.Loaded, res.Read)

	if _, err := e.Train(ctx, engine.TrainOptions{Model: "knn-baseline"}); err != nil {
		log.Fatal(err)
	}
	recs, err := e.Recommend(ctx, "alice", 2)
	if err != nil {
		log.Fatal(err)
	}
	for _, r := range recs {
		fmt.Printf("%d. %s %.2f %s\n", r.Rank, r.ItemID, r.Score, r.Reason)
	}
	// Output:
	// loaded 13 of 13 rows
	// 1. dune 4.91 because you rated item blade-runner 5
	// 2. emma 3.63
}

// Ingest in strict mode stores nothing when any row is bad, and says which
// rows are bad and why.
func ExampleEngine_Ingest_strict() {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "custnet-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "events.csv")
	os.WriteFile(path, []byte("customer_id,action,item_id\nalice,view,alien\nbob,teleport,dune\n"), 0o644)

	e, err := engine.Open(ctx, engine.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer e.Close()
	_, err = e.Ingest(ctx, engine.IngestOptions{Path: path, Format: "events",
		AssumeConsent: []string{"analytics"}, Strict: true})
	fmt.Println(errors.Is(err, engine.ErrBadInput))
	st, _ := e.Stats(ctx)
	fmt.Println("events stored:", st.Events)
	// Output:
	// true
	// events stored: 0
}

// Recommend refuses, with [engine.ErrNoConsent], customers without an
// active personalization consent, and with [engine.ErrNotFound] customers
// the store has never heard of.
func ExampleEngine_Recommend() {
	ctx := context.Background()
	e := openShop(ctx)
	defer e.Close()

	recs, err := e.Recommend(ctx, "carol", 1)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(recs[0].Rank, recs[0].ItemID)

	if _, err := e.Revoke(ctx, "dave", "personalization", "preference centre"); err != nil {
		log.Fatal(err)
	}
	_, err = e.Recommend(ctx, "dave", 1)
	fmt.Println(errors.Is(err, engine.ErrNoConsent), engine.KindOf(err))

	_, err = e.Recommend(ctx, "mallory", 1)
	fmt.Println(errors.Is(err, engine.ErrNotFound), engine.KindOf(err))
	// Output:
	// 1 dune
	// true no consent
	// true not found
}

// Export gives a customer everything the store holds and infers about
// them.
func ExampleEngine_Export() {
	ctx := context.Background()
	e := openShop(ctx)
	defer e.Close()

	x, err := e.Export(ctx, "dave")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(x.CustomerID, "has", x.EventCount, "events")
	for _, c := range x.Consents {
		fmt.Println(c.Purpose, c.Status)
	}
	for _, ev := range x.Events {
		fmt.Println(ev.At.Format("2006-01-02"), ev.Type, ev.ItemID, ev.Value)
	}
	// Output:
	// dave has 3 events
	// analytics granted
	// personalization granted
	// 2024-03-04 rate dune 4
	// 2024-03-04 rate blade-runner 4
	// 2024-03-04 rate emma 2
}

// Revoking analytics erases the customer's traces in one transaction and
// keeps the revocation in the ledger.
func ExampleEngine_Revoke() {
	ctx := context.Background()
	e := openShop(ctx)
	defer e.Close()

	res, err := e.Revoke(ctx, "bob", "analytics", "support ticket 1234")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("erased events:", res.Erased["events"])
	ok, _ := e.HasConsent(ctx, "bob", "analytics")
	fmt.Println("analytics consent:", ok)
	x, _ := e.Export(ctx, "bob")
	fmt.Println("events left:", x.EventCount, "ledger records:", len(x.Consents))
	// Output:
	// erased events: 4
	// analytics consent: false
	// events left: 0 ledger records: 3
}

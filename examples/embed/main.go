// Command embed shows custnet used as a library through its public API
// only: it opens a store, ingests a small consented ratings file it writes
// itself, trains a recommender, and prints recommendations and what the
// store holds about one customer.
//
// Build and run it with cgo and the duckdb_arrow tag, which DuckDB's Arrow
// interface needs:
//
//	CGO_ENABLED=1 go run -tags duckdb_arrow ./examples/embed
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"

	"github.com/custnet/custnet/engine"
)

const ratings = `customer_id,action,at,item_id,value
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

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "embed:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context) error {
	dir, err := os.MkdirTemp("", "custnet-embed-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	src := filepath.Join(dir, "ratings.csv")
	if err := os.WriteFile(src, []byte(ratings), 0o644); err != nil {
		return err
	}

	e, err := engine.Open(ctx, engine.Options{Path: filepath.Join(dir, "shop.duckdb")})
	if err != nil {
		return err
	}
	defer e.Close()

	// The operator declares the consent basis of this source; the ledger
	// and the ingests table record the declaration.
	res, err := e.Ingest(ctx, engine.IngestOptions{
		Path:          src,
		Format:        "events",
		AssumeConsent: []string{"analytics", "personalization"},
	})
	if err != nil {
		return err
	}
	fmt.Printf("ingested %d of %d rows (batch %d)\n", res.Loaded, res.Read, res.BatchID)

	tr, err := e.Train(ctx, engine.TrainOptions{Model: "knn-baseline"})
	if err != nil {
		return err
	}
	fmt.Printf("trained %s on %d ratings\n", tr.Model, tr.Stats.Ratings)

	for _, c := range []string{"alice", "carol", "mallory"} {
		recs, err := e.Recommend(ctx, c, 3)
		switch {
		case errors.Is(err, engine.ErrNoConsent), errors.Is(err, engine.ErrNotFound):
			fmt.Printf("%s: no recommendations (%v)\n", c, engine.KindOf(err))
			continue
		case err != nil:
			return err
		}
		fmt.Printf("%s:\n", c)
		for _, r := range recs {
			fmt.Printf("  %d. %s %.2f", r.Rank, r.ItemID, r.Score)
			if r.Reason != "" {
				fmt.Printf(" (%s)", r.Reason)
			}
			fmt.Println()
		}
	}

	x, err := e.Export(ctx, "dave")
	if err != nil {
		return err
	}
	fmt.Printf("the store holds %d events and %d consent records about dave\n", x.EventCount, len(x.Consents))
	return nil
}

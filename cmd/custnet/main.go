// Command custnet is the batch command line of the custnet customer-network
// analytics engine: generate or ingest consented data, revoke consent, and
// run the pipeline. Run `custnet --help` for the tour.
//
// Build with cgo and the duckdb_arrow tag (the Makefile does):
//
//	go build -tags duckdb_arrow ./cmd/custnet
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

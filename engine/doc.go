// Package engine is custnet's façade and the only package that talks to
// DuckDB. It owns the store (one DuckDB file holding the consent ledger,
// events, provenance, rejects and every derived table), ingests consented
// data, hands data to the analytics packages as Arrow record batches, and
// writes their results back.
//
// Open an [Engine] with [Open], use it from any number of goroutines, and
// [Engine.Close] it when done. Builds must use cgo and the build tag
// duckdb_arrow, which DuckDB's Arrow interface requires:
//
//	go build -tags duckdb_arrow ./...
//
// Data enters through [Engine.Ingest] (files, in one transaction per file)
// or [Engine.Append] (small batches of parsed events, such as a server's
// requests; concurrent calls share a transaction).
//
// Consent is enforced here: an event is stored only when its customer has an
// active analytics basis in the ledger, and [Engine.Revoke] erases a
// customer's traces in one transaction.
package engine

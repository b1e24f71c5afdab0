// Package server serves a custnet [engine.Engine] over HTTP/JSON: per-customer
// recommendations, scores, exports and consent changes, operator event
// ingest, a health check and Prometheus metrics.
//
// Two kinds of bearer token are accepted. The operator token (from
// [Options.OperatorToken]) may do everything. A customer token, minted by
// the operator with POST /v1/customers/{id}/token, reads and changes only
// that customer's own data. It has the form
//
//	<customer id>.<hex(HMAC-SHA256(key, customer id))>
//
// so the server needs no token table: the key alone (see
// [Options.CustomerKey]) verifies every customer token.
//
// Routes:
//
//	GET  /v1/customers/{id}/recommendations?n=10  operator or that customer
//	GET  /v1/customers/{id}/scores                operator or that customer
//	GET  /v1/customers/{id}/export                operator or that customer
//	POST /v1/customers/{id}/consents              operator or that customer
//	POST /v1/customers/{id}/token                 operator
//	POST /v1/events                               operator
//	GET  /metrics                                 operator
//	GET  /healthz                                 anyone
//
// POST /v1/events stores a batch whole or not at all: a batch with a bad
// event is answered 422 with the reasons of its first bad events (at most
// 10, by position) and nothing is stored; an accepted batch is answered 200
// with its provenance ([engine.IngestResult]) once it is committed. Events
// of customers without an active analytics consent in the ledger are
// counted, not stored. Batches posted at the same time share one
// transaction ([engine.Engine.Append]) but keep their own answers. At most
// [Options.MaxConcurrentIngests] batches are stored at once and as many
// wait; a batch beyond that is answered 503 with Retry-After at once, so
// the backlog stays bounded.
//
// Errors are JSON objects {"error": "...", "kind": "..."} where kind is an
// engine error kind ("bad input", "no consent", "not found", "locked") or
// "auth" (401: missing or invalid token; 403: a valid token for someone
// else's data). Authentication failures never say whether a customer exists.
package server

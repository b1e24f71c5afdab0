package datasets

// SchemaVersion is the version of the store's layout: [SchemaSQL] and the
// engine's derived tables, including how their columns encode values. The
// engine records it in the store and refuses stores written by a newer
// custnet. Version 2 stores scores.explanation in a compact form (drivers as
// numbers, sentences rendered when read); version 1 stores still read.
const SchemaVersion = 2

// SchemaSQL creates the canonical tables (DuckDB dialect). It is idempotent.
//
//   - customers, items: ids as strings, attributes the source provides as JSON.
//   - events: one row per interaction; event_id is [EventID]. at is NULL for
//     sources without time. value's meaning depends on the action (see
//     [Vocabulary]); peer_id is the other customer of a connect or
//     collaborate action.
//   - consents: the append-only ledger; the latest record (by seq) per
//     customer and purpose wins.
//   - ingests, rejects: provenance and quarantine of every batch.
//
// There is deliberately no index on events: DuckDB's zone maps and hash joins
// serve the set-oriented queries custnet runs, and an ART index over 100M
// rows would cost more memory than it saves.
const SchemaSQL = `
CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR);
CREATE TABLE IF NOT EXISTS customers (
	customer_id VARCHAR PRIMARY KEY,
	attrs JSON,
	source VARCHAR
);
CREATE TABLE IF NOT EXISTS items (
	item_id VARCHAR PRIMARY KEY,
	title VARCHAR,
	attrs JSON,
	source VARCHAR
);
CREATE TABLE IF NOT EXISTS events (
	event_id UBIGINT NOT NULL,
	"at" TIMESTAMP,
	customer_id VARCHAR NOT NULL,
	action VARCHAR NOT NULL,
	channel VARCHAR,
	item_id VARCHAR,
	peer_id VARCHAR,
	value DOUBLE,
	source VARCHAR NOT NULL,
	batch_id BIGINT NOT NULL
);
CREATE SEQUENCE IF NOT EXISTS consent_seq;
CREATE TABLE IF NOT EXISTS consents (
	seq BIGINT NOT NULL DEFAULT nextval('consent_seq'),
	customer_id VARCHAR NOT NULL,
	purpose VARCHAR NOT NULL,
	granted BOOLEAN NOT NULL,
	"at" TIMESTAMP NOT NULL,
	source VARCHAR NOT NULL
);
CREATE TABLE IF NOT EXISTS ingests (
	batch_id BIGINT PRIMARY KEY,
	format VARCHAR NOT NULL,
	source_path VARCHAR NOT NULL,
	sha256 VARCHAR,
	declared_consent VARCHAR,
	rows_read BIGINT,
	loaded BIGINT,
	duplicate BIGINT,
	rejected BIGINT,
	without_consent BIGINT,
	scale_min DOUBLE,
	scale_max DOUBLE,
	scale_step DOUBLE,
	started TIMESTAMP,
	finished TIMESTAMP
);
CREATE TABLE IF NOT EXISTS rejects (
	batch_id BIGINT NOT NULL,
	file VARCHAR,
	line BIGINT,
	reason VARCHAR,
	raw VARCHAR,
	customer_id VARCHAR
);
`

// Note: at is a reserved word in DuckDB's SQL. The columns are created as
// "at"; queries must quote it ("at") or qualify it (e.at).

package engine

import (
	"context"
	"database/sql"
	"time"
)

// Stats summarise what a store holds.
type Stats struct {
	Path      string           `json:"path"`
	Events    int64            `json:"events"`
	Customers int64            `json:"customers"`
	Items     int64            `json:"items"`
	Rejects   int64            `json:"rejects"`
	ByAction  map[string]int64 `json:"events_by_action"`
	First     *time.Time       `json:"first_event_at,omitempty"`
	Last      *time.Time       `json:"last_event_at,omitempty"`
	Consents  []ConsentSummary `json:"consents"`
	Ingests   []IngestRow      `json:"ingests"`
}

// ConsentSummary counts customers by the state of their latest ledger
// record for a purpose: granted; refused (never granted); revoked (granted
// once, now withdrawn).
type ConsentSummary struct {
	Purpose string `json:"purpose"`
	Granted int64  `json:"granted"`
	Refused int64  `json:"refused"`
	Revoked int64  `json:"revoked"`
}

// IngestRow is one batch of the ingests table.
type IngestRow struct {
	BatchID        int64     `json:"batch_id"`
	Format         string    `json:"format"`
	Path           string    `json:"path"`
	SHA256         string    `json:"sha256"`
	Declared       string    `json:"declared_consent,omitempty"`
	Read           int64     `json:"rows_read"`
	Loaded         int64     `json:"loaded"`
	Duplicate      int64     `json:"duplicate"`
	Rejected       int64     `json:"rejected"`
	WithoutConsent int64     `json:"without_consent"`
	Finished       time.Time `json:"finished"`
}

// Stats reads the store's summary.
func (e *Engine) Stats(ctx context.Context) (*Stats, error) {
	s := &Stats{Path: e.opts.Path, ByAction: map[string]int64{}}
	const op = "stats"
	var first, last sql.NullTime
	err := e.db.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM events), (SELECT count(*) FROM customers),
		(SELECT count(*) FROM items), (SELECT count(*) FROM rejects), (SELECT min("at") FROM events), (SELECT max("at") FROM events)`).
		Scan(&s.Events, &s.Customers, &s.Items, &s.Rejects, &first, &last)
	if err != nil {
		return nil, wrap(op, err)
	}
	if first.Valid {
		s.First, s.Last = &first.Time, &last.Time
	}
	rows, err := e.db.QueryContext(ctx, `SELECT action, count(*) FROM events GROUP BY action ORDER BY action`)
	if err != nil {
		return nil, wrap(op, err)
	}
	for rows.Next() {
		var a string
		var n int64
		if err := rows.Scan(&a, &n); err != nil {
			rows.Close()
			return nil, wrap(op, err)
		}
		s.ByAction[a] = n
	}
	rows.Close()
	s.Consents, err = e.consentSummary(ctx)
	if err != nil {
		return nil, wrap(op, err)
	}
	rows, err = e.db.QueryContext(ctx, `SELECT batch_id, format, source_path, COALESCE(sha256, ''), COALESCE(declared_consent, ''),
		rows_read, loaded, duplicate, rejected, without_consent, finished FROM ingests ORDER BY batch_id`)
	if err != nil {
		return nil, wrap(op, err)
	}
	defer rows.Close()
	for rows.Next() {
		var r IngestRow
		if err := rows.Scan(&r.BatchID, &r.Format, &r.Path, &r.SHA256, &r.Declared, &r.Read, &r.Loaded, &r.Duplicate,
			&r.Rejected, &r.WithoutConsent, &r.Finished); err != nil {
			return nil, wrap(op, err)
		}
		s.Ingests = append(s.Ingests, r)
	}
	return s, wrap(op, rows.Err())
}

func (e *Engine) consentSummary(ctx context.Context) ([]ConsentSummary, error) {
	rows, err := e.db.QueryContext(ctx, `WITH latest AS (
			SELECT customer_id, purpose, granted,
				bool_or(granted) OVER (PARTITION BY customer_id, purpose) AS ever
			FROM consents
			QUALIFY row_number() OVER (PARTITION BY customer_id, purpose ORDER BY "at" DESC, seq DESC) = 1)
		SELECT p.purpose,
			count(*) FILTER (WHERE granted),
			count(*) FILTER (WHERE NOT granted AND NOT ever),
			count(*) FILTER (WHERE NOT granted AND ever)
		FROM (VALUES ('analytics'), ('personalization')) p(purpose) LEFT JOIN latest USING (purpose)
		GROUP BY p.purpose ORDER BY p.purpose`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []ConsentSummary
	for rows.Next() {
		var c ConsentSummary
		if err := rows.Scan(&c.Purpose, &c.Granted, &c.Refused, &c.Revoked); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// RejectRow is one quarantined input record.
type RejectRow struct {
	BatchID int64  `json:"batch_id"`
	File    string `json:"file"`
	Line    int64  `json:"line"`
	Reason  string `json:"reason"`
	Raw     string `json:"raw"`
}

// Rejects returns up to limit rejected records of a batch (every batch
// when batch is 0), in file order.
func (e *Engine) Rejects(ctx context.Context, batch int64, limit int) ([]RejectRow, error) {
	if limit <= 0 {
		limit = 20
	}
	rows, err := e.db.QueryContext(ctx, `SELECT batch_id, COALESCE(file, ''), COALESCE(line, 0), COALESCE(reason, ''), COALESCE(raw, '')
		FROM rejects WHERE $1 = 0 OR batch_id = $1 ORDER BY batch_id, file, line LIMIT $2`, batch, limit)
	if err != nil {
		return nil, wrap("rejects", err)
	}
	defer rows.Close()
	var out []RejectRow
	for rows.Next() {
		var r RejectRow
		if err := rows.Scan(&r.BatchID, &r.File, &r.Line, &r.Reason, &r.Raw); err != nil {
			return nil, wrap("rejects", err)
		}
		out = append(out, r)
	}
	return out, wrap("rejects", rows.Err())
}

package engine

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
)

// execQuerier is what *sql.Conn and *sql.Tx share.
type execQuerier interface {
	querier
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// ledgerEnd is the ledger's current position: records added later have a
// larger seq.
func ledgerEnd(ctx context.Context, c execQuerier) (int64, error) {
	var seq int64
	err := c.QueryRowContext(ctx, `SELECT coalesce(max(seq), 0) FROM consents`).Scan(&seq)
	return seq, err
}

// eraseRevokedSince applies, inside the caller's transaction, the
// revocations added to the ledger after position seq (by [Engine.Revoke]
// or a consents file): every customer whose latest analytics decision is
// now a revocation loses their traces in every table that names them, and
// one whose latest personalization decision is a revocation loses their
// recommendations, in one statement per table for all of them. It returns
// the customers who revoked analytics (so that a served model forgets
// them) and the rows erased per table.
func eraseRevokedSince(ctx context.Context, c execQuerier, seq int64) ([]string, map[string]int64, error) {
	if _, err := c.ExecContext(ctx, `CREATE OR REPLACE TEMP TABLE revoked_now AS
		SELECT customer_id, purpose FROM consents
		WHERE customer_id IN (SELECT customer_id FROM consents WHERE seq > $1 AND NOT granted)
		QUALIFY row_number() OVER (PARTITION BY customer_id, purpose ORDER BY "at" DESC, seq DESC) = 1 AND NOT granted`, seq); err != nil {
		return nil, nil, fmt.Errorf("revocations: %w", err)
	}
	defer c.ExecContext(context.WithoutCancel(ctx), `DROP TABLE IF EXISTS revoked_now`)
	rows, err := c.QueryContext(ctx, `SELECT customer_id, purpose FROM revoked_now ORDER BY customer_id`)
	if err != nil {
		return nil, nil, err
	}
	var analytics []string
	personal := 0
	for rows.Next() {
		var id, purpose string
		if err := rows.Scan(&id, &purpose); err != nil {
			rows.Close()
			return nil, nil, err
		}
		if purpose == "analytics" {
			analytics = append(analytics, id)
		} else {
			personal++
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, nil, err
	}
	erased := map[string]int64{}
	if len(analytics) == 0 && personal == 0 {
		return nil, erased, nil
	}
	for _, t := range customerTables {
		purposes := "'analytics'"
		if t.table == "recommendations" {
			purposes = "'analytics', 'personalization'"
		} else if len(analytics) == 0 {
			continue
		}
		set := "(SELECT customer_id FROM revoked_now WHERE purpose IN (" + purposes + "))"
		where := make([]string, len(t.cols))
		for k, col := range t.cols {
			where[k] = col + " IN " + set
		}
		r, err := c.ExecContext(ctx, `DELETE FROM `+t.table+` WHERE `+strings.Join(where, " OR "))
		if err != nil {
			return nil, nil, fmt.Errorf("erase %s: %w", t.table, err)
		}
		n, _ := r.RowsAffected()
		erased[t.table] += n
	}
	if len(analytics) > 0 {
		if _, err := c.ExecContext(ctx, `UPDATE communities SET top_customers = list_filter(top_customers, x -> NOT list_contains(r.ids, x))
				FROM (SELECT list(customer_id) AS ids FROM revoked_now WHERE purpose = 'analytics') r`); err != nil {
			return nil, nil, fmt.Errorf("erase communities: %w", err)
		}
	}
	return analytics, erased, nil
}

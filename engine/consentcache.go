package engine

import (
	"context"
	"sync"
)

// consentCache holds the latest personalization decision per customer, so
// that serving recommendations does not query the ledger on every call.
// Every write that can change the ledger in this process resets it
// (Grant, Revoke, Ingest); a store is written by one process at a time,
// which DuckDB's file lock guarantees.
type consentCache struct {
	mu      sync.RWMutex
	granted map[string]bool // nil until loaded
}

func (c *consentCache) reset() {
	c.mu.Lock()
	c.granted = nil
	c.mu.Unlock()
}

// personalization reports the customer's latest personalization decision
// and whether the ledger has one at all.
func (e *Engine) personalization(ctx context.Context, customer string) (granted, recorded bool, err error) {
	c := &e.consents
	c.mu.RLock()
	m := c.granted
	c.mu.RUnlock()
	if m == nil {
		m = map[string]bool{}
		rows, err := e.db.QueryContext(ctx, `SELECT customer_id, granted FROM consents WHERE purpose = 'personalization'
			QUALIFY row_number() OVER (PARTITION BY customer_id ORDER BY "at" DESC, seq DESC) = 1`)
		if err != nil {
			return false, false, err
		}
		for rows.Next() {
			var id string
			var g bool
			if err := rows.Scan(&id, &g); err != nil {
				rows.Close()
				return false, false, err
			}
			m[id] = g
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return false, false, err
		}
		c.mu.Lock()
		c.granted = m
		c.mu.Unlock()
	}
	granted, recorded = m[customer]
	return granted, recorded, nil
}

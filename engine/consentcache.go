package engine

import (
	"context"
	"sync"
	"time"
)

// consentCache holds the consent ledger's latest decision per customer and
// purpose, so that serving recommendations and appending events do not
// query the ledger on every call. It is kept in step with the ledger by
// the writes of this process, all made under Engine.writeMu: Grant and
// Revoke apply their record to it, and an Ingest that adds ledger records
// (a consents file, a declared basis) drops it, to be reloaded. Event
// appends and the analytics stages leave it alone. A store is written by
// one process at a time, which DuckDB's file lock guarantees.
type consentCache struct {
	mu sync.RWMutex
	// gen counts changes, so that a load that ran while the ledger changed
	// is used once but not kept.
	gen    uint64
	latest map[string]decisions // nil until loaded
}

// decisions are one customer's latest records by purpose.
type decisions struct {
	analytics, personalization decision
}

// decision is the latest ledger record of one customer and purpose; at is
// in microseconds and orders records (ties go to the later record).
type decision struct {
	at                int64
	recorded, granted bool
}

func (d *decisions) of(purpose string) *decision {
	if purpose == "analytics" {
		return &d.analytics
	}
	return &d.personalization
}

// reset drops the cache; the next reader reloads it from the ledger.
func (c *consentCache) reset() {
	c.mu.Lock()
	c.gen++
	c.latest = nil
	c.mu.Unlock()
}

// apply records a ledger record just committed. Its seq is the ledger's
// highest, so it is the latest unless a record has a later time.
func (c *consentCache) apply(customer, purpose string, granted bool, at time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	if c.latest == nil {
		return
	}
	ds := c.latest[customer]
	d := ds.of(purpose)
	if us := at.UnixMicro(); !d.recorded || us >= d.at {
		*d = decision{at: us, recorded: true, granted: granted}
		c.latest[customer] = ds
	}
}

// read calls f with the latest decisions, loading them from the ledger
// first when needed. f runs under a read lock and must not keep the map.
func (e *Engine) readConsents(ctx context.Context, f func(map[string]decisions)) error {
	c := &e.consents
	c.mu.RLock()
	if c.latest != nil {
		f(c.latest)
		c.mu.RUnlock()
		return nil
	}
	gen := c.gen
	c.mu.RUnlock()
	m := map[string]decisions{}
	rows, err := e.db.QueryContext(ctx, `SELECT customer_id, purpose, granted, "at" FROM consents
		QUALIFY row_number() OVER (PARTITION BY customer_id, purpose ORDER BY "at" DESC, seq DESC) = 1`)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id, purpose string
		var granted bool
		var at time.Time
		if err := rows.Scan(&id, &purpose, &granted, &at); err != nil {
			return err
		}
		ds := m[id]
		*ds.of(purpose) = decision{at: at.UnixMicro(), recorded: true, granted: granted}
		m[id] = ds
	}
	if err := rows.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	if c.gen == gen && c.latest == nil {
		c.latest = m
	}
	c.mu.Unlock()
	f(m) // a consistent snapshot of the ledger, even when not kept
	return nil
}

// personalization reports the customer's latest personalization decision
// and whether the ledger has one at all.
func (e *Engine) personalization(ctx context.Context, customer string) (granted, recorded bool, err error) {
	err = e.readConsents(ctx, func(m map[string]decisions) {
		d := m[customer].personalization
		granted, recorded = d.granted, d.recorded
	})
	return granted, recorded, err
}

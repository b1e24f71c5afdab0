package engine

import (
	"context"
	"database/sql"
	"sync"
)

// forgetSet is the set of customers a served model must treat as unknown
// (see served.forgotten). Safe for concurrent use.
type forgetSet struct {
	mu  sync.RWMutex
	ids map[string]struct{}
}

func (f *forgetSet) has(customer string) bool {
	f.mu.RLock()
	_, ok := f.ids[customer]
	f.mu.RUnlock()
	return ok
}

func (f *forgetSet) add(customers ...string) {
	f.mu.Lock()
	if f.ids == nil {
		f.ids = map[string]struct{}{}
	}
	for _, c := range customers {
		f.ids[c] = struct{}{}
	}
	f.mu.Unlock()
}

// revokedSince returns the customers with an analytics revocation recorded
// in the ledger after position seq (every revocation when seq < 0): their
// events were erased after a model trained at seq read its ratings.
func (e *Engine) revokedSince(ctx context.Context, seq int64) ([]string, error) {
	return queryStrings(ctx, e.db, `SELECT DISTINCT customer_id FROM consents
		WHERE purpose = 'analytics' AND NOT granted AND seq > $1`, seq)
}

// querier is what *sql.DB and *sql.Conn share.
type querier interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// queryStrings returns the one string column of a query's rows.
func queryStrings(ctx context.Context, q querier, query string, args ...any) ([]string, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// forgetInModel marks customers as erased in the served model, after their
// analytics revocation has been committed.
func (e *Engine) forgetInModel(customers ...string) {
	if s := e.served.Load(); s != nil {
		s.forgotten.add(customers...)
	}
}

package engine

import (
	"context"
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
func (e *Engine) revokedSince(ctx context.Context, seq int64) (map[string]struct{}, error) {
	rows, err := e.db.QueryContext(ctx, `SELECT DISTINCT customer_id FROM consents
		WHERE purpose = 'analytics' AND NOT granted AND seq > $1`, seq)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]struct{}{}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out[id] = struct{}{}
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

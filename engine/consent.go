package engine

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"github.com/custnet/custnet/datasets"
)

// ConsentRecord is one row of the consent ledger.
type ConsentRecord struct {
	Seq      int64     `json:"seq"`
	Customer string    `json:"customer_id"`
	Purpose  string    `json:"purpose"`
	Granted  bool      `json:"granted"`
	At       time.Time `json:"at"`
	Source   string    `json:"source"`
	// Status reads the record in its history: "granted", "refused" (never
	// granted before for the purpose) or "revoked" (granted before).
	Status string `json:"status"`
}

// RevokeResult says what a revocation erased.
type RevokeResult struct {
	Customer string           `json:"customer_id"`
	Purpose  string           `json:"purpose"`
	Erased   map[string]int64 `json:"erased"` // table → rows deleted
}

func checkPurpose(op, p string) error {
	if !datasets.ValidPurpose(p) {
		return errorf(KindBadInput, op, "purpose %q is not one of %s", p, strings.Join(datasets.Purposes, ", "))
	}
	return nil
}

// Grant appends a grant for customer and purpose to the ledger. source says
// where it came from (e.g. "customer portal"); "" records "api".
func (e *Engine) Grant(ctx context.Context, customer, purpose, source string) error {
	op := "grant " + purpose + " for customer " + customer
	if err := checkPurpose(op, purpose); err != nil {
		return err
	}
	if customer == "" {
		return errorf(KindBadInput, op, "empty customer id")
	}
	if source == "" {
		source = "api"
	}
	e.writeMu.Lock()
	defer e.writeMu.Unlock()
	at := time.Now().UTC()
	_, err := e.db.ExecContext(ctx, `INSERT INTO consents (customer_id, purpose, granted, "at", source) VALUES ($1, $2, true, $3, $4)`,
		customer, purpose, at, source)
	if err != nil {
		e.consents.reset() // whether the record made it is unknown
		return wrap(op, err)
	}
	e.consents.apply(customer, purpose, true, at)
	return nil
}

// Revoke appends a revocation to the ledger and, in the same transaction,
// erases what the purpose covered. Revoking analytics deletes the
// customer's events (and events naming them as peer), attributes, rejects,
// graph metrics, scores and recommendations, and removes them from
// community top lists; the ledger record stays as a tombstone so that
// re-ingesting an old file does not bring them back. Revoking
// personalization deletes their recommendations; recommenders trained later
// leave them out.
func (e *Engine) Revoke(ctx context.Context, customer, purpose, source string) (*RevokeResult, error) {
	op := "revoke " + purpose + " for customer " + customer
	if err := checkPurpose(op, purpose); err != nil {
		return nil, err
	}
	if customer == "" {
		return nil, errorf(KindBadInput, op, "empty customer id")
	}
	if source == "" {
		source = "api"
	}
	e.writeMu.Lock()
	defer e.writeMu.Unlock()
	res := &RevokeResult{Customer: customer, Purpose: purpose}
	tx, err := e.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, wrap(op, err)
	}
	defer tx.Rollback()
	seq, err := ledgerEnd(ctx, tx)
	if err != nil {
		return nil, wrap(op, err)
	}
	at := time.Now().UTC()
	if _, err := tx.ExecContext(ctx, `INSERT INTO consents (customer_id, purpose, granted, "at", source) VALUES ($1, $2, false, $3, $4)`,
		customer, purpose, at, source); err != nil {
		return nil, wrap(op, err)
	}
	forget, erased, err := eraseRevokedSince(ctx, tx, seq)
	if err != nil {
		return nil, wrap(op, err)
	}
	res.Erased = erased
	err = tx.Commit()
	// Even when the commit's outcome is unknown: a model must not use
	// ratings that may have been erased.
	e.forgetInModel(forget...)
	if err != nil {
		e.consents.reset() // whether the record made it is unknown
		return nil, wrap(op, err)
	}
	e.consents.apply(customer, purpose, false, at)
	e.log.Info("revoked", "customer", customer, "purpose", purpose, "erased", res.Erased)
	return res, nil
}

// ConsentHistory returns the ledger records of customer, oldest first.
func (e *Engine) ConsentHistory(ctx context.Context, customer string) ([]ConsentRecord, error) {
	rows, err := e.db.QueryContext(ctx, `SELECT seq, customer_id, purpose, granted, "at", source FROM consents
		WHERE customer_id = $1 ORDER BY "at", seq`, customer)
	if err != nil {
		return nil, wrap("consent history", err)
	}
	defer rows.Close()
	var out []ConsentRecord
	ever := map[string]bool{}
	for rows.Next() {
		var r ConsentRecord
		if err := rows.Scan(&r.Seq, &r.Customer, &r.Purpose, &r.Granted, &r.At, &r.Source); err != nil {
			return nil, wrap("consent history", err)
		}
		switch {
		case r.Granted:
			r.Status = "granted"
		case ever[r.Purpose]:
			r.Status = "revoked"
		default:
			r.Status = "refused"
		}
		ever[r.Purpose] = ever[r.Purpose] || r.Granted
		out = append(out, r)
	}
	return out, wrap("consent history", rows.Err())
}

// HasConsent reports whether customer's latest ledger record for purpose
// is a grant.
func (e *Engine) HasConsent(ctx context.Context, customer, purpose string) (bool, error) {
	var granted sql.NullBool
	err := e.db.QueryRowContext(ctx, `SELECT granted FROM consents WHERE customer_id = $1 AND purpose = $2
		ORDER BY "at" DESC, seq DESC LIMIT 1`, customer, purpose).Scan(&granted)
	if err == sql.ErrNoRows {
		return false, nil
	}
	if err != nil {
		return false, wrap("consent check", err)
	}
	return granted.Bool, nil
}

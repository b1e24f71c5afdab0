package engine

import (
	"context"
	"errors"
	"fmt"
)

// Kind classifies an [Error] so callers can branch on it with errors.Is
// against the sentinels below, or read it with errors.As.
type Kind int

// The kinds of error the engine returns.
const (
	KindOther     Kind = iota
	KindBadInput       // the input (file, flag, argument) is wrong; see the message for file:line
	KindNoConsent      // the customer has no active basis for the purpose
	KindNotFound       // the customer, model or table does not exist
	KindLocked         // the store is opened for writing by another process
	KindNotAStore      // the path is not a DuckDB database or not a custnet store
	KindCanceled       // the context was canceled; the store is as before the call
)

var kindNames = map[Kind]string{
	KindOther: "other", KindBadInput: "bad input", KindNoConsent: "no consent",
	KindNotFound: "not found", KindLocked: "locked", KindNotAStore: "not a store",
	KindCanceled: "canceled",
}

func (k Kind) String() string { return kindNames[k] }

// Error is the error type of the engine. Its message is short and
// lower-case; Err holds the cause.
type Error struct {
	Kind Kind
	Op   string // what was being done, e.g. "ingest u.data"
	Err  error
}

func (e *Error) Error() string {
	if e.Op == "" {
		return e.Err.Error()
	}
	return e.Op + ": " + e.Err.Error()
}

func (e *Error) Unwrap() error { return e.Err }

// Is reports whether target is a sentinel of the same kind, so that
// errors.Is(err, engine.ErrNoConsent) works.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Op == "" && t.Err == nil && t.Kind == e.Kind
}

// Sentinels for errors.Is.
var (
	ErrBadInput  = &Error{Kind: KindBadInput}
	ErrNoConsent = &Error{Kind: KindNoConsent}
	ErrNotFound  = &Error{Kind: KindNotFound}
	ErrLocked    = &Error{Kind: KindLocked}
	ErrNotAStore = &Error{Kind: KindNotAStore}
	ErrCanceled  = &Error{Kind: KindCanceled}
)

func errorf(kind Kind, op, format string, args ...any) error {
	return &Error{Kind: kind, Op: op, Err: fmt.Errorf(format, args...)}
}

// wrap attaches op and a kind to err, keeping an existing engine kind and
// turning context cancellation into KindCanceled.
func wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	var ee *Error
	if errors.As(err, &ee) {
		if ee.Op == "" {
			return &Error{Kind: ee.Kind, Op: op, Err: ee.Err}
		}
		return &Error{Kind: ee.Kind, Op: op, Err: err}
	}
	kind := KindOther
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		kind = KindCanceled
	}
	return &Error{Kind: kind, Op: op, Err: err}
}

// KindOf returns the kind of err, KindOther when it is not an engine error.
func KindOf(err error) Kind {
	var ee *Error
	if errors.As(err, &ee) {
		return ee.Kind
	}
	return KindOther
}

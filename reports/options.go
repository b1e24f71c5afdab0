package reports

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
)

// Options control how a report or a customer page is rendered. The zero
// value pseudonymises identifiers and uses the default limits, but it has no
// key, so it is only valid together with ShowIDs; set PseudonymKey.
type Options struct {
	// ShowIDs shows customer identifiers (and node labels) as they are. The
	// zero value shows pseudonyms instead.
	ShowIDs bool
	// PseudonymKey keys the HMAC-SHA256 that turns a customer ID into its
	// pseudonym, "c-" and the first 10 hex digits. It must be non-empty
	// unless ShowIDs is set; keep it secret and stable so that pseudonyms
	// stay comparable between reports.
	PseudonymKey []byte
	// MaxNodes caps the nodes drawn in the network chart, keeping those with
	// the highest PageRank. Zero means 2,000.
	MaxNodes int
	// MaxEdges caps the edges drawn among the kept nodes, keeping the
	// heaviest. Zero means 8,000.
	MaxEdges int
	// MaxEvents caps the events listed on a customer page. Zero means 200.
	MaxEvents int
}

// ErrNoPseudonymKey is returned when identifiers must be pseudonymised but
// [Options.PseudonymKey] is empty.
var ErrNoPseudonymKey = errors.New("reports: pseudonym key is empty; set Options.PseudonymKey or Options.ShowIDs")

func (o Options) withDefaults(needKey bool) (Options, error) {
	if needKey && !o.ShowIDs && len(o.PseudonymKey) == 0 {
		return o, ErrNoPseudonymKey
	}
	if o.MaxNodes <= 0 {
		o.MaxNodes = 2000
	}
	if o.MaxEdges <= 0 {
		o.MaxEdges = 8000
	}
	if o.MaxEvents <= 0 {
		o.MaxEvents = 200
	}
	return o, nil
}

// customerID returns the identifier to show for id.
func (o Options) customerID(id string) string {
	if o.ShowIDs {
		return id
	}
	return Pseudonym(o.PseudonymKey, id)
}

// Pseudonym returns the keyed pseudonym of a customer ID: "c-" followed by
// the first 10 hex digits of HMAC-SHA256(key, id).
func Pseudonym(key []byte, id string) string {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(id))
	sum := m.Sum(nil)
	return "c-" + hex.EncodeToString(sum[:5])
}

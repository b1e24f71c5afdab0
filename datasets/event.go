package datasets

import (
	"encoding/binary"
	"math"

	"github.com/cespare/xxhash/v2"
)

// Event is one canonical interaction row, as it is stored in the events
// table. Empty strings stand for SQL NULL in Item, Peer and Channel.
type Event struct {
	ID       uint64  // stable hash of the source fields, see [EventID]
	At       int64   // microseconds since the Unix epoch, UTC; valid only when HasAt
	HasAt    bool    // false when the source has no time (FilmTrust, trust links)
	Customer string  // the acting customer, never empty
	Action   string  // a name from the vocabulary, see [LookupAction]
	Channel  string  // where it happened, "" when unknown
	Item     string  // the item acted on, "" when none
	Peer     string  // the other customer of a connect/collaborate action, "" when none
	Value    float64 // meaning depends on the action (rating, dwell seconds, amount)
	HasValue bool
}

// EventID returns the stable identity of an event: a 64-bit xxHash of the
// source kind and every canonical field. The same line ingested twice gets
// the same id, so re-ingesting a file adds nothing. The line number is not
// part of the id, so an exact duplicate line inside one file is a duplicate.
func EventID(source string, e *Event) uint64 {
	d := xxhash.New()
	var buf [8]byte
	field := func(s string) {
		binary.LittleEndian.PutUint32(buf[:4], uint32(len(s)))
		d.Write(buf[:4])
		d.WriteString(s)
	}
	field(source)
	field(e.Customer)
	field(e.Action)
	field(e.Channel)
	field(e.Item)
	field(e.Peer)
	if e.HasAt {
		binary.LittleEndian.PutUint64(buf[:], uint64(e.At))
		d.Write([]byte{1})
		d.Write(buf[:])
	} else {
		d.Write([]byte{0})
	}
	if e.HasValue {
		binary.LittleEndian.PutUint64(buf[:], math.Float64bits(e.Value))
		d.Write([]byte{1})
		d.Write(buf[:])
	} else {
		d.Write([]byte{0})
	}
	return d.Sum64()
}

// Reject is an input record that could not become an event.
type Reject struct {
	File     string // path of the file as given
	Line     int64  // 1-based line number (or record number for formats without lines)
	Reason   string // short lower-case reason, e.g. `rating "x" is not a number`
	Raw      string // the raw text, truncated to RawLimit bytes, invalid UTF-8 replaced
	Customer string // the customer id when it could be read, else ""
}

// RawLimit bounds the raw text kept for one reject.
const RawLimit = 1024

// Attr is a customer or item attribute row.
type Attr struct {
	ID    string
	Title string            // items only
	Attrs map[string]string // e.g. age, occupation, genres
}

// Consent is one record of the consent ledger as read from a consents file.
type Consent struct {
	Customer string
	Purpose  string // "analytics" or "personalization"
	Granted  bool
	At       int64 // microseconds since the Unix epoch, UTC
	Source   string
}

// Sink receives what a format reader parses. Implementations need not be
// safe for concurrent use: a reader calls its sink from one goroutine.
type Sink interface {
	// Event receives one parsed event; ID is already set. The sink must not
	// keep the pointer.
	Event(e *Event) error
	// Reject receives one bad record.
	Reject(r Reject) error
	// Customer and Item receive attribute rows.
	Customer(a Attr) error
	Item(a Attr) error
}

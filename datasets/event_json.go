package datasets

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"
	"unicode/utf8"
)

// JSONEventParser parses events given one JSON object each, with the
// fields and rules of the events format's JSON Lines files: customer_id and
// action are required; at, channel, item_id, peer_id and value are
// optional; event_id is accepted and ignored (ids are always recomputed,
// see [EventID]). It is not safe for concurrent use.
type JSONEventParser struct {
	clk   clock
	idBuf []byte
	row   eventFields
}

// NewJSONEventParser returns a parser. Like a file reader, it refuses
// times more than a day after its creation.
func NewJSONEventParser() *JSONEventParser { return &JSONEventParser{clk: newClock()} }

// Parse fills e, ID included, from one JSON object. It returns "" or the
// short reason the object is not an event, e.g. `action "fly" is not in
// the vocabulary` or `unknown fields "colour" (known: ...)`.
func (p *JSONEventParser) Parse(obj []byte, e *Event) (reason string) {
	r, _, _ := p.parse(obj, e)
	return r
}

// parse is Parse that also returns the customer when it could be read, and
// whether the reason is unknown fields, which a file reader treats as a
// mismatched file rather than a bad row.
func (p *JSONEventParser) parse(obj []byte, e *Event) (reason, customer string, unknownFields bool) {
	*e = Event{}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(obj, &m); err != nil {
		return "not a JSON object: " + err.Error(), "", false
	}
	var unknown []string
	p.row = eventFields{}
	for k, v := range m {
		c := eventColumn(k)
		if c < 0 {
			unknown = append(unknown, fmt.Sprintf("%q", k))
			continue
		}
		s, ok := jsonScalar(v)
		if !ok {
			return fmt.Sprintf("field %q is not a string, number or null", k), "", false
		}
		p.row[c] = s
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return fmt.Sprintf("unknown fields %s (known: %s)", strings.Join(unknown, ", "), strings.Join(eventColumnNames[:], ", ")), "", true
	}
	reason, customer = p.row.fill(p.clk, e, &p.idBuf)
	return reason, customer, false
}

// CheckEvent returns "" or the reason e is not a valid canonical event: an
// empty customer, an action outside the vocabulary, a peer_id on an action
// that takes none, a text field that is
// not valid UTF-8 or holds a NUL character, or a time before 1970 or more
// than a day in the future. It is what every format reader checks,
// for events built by other code.
func CheckEvent(e *Event) string {
	switch {
	case strings.TrimSpace(e.Customer) == "":
		return "customer_id is empty"
	case e.Action == "":
		return "action is empty"
	}
	a, ok := byName[e.Action]
	if !ok {
		return fmt.Sprintf("action %q is not in the vocabulary", e.Action)
	}
	if r := peerReason(a, e.Peer); r != "" {
		return r
	}
	for _, f := range [...]struct{ name, v string }{{"customer_id", e.Customer}, {"channel", e.Channel}, {"item_id", e.Item}, {"peer_id", e.Peer}} {
		switch {
		case !utf8.ValidString(f.v):
			return fmt.Sprintf("%s is not valid UTF-8", f.name)
		case strings.IndexByte(f.v, 0) >= 0:
			return fmt.Sprintf("%s contains a NUL character", f.name)
		}
	}
	if e.HasAt {
		return newClock().check(e.At, time.UnixMicro(e.At).UTC().Format(time.RFC3339Nano))
	}
	return ""
}

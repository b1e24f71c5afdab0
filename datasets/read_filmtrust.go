package datasets

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
)

// formatFilmTrust is FilmTrust (Guo, Zhang and Yorke-Smith, IJCAI 2013):
// ratings without time plus a directed trust network.
const formatFilmTrust = "filmtrust"

func init() {
	register(FormatInfo{
		Name:        formatFilmTrust,
		Description: "FilmTrust: ratings.txt (user item rating, 0.5-4) or its folder, with trust.txt (trustor trustee 1) beside it",
		Read:        readFilmTrust,
		Sniff:       sniffFilmTrust,
	})
}

// readFilmTrust reads ratings.txt as "rate" events without time and
// trust.txt, when present, as "trust" events (customer = trustor, peer =
// trustee, value = the trust level, no item).
func readFilmTrust(ctx context.Context, path string, sink Sink, opt ReadOptions) (Summary, error) {
	if filepath.Base(path) == "trust.txt" {
		path = filepath.Dir(path) // the trust file names its folder
	}
	dir, main := resolveMain(path, "ratings.txt")
	sc := scaleFilmTrust
	sum := Summary{Scale: &sc}
	var (
		e      Event
		fields [][]byte
	)
	err := scanFile(ctx, &sum, main, false, true, lineScan{}, sink, opt, func(no int64, line []byte) error {
		r, cust := parseRatingNoTime(formatFilmTrust, &sc, line, " ", &fields, &e)
		if r != "" {
			return sink.Reject(Reject{File: main, Line: no, Reason: r, Raw: rawText(line), Customer: cust})
		}
		return sink.Event(&e)
	})
	if err != nil {
		return sum, err
	}
	tpath := filepath.Join(dir, "trust.txt")
	err = scanFile(ctx, &sum, tpath, true, true, lineScan{}, sink, opt, edgeLines(formatFilmTrust, "trust", tpath, " ", sink))
	return sum, err
}

// parseRatingNoTime reads a `user item rating` line.
func parseRatingNoTime(format string, sc *Scale, line []byte, sep string, fields *[][]byte, e *Event) (reason, customer string) {
	*fields = splitFields((*fields)[:0], line, sep)
	f := *fields
	if len(f) != 3 {
		return fmt.Sprintf("%d fields, want 3 (user, item, rating)", len(f)), ""
	}
	*e = Event{Action: "rate", Customer: string(bytes.TrimSpace(f[0])), Item: string(bytes.TrimSpace(f[1]))}
	if e.Customer == "" {
		return "user id is empty", ""
	}
	if e.Item == "" {
		return "item id is empty", e.Customer
	}
	v, r := sc.rating(string(bytes.TrimSpace(f[2])))
	if r != "" {
		return r, e.Customer
	}
	e.Value, e.HasValue = v, true
	e.ID = EventID(format, e)
	return "", e.Customer
}

// edgeLines turns `from to [weight]` lines into events of action between
// customers (customer = from, peer = to, value = weight or 1, no item, no
// time).
func edgeLines(format, action, file, sep string, sink Sink) func(no int64, line []byte) error {
	var (
		e      Event
		fields [][]byte
	)
	return func(no int64, line []byte) error {
		r, cust := parseEdge(format, action, line, sep, &fields, &e)
		if r != "" {
			return sink.Reject(Reject{File: file, Line: no, Reason: r, Raw: rawText(line), Customer: cust})
		}
		return sink.Event(&e)
	}
}

func parseEdge(format, action string, line []byte, sep string, fields *[][]byte, e *Event) (reason, customer string) {
	*fields = splitFields((*fields)[:0], line, sep)
	f := *fields
	if len(f) != 2 && len(f) != 3 {
		return fmt.Sprintf("%d fields, want 2 or 3 (from, to, weight)", len(f)), ""
	}
	*e = Event{Action: action, Customer: string(bytes.TrimSpace(f[0])), Peer: string(bytes.TrimSpace(f[1])), Value: 1, HasValue: true}
	if e.Customer == "" {
		return "from id is empty", ""
	}
	if e.Peer == "" {
		return "to id is empty", e.Customer
	}
	if len(f) == 3 {
		w := string(bytes.TrimSpace(f[2]))
		v, ok := parseNumber(w)
		if !ok {
			return fmt.Sprintf("weight %q is not a number", w), e.Customer
		}
		e.Value = v
	}
	e.ID = EventID(format, e)
	return "", e.Customer
}

// sniffFilmTrust recognises space-separated `user item rating` lines with
// ratings on FilmTrust's scale.
func sniffFilmTrust(path string, head []byte) bool {
	lines := sniffLines(head, "", 5)
	if len(lines) == 0 {
		return false
	}
	sc := scaleFilmTrust
	var (
		e      Event
		fields [][]byte
	)
	for _, l := range lines {
		if bytes.IndexByte(l, '\t') >= 0 {
			return false
		}
		if r, _ := parseRatingNoTime(formatFilmTrust, &sc, l, " ", &fields, &e); r != "" {
			// trust.txt: trustor trustee 1
			if r, _ := parseEdge(formatFilmTrust, "trust", l, " ", &fields, &e); r != "" || len(fields) != 3 {
				return false
			}
		}
	}
	return true
}

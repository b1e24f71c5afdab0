package datasets

import (
	"bytes"
	"context"
	"fmt"
	"strconv"
)

// formatCDNOW is the CDNOW purchase history of Fader and Hardie
// (https://www.brucehardie.com/datasets/).
const formatCDNOW = "cdnow"

func init() {
	register(FormatInfo{
		Name:        formatCDNOW,
		Description: "CDNOW_master.txt: a header, then `customer_id date(YYYYMMDD) number_of_cds dollar_value`",
		Read:        readCDNOW,
		Sniff:       sniffCDNOW,
	})
}

// readCDNOW reads each line as a "purchase" event at midnight UTC of its
// date, with value = dollar_value and no item (the source does not name
// the CDs). number_of_cds is checked (a positive integer) but not stored:
// the event schema has one value, and the amount paid is what commerce
// measures use. Customer ids are kept as written (with leading zeros).
// Two purchases by one customer on one day with the same amount are the
// same event by [EventID], so the store keeps one of them.
func readCDNOW(ctx context.Context, path string, sink Sink, opt ReadOptions) (Summary, error) {
	var (
		sum    Summary
		e      Event
		fields [][]byte
	)
	clk := newClock()
	ls := lineScan{header: func(line []byte) error {
		fields = splitFields(fields[:0], line, " ")
		if len(fields) == 0 || string(fields[0]) != "customer_id" {
			return &InputError{File: path, Line: 1, Reason: fmt.Sprintf("header %q, want customer_id date number_of_cds dollar_value", rawText(line))}
		}
		return nil
	}}
	err := scanFile(ctx, &sum, path, false, true, ls, sink, opt, func(no int64, line []byte) error {
		r, cust := parseCDNOW(clk, line, &fields, &e)
		if r != "" {
			return sink.Reject(Reject{File: path, Line: no, Reason: r, Raw: rawText(line), Customer: cust})
		}
		return sink.Event(&e)
	})
	return sum, err
}

func parseCDNOW(clk clock, line []byte, fields *[][]byte, e *Event) (reason, customer string) {
	*fields = splitFields((*fields)[:0], line, " ")
	f := *fields
	if len(f) != 4 {
		return fmt.Sprintf("%d fields, want 4 (customer_id, date, number_of_cds, dollar_value)", len(f)), ""
	}
	*e = Event{Action: "purchase", Customer: string(f[0])}
	date := string(f[1])
	at, ok := parseDateCompact(date)
	if !ok {
		return fmt.Sprintf("date %q is not YYYYMMDD", date), e.Customer
	}
	if r := clk.check(at, date); r != "" {
		return r, e.Customer
	}
	e.At, e.HasAt = at, true
	if n, err := strconv.Atoi(string(f[2])); err != nil || n < 1 {
		return fmt.Sprintf("number_of_cds %q is not a positive integer", f[2]), e.Customer
	}
	v, ok := parseNumber(string(f[3]))
	if !ok || v < 0 {
		return fmt.Sprintf("dollar_value %q is not an amount", f[3]), e.Customer
	}
	e.Value, e.HasValue = v, true
	e.ID = EventID(formatCDNOW, e)
	return "", e.Customer
}

// sniffCDNOW recognises CDNOW's header or its four-column lines.
func sniffCDNOW(path string, head []byte) bool {
	lines := sniffLines(head, "", 5)
	if len(lines) == 0 {
		return false
	}
	var fields [][]byte
	if f := splitFields(nil, lines[0], " "); len(f) == 4 && string(f[0]) == "customer_id" && string(f[1]) == "date" {
		return true
	}
	var e Event
	clk := newClock()
	for _, l := range lines {
		if r, _ := parseCDNOW(clk, l, &fields, &e); r != "" {
			return false
		}
	}
	return !bytes.Contains(head, []byte{'\t'})
}

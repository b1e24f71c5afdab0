package datasets

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
)

// formatCiaoDVD is CiaoDVD (Guo et al., ASONAM 2014): dated DVD ratings
// with genres, plus a trust network.
const formatCiaoDVD = "ciaodvd"

func init() {
	register(FormatInfo{
		Name:        formatCiaoDVD,
		Description: "CiaoDVD: movie-ratings.txt (userID,movieID,genreID,reviewID,rating,date) or its folder, with trusts.txt beside it",
		Read:        readCiaoDVD,
		Sniff:       sniffCiaoDVD,
	})
}

// readCiaoDVD reads movie-ratings.txt as "rate" events at midnight UTC of
// their date (the review id is not kept, so two identical ratings on one
// day are one event), emits each movie once as an item with its genre,
// and reads trusts.txt, when present, as "trust" events.
func readCiaoDVD(ctx context.Context, path string, sink Sink, opt ReadOptions) (Summary, error) {
	if filepath.Base(path) == "trusts.txt" {
		path = filepath.Dir(path) // the trust file names its folder
	}
	dir, main := resolveMain(path, "movie-ratings.txt")
	sc := scaleStars
	sum := Summary{Scale: &sc}
	clk := newClock()
	var (
		e      Event
		fields [][]byte
		genre  string
	)
	seen := map[string]bool{}
	err := scanFile(ctx, &sum, main, false, true, lineScan{}, sink, opt, func(no int64, line []byte) error {
		r, cust := parseCiaoRating(clk, &sc, line, &fields, &e, &genre)
		if r != "" {
			return sink.Reject(Reject{File: main, Line: no, Reason: r, Raw: rawText(line), Customer: cust})
		}
		if !seen[e.Item] {
			seen[e.Item] = true
			if err := sink.Item(Attr{ID: e.Item, Attrs: attrs("genre", genre)}); err != nil {
				return err
			}
		}
		return sink.Event(&e)
	})
	if err != nil {
		return sum, err
	}
	tpath := filepath.Join(dir, "trusts.txt")
	err = scanFile(ctx, &sum, tpath, true, true, lineScan{}, sink, opt, edgeLines(formatCiaoDVD, "trust", tpath, ",", sink))
	return sum, err
}

func parseCiaoRating(clk clock, sc *Scale, line []byte, fields *[][]byte, e *Event, genre *string) (reason, customer string) {
	*fields = splitFields((*fields)[:0], line, ",")
	f := *fields
	if len(f) != 6 {
		return fmt.Sprintf("%d fields, want 6 (userID, movieID, genreID, reviewID, rating, date)", len(f)), ""
	}
	*e = Event{Action: "rate", Customer: string(bytes.TrimSpace(f[0])), Item: string(bytes.TrimSpace(f[1]))}
	if e.Customer == "" {
		return "user id is empty", ""
	}
	if e.Item == "" {
		return "movie id is empty", e.Customer
	}
	*genre = string(bytes.TrimSpace(f[2]))
	v, r := sc.rating(string(bytes.TrimSpace(f[4])))
	if r != "" {
		return r, e.Customer
	}
	e.Value, e.HasValue = v, true
	date := string(bytes.TrimSpace(f[5]))
	at, ok := int64(0), len(date) == 10
	if ok {
		at, ok = parseISOFast(date)
	}
	if !ok {
		return fmt.Sprintf("date %q is not YYYY-MM-DD", date), e.Customer
	}
	if r := clk.check(at, date); r != "" {
		return r, e.Customer
	}
	e.At, e.HasAt = at, true
	e.ID = EventID(formatCiaoDVD, e)
	return "", e.Customer
}

// sniffCiaoDVD recognises CiaoDVD's rating lines or its trust lines.
func sniffCiaoDVD(path string, head []byte) bool {
	lines := sniffLines(head, "", 5)
	if len(lines) == 0 {
		return false
	}
	sc := scaleStars
	clk := newClock()
	var (
		e      Event
		fields [][]byte
		genre  string
	)
	trust := 0
	for _, l := range lines {
		if r, _ := parseCiaoRating(clk, &sc, l, &fields, &e, &genre); r == "" {
			continue
		}
		if r, _ := parseEdge(formatCiaoDVD, "trust", l, ",", &fields, &e); r != "" || len(fields) != 3 || !allDigits(e.Customer) {
			return false
		}
		trust++
	}
	return trust == 0 || trust == len(lines)
}

package datasets

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"strings"
)

// The MovieLens formats (GroupLens, https://grouplens.org/datasets/movielens/).
// Every rating becomes a "rate" event on channel "web" (MovieLens is a web
// site) with the rating as value; movies become items and, where the source
// has them, users become customers with their demographics.
const (
	formatMovieLens100k   = "movielens-100k"
	formatMovieLens1M     = "movielens-1m"
	formatMovieLensLatest = "movielens-latest"
)

func init() {
	register(FormatInfo{
		Name:        formatMovieLens100k,
		Description: "MovieLens 100K: u.data (or its folder), with u.item, u.genre and u.user beside it",
		Read:        readMovieLens100k,
		Sniff:       sniffMovieLens(formatMovieLens100k),
	})
	register(FormatInfo{
		Name:        formatMovieLens1M,
		Description: "MovieLens 1M: ratings.dat (or its folder), with movies.dat and users.dat beside it",
		Read:        readMovieLens1M,
		Sniff:       sniffMovieLens(formatMovieLens1M),
	})
	register(FormatInfo{
		Name:        formatMovieLensLatest,
		Description: "MovieLens latest / 20M / 25M: ratings.csv (or its folder), with movies.csv beside it",
		Read:        readMovieLensLatest,
		Sniff:       sniffMovieLens(formatMovieLensLatest),
	})
}

// mlSep is the field separator of each MovieLens layout (" " means runs of
// spaces or tabs).
var mlSep = map[string]string{
	formatMovieLens100k:   " ",
	formatMovieLens1M:     "::",
	formatMovieLensLatest: ",",
}

// mlScale is the rating scale of each MovieLens layout.
var mlScale = map[string]Scale{
	formatMovieLens100k:   scaleStars,
	formatMovieLens1M:     scaleStars,
	formatMovieLensLatest: scaleHalfStars,
}

// mlParser parses MovieLens rating lines: user item rating unix_ts.
type mlParser struct {
	format string
	sep    string
	scale  Scale
	clk    clock
	fields [][]byte
}

func newMLParser(format string) *mlParser {
	return &mlParser{format: format, sep: mlSep[format], scale: mlScale[format], clk: newClock()}
}

// parse reads one rating line into e. It returns a reject reason, and the
// customer when it could be read.
func (p *mlParser) parse(line []byte, e *Event) (reason, customer string) {
	p.fields = splitFields(p.fields[:0], line, p.sep)
	if len(p.fields) != 4 {
		return fmt.Sprintf("%d fields, want 4 (user, item, rating, timestamp)", len(p.fields)), ""
	}
	*e = Event{Action: "rate", Channel: "web"}
	e.Customer = string(bytes.TrimSpace(p.fields[0]))
	if e.Customer == "" {
		return "user id is empty", ""
	}
	e.Item = string(bytes.TrimSpace(p.fields[1]))
	if e.Item == "" {
		return "item id is empty", e.Customer
	}
	v, r := p.scale.rating(string(bytes.TrimSpace(p.fields[2])))
	if r != "" {
		return r, e.Customer
	}
	e.Value, e.HasValue = v, true
	ts := string(bytes.TrimSpace(p.fields[3]))
	at, ok := int64(0), len(ts) > 0
	if ok {
		at, ok = parseUnixSeconds(ts)
	}
	if !ok {
		return fmt.Sprintf("timestamp %q is not Unix seconds", ts), e.Customer
	}
	if r := p.clk.check(at, ts); r != "" {
		return r, e.Customer
	}
	e.At, e.HasAt = at, true
	e.ID = EventID(p.format, e)
	return "", e.Customer
}

// ratingScan returns the line function that turns rating lines into events.
func ratingScan(p *mlParser, file string, sink Sink) func(no int64, line []byte) error {
	var e Event
	return func(no int64, line []byte) error {
		if r, cust := p.parse(line, &e); r != "" {
			return sink.Reject(Reject{File: file, Line: no, Reason: r, Raw: rawText(line), Customer: cust})
		}
		return sink.Event(&e)
	}
}

// attrLine turns one attribute line into an attribute row through build,
// which returns the row or a reject reason.
func attrLine(file string, sink Sink, sep string, want int, item bool, build func(f []string) (Attr, string)) func(no int64, line []byte) error {
	var fields [][]byte
	return func(no int64, line []byte) error {
		fields = splitFields(fields[:0], line, sep)
		if len(fields) < want {
			return sink.Reject(Reject{File: file, Line: no, Reason: fmt.Sprintf("%d fields, want %d", len(fields), want), Raw: rawText(line)})
		}
		f := make([]string, len(fields))
		for i, b := range fields {
			f[i] = strings.TrimSpace(string(b))
		}
		a, r := build(f)
		if r == "" && a.ID == "" {
			r = "id is empty"
		}
		if r != "" {
			return sink.Reject(Reject{File: file, Line: no, Reason: r, Raw: rawText(line)})
		}
		if item {
			return sink.Item(a)
		}
		return sink.Customer(a)
	}
}

// attrs builds an attribute map from key, value pairs, leaving out empty
// values.
func attrs(kv ...string) map[string]string {
	m := make(map[string]string, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] != "" {
			m[kv[i]] = kv[i+1]
		}
	}
	return m
}

func readMovieLens100k(ctx context.Context, path string, sink Sink, opt ReadOptions) (Summary, error) {
	dir, main := resolveMain(path, "u.data")
	sc := scaleStars
	sum := Summary{Scale: &sc}
	p := newMLParser(formatMovieLens100k)
	if err := scanFile(ctx, &sum, main, false, true, lineScan{}, sink, opt, ratingScan(p, main, sink)); err != nil {
		return sum, err
	}
	// u.genre: name|id, giving the names of u.item's genre flags.
	var genres []string
	gpath := filepath.Join(dir, "u.genre")
	err := scanFile(ctx, &sum, gpath, true, false, lineScan{noRowsOK: true}, sink, opt, func(no int64, line []byte) error {
		name, _, _ := strings.Cut(string(line), "|")
		genres = append(genres, strings.TrimSpace(name))
		return nil
	})
	if err != nil {
		return sum, err
	}
	ipath := filepath.Join(dir, "u.item")
	err = scanFile(ctx, &sum, ipath, true, false, lineScan{latin1: true}, sink, opt, attrLine(ipath, sink, "|", 5, true, func(f []string) (Attr, string) {
		var g []string
		for k, flag := range f[5:] {
			if flag == "1" {
				name := fmt.Sprint(k)
				if k < len(genres) {
					name = genres[k]
				}
				g = append(g, name)
			}
		}
		return Attr{ID: f[0], Title: f[1], Attrs: attrs("release_date", f[2], "genres", strings.Join(g, "|"))}, ""
	}))
	if err != nil {
		return sum, err
	}
	upath := filepath.Join(dir, "u.user")
	err = scanFile(ctx, &sum, upath, true, false, lineScan{}, sink, opt, attrLine(upath, sink, "|", 5, false, func(f []string) (Attr, string) {
		return Attr{ID: f[0], Attrs: attrs("age", f[1], "gender", f[2], "occupation", f[3], "zip", f[4])}, ""
	}))
	return sum, err
}

func readMovieLens1M(ctx context.Context, path string, sink Sink, opt ReadOptions) (Summary, error) {
	dir, main := resolveMain(path, "ratings.dat")
	sc := scaleStars
	sum := Summary{Scale: &sc}
	p := newMLParser(formatMovieLens1M)
	if err := scanFile(ctx, &sum, main, false, true, lineScan{}, sink, opt, ratingScan(p, main, sink)); err != nil {
		return sum, err
	}
	mpath := filepath.Join(dir, "movies.dat")
	err := scanFile(ctx, &sum, mpath, true, false, lineScan{latin1Fallback: true}, sink, opt, attrLine(mpath, sink, "::", 3, true, func(f []string) (Attr, string) {
		return Attr{ID: f[0], Title: f[1], Attrs: attrs("genres", f[2])}, ""
	}))
	if err != nil {
		return sum, err
	}
	upath := filepath.Join(dir, "users.dat")
	err = scanFile(ctx, &sum, upath, true, false, lineScan{}, sink, opt, attrLine(upath, sink, "::", 5, false, func(f []string) (Attr, string) {
		return Attr{ID: f[0], Attrs: attrs("gender", f[1], "age", f[2], "occupation", f[3], "zip", f[4])}, ""
	}))
	return sum, err
}

func readMovieLensLatest(ctx context.Context, path string, sink Sink, opt ReadOptions) (Summary, error) {
	dir, main := resolveMain(path, "ratings.csv")
	sc := scaleHalfStars
	sum := Summary{Scale: &sc}
	p := newMLParser(formatMovieLensLatest)
	ls := lineScan{header: wantHeader(main, "userId,movieId,rating,timestamp")}
	if err := scanFile(ctx, &sum, main, false, true, ls, sink, opt, ratingScan(p, main, sink)); err != nil {
		return sum, err
	}
	mpath := filepath.Join(dir, "movies.csv")
	var fields []string
	ls = lineScan{header: wantHeader(mpath, "movieId,title,genres"), noRowsOK: true}
	err := scanFile(ctx, &sum, mpath, true, false, ls, sink, opt, func(no int64, line []byte) error {
		var r string
		fields, r = splitCSV(fields[:0], string(line))
		if r == "" && len(fields) != 3 {
			r = fmt.Sprintf("%d fields, want 3", len(fields))
		}
		if r == "" && fields[0] == "" {
			r = "movieId is empty"
		}
		if r != "" {
			return sink.Reject(Reject{File: mpath, Line: no, Reason: r, Raw: rawText(line)})
		}
		g := fields[2]
		if g == "(no genres listed)" {
			g = ""
		}
		return sink.Item(Attr{ID: fields[0], Title: fields[1], Attrs: attrs("genres", g)})
	})
	return sum, err
}

// wantHeader returns a header check for a file whose first line must be
// want.
func wantHeader(file, want string) func(line []byte) error {
	return func(line []byte) error {
		if strings.TrimSpace(string(line)) != want {
			return &InputError{File: file, Line: 1, Reason: fmt.Sprintf("header %q, want %q", rawText(line), want)}
		}
		return nil
	}
}

// sniffMovieLens recognises a MovieLens ratings file by its first lines.
func sniffMovieLens(format string) func(path string, head []byte) bool {
	return func(path string, head []byte) bool {
		lines := sniffLines(head, "", 5)
		if format == formatMovieLensLatest {
			if len(lines) == 0 || string(lines[0]) != "userId,movieId,rating,timestamp" {
				return false
			}
			lines = lines[1:]
		}
		if len(lines) == 0 {
			return false
		}
		if format == formatMovieLens100k {
			// u.data is tab-separated; FilmTrust and CDNOW use spaces.
			for _, l := range lines {
				if bytes.Count(l, []byte{'\t'}) != 3 {
					return false
				}
			}
		}
		// Every line has the layout; most parse (a file may hold bad lines).
		p := newMLParser(format)
		var e Event
		good := 0
		for _, l := range lines {
			if len(splitFields(nil, l, p.sep)) != 4 {
				return false
			}
			if r, _ := p.parse(l, &e); r == "" {
				good++
			}
		}
		return 2*good > len(lines)
	}
}

package datasets

import (
	"context"
	"encoding/csv"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

// Run with, for example:
//
//	go test ./datasets -run '^$' -fuzz FuzzEventsCSVLine -fuzztime 60s
//	go test ./datasets -run '^$' -fuzz FuzzMovieLensLine -fuzztime 60s

func fixtureLines(t testing.TB, parts ...string) []string {
	b, err := os.ReadFile(filepath.Join(append([]string{"testdata"}, parts...)...))
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimRight(string(b), "\n"), "\n")
}

func FuzzEventsCSVLine(f *testing.F) {
	for _, l := range strings.Split(eventsCSV, "\n") {
		f.Add(l)
	}
	f.Add(`"a""b",view,,,,,,`)
	f.Add("c\xff,view,2024-01-01,web,i,p,1,")
	f.Add(`c1,view,2024-02-30T25:61:00+99:99,web,i,p,1e400,x`)
	names, _ := splitCSV(nil, strings.Split(eventsCSV, "\n")[0])
	layout, err := newEventLayout("fuzz", 1, names)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, line string) {
		p := &eventParser{layout: layout, clk: newClock()}
		var e Event
		reason, _ := p.parseLine([]byte(line), &e)
		if reason == "" {
			if e.Customer == "" || e.ID != EventID("events", &e) {
				t.Fatalf("accepted %q as %+v", line, e)
			}
			if _, ok := LookupAction(e.Action); !ok {
				t.Fatalf("accepted unknown action %q", e.Action)
			}
			if e.HasAt && e.At < 0 {
				t.Fatalf("accepted a time before 1970: %+v", e)
			}
		}
		// The splitter agrees with encoding/csv on single lines.
		if utf8.ValidString(line) && !strings.ContainsAny(line, "\r\n") && line != "" {
			got, r := splitCSV(nil, line)
			cr := csv.NewReader(strings.NewReader(line))
			cr.FieldsPerRecord = -1
			want, err := cr.Read()
			if (err == nil) != (r == "") {
				t.Fatalf("%q: splitCSV reason %q, encoding/csv error %v", line, r, err)
			}
			if err == nil && strings.Join(got, "\x00") != strings.Join(want, "\x00") {
				t.Fatalf("%q: got %q, encoding/csv %q", line, got, want)
			}
		}
		// A chunk of lines never panics and accounts for every line.
		c := &csvChunk{buf: []byte(line + "\n" + line), first: 2}
		p.parseChunk(context.Background(), "fuzz", c, 64)
		if int64(len(c.events)+len(c.rejects)) != c.records {
			t.Fatalf("%d events + %d rejects != %d records", len(c.events), len(c.rejects), c.records)
		}
	})
}

func FuzzMovieLensLine(f *testing.F) {
	for _, l := range fixtureLines(f, "movielens-1m", "ratings.dat") {
		f.Add(l)
		f.Add(strings.ReplaceAll(l, "::", "\t"))
		f.Add(strings.ReplaceAll(l, "::", ","))
	}
	f.Add("1\t2\t3\t-881250949")
	f.Add("1::2::NaN::1")
	f.Add("1,2,4.5,99999999999999999")
	f.Fuzz(func(t *testing.T, line string) {
		for _, format := range []string{formatMovieLens100k, formatMovieLens1M, formatMovieLensLatest} {
			p := newMLParser(format)
			var e Event
			if r, _ := p.parse([]byte(line), &e); r == "" {
				if e.Value < p.scale.Min || e.Value > p.scale.Max || !e.HasAt || e.At < 0 || e.Customer == "" || e.Item == "" {
					t.Fatalf("%s accepted %q as %+v", format, line, e)
				}
			}
		}
		sc := scaleFilmTrust
		var e Event
		var fields [][]byte
		parseRatingNoTime(formatFilmTrust, &sc, []byte(line), " ", &fields, &e)
		parseEdge(formatWikiVote, "vote", []byte(line), " ", &fields, &e)
		parseCDNOW(newClock(), []byte(line), &fields, &e)
		var g string
		parseCiaoRating(newClock(), &sc, []byte(line), &fields, &e, &g)
	})
}

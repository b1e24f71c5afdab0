package datasets

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// wantInputError checks that err is an *InputError whose text contains
// every one of parts.
func wantInputError(t *testing.T, err error, parts ...string) {
	t.Helper()
	var ie *InputError
	if !errors.As(err, &ie) {
		t.Fatalf("error %v (%T), want an *InputError", err, err)
	}
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			t.Errorf("error %q does not contain %q", err, p)
		}
	}
}

func gzipBytes(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestReadRejectsWholeFiles(t *testing.T) {
	cases := []struct {
		name, format, file, content string
		want                        []string
	}{
		{"an empty events file is an input error", "events", "e.csv", "", []string{"file is empty"}},
		{"an empty u.data is an input error", "movielens-100k", "u.data", "", []string{"file is empty"}},
		{"an empty Posts.xml is an input error", "stackexchange", "Posts.xml", "", []string{"file is empty"}},
		{"a gzip file of nothing is empty", "events", "e.csv.gz", string(gzipBytes(t, nil)), []string{"file is empty"}},
		{"a file of blank lines is empty of data", "wiki-vote", "w.txt", "\n\r\n  \n", []string{"no data rows"}},
		{"an events header alone has no data rows", "events", "e.csv", "customer_id,action,at\n", []string{"no data rows"}},
		{"a ratings.csv header alone has no data rows", "movielens-latest", "ratings.csv", "userId,movieId,rating,timestamp\r\n", []string{"no data rows"}},
		{"a CDNOW header alone has no data rows", "cdnow", "CDNOW_master.txt", " customer_id  date number_of_cds  dollar_value\r\n", []string{"no data rows"}},
		{"comments alone have no data rows", "wiki-vote", "w.txt", "# only a comment\r\n", []string{"no data rows"}},
		{"unknown events columns are named", "events", "e.csv", "customer_id,action,colour,size\nc1,visit,red,4\n", []string{`unknown columns "colour", "size"`, "e.csv:1"}},
		{"a missing action column is named", "events", "e.csv", "customer_id,at\nc1,2024-01-01\n", []string{`missing required column "action"`}},
		{"a wrong ratings.csv header is refused", "movielens-latest", "ratings.csv", "user,movie,rating,ts\n1,2,3,4\n", []string{"want \"userId,movieId,rating,timestamp\""}},
		{"unknown JSON fields are named", "events", "e.jsonl", `{"customer_id":"c1","action":"visit","colour":"red"}` + "\n", []string{`unknown fields "colour"`, "e.jsonl:1"}},
		{"a Posts.xml without rows has no data rows", "stackexchange", "Posts.xml", "\xef\xbb\xbf<?xml version=\"1.0\"?>\r\n<posts>\r\n</posts>\r\n", []string{"no data rows"}},
		{"malformed XML names its line", "stackexchange", "Posts.xml", "<posts>\n<row Id=\"1\" PostTypeId=\"1\" OwnerUserId=\"1\" />\n<row Id=\"2\n", []string{"malformed XML", "Posts.xml:"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := writeFile(t, c.file, c.content)
			_, _, err := readWith(t, c.format, p, ReadOptions{})
			wantInputError(t, err, append(c.want, c.file)...)
		})
	}
	t.Run("a missing file is an input error naming the path", func(t *testing.T) {
		for _, f := range Formats() {
			p := filepath.Join(t.TempDir(), "nothing-here.txt")
			_, _, err := readWith(t, f.Name, p, ReadOptions{})
			wantInputError(t, err, p, "does not exist")
		}
	})
	t.Run("an unknown format is an input error", func(t *testing.T) {
		_, _, err := readWith(t, "csv-ish", "x", ReadOptions{})
		wantInputError(t, err, `unknown format "csv-ish"`)
	})
}

// rejectCase is a small file with one bad line (or none).
type rejectCase struct {
	name, format, file, content string
	events                      int
	line                        int64  // line of the one reject, 0 for none
	reason                      string // substring of its reason
	raw                         string // when set, the reject's Raw
}

func runRejectCases(t *testing.T, cases []rejectCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := writeFile(t, c.file, c.content)
			s, sum, err := readWith(t, c.format, p, ReadOptions{})
			if err != nil {
				t.Fatalf("read: %v", err)
			}
			if len(s.events) != c.events {
				t.Errorf("%d events, want %d: %+v", len(s.events), c.events, s.events)
			}
			wantRejects := 0
			if c.line > 0 {
				wantRejects = 1
			}
			if len(s.rejects) != wantRejects {
				t.Fatalf("rejects %+v, want %d", s.rejects, wantRejects)
			}
			if wantRejects == 1 {
				r := s.rejects[0]
				if r.Line != c.line || !strings.Contains(r.Reason, c.reason) || r.File != p {
					t.Errorf("reject %s:%d %q, want %s:%d containing %q", r.File, r.Line, r.Reason, p, c.line, c.reason)
				}
				if c.raw != "" && r.Raw != c.raw {
					t.Errorf("raw %q, want %q", r.Raw, c.raw)
				}
			}
			if sum.Records != int64(c.events+wantRejects) && c.format != "stackexchange" {
				t.Errorf("records %d, want %d", sum.Records, c.events+wantRejects)
			}
		})
	}
}

func TestReadRejectsBadRecords(t *testing.T) {
	const h = "customer_id,action,at,value\n"
	runRejectCases(t, []rejectCase{
		{"a short events line is rejected with its line", "events", "e.csv", h + "c1,visit,2024-01-01,1\nc2,visit\nc3,login,,\n", 2, 3, "2 fields, want 4", "c2,visit"},
		{"a peer on a view is rejected with its line", "events", "e.csv", "customer_id,action,item_id,peer_id\nc1,trust,,c2\nc1,view,i1,c2\n", 1, 3, "action view takes no peer_id", "c1,view,i1,c2"},
		{"a long u.data line is rejected", "movielens-100k", "u.data", "1\t2\t3\t881250949\n1\t2\t3\t881250949\t9\n", 1, 2, "5 fields, want 4", ""},
		{"a non-numeric rating is rejected", "movielens-100k", "u.data", "1\t2\tx\t881250949\n1\t3\t4\t881250949\n", 1, 1, `rating "x" is not a number`, ""},
		{"an out-of-scale rating is rejected", "movielens-100k", "u.data", "1\t2\t7\t881250949\n1\t3\t4\t881250949\n", 1, 1, "rating 7 is outside the scale 1–5", ""},
		{"a half star is off the FilmTrust step", "filmtrust", "ratings.txt", "1 2 3.5\n1 3 3.25\n", 1, 2, "rating 3.25 is not a step of 0.5", ""},
		{"a rating above FilmTrust's 4 is rejected", "filmtrust", "ratings.txt", "1 2 4.5\n1 3 4\n", 1, 1, "rating 4.5 is outside the scale 0.5–4", ""},
		{"an unparsable timestamp is rejected", "movielens-100k", "u.data", "1\t2\t3\tyesterday\n1\t3\t4\t881250949\n", 1, 1, `timestamp "yesterday" is not Unix seconds`, ""},
		{"a timestamp before 1970 is rejected", "movielens-100k", "u.data", "1\t2\t3\t-86400\n1\t3\t4\t881250949\n", 1, 1, "before 1970", ""},
		{"a timestamp far in the future is rejected", "movielens-100k", "u.data", "1\t2\t3\t881250949\n1\t3\t4\t99999999999\n", 1, 2, "more than a day in the future", ""},
		{"an events time before 1970 is rejected", "events", "e.csv", h + "c1,visit,1969-12-31,\nc2,visit,1970-01-01,\n", 1, 2, `time "1969-12-31" is before 1970`, ""},
		{"an events time next year is rejected", "events", "e.csv", h + "c1,visit,2999-01-01T00:00:00Z,\n", 0, 2, "more than a day in the future", ""},
		{"an impossible date is rejected", "events", "e.csv", h + "c1,visit,2023-02-29,\nc1,visit,2024-02-29,\n", 1, 2, `time "2023-02-29" is not a date`, ""},
		{"a bad CDNOW date is rejected", "cdnow", "CDNOW_master.txt", "customer_id date number_of_cds dollar_value\r\n 00001 19971301 1 11.77\r\n 00001 19970101 1 11.77\r\n", 1, 2, `date "19971301" is not YYYYMMDD`, ""},
		{"a bad CiaoDVD date is rejected", "ciaodvd", "movie-ratings.txt", "1,2,3,4,5,2013-10-09\n1,3,3,5,5,09/10/2013", 1, 2, `date "09/10/2013" is not YYYY-MM-DD`, ""},
		{"an unknown action is rejected", "events", "e.csv", h + "c1,fly,,\nc1,visit,,\n", 1, 2, `action "fly" is not in the vocabulary`, ""},
		{"an empty customer is rejected", "events", "e.csv", h + " ,visit,,\nc1,visit,,\n", 1, 2, "customer_id is empty", ""},
		{"a non-numeric value is rejected", "events", "e.csv", h + "c1,view,,ten\nc1,view,,10\n", 1, 2, `value "ten" is not a number`, ""},
		{"invalid UTF-8 is rejected with its offset and replaced in raw", "events", "e.csv", h + "c\xff1,visit,,\nc2,visit,,\n", 1, 2, "invalid UTF-8 at byte 1 of the line", "c\uFFFD1,visit,,"},
		{"invalid UTF-8 in u.data is rejected", "movielens-100k", "u.data", "1\t2\t3\t881250949\n1\t\xe9\t3\t881250949\n", 1, 2, "invalid UTF-8 at byte 2", "1\t\uFFFD\t3\t881250949"},
		{"an unterminated quote is rejected", "events", "e.csv", h + "\"c1,visit,,\nc2,visit,,\n", 1, 2, "unterminated quote", ""},
		{"a wiki-vote line with one id is rejected", "wiki-vote", "w.txt", "# c\r\n1\t2\r\n3\r\n", 1, 3, "1 fields, want 2 or 3", ""},
		{"a Stack Exchange post without owner is rejected", "stackexchange", "Posts.xml", "<posts>\n<row Id=\"1\" PostTypeId=\"1\" Score=\"1\" />\n<row Id=\"3\" PostTypeId=\"2\" ParentId=\"1\" OwnerUserId=\"5\" Score=\"2\" />\n</posts>", 1, 2, "no OwnerUserId", ""},
		{"a Stack Exchange score that is not a number is rejected", "stackexchange", "Posts.xml", "<posts>\n<row Id=\"2\" PostTypeId=\"2\" ParentId=\"1\" OwnerUserId=\"5\" Score=\"x\" />\n<row Id=\"3\" PostTypeId=\"2\" ParentId=\"1\" OwnerUserId=\"5\" Score=\"2\" />\n</posts>", 1, 2, `Score "x" is not an integer`, ""},
	})
}

func TestReadAcceptsMessyButValidFiles(t *testing.T) {
	runRejectCases(t, []rejectCase{
		{"CRLF events load fully", "events", "e.csv", "customer_id,action\r\nc1,visit\r\nc2,login\r\n", 2, 0, "", ""},
		{"events without a final newline load fully", "events", "e.csv", "customer_id,action\nc1,visit\nc2,login", 2, 0, "", ""},
		{"CRLF u.data without a final newline loads fully", "movielens-100k", "u.data", "1\t2\t3\t881250949\r\n1\t3\t4\t881250949", 2, 0, "", ""},
		{"a BOM before the events header is ignored", "events", "e.csv", "\xef\xbb\xbfcustomer_id,action\nc1,visit\n", 1, 0, "", ""},
		{"blank lines are skipped", "events", "e.csv", "customer_id,action\n\nc1,visit\n   \nc2,visit\n", 2, 0, "", ""},
		{"CiaoDVD trust without a final newline loads", "ciaodvd", "movie-ratings.txt", "1,2,3,4,5,2013-10-09", 1, 0, "", ""},
	})
	t.Run("the last line of a file without a final newline keeps its number", func(t *testing.T) {
		p := writeFile(t, "e.csv", "customer_id,action\nc1,visit\nc2,nope")
		s, _, err := readWith(t, "events", p, ReadOptions{})
		if err != nil || len(s.rejects) != 1 || s.rejects[0].Line != 3 {
			t.Fatalf("rejects %+v, err %v; want one at line 3", s.rejects, err)
		}
	})
}

func TestReadDuplicateRowsShareTheirID(t *testing.T) {
	for _, c := range []struct{ format, file, content string }{
		{"events", "e.csv", "customer_id,action,at,item_id\nc1,view,2024-01-01,i1\nc1,view,2024-01-01,i1\nc1,view,2024-01-02,i1\n"},
		{"movielens-100k", "u.data", "1\t2\t3\t881250949\n1\t2\t3\t881250949\n1\t2\t4\t881250949\n"},
		{"filmtrust", "ratings.txt", "1 2 3\n1 2 3\n1 2 3.5\n"},
	} {
		t.Run("an exact duplicate "+c.format+" line gets the same id", func(t *testing.T) {
			s, _ := mustRead(t, c.format, writeFile(t, c.file, c.content))
			if len(s.events) != 3 {
				t.Fatalf("%d events, want 3 (duplicates are emitted; the store de-duplicates)", len(s.events))
			}
			if s.events[0].ID != s.events[1].ID || s.events[0].ID == s.events[2].ID {
				t.Errorf("ids %x %x %x: want the first two equal and the third different", s.events[0].ID, s.events[1].ID, s.events[2].ID)
			}
		})
	}
}

func TestReadTruncatedGzip(t *testing.T) {
	for _, c := range []struct{ format, file, header, line string }{
		{"events", "e.csv.gz", "customer_id,action,item_id\n", "c%d,view,i%d\n"},
		{"movielens-100k", "u.data", "", "%d\t%d\t3\t881250949\n"},
	} {
		t.Run("a truncated "+c.format+" gzip stream is an input error naming the file", func(t *testing.T) {
			var b bytes.Buffer
			b.WriteString(c.header)
			for i := range 200_000 {
				fmt.Fprintf(&b, c.line, i, i%977)
			}
			z := gzipBytes(t, b.Bytes())
			p := filepath.Join(t.TempDir(), c.file)
			if err := os.WriteFile(p, z[:len(z)*2/3], 0o644); err != nil {
				t.Fatal(err)
			}
			s, _, err := readWith(t, c.format, p, ReadOptions{})
			wantInputError(t, err, p, "truncated gzip stream")
			if len(s.events) >= 200_000 {
				t.Errorf("%d events from a truncated stream", len(s.events))
			}
			// The whole stream reads fully.
			if err := os.WriteFile(p, z, 0o644); err != nil {
				t.Fatal(err)
			}
			s, sum := mustRead(t, c.format, p)
			if len(s.events) != 200_000 || sum.Files[0].Bytes != int64(len(z)) {
				t.Errorf("%d events, %d bytes; want 200000, %d", len(s.events), sum.Files[0].Bytes, len(z))
			}
		})
	}
}

func TestReadHugeLine(t *testing.T) {
	for _, c := range []struct {
		format, file, header, good string
		allocMiB                   uint64
	}{
		// The events reader cuts 4 MiB chunks, a few in flight; the line
		// readers use a 64 KiB buffer plus at most MaxLineBytes.
		{"events", "e.csv", "customer_id,action\n", "c1,visit\n", 40},
		{"movielens-100k", "u.data", "", "1\t2\t3\t881250949\n", 8},
	} {
		t.Run("a 50 MB "+c.format+" line is rejected without holding it", func(t *testing.T) {
			p := filepath.Join(t.TempDir(), c.file)
			f, err := os.Create(p)
			if err != nil {
				t.Fatal(err)
			}
			f.WriteString(c.header + c.good)
			chunk := bytes.Repeat([]byte("x"), 1<<20)
			for range 50 {
				f.Write(chunk)
			}
			f.WriteString("\n" + c.good)
			if err := f.Close(); err != nil {
				t.Fatal(err)
			}
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			s, sum, err := readWith(t, c.format, p, ReadOptions{})
			runtime.ReadMemStats(&after)
			if err != nil {
				t.Fatal(err)
			}
			line := int64(2)
			if c.header != "" {
				line = 3
			}
			if len(s.events) != 2 || len(s.rejects) != 1 || s.rejects[0].Reason != "line longer than 1 MiB" || s.rejects[0].Line != line {
				t.Fatalf("events %d, rejects %+v; want 2 events and one reject at line %d", len(s.events), s.rejects, line)
			}
			if r := s.rejects[0].Raw; len(r) != RawLimit || r != strings.Repeat("x", RawLimit) {
				t.Errorf("raw of %d bytes, want the first %d", len(r), RawLimit)
			}
			if sum.Records != 3 {
				t.Errorf("records %d, want 3", sum.Records)
			}
			if alloc := (after.TotalAlloc - before.TotalAlloc) >> 20; alloc > c.allocMiB {
				t.Errorf("allocated %d MiB reading a 50 MiB line, want at most %d", alloc, c.allocMiB)
			}
		})
	}
	t.Run("MaxLineBytes lowers the limit", func(t *testing.T) {
		p := writeFile(t, "e.csv", "customer_id,action,item_id\nc1,view,"+strings.Repeat("i", 100)+"\nc2,view,i\n")
		s, _, err := readWith(t, "events", p, ReadOptions{MaxLineBytes: 64})
		if err != nil || len(s.events) != 1 || len(s.rejects) != 1 || s.rejects[0].Reason != "line longer than 64 bytes" {
			t.Fatalf("events %d, rejects %+v, err %v", len(s.events), s.rejects, err)
		}
	})
}

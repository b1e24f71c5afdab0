package datasets

import (
	"bufio"
	"context"
	"os"
	"path/filepath"
	"testing"
	"unicode/utf8"
)

// recordSink keeps everything a reader sends, for assertions.
type recordSink struct {
	events    []Event
	rejects   []Reject
	customers []Attr
	items     []Attr
}

func (s *recordSink) Event(e *Event) error  { s.events = append(s.events, *e); return nil }
func (s *recordSink) Reject(r Reject) error { s.rejects = append(s.rejects, r); return nil }
func (s *recordSink) Customer(a Attr) error { s.customers = append(s.customers, a); return nil }
func (s *recordSink) Item(a Attr) error     { s.items = append(s.items, a); return nil }
func (s *recordSink) count(action string) int {
	n := 0
	for _, e := range s.events {
		if e.Action == action {
			n++
		}
	}
	return n
}

// distinct counts the distinct values of f over the events.
func (s *recordSink) distinct(f func(e *Event) []string) int {
	seen := map[string]bool{}
	for i := range s.events {
		for _, v := range f(&s.events[i]) {
			if v != "" {
				seen[v] = true
			}
		}
	}
	return len(seen)
}

func (s *recordSink) distinctIDs() int {
	seen := map[uint64]bool{}
	for _, e := range s.events {
		seen[e.ID] = true
	}
	return len(seen)
}

// readWith reads path in format into a new recordSink.
func readWith(t testing.TB, format, path string, opt ReadOptions) (*recordSink, Summary, error) {
	t.Helper()
	s := &recordSink{}
	sum, err := Read(context.Background(), format, path, s, opt)
	return s, sum, err
}

// mustRead is readWith that fails the test on an error.
func mustRead(t testing.TB, format, path string) (*recordSink, Summary) {
	t.Helper()
	s, sum, err := readWith(t, format, path, ReadOptions{})
	if err != nil {
		t.Fatalf("read %s as %s: %v", path, format, err)
	}
	return s, sum
}

// writeFile writes content to name in a new temporary folder and returns
// its path.
func writeFile(t testing.TB, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func bufioWriter(f *os.File) *bufio.Writer { return bufio.NewWriterSize(f, 1<<20) }

func utf8Valid(s string) bool { return utf8.ValidString(s) }

package datasets

import (
	"context"
	"path/filepath"
	"testing"
)

// genReadBackSink counts what a reader delivers and checks ids against a run.
type genReadBackSink struct {
	ids       map[uint64]bool
	events    int64
	unknown   int64
	rejects   []Reject
	customers int
}

func (s *genReadBackSink) Event(e *Event) error {
	s.events++
	if !s.ids[e.ID] {
		s.unknown++
	}
	return nil
}
func (s *genReadBackSink) Reject(r Reject) error { s.rejects = append(s.rejects, r); return nil }
func (s *genReadBackSink) Customer(Attr) error   { s.customers++; return nil }
func (s *genReadBackSink) Item(Attr) error       { return nil }

func TestGeneratedFilesReadBackWithTheEventsFormat(t *testing.T) {
	f, ok := LookupFormat("events")
	if !ok {
		t.Skip("no events format registered")
	}
	opt := GenerateOptions{Customers: 500, Seed: 11, Events: 20000}
	var mem memGenSink
	if _, err := Generate(context.Background(), opt, &mem); err != nil {
		t.Fatal(err)
	}
	ids := make(map[uint64]bool, len(mem.events))
	for i := range mem.events {
		ids[mem.events[i].ID] = true
	}
	for _, name := range []string{"e.csv", "e.csv.gz", "e.jsonl", "e.parquet"} {
		t.Run(name+" reads back as the generated events with the same ids", func(t *testing.T) {
			path := filepath.Join(t.TempDir(), name)
			_, st, err := WriteGenerated(context.Background(), path, opt)
			if err != nil {
				t.Fatal(err)
			}
			s := &genReadBackSink{ids: ids}
			if _, err := f.Read(context.Background(), path, s, ReadOptions{}); err != nil {
				t.Fatal(err)
			}
			if len(s.rejects) > 0 {
				t.Fatalf("%d rejects, first %+v", len(s.rejects), s.rejects[0])
			}
			if s.events != st.Events || s.unknown != 0 {
				t.Errorf("read %d events (%d with ids not generated), wrote %d", s.events, s.unknown, st.Events)
			}
			if s.customers != opt.Customers {
				t.Errorf("%d customer rows, want %d", s.customers, opt.Customers)
			}
		})
	}
}

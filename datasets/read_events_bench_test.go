package datasets

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// Compare runs with benchstat:
//
//	go test ./datasets -run '^$' -bench ReadEventsCSV -benchmem -count 6 > new.txt
//	benchstat old.txt new.txt

// writeBenchEventsCSV writes n deterministic events rows (about 90 bytes
// each) to a file in dir.
func writeBenchEventsCSV(b *testing.B, dir string, n int) string {
	b.Helper()
	p := filepath.Join(dir, "events.csv")
	f, err := os.Create(p)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	actions := []string{"view", "visit", "purchase", "rate", "share", "search"}
	channels := []string{"web", "mobile", "app", "store"}
	fmt.Fprintln(w, "customer_id,action,at,channel,item_id,peer_id,value")
	for i := range n {
		peer := ""
		if i%6 == 4 {
			peer = fmt.Sprintf("cust-%d", (i*7)%100_000)
		}
		fmt.Fprintf(w, "cust-%d,%s,2024-%02d-%02dT%02d:%02d:%02dZ,%s,item-%d,%s,%d.%d\n",
			(i*31)%100_000, actions[i%len(actions)], 1+i%12, 1+i%28, i%24, i%60, (i/60)%60,
			channels[i%len(channels)], (i*17)%50_000, peer, i%100, i%10)
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	return p
}

// countSink counts what it receives; it is the cheapest possible sink.
type countSink struct{ events, rejects int }

func (s *countSink) Event(*Event) error  { s.events++; return nil }
func (s *countSink) Reject(Reject) error { s.rejects++; return nil }
func (s *countSink) Customer(Attr) error { return nil }
func (s *countSink) Item(Attr) error     { return nil }

func BenchmarkReadEventsCSV(b *testing.B) {
	for _, n := range []int{100_000, 1_000_000} {
		b.Run(fmt.Sprintf("size=%s", sizeName(n)), func(b *testing.B) {
			p := writeBenchEventsCSV(b, b.TempDir(), n)
			st, _ := os.Stat(p)
			b.SetBytes(st.Size())
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				s := &countSink{}
				if _, err := Read(context.Background(), "events", p, s, ReadOptions{}); err != nil {
					b.Fatal(err)
				}
				if s.events != n {
					b.Fatalf("%d events, want %d", s.events, n)
				}
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}

func sizeName(n int) string {
	switch {
	case n%1_000_000 == 0:
		return fmt.Sprintf("%dM", n/1_000_000)
	case n%1000 == 0:
		return fmt.Sprintf("%dk", n/1000)
	}
	return fmt.Sprint(n)
}

package datasets

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
)

// Compare runs with (the 10M and 100M cases are scale runs; leave them out
// while developing):
//
//	go test ./datasets -run '^$' -bench 'Generate(/events=1M|/./events=1M|Ratings/ratings=10M)' -count 6 > new.txt
//	benchstat old.txt new.txt

type countGenSink struct{ events int64 }

func (s *countGenSink) Customer(Attr) error    { return nil }
func (s *countGenSink) Consent(Consent) error  { return nil }
func (s *countGenSink) Events(b []Event) error { s.events += int64(len(b)); return nil }

func BenchmarkGenerate(b *testing.B) {
	for _, bc := range []struct {
		name   string
		events int64
	}{{"events=100k", 100_000}, {"events=1M", 1_000_000}} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			var total int64
			for b.Loop() {
				var s countGenSink
				if _, err := Generate(context.Background(), GenerateOptions{Events: bc.events, Seed: 1}, &s); err != nil {
					b.Fatal(err)
				}
				total += s.events
			}
			b.ReportMetric(float64(total)/b.Elapsed().Seconds(), "events/s")
		})
	}
}

func BenchmarkWriteGenerated(b *testing.B) {
	for _, bc := range []struct {
		format string
		events int64
	}{{"csv", 1_000_000}, {"parquet", 1_000_000}, {"csv", 10_000_000}, {"parquet", 10_000_000}} {
		format := bc.format
		b.Run(fmt.Sprintf("format=%s/events=%dM", format, bc.events/1_000_000), func(b *testing.B) {
			b.ReportAllocs()
			dir := b.TempDir()
			var total, bytes int64
			for b.Loop() {
				_, st, err := WriteGenerated(context.Background(), filepath.Join(dir, "e."+format), GenerateOptions{Events: bc.events, Seed: 1})
				if err != nil {
					b.Fatal(err)
				}
				total += st.Events
				bytes = st.Bytes
			}
			b.ReportMetric(float64(total)/b.Elapsed().Seconds(), "events/s")
			b.ReportMetric(float64(bytes)/1e6, "MB")
		})
	}
}

func BenchmarkGenerateRatings(b *testing.B) {
	for _, n := range []int64{10_000_000, 100_000_000} {
		b.Run(fmt.Sprintf("ratings=%dM", n/1_000_000), func(b *testing.B) {
			b.ReportAllocs()
			var total int64
			for b.Loop() {
				_, err := GenerateRatings(context.Background(), RatingsOptions{Ratings: n, Seed: 1}, func(batch RatingBatch) error {
					total += int64(batch.Len())
					return nil
				})
				if err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(total)/b.Elapsed().Seconds(), "ratings/s")
		})
	}
}

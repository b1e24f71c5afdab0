package customize

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/custnet/custnet/datasets"
	"github.com/custnet/custnet/internal/cputime"
)

// trainedSVD returns the svd model the benchmark suite's train stage fits
// on gen-<events> (datasets.Generate with events/50 customers and seed 7;
// the ratings of customers whose latest analytics and personalization
// consents are grants, the latest rating of a pair winning), with factors
// factors, cached as a model file in dir.
func trainedSVD(tb testing.TB, dir string, events int64, factors int) Model {
	tb.Helper()
	path := filepath.Join(dir, fmt.Sprintf("gen-%d-f%d.svd.model", events, factors))
	if f, err := os.Open(path); err == nil {
		defer f.Close()
		m, err := Load(bufio.NewReaderSize(f, 1<<20))
		if err != nil {
			tb.Fatal(err)
		}
		return m
	}
	s := &ratingSink{b: NewBuilder(), consent: map[string]*[2]datasets.Consent{}}
	if _, err := datasets.Generate(context.Background(), datasets.GenerateOptions{
		Customers: int(max(2, events/50)), Seed: 7, Events: events}, s); err != nil {
		tb.Fatal(err)
	}
	tr, _, err := s.b.Build()
	if err != nil {
		tb.Fatal(err)
	}
	o := DefaultSVD()
	o.Factors = factors
	m, err := Fit(context.Background(), tr, o)
	if err != nil {
		tb.Fatal(err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		tb.Fatal(err)
	}
	f, err := os.Create(path + ".tmp")
	if err != nil {
		tb.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	if err := Save(w, m); err != nil {
		tb.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		tb.Fatal(err)
	}
	if err := f.Close(); err != nil {
		tb.Fatal(err)
	}
	if err := os.Rename(path+".tmp", path); err != nil {
		tb.Fatal(err)
	}
	return m
}

// ratingSink keeps the rate events of customers whose latest analytics
// and personalization consents are grants (what the engine's train stage
// reads after ingest).
type ratingSink struct {
	b       *Builder
	consent map[string]*[2]datasets.Consent // latest analytics, personalization
}

func (s *ratingSink) Customer(datasets.Attr) error { return nil }

func (s *ratingSink) Consent(c datasets.Consent) error {
	k := 0
	if c.Purpose == "personalization" {
		k = 1
	}
	p := s.consent[c.Customer]
	if p == nil {
		p = new([2]datasets.Consent)
		s.consent[c.Customer] = p
	}
	if p[k].Customer == "" || c.At >= p[k].At {
		p[k] = c
	}
	return nil
}

func (s *ratingSink) Events(batch []datasets.Event) error {
	for _, e := range batch {
		if e.Action != "rate" || e.Item == "" || !e.HasValue {
			continue
		}
		if p := s.consent[e.Customer]; p == nil || !p[0].Granted || !p[1].Granted {
			continue
		}
		s.b.Add(strings.Clone(e.Customer), strings.Clone(e.Item), float32(e.Value))
	}
	return nil
}

// BenchmarkTopNAllTrained measures TopNAll's top-10 (seen items excluded)
// on the svd models the suite trains, for the event counts listed in
// CUSTNET_TOPN_EVENTS (comma-separated; the benchmark is skipped without
// it). Models are cached in CUSTNET_TOPN_CACHE (default: a folder in the
// temporary directory); the first run generates and trains them, which at
// 100M events takes longer than the ranking (the suite's train svd stage:
// 25.6 s, 6.1 GB in the session-3 run). scored/item is
// the fraction of customer-item scores computed. An op ranks every
// CUSTNET_TOPN_STRIDE-th customer (default 10).
//
//	CUSTNET_TOPN_EVENTS=10000000,100000000 go test -tags duckdb_arrow -run '^$' -bench TopNAllTrained -benchtime 1x ./strategies/customize/
func BenchmarkTopNAllTrained(b *testing.B) {
	env := os.Getenv("CUSTNET_TOPN_EVENTS")
	if env == "" {
		b.Skip("CUSTNET_TOPN_EVENTS not set")
	}
	dir := os.Getenv("CUSTNET_TOPN_CACHE")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "custnet-topn")
	}
	factors, stride := 100, 10
	if v, err := strconv.Atoi(os.Getenv("CUSTNET_TOPN_FACTORS")); err == nil {
		factors = v
	}
	if v, err := strconv.Atoi(os.Getenv("CUSTNET_TOPN_STRIDE")); err == nil {
		stride = v
	}
	for _, ev := range strings.Split(env, ",") {
		events, err := strconv.ParseInt(ev, 10, 64)
		if err != nil {
			b.Fatal(err)
		}
		mod := trainedSVD(b, dir, events, factors)
		tr := mod.Train()
		var us []int32
		for u := 0; u < tr.Customers(); u += stride {
			us = append(us, int32(u))
		}
		top := mod.(batchTopN).factors()
		top.pack()
		b.Run(fmt.Sprintf("events=%d/customers=%d/items=%d/factors=%d", events, len(us), tr.Items(), factors), func(b *testing.B) {
			top.scored.Store(0)
			c0 := cputime.Process().Seconds()
			for b.Loop() {
				if _, err := TopNAll(context.Background(), mod, us, 10, true, 2); err != nil {
					b.Fatal(err)
				}
			}
			n := float64(b.N)
			b.ReportMetric((cputime.Process().Seconds()-c0)/n, "cpu-s/op")
			b.ReportMetric((cputime.Process().Seconds()-c0)/n/float64(len(us))*1e9, "cpu-ns/customer")
			b.ReportMetric(float64(top.scored.Load())/n/float64(len(us))/float64(tr.Items()), "scored/item")
		})
	}
}

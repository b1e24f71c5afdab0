package datasets

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

var testWriteOpt = GenerateOptions{Customers: 2000, Seed: 5, Events: 60000}

func sha(t *testing.T, path string) [32]byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(b)
}

// eventFromCSV rebuilds an event from a CSV record, independently of the
// writer, so that its EventID can be compared.
func eventFromCSV(t *testing.T, rec []string) Event {
	t.Helper()
	at, err := time.Parse(time.RFC3339, rec[2])
	if err != nil {
		t.Fatalf("at %q: %v", rec[2], err)
	}
	e := Event{Customer: rec[0], Action: rec[1], At: at.UnixMicro(), HasAt: true, Channel: rec[3], Item: rec[4], Peer: rec[5]}
	if rec[6] != "" {
		e.Value, err = strconv.ParseFloat(rec[6], 64)
		if err != nil {
			t.Fatalf("value %q: %v", rec[6], err)
		}
		e.HasValue = true
	}
	return e
}

func TestWriteGeneratedCSV(t *testing.T) {
	for _, ext := range []string{".csv", ".csv.gz"} {
		t.Run(ext+" files read back with the header, counts and ids of the run", func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "events"+ext)
			tr, st, err := WriteGenerated(context.Background(), path, testWriteOpt)
			if err != nil {
				t.Fatal(err)
			}
			f, err := os.Open(path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			var r io.Reader = f
			if ext == ".csv.gz" {
				if r, err = gzip.NewReader(f); err != nil {
					t.Fatal(err)
				}
			}
			cr := csv.NewReader(r)
			head, err := cr.Read()
			if err != nil {
				t.Fatal(err)
			}
			if want := []string{"customer_id", "action", "at", "channel", "item_id", "peer_id", "value"}; !slices.Equal(head, want) {
				t.Fatalf("header %v", head)
			}
			var rows int64
			actions := map[string]int64{}
			var sink memGenSink
			if _, err := Generate(context.Background(), testWriteOpt, &sink); err != nil {
				t.Fatal(err)
			}
			for {
				rec, err := cr.Read()
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				e := eventFromCSV(t, rec)
				if id := EventID("events", &e); id != sink.events[rows].ID {
					t.Fatalf("row %d: id %x of the CSV fields, %x generated", rows+2, id, sink.events[rows].ID)
				}
				actions[rec[1]]++
				rows++
			}
			if rows != st.Events || rows != testWriteOpt.Events {
				t.Errorf("%d rows, stats say %d", rows, st.Events)
			}
			if !reflect.DeepEqual(actions, tr.Actions) {
				t.Errorf("actions %v, truth %v", actions, tr.Actions)
			}
			if st.Customers != 2000 || st.Bytes == 0 || len(st.Files) != 4 {
				t.Errorf("stats %+v", st)
			}
		})
	}
}

func TestWriteGeneratedSiblings(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "net.jsonl")
	tr, st, err := WriteGenerated(context.Background(), path, testWriteOpt)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("the folder holds the four files and no temporaries", func(t *testing.T) {
		ents, _ := os.ReadDir(dir)
		var names []string
		for _, e := range ents {
			names = append(names, e.Name())
		}
		want := []string{"net.consents.csv", "net.customers.csv", "net.jsonl", "net.truth.json"}
		if !slices.Equal(names, want) {
			t.Fatalf("files %v, want %v", names, want)
		}
	})
	t.Run("every JSON line is an object with the event fields", func(t *testing.T) {
		f, _ := os.Open(path)
		defer f.Close()
		sc := bufio.NewScanner(f)
		var n int64
		for sc.Scan() {
			var m map[string]any
			if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
				t.Fatalf("line %d: %v", n+1, err)
			}
			if _, ok := m["customer_id"].(string); !ok {
				t.Fatalf("line %d: no customer_id", n+1)
			}
			if _, err := time.Parse(time.RFC3339, m["at"].(string)); err != nil {
				t.Fatalf("line %d: %v", n+1, err)
			}
			n++
		}
		if n != st.Events {
			t.Errorf("%d lines, %d events", n, st.Events)
		}
	})
	t.Run("the consents file reads back with ReadConsents", func(t *testing.T) {
		var n int64
		refused := map[string]bool{}
		_, err := ReadConsents(context.Background(), filepath.Join(dir, "net.consents.csv"), func(c Consent) error {
			n++
			if c.Purpose == "analytics" && !c.Granted {
				refused[c.Customer] = true
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if n != st.Consents {
			t.Errorf("%d records, stats say %d", n, st.Consents)
		}
		if len(refused) != len(tr.AnalyticsRefused)+len(tr.AnalyticsRevoked) {
			t.Errorf("%d customers without analytics, truth says %d + %d", len(refused), len(tr.AnalyticsRefused), len(tr.AnalyticsRevoked))
		}
	})
	t.Run("the customers file has one row per customer with its community", func(t *testing.T) {
		f, _ := os.Open(filepath.Join(dir, "net.customers.csv"))
		defer f.Close()
		recs, err := csv.NewReader(f).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if len(recs) != 2001 || !slices.Equal(recs[0], []string{"customer_id", "segment", "region", "age_band", "planted_community"}) {
			t.Fatalf("%d rows, header %v", len(recs), recs[0])
		}
		for _, r := range recs[1:] {
			if r[4] != strconv.Itoa(tr.Community[r[0]]) || !slices.Contains(genSegments, r[1]) {
				t.Fatalf("row %v, truth community %d", r, tr.Community[r[0]])
			}
		}
	})
	t.Run("the truth file decodes to the returned truth", func(t *testing.T) {
		b, err := os.ReadFile(filepath.Join(dir, "net.truth.json"))
		if err != nil {
			t.Fatal(err)
		}
		var got Truth
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, tr) {
			t.Error("decoded truth differs from the returned one")
		}
	})
}

func TestWriteGeneratedParquet(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "events.parquet")
	opt := testWriteOpt
	opt.Events = 150000 // more than two row groups
	tr, st, err := WriteGenerated(context.Background(), path, opt)
	if err != nil {
		t.Fatal(err)
	}
	rdr, err := file.OpenParquetFile(path, false)
	if err != nil {
		t.Fatal(err)
	}
	defer rdr.Close()
	fr, err := pqarrow.NewFileReader(rdr, pqarrow.ArrowReadProperties{BatchSize: 1 << 14}, memory.DefaultAllocator)
	if err != nil {
		t.Fatal(err)
	}
	rr, err := fr.GetRecordReader(context.Background(), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer rr.Release()
	t.Run("the schema has the canonical columns and types", func(t *testing.T) {
		sc := rr.Schema()
		want := map[string]arrow.Type{"event_id": arrow.UINT64, "at": arrow.TIMESTAMP, "customer_id": arrow.STRING,
			"action": arrow.STRING, "channel": arrow.STRING, "item_id": arrow.STRING, "peer_id": arrow.STRING, "value": arrow.FLOAT64}
		if sc.NumFields() != len(want) {
			t.Fatalf("schema %s", sc)
		}
		for _, f := range sc.Fields() {
			if want[f.Name] != f.Type.ID() {
				t.Errorf("column %s has type %s", f.Name, f.Type)
			}
		}
		if ts := sc.Field(1).Type.(*arrow.TimestampType); ts.Unit != arrow.Microsecond || ts.TimeZone != "UTC" {
			t.Errorf("at is %s", ts)
		}
	})
	var rows int64
	actions := map[string]int64{}
	var nullPeers int64
	for rr.Next() {
		rec := rr.RecordBatch()
		ids := rec.Column(0).(*array.Uint64)
		at := rec.Column(1).(*array.Timestamp)
		cols := make([]*array.String, 5)
		for i := range cols {
			cols[i] = rec.Column(2 + i).(*array.String)
		}
		val := rec.Column(7).(*array.Float64)
		for i := 0; i < int(rec.NumRows()); i++ {
			e := Event{At: int64(at.Value(i)), HasAt: true, Customer: cols[0].Value(i), Action: cols[1].Value(i),
				Channel: cols[2].Value(i), Item: cols[3].Value(i), Peer: cols[4].Value(i)}
			if val.IsValid(i) {
				e.Value, e.HasValue = val.Value(i), true
			}
			if cols[4].IsNull(i) {
				nullPeers++
			}
			if EventID("events", &e) != ids.Value(i) {
				t.Fatalf("row %d: event_id %x, fields hash to %x", rows, ids.Value(i), EventID("events", &e))
			}
			actions[e.Action]++
			rows++
		}
	}
	if err := rr.Err(); err != nil && !errors.Is(err, io.EOF) {
		t.Fatal(err)
	}
	t.Run("the row count is the events of the run", func(t *testing.T) {
		if rows != st.Events || rows != opt.Events {
			t.Errorf("%d rows, stats say %d", rows, st.Events)
		}
		if !reflect.DeepEqual(actions, tr.Actions) {
			t.Errorf("actions %v, truth %v", actions, tr.Actions)
		}
		if nullPeers == 0 || nullPeers == rows {
			t.Errorf("%d null peers of %d rows", nullPeers, rows)
		}
		if n := rdr.NumRowGroups(); n != int((rows+genParquetRows-1)/genParquetRows) {
			t.Errorf("%d row groups for %d rows", n, rows)
		}
	})
}

func TestWriteGeneratedIsDeterministic(t *testing.T) {
	for _, name := range []string{"e.csv", "e.parquet", "e.csv.gz"} {
		t.Run(name+" is the same byte for byte in two runs", func(t *testing.T) {
			var sums [2][4][32]byte
			for run := range sums {
				dir := t.TempDir()
				opt := testWriteOpt
				opt.Workers = 1 + 2*run
				_, st, err := WriteGenerated(context.Background(), filepath.Join(dir, name), opt)
				if err != nil {
					t.Fatal(err)
				}
				for i, f := range st.Files {
					sums[run][i] = sha(t, f)
				}
			}
			if sums[0] != sums[1] {
				t.Error("outputs differ")
			}
		})
	}
}

func TestWriteGeneratedFailures(t *testing.T) {
	t.Run("an unknown extension is refused and writes nothing", func(t *testing.T) {
		dir := t.TempDir()
		if _, _, err := WriteGenerated(context.Background(), filepath.Join(dir, "e.xlsx"), testWriteOpt); err == nil {
			t.Fatal("no error")
		}
		if ents, _ := os.ReadDir(dir); len(ents) != 0 {
			t.Errorf("%d files left", len(ents))
		}
	})
	t.Run("a cancelled run leaves no file behind", func(t *testing.T) {
		dir := t.TempDir()
		ctx, cancel := context.WithCancel(context.Background())
		go func() { time.Sleep(20 * time.Millisecond); cancel() }()
		_, _, err := WriteGenerated(ctx, filepath.Join(dir, "e.parquet"), GenerateOptions{Customers: 20000, Events: 5_000_000})
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("error %v", err)
		}
		if ents, _ := os.ReadDir(dir); len(ents) != 0 {
			t.Errorf("%d files left", len(ents))
		}
	})
	t.Run("an existing file is replaced only by a complete one", func(t *testing.T) {
		dir := t.TempDir()
		path := filepath.Join(dir, "e.csv")
		os.WriteFile(path, []byte("old"), 0o644)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		if _, _, err := WriteGenerated(ctx, path, testWriteOpt); err == nil {
			t.Fatal("no error")
		}
		if b, _ := os.ReadFile(path); !bytes.Equal(b, []byte("old")) {
			t.Errorf("file now holds %.20q", b)
		}
	})
}

package datasets

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

// eventsCSV is a small events file with every column; the same rows are
// written as JSON Lines and Parquet below.
const eventsCSV = `customer_id,action,at,channel,item_id,peer_id,value,event_id
c1,view,2024-05-01T12:00:00Z,Web,i1,,12.5,999
c1,share,2024-05-01 12:00:00,mobile,i1,c2,,999
c2,rate,2024-05-01,,i2,,4,
c3,follow,1714564800,app,,c1,,
"c,4",comment,2024-05-01T14:00:00+02:00,web,"the ""best"" item",c1,,
`

// eventsWant are eventsCSV's rows, worked out by hand: 2024-05-01T12:00:00Z
// is 1714564800 s (date -u -d @1714564800), 2024-05-01 is 43200 s earlier.
func eventsWant() []Event {
	const noon = int64(1714564800) * 1_000_000
	const midnight = noon - 43200*1_000_000
	ev := []Event{
		{Customer: "c1", Action: "view", At: noon, HasAt: true, Channel: "web", Item: "i1", Value: 12.5, HasValue: true},
		{Customer: "c1", Action: "share", At: noon, HasAt: true, Channel: "mobile", Item: "i1", Peer: "c2"},
		{Customer: "c2", Action: "rate", At: midnight, HasAt: true, Item: "i2", Value: 4, HasValue: true},
		{Customer: "c3", Action: "follow", At: noon, HasAt: true, Channel: "app", Peer: "c1"},
		{Customer: "c,4", Action: "comment", At: noon, HasAt: true, Channel: "web", Item: `the "best" item`, Peer: "c1"},
	}
	for i := range ev {
		ev[i].ID = EventID("events", &ev[i])
	}
	return ev
}

func checkEvents(t *testing.T, got, want []Event) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d events, want %d: %+v", len(got), len(want), got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("event %d:\n got %+v\nwant %+v", i, got[i], want[i])
		}
	}
}

const eventsJSONL = `{"customer_id":"c1","action":"view","at":"2024-05-01T12:00:00Z","channel":"Web","item_id":"i1","value":12.5,"event_id":999}
{"customer_id":"c1","action":"share","at":"2024-05-01 12:00:00","channel":"mobile","item_id":"i1","peer_id":"c2","value":null}
{"customer_id":"c2","action":"rate","at":"2024-05-01","item_id":"i2","value":"4"}
{"customer_id":"c3","action":"follow","at":1714564800,"channel":"app","peer_id":"c1"}
{"customer_id":"c,4","action":"comment","at":"2024-05-01T14:00:00+02:00","channel":"web","item_id":"the \"best\" item","peer_id":"c1"}
`

// writeEventsParquet writes eventsWant's rows to a Parquet file with a
// TIMESTAMP column, in two row groups.
func writeEventsParquet(t *testing.T, path string) {
	t.Helper()
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "customer_id", Type: arrow.BinaryTypes.String},
		{Name: "action", Type: arrow.BinaryTypes.String},
		{Name: "at", Type: &arrow.TimestampType{Unit: arrow.Millisecond, TimeZone: "UTC"}, Nullable: true},
		{Name: "channel", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "item_id", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "peer_id", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "value", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
	}, nil)
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w, err := pqarrow.NewFileWriter(schema, f, parquet.NewWriterProperties(parquet.WithMaxRowGroupLength(3)), pqarrow.DefaultWriterProps())
	if err != nil {
		t.Fatal(err)
	}
	b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
	defer b.Release()
	str := func(i int, s string) {
		if s == "" && i >= 3 {
			b.Field(i).AppendNull()
			return
		}
		b.Field(i).(*array.StringBuilder).Append(s)
	}
	for _, e := range eventsWant() {
		str(0, e.Customer)
		str(1, e.Action)
		b.Field(2).(*array.TimestampBuilder).Append(arrow.Timestamp(e.At / 1000))
		str(3, strings.ToUpper(e.Channel))
		str(4, e.Item)
		str(5, e.Peer)
		if e.HasValue {
			b.Field(6).(*array.Float64Builder).Append(e.Value)
		} else {
			b.Field(6).AppendNull()
		}
	}
	rec := b.NewRecordBatch()
	defer rec.Release()
	if err := w.Write(rec); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestReadEventsFormats(t *testing.T) {
	dir := t.TempDir()
	files := map[string][]byte{
		"a.csv":      []byte(eventsCSV),
		"b.csv.gz":   gzipBytes(t, []byte(eventsCSV)),
		"c.jsonl":    []byte(eventsJSONL),
		"d.jsonl.gz": gzipBytes(t, []byte(eventsJSONL)),
	}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	writeEventsParquet(t, filepath.Join(dir, "e.parquet"))
	pq, err := os.ReadFile(filepath.Join(dir, "e.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "f.parquet.gz"), gzipBytes(t, pq), 0o644)
	for _, name := range []string{"a.csv", "b.csv.gz", "c.jsonl", "d.jsonl.gz", "e.parquet", "f.parquet.gz"} {
		t.Run(name+" gives the hand-made events", func(t *testing.T) {
			p := filepath.Join(dir, name)
			if f, err := Detect(p); f != "events" || err != nil {
				t.Errorf("Detect = %q, %v", f, err)
			}
			s, sum := mustRead(t, "auto", p)
			checkEvents(t, s.events, eventsWant())
			if len(s.rejects) != 0 || sum.Records != 5 {
				t.Errorf("rejects %+v, records %d", s.rejects, sum.Records)
			}
			h, n := fileSHA256(t, p)
			if len(sum.Files) != 1 || sum.Files[0].SHA256 != h || sum.Files[0].Bytes != n {
				t.Errorf("files %+v, want sha256 %s of %d bytes", sum.Files, h, n)
			}
		})
	}
}

func TestReadEventsCustomersBeside(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "shop.csv.gz"), gzipBytes(t, []byte(eventsCSV)), 0o644)
	os.WriteFile(filepath.Join(dir, "shop.customers.csv"), []byte("segment,customer_id,city\ngold,c1,\"Oslo, NO\"\nsilver,c2,\n,,Bergen\n"), 0o644)
	s, sum := mustRead(t, "events", filepath.Join(dir, "shop.csv.gz"))
	if len(s.customers) != 2 || len(sum.Files) != 2 {
		t.Fatalf("customers %+v, files %+v", s.customers, sum.Files)
	}
	if c := s.customers[0]; c.ID != "c1" || c.Attrs["segment"] != "gold" || c.Attrs["city"] != "Oslo, NO" || len(c.Attrs) != 2 {
		t.Errorf("c1 = %+v", c)
	}
	if c := s.customers[1]; c.ID != "c2" || len(c.Attrs) != 1 {
		t.Errorf("c2 = %+v (empty attributes are left out)", c)
	}
	if len(s.rejects) != 1 || s.rejects[0].Line != 4 || s.rejects[0].Reason != "customer_id is empty" {
		t.Errorf("rejects %+v, want line 4 without customer", s.rejects)
	}
}

func TestSplitCSVAgreesWithEncodingCSV(t *testing.T) {
	for _, line := range []string{
		`a,b,c`, `a,,c`, `,`, ``, `"a,b",c`, `"a""b",c`, `"",x`, `a,"b"`, `"a"`, `""""`,
		`"a"b,c`, `a"b,c`, `"a,b`, `"a" ,b`, `a,"b""`, `x,"y"",""z"`,
	} {
		t.Run(fmt.Sprintf("%q splits as encoding/csv does", line), func(t *testing.T) {
			got, reason := splitCSV(nil, line)
			r := csv.NewReader(strings.NewReader(line + "\n"))
			r.FieldsPerRecord = -1
			want, err := r.Read()
			if line == "" {
				want, err = []string{""}, nil // encoding/csv skips empty lines
			}
			if (err == nil) != (reason == "") {
				t.Fatalf("splitCSV reason %q, encoding/csv error %v", reason, err)
			}
			if err == nil && strings.Join(got, "\x00") != strings.Join(want, "\x00") {
				t.Errorf("got %q, want %q", got, want)
			}
		})
	}
}

// bigEventsCSV writes n events lines where every 1000th line is bad and
// returns its path.
func bigEventsCSV(t testing.TB, n int) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "big.csv")
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	w := bufioWriter(f)
	w.WriteString("customer_id,action,at,channel,item_id,value\r\n")
	for i := range n {
		line := int64(i + 2)
		if line%1000 == 0 {
			fmt.Fprintf(w, "c%d,fly,2024-01-01,web,i1,1\r\n", line)
			continue
		}
		fmt.Fprintf(w, "c%d,view,2024-01-01T00:00:%02dZ,web,item-%d,%d\r\n", line, i%60, i%5000, i%100)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	return p
}

func TestReadEventsCSVKeepsFileOrderAcrossChunks(t *testing.T) {
	const n = 400_000 // about 17 MB: several 4 MiB chunks
	p := bigEventsCSV(t, n)
	var order []string
	sink := &funcSink{
		event:  func(e *Event) error { order = append(order, e.Customer); return nil },
		reject: func(r Reject) error { order = append(order, fmt.Sprintf("c%d", r.Line)); return nil },
	}
	sum, err := Read(context.Background(), "events", p, sink, ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Records != n || len(order) != n {
		t.Fatalf("records %d, delivered %d; want %d", sum.Records, len(order), n)
	}
	for i, c := range order {
		if want := fmt.Sprintf("c%d", i+2); c != want {
			t.Fatalf("delivery %d is %s, want %s (line order lost)", i, c, want)
		}
	}
	if sink.rejects != n/1000 {
		t.Errorf("rejects %d, want %d", sink.rejects, n/1000)
	}
}

// funcSink calls its functions; nil ones accept silently.
type funcSink struct {
	event   func(*Event) error
	reject  func(Reject) error
	rejects int
}

func (s *funcSink) Event(e *Event) error {
	if s.event == nil {
		return nil
	}
	return s.event(e)
}
func (s *funcSink) Reject(r Reject) error {
	s.rejects++
	if s.reject == nil {
		return nil
	}
	return s.reject(r)
}
func (s *funcSink) Customer(Attr) error { return nil }
func (s *funcSink) Item(Attr) error     { return nil }

func TestReadEventsCSVStopsPromptly(t *testing.T) {
	p := bigEventsCSV(t, 400_000)
	before := runtime.NumGoroutine()
	t.Run("a canceled context stops the read", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		seen := 0
		sink := &funcSink{event: func(*Event) error {
			if seen++; seen == 10_000 {
				cancel()
			}
			return nil
		}}
		_, err := Read(ctx, "events", p, sink, ReadOptions{})
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("err %v, want context.Canceled", err)
		}
		if seen > 10_000+ctxEvery {
			t.Errorf("%d events after cancel, want at most %d", seen-10_000, ctxEvery)
		}
	})
	t.Run("a sink error stops the read and is returned", func(t *testing.T) {
		boom := errors.New("boom")
		sink := &funcSink{event: func(*Event) error { return boom }}
		if _, err := Read(context.Background(), "events", p, sink, ReadOptions{}); !errors.Is(err, boom) {
			t.Fatalf("err %v, want boom", err)
		}
	})
	for _, f := range []string{"movielens-100k", "wiki-vote"} {
		t.Run("a canceled context stops "+f, func(t *testing.T) {
			var b strings.Builder
			for i := range 3 * ctxEvery {
				fmt.Fprintf(&b, "%d\t%d\t3\t881250949\n", i, i)
			}
			content := b.String()
			if f == "wiki-vote" {
				content = strings.ReplaceAll(strings.ReplaceAll(content, "\t3\t881250949", ""), "\n", "\r\n")
			}
			ctx, cancel := context.WithCancel(context.Background())
			seen := 0
			sink := &funcSink{event: func(*Event) error { seen++; cancel(); return nil }}
			_, err := Read(ctx, f, writeFile(t, "x.txt", content), sink, ReadOptions{})
			if !errors.Is(err, context.Canceled) || seen > ctxEvery {
				t.Errorf("err %v after %d events, want context.Canceled within %d", err, seen, ctxEvery)
			}
		})
	}
	// No goroutine outlives a read (checked here, outside any subtest).
	deadline := time.Now().Add(2 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		t.Errorf("%d goroutines after the reads, %d before", n, before)
	}
}

func TestReadEventsMoreCases(t *testing.T) {
	t.Run("a JSON line that is not an object is rejected", func(t *testing.T) {
		p := writeFile(t, "e.jsonl", "{\"customer_id\":\"c1\",\"action\":\"visit\"}\n{\"customer_id\":\n{\"customer_id\":[1],\"action\":\"visit\"}\n")
		s, _, err := readWith(t, "events", p, ReadOptions{})
		if err != nil || len(s.events) != 1 || len(s.rejects) != 2 || s.rejects[0].Line != 2 || s.rejects[1].Line != 3 {
			t.Fatalf("events %d, rejects %+v, err %v", len(s.events), s.rejects, err)
		}
	})
	t.Run("a Parquet column of an unreadable type is an input error", func(t *testing.T) {
		schema := arrow.NewSchema([]arrow.Field{
			{Name: "customer_id", Type: arrow.BinaryTypes.String},
			{Name: "action", Type: arrow.BinaryTypes.String},
			{Name: "value", Type: arrow.FixedWidthTypes.Boolean},
		}, nil)
		p := filepath.Join(t.TempDir(), "bad.parquet")
		f, _ := os.Create(p)
		w, err := pqarrow.NewFileWriter(schema, f, nil, pqarrow.DefaultWriterProps())
		if err != nil {
			t.Fatal(err)
		}
		b := array.NewRecordBuilder(memory.DefaultAllocator, schema)
		b.Field(0).(*array.StringBuilder).Append("c1")
		b.Field(1).(*array.StringBuilder).Append("visit")
		b.Field(2).(*array.BooleanBuilder).Append(true)
		rec := b.NewRecordBatch()
		w.Write(rec)
		w.Close()
		_, _, err = readWith(t, "events", p, ReadOptions{})
		wantInputError(t, err, `column "value" has type bool`)
	})
	t.Run("content that no format knows is not detected", func(t *testing.T) {
		_, err := Detect(writeFile(t, "notes.txt", "hello world\nthis is prose\n"))
		wantInputError(t, err, "cannot tell the format")
	})
	t.Run("a sink error stops a line reader and is returned", func(t *testing.T) {
		boom := errors.New("boom")
		p := writeFile(t, "u.data", "1\t2\t3\t881250949\n1\t3\t3\t881250949\n")
		if _, err := Read(context.Background(), "movielens-100k", p, &funcSink{event: func(*Event) error { return boom }}, ReadOptions{}); !errors.Is(err, boom) {
			t.Fatalf("err %v, want boom", err)
		}
	})
	t.Run("an event_id column is ignored and ids are recomputed", func(t *testing.T) {
		a, _ := mustRead(t, "events", writeFile(t, "a.csv", "customer_id,action,event_id\nc1,visit,1\n"))
		b, _ := mustRead(t, "events", writeFile(t, "b.csv", "event_id,action,customer_id\n2,visit,c1\n"))
		if a.events[0].ID != b.events[0].ID || a.events[0].ID != EventID("events", &Event{Customer: "c1", Action: "visit"}) {
			t.Errorf("ids %x, %x", a.events[0].ID, b.events[0].ID)
		}
	})
}

package benchmarks

import (
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	_ "github.com/duckdb/duckdb-go/v2" // the "duckdb" database/sql driver, for the reference only

	"github.com/custnet/custnet/engine"
	"github.com/custnet/custnet/internal/cputime"
)

// readCSVSQL is DuckDB's own bulk load of a generated events CSV, with the
// column types spelled out so that no sniffing is timed: the reference
// custnet's ingest is held to (goal: custnet ≥ 0.8× its rows/s).
func readCSVSQL(path string) string {
	return `CREATE TABLE t AS SELECT * FROM read_csv('` + strings.ReplaceAll(path, "'", "''") + `', header = true,
		columns = {'customer_id': 'VARCHAR', 'action': 'VARCHAR', 'at': 'TIMESTAMP', 'channel': 'VARCHAR',
		'item_id': 'VARCHAR', 'peer_id': 'VARCHAR', 'value': 'DOUBLE'})`
}

// span is the wall-clock and CPU time (user and system, all of the
// process's threads: DuckDB's workers included) of one step.
type span struct{ wall, cpu time.Duration }

func (s span) add(o span) span { return span{s.wall + o.wall, s.cpu + o.cpu} }

// timed runs f and returns its span.
func timed(f func()) span {
	c0, t0 := cputime.Process(), time.Now()
	f()
	return span{time.Since(t0), cputime.Process() - c0}
}

// duckdbReadCSV loads path with readCSVSQL into a fresh database file in
// dir and returns the time of the statement alone and that of closing the
// database after it. CREATE TABLE AS leaves part of its work to the next
// checkpoint, which Close runs: its parallel writers leave a partly filled
// row group each, which the checkpoint merges and compresses again (at 10M
// rows about 5 CPU-seconds on top of the statement's 8).
func duckdbReadCSV(b *testing.B, dir, path string) (stmt, closing span) {
	b.Helper()
	db, err := sql.Open("duckdb", filepath.Join(dir, "ref.duckdb"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	if err := db.PingContext(ctx); err != nil {
		b.Fatal(err)
	}
	stmt = timed(func() { _, err = db.ExecContext(ctx, readCSVSQL(path)) })
	if err != nil {
		b.Fatal(err)
	}
	closing = timed(func() { err = db.Close() })
	if err != nil {
		b.Fatal(err)
	}
	return stmt, closing
}

// custnetIngest ingests path into a fresh store in dir, declaring the
// analytics basis for the whole file, and returns the time of Ingest alone
// and that of closing the store after it.
func custnetIngest(b *testing.B, dir, path string, want int64) (ingest, closing span) {
	b.Helper()
	e := openStore(b, dir)
	var res *engine.IngestResult
	var err error
	ingest = timed(func() {
		res, err = e.Ingest(ctx, engine.IngestOptions{Path: path, Format: "events", AssumeConsent: []string{"analytics"}})
	})
	if err == nil && res.Read != want {
		err = fmt.Errorf("custnet read %d rows, want %d", res.Read, want)
	}
	if err != nil {
		e.Close()
		b.Fatal(err)
	}
	b.StopTimer()
	closing = timed(func() { err = e.Close() })
	if err != nil {
		b.Fatal(err)
	}
	b.StartTimer()
	return ingest, closing
}

// BenchmarkIngest loads one generated events CSV both with DuckDB's
// read_csv (CREATE TABLE AS, explicit column types, a fresh database) and
// with engine.Ingest (a fresh store, analytics declared for the source),
// and reports each one's rows/s and their ratio, custnet/duckdb (the goal:
// ≥ 0.8). custnet/duckdb-at-rest is the same ratio with each side's Close
// added, the time until the data is checkpointed in the database file (see
// duckdbReadCSV); the -cpu ratios divide CPU seconds instead, which depend
// less on what else the machine runs. ns/op times custnet's ingest only;
// the reference runs with the timer stopped. The CSV is generated once per
// size and cached (see benchDir).
func BenchmarkIngest(b *testing.B) {
	for _, rows := range []int64{1_000_000, 10_000_000} {
		b.Run("rows="+human(rows), func(b *testing.B) {
			path := generatedCSV(b, rows)
			var ref, refClose, own, ownClose span
			b.ReportAllocs()
			for b.Loop() {
				b.StopTimer()
				r, rc := duckdbReadCSV(b, b.TempDir(), path)
				dir := b.TempDir()
				b.StartTimer()
				o, oc := custnetIngest(b, dir, path, rows)
				ref, refClose, own, ownClose = ref.add(r), refClose.add(rc), own.add(o), ownClose.add(oc)
			}
			n := float64(b.N) * float64(rows)
			refRest, ownRest := ref.add(refClose), own.add(ownClose)
			b.ReportMetric(n/ref.wall.Seconds(), "duckdb-rows/s")
			b.ReportMetric(n/own.wall.Seconds(), "custnet-rows/s")
			b.ReportMetric(ref.wall.Seconds()/own.wall.Seconds(), "custnet/duckdb")
			b.ReportMetric(refRest.wall.Seconds()/ownRest.wall.Seconds(), "custnet/duckdb-at-rest")
			b.ReportMetric(ref.cpu.Seconds()/own.cpu.Seconds(), "custnet/duckdb-cpu")
			b.ReportMetric(refRest.cpu.Seconds()/ownRest.cpu.Seconds(), "custnet/duckdb-at-rest-cpu")
		})
	}
}

// BenchmarkGenerateIngest times the whole road from nothing to a loaded
// store: generate events into a fresh CSV, open a fresh store, ingest it
// (goals: ≤ 60 s wall and < 3 GB peak RSS at 10M events). The work runs
// in a child process so that its peak RSS is its own.
func BenchmarkGenerateIngest(b *testing.B) {
	for _, n := range []int64{10_000_000} {
		b.Run("events="+human(n), func(b *testing.B) {
			var r childResult
			var gen, ing, wall float64
			var peak int64
			for b.Loop() {
				dir := b.TempDir()
				r = runChild(b, "generate-ingest", "CUSTNET_BENCH_EVENTS="+strconv.FormatInt(n, 10), "CUSTNET_BENCH_WORK="+dir)
				if r.Events != n {
					b.Fatalf("generated %d events, want %d", r.Events, n)
				}
				gen += r.GenerateS
				ing += r.IngestS
				wall += r.processSeconds
				peak = max(peak, r.peakRSSBytes)
				os.RemoveAll(dir) // tens of GB over a -count run otherwise
			}
			k := float64(b.N)
			b.ReportMetric(wall/k, "wall-s")
			b.ReportMetric(gen/k, "generate-s")
			b.ReportMetric(ing/k, "ingest-s")
			b.ReportMetric(float64(peak)/(1<<20), "peak-RSS-MB")
			b.ReportMetric(float64(n)*k/wall, "events/s")
		})
	}
}

// human writes 1000000 as 1M and 100000 as 100k.
func human(n int64) string {
	switch {
	case n >= 1_000_000 && n%1_000_000 == 0:
		return fmt.Sprintf("%dM", n/1_000_000)
	case n >= 1000 && n%1000 == 0:
		return fmt.Sprintf("%dk", n/1000)
	}
	return strconv.FormatInt(n, 10)
}

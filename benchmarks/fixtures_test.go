package benchmarks

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/custnet/custnet/datasets"
	"github.com/custnet/custnet/engine"
)

// Compare two runs with benchstat:
//
//	go test -tags duckdb_arrow -run '^$' -bench Ingest -count 5 ./benchmarks > new.txt
//	benchstat old.txt new.txt
//
// Generated inputs are cached under $CUSTNET_BENCH_DIR (default
// os.TempDir()/custnet-bench), keyed by size and seed, so only the first
// run of a size pays for generation. The sizes need disk: about 70 bytes a
// row for the CSV and as much again for each store.

const benchSeed = 7

var ctx = context.Background()

// childEnv names the work a re-executed test binary does instead of
// running tests; see TestMain.
const childEnv = "CUSTNET_BENCH_CHILD"

func TestMain(m *testing.M) {
	if work := os.Getenv(childEnv); work != "" {
		os.Exit(childMain(work))
	}
	os.Exit(m.Run())
}

// benchDir returns the cache folder for generated inputs and stores.
func benchDir(tb testing.TB) string {
	tb.Helper()
	dir := os.Getenv("CUSTNET_BENCH_DIR")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "custnet-bench")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		tb.Fatal(err)
	}
	return dir
}

var genMu sync.Mutex

// generatedCSV returns the path of a generated events CSV with exactly
// events rows (50 events per customer on average), writing it on first use.
// WriteGenerated renames the file into place last, so an existing file is
// complete.
func generatedCSV(tb testing.TB, events int64) string {
	tb.Helper()
	return generatedFile(tb, events, int(max(2, events/50)))
}

func generatedFile(tb testing.TB, events int64, customers int) string {
	tb.Helper()
	genMu.Lock()
	defer genMu.Unlock()
	path := filepath.Join(benchDir(tb), fmt.Sprintf("events-n%d-c%d-s%d.csv", events, customers, benchSeed))
	if _, err := os.Stat(path); err == nil {
		return path
	}
	start := time.Now()
	_, st, err := datasets.WriteGenerated(ctx, path, datasets.GenerateOptions{Customers: customers, Seed: benchSeed, Events: events})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Logf("generated %s: %d events, %.0f MB in %.1fs", filepath.Base(path), st.Events, float64(st.Bytes)/1e6, time.Since(start).Seconds())
	return path
}

// openStore opens a fresh custnet store in dir.
func openStore(tb testing.TB, dir string) *engine.Engine {
	tb.Helper()
	e, err := engine.Open(ctx, engine.Options{Path: filepath.Join(dir, "store.duckdb"), TempDir: filepath.Join(dir, "tmp")})
	if err != nil {
		tb.Fatal(err)
	}
	return e
}

// childResult is what a child process reports on stdout, as JSON.
type childResult struct {
	Events         int64   `json:"events"`
	GenerateS      float64 `json:"generate_s"`
	IngestS        float64 `json:"ingest_s"`
	Loaded         int64   `json:"loaded"`
	Error          string  `json:"error,omitempty"`
	peakRSSBytes   int64
	processSeconds float64
}

// runChild re-executes the test binary to do work in a process of its own,
// so that its peak RSS (rusage maxrss) is the work's alone; in-process
// VmHWM would accumulate over every benchmark of the run.
func runChild(b *testing.B, work string, env ...string) childResult {
	b.Helper()
	exe, err := os.Executable()
	if err != nil {
		b.Fatal(err)
	}
	cmd := exec.CommandContext(ctx, exe, "-test.run=^$", "-test.bench=^$")
	cmd.Env = append(append(os.Environ(), childEnv+"="+work), env...)
	cmd.Stderr = os.Stderr
	start := time.Now()
	out, err := cmd.Output()
	wall := time.Since(start)
	if err != nil {
		b.Fatalf("child %s: %v\n%s", work, err, out)
	}
	var r childResult
	if err := json.Unmarshal(out, &r); err != nil {
		b.Fatalf("child %s: %v: %q", work, err, out)
	}
	if r.Error != "" {
		b.Fatalf("child %s: %s", work, r.Error)
	}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		r.peakRSSBytes = int64(ru.Maxrss) * 1024 // KiB on Linux
	}
	r.processSeconds = wall.Seconds()
	return r
}

// childMain runs in the re-executed binary and prints a childResult.
func childMain(work string) int {
	var r childResult
	var err error
	switch work {
	case "generate-ingest":
		r, err = generateIngest()
	default:
		err = fmt.Errorf("unknown child work %q", work)
	}
	if err != nil {
		r.Error = err.Error()
	}
	json.NewEncoder(os.Stdout).Encode(r)
	if err != nil {
		return 1
	}
	return 0
}

// generateIngest generates $CUSTNET_BENCH_EVENTS events into a fresh CSV in
// $CUSTNET_BENCH_WORK and ingests it into a fresh store there.
func generateIngest() (childResult, error) {
	var r childResult
	n, err := strconv.ParseInt(os.Getenv("CUSTNET_BENCH_EVENTS"), 10, 64)
	if err != nil {
		return r, err
	}
	dir := os.Getenv("CUSTNET_BENCH_WORK")
	path := filepath.Join(dir, "events.csv")
	t0 := time.Now()
	_, st, err := datasets.WriteGenerated(ctx, path, datasets.GenerateOptions{Customers: int(max(2, n/50)), Seed: benchSeed, Events: n})
	if err != nil {
		return r, err
	}
	r.Events, r.GenerateS = st.Events, time.Since(t0).Seconds()
	e, err := engine.Open(ctx, engine.Options{Path: filepath.Join(dir, "store.duckdb"), TempDir: filepath.Join(dir, "tmp")})
	if err != nil {
		return r, err
	}
	defer e.Close()
	t1 := time.Now()
	res, err := e.Ingest(ctx, engine.IngestOptions{Path: path, Format: "events", AssumeConsent: []string{"analytics"}})
	if err != nil {
		return r, err
	}
	r.IngestS, r.Loaded = time.Since(t1).Seconds(), res.Loaded
	return r, nil
}

package suite

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime/pprof"
	"slices"
	"strings"
	"time"

	"github.com/custnet/custnet/internal/atomicfile"
	"github.com/custnet/custnet/internal/dstest"
)

// Options configure [Run]. The zero value runs the quick suite on the
// datasets found beside the working directory and prints tables to stdout.
type Options struct {
	// Suite is "quick" (real datasets and 1M generated events; minutes on
	// two cores) or "full" (adds 10M and 100M generated events and the
	// cost-growth fit; about an hour and 25 GB of disk). Zero: "quick".
	Suite string
	// Datasets is the folder of the real public datasets. Zero:
	// $CUSTNET_DATASETS, else shared/datasets beside the working directory
	// or one of its parents. Stages whose dataset is missing are skipped and
	// listed as skipped.
	Datasets string
	// WorkDir is where a run keeps its generated files and stores, in a
	// fresh subfolder removed at the end. Zero: $CUSTNET_BENCH_DIR, else
	// os.TempDir()/custnet-bench.
	WorkDir string
	// Keep leaves the run's subfolder in place. Zero: it is removed.
	Keep bool
	// Seed seeds the generator. Zero: 7.
	Seed uint64
	// Threads is DuckDB's thread count in every stage. Zero: GOMAXPROCS.
	Threads int
	// MemoryLimit is DuckDB's memory_limit in every stage (custnet's and
	// the DuckDB reference's); DuckDB spills to the run folder above it.
	// Zero: "2GB".
	MemoryLimit string
	// Only, when set, is a regular expression matched against
	// "dataset/stage"; only the matching stages of the suite run (a stage's
	// prerequisites are not added: -only 'gen-1M/(generate|ingest)').
	// Zero: every stage of the suite.
	Only string
	// Python is the interpreter that times networkx's and igraph's
	// PageRank for reference. Zero: /usr/bin/python3. "none" skips it.
	Python string
	// RefScript is the PageRank reference script. Zero:
	// graph/testdata/pagerank_ref.py found from the working directory or
	// one of its parents.
	RefScript string
	// JSON prints the report to stdout as JSON instead of tables.
	JSON bool
	// Out, when set, is a file that also receives the JSON report, written
	// to a temporary file in the same folder and renamed into place. Zero:
	// none.
	Out string
	// Log receives a line as each stage starts and ends. Nil: silent.
	Log io.Writer `json:"-"`
	// Command is recorded in the report as the command that ran the suite.
	// Zero: the process's arguments.
	Command string
	// StageTimeout stops a stage still running after it; the stage is
	// reported as failed with how far it got (its last progress event).
	// Zero: 30 minutes, the whole budget of the 100M end-to-end goal.
	StageTimeout time.Duration
	// MaxRSSMB kills a stage whose process's resident set passes it, so
	// that a stage that outgrows the machine fails alone instead of
	// bringing in the kernel's OOM killer. Zero: 14,336 (14 GB).
	MaxRSSMB float64
	// CPUProfile, when set, is a folder where each stage's child writes a
	// Go CPU profile of its stage, named dataset_stage.pprof (read with
	// go tool pprof -top BINARY FILE). Zero: no profiles.
	CPUProfile string
	// Repeat runs each stage that can run again on its own output this
	// many times and reports the run of median time (the lower median for
	// an even count), with the largest peak RSS of the runs and every run's
	// time in Result.Runs. Ingest and the DuckDB CTAS reference run once:
	// a second run would find its store filled. The later runs of graph,
	// score and recommend find the first run's output in the store and
	// replace it, as a user running the stage again would (deleting the
	// rows first; that can take more memory than the first run: gen-10M-
	// 1Mcust score peaked at 3,697 MB with three runs, 2,596 MB alone).
	// Short stages vary most from run to run (a 2 s stage by ±20% on the
	// benchmark machine), and the cost-growth exponents compare them with
	// long ones. With --cpu-profile, the profile is the last run's. Zero: 1.
	Repeat int
}

// Report is what one run of a suite measured.
type Report struct {
	Suite   string    `json:"suite"`
	Command string    `json:"command"`
	Started time.Time `json:"started"`
	Seconds float64   `json:"seconds"`
	Machine Machine   `json:"machine"`
	Results []Result  `json:"results"`
	// Skipped lists stages of the suite that did not run, with the reason.
	Skipped []Skip   `json:"skipped,omitempty"`
	Growth  []Growth `json:"growth,omitempty"`
	// EndToEnd adds up the pipeline's stages on each generated dataset.
	EndToEnd []Total `json:"end_to_end,omitempty"`
	// Goals are the performance goals judged on this run's results.
	Goals []Goal `json:"goals,omitempty"`
	// Pending lists stages whose engine API does not exist yet.
	Pending []Pending `json:"not_yet_available"`
}

// Result is one stage's measurement on one dataset.
type Result struct {
	Dataset string `json:"dataset"`
	Stage   string `json:"stage"`
	// Size is the number of generated events, 0 for real datasets; the
	// cost-growth fit uses it.
	Size int64 `json:"size,omitempty"`
	// Rows is what the stage processed: events read for ingest and
	// generate, edges for graph stages.
	Rows     int64   `json:"rows"`
	RowsName string  `json:"rows_name"`
	Seconds  float64 `json:"seconds"` // the stage's own work, timed inside the child
	// ProcessSeconds is the child process's wall time, start-up and
	// store opening included.
	ProcessSeconds float64     `json:"process_seconds"`
	RowsPerSecond  float64     `json:"rows_per_second"`
	PeakRSSMB      float64     `json:"peak_rss_mb"` // the child's (and its children's) rusage maxrss
	Steps          []Step      `json:"steps,omitempty"`
	Refs           []Reference `json:"references,omitempty"`
	Note           string      `json:"note,omitempty"`
	Error          string      `json:"error,omitempty"`
	// Runs holds the time of every run when the stage ran more than once
	// (Options.Repeat); Seconds is their median.
	Runs []float64 `json:"runs,omitempty"`
}

// Step is one timed part of a stage (a graph metric, a reference
// implementation).
type Step struct {
	Name    string  `json:"name"`
	Seconds float64 `json:"seconds"`
}

// Reference is another implementation's time for the same work. Ratio is
// the reference's seconds divided by custnet's: above 1 custnet is faster.
type Reference struct {
	Name    string  `json:"name"`
	Seconds float64 `json:"seconds"`
	// Kind is "measured" (run in this suite, on this machine) or
	// "published" (quoted from its source, another machine).
	Kind   string  `json:"kind"`
	Source string  `json:"source,omitempty"`
	Ratio  float64 `json:"ratio,omitempty"`
	Goal   float64 `json:"goal_ratio,omitempty"` // the ratio custnet must reach, 0 when none
}

// Skip is a stage that did not run.
type Skip struct {
	Dataset string `json:"dataset"`
	Stage   string `json:"stage"`
	Reason  string `json:"reason"`
}

// Pending is a stage planned for an engine API that does not exist yet,
// with the published references it will be compared with.
type Pending struct {
	Stage     string      `json:"stage"`
	API       string      `json:"api"`
	Dataset   string      `json:"dataset,omitempty"`
	Published []Reference `json:"published,omitempty"`
}

// childEnv carries a child's stage description (JSON) from Run to Run.
const childEnv = "CUSTNET_BENCH_STAGE"

// childConf is what the parent tells a child.
type childConf struct {
	Dataset string  `json:"dataset"`
	Stage   string  `json:"stage"`
	RunDir  string  `json:"run_dir"`
	Result  string  `json:"result"` // file the child writes its measure to
	Options Options `json:"options"`
}

// Run runs the suite opt describes, prints the report to stdout (a table,
// or JSON with opt.JSON) and returns it. Each stage runs in a child process
// (see the package documentation); when Run is itself such a child it runs
// its one stage, prints nothing and returns a report holding that stage's
// result alone. A stage that fails is reported with its error and the
// suite goes on; Run fails only when it cannot run at all or write its
// output.
func Run(ctx context.Context, opt Options, stdout io.Writer) (*Report, error) {
	if c := os.Getenv(childEnv); c != "" {
		return runChild(ctx, c)
	}
	opt, only, err := resolve(opt)
	if err != nil {
		return nil, err
	}
	rep := &Report{Suite: opt.Suite, Command: opt.Command, Started: time.Now().UTC(), Pending: pending}
	rep.Machine = machine(ctx)
	if err := os.MkdirAll(opt.WorkDir, 0o755); err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	runDir, err := os.MkdirTemp(opt.WorkDir, "run-")
	if err != nil {
		return nil, fmt.Errorf("bench: %w", err)
	}
	if !opt.Keep {
		defer os.RemoveAll(runDir)
	}
	logf := func(format string, a ...any) {
		if opt.Log != nil {
			fmt.Fprintf(opt.Log, format+"\n", a...)
		}
	}
	logf("bench: suite %s, work in %s", opt.Suite, runDir)
	done := map[string]bool{} // "dataset/stage" that succeeded
	for _, ds := range datasetTable {
		if ds.full && opt.Suite != "full" {
			continue
		}
		for _, st := range stageTable {
			if !st.applies(ds) || !ds.has(st.name) {
				continue
			}
			key := ds.name + "/" + st.name
			if only != nil && !only.MatchString(key) {
				continue
			}
			skip := func(why string) {
				rep.Skipped = append(rep.Skipped, Skip{Dataset: ds.name, Stage: st.name, Reason: why})
				logf("bench: %s skipped: %s", key, why)
			}
			if why := ds.missing(opt); why != "" {
				skip(why)
				continue
			}
			if st.available != nil {
				if why := st.available(opt); why != "" {
					skip(why)
					continue
				}
			}
			if st.after != "" && !done[ds.name+"/"+st.after] {
				skip(st.after + " did not run or failed")
				continue
			}
			if err := ctx.Err(); err != nil {
				return nil, fmt.Errorf("bench: %w", err)
			}
			logf("bench: %s ...", key)
			runs := 1
			if !st.once {
				runs = opt.Repeat
			}
			var rs []Result
			for i := 0; i < runs; i++ {
				r := spawn(ctx, childConf{Dataset: ds.name, Stage: st.name, RunDir: runDir, Options: opt})
				rs = append(rs, r)
				if r.Error != "" || ctx.Err() != nil {
					break
				}
				if runs > 1 {
					logf("bench: %s: run %d of %d: %.2fs", key, i+1, runs, r.Seconds)
				}
			}
			r := medianRun(rs)
			if !ds.shape {
				r.Size = ds.events
			}
			if r.Error == "" {
				done[key] = true
				logf("bench: %s: %d %s in %.2fs, peak RSS %.0f MB", key, r.Rows, r.RowsName, r.Seconds, r.PeakRSSMB)
			} else {
				logf("bench: %s failed: %s", key, r.Error)
			}
			rep.Results = append(rep.Results, r)
			if ctx.Err() != nil {
				return nil, fmt.Errorf("bench: %w", ctx.Err())
			}
		}
	}
	attachReferences(rep.Results)
	rep.Growth = growthOf(rep.Results)
	rep.EndToEnd = endToEnd(rep.Results)
	rep.Goals = judge(rep)
	rep.Seconds = time.Since(rep.Started).Seconds()
	if opt.JSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		err = enc.Encode(rep)
	} else {
		err = WriteTable(stdout, rep)
	}
	if err != nil {
		return rep, fmt.Errorf("bench: %w", err)
	}
	if opt.Out != "" {
		if err := writeJSONFile(opt.Out, rep); err != nil {
			return rep, err
		}
	}
	return rep, nil
}

// medianRun returns the run of median time among rs (the lower median for
// an even count), with the largest peak RSS and every run's time in Runs;
// the last run when it failed.
func medianRun(rs []Result) Result {
	last := rs[len(rs)-1]
	if len(rs) == 1 || last.Error != "" {
		return last
	}
	byTime := slices.Clone(rs)
	slices.SortStableFunc(byTime, func(a, b Result) int { return cmp.Compare(a.Seconds, b.Seconds) })
	m := byTime[(len(rs)-1)/2]
	for _, r := range rs {
		m.Runs = append(m.Runs, r.Seconds)
		m.PeakRSSMB = max(m.PeakRSSMB, r.PeakRSSMB)
	}
	return m
}

// resolve fills in the zero values of opt.
func resolve(opt Options) (Options, *regexp.Regexp, error) {
	switch opt.Suite {
	case "":
		opt.Suite = "quick"
	case "quick", "full":
	default:
		return opt, nil, fmt.Errorf("bench: unknown suite %q (want quick or full)", opt.Suite)
	}
	if opt.Datasets == "" {
		opt.Datasets = dstest.Root()
	}
	if opt.WorkDir == "" {
		opt.WorkDir = os.Getenv("CUSTNET_BENCH_DIR")
	}
	if opt.WorkDir == "" {
		opt.WorkDir = filepath.Join(os.TempDir(), "custnet-bench")
	}
	if abs, err := filepath.Abs(opt.WorkDir); err == nil {
		opt.WorkDir = abs
	}
	if opt.CPUProfile != "" {
		if abs, err := filepath.Abs(opt.CPUProfile); err == nil {
			opt.CPUProfile = abs
		}
	}
	if opt.Datasets != "" {
		if abs, err := filepath.Abs(opt.Datasets); err == nil {
			opt.Datasets = abs
		}
	}
	if opt.Seed == 0 {
		opt.Seed = 7
	}
	if opt.StageTimeout == 0 {
		opt.StageTimeout = 30 * time.Minute
	}
	if opt.Repeat <= 0 {
		opt.Repeat = 1
	}
	if opt.MaxRSSMB == 0 {
		opt.MaxRSSMB = 14 * 1024
	}
	if opt.MemoryLimit == "" {
		opt.MemoryLimit = "2GB"
	}
	if opt.Python == "" {
		opt.Python = "/usr/bin/python3"
	}
	if opt.RefScript == "" {
		opt.RefScript = findUp(filepath.Join("graph", "testdata", "pagerank_ref.py"))
	}
	if opt.Command == "" {
		opt.Command = strings.Join(os.Args, " ")
	}
	var only *regexp.Regexp
	if opt.Only != "" {
		var err error
		if only, err = regexp.Compile(opt.Only); err != nil {
			return opt, nil, fmt.Errorf("bench: only: %w", err)
		}
	}
	return opt, only, nil
}

// findUp returns rel under the working directory or its nearest parent
// that has it, or "" when none does.
func findUp(rel string) string {
	dir, err := os.Getwd()
	if err != nil {
		return ""
	}
	for {
		p := filepath.Join(dir, rel)
		if _, err := os.Stat(p); err == nil {
			return p
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

// spawn runs one stage in a child process: this executable again, same
// arguments, with the stage in the environment.
func spawn(ctx context.Context, c childConf) Result {
	r := Result{Dataset: c.Dataset, Stage: c.Stage}
	fail := func(err error) Result { r.Error = err.Error(); return r }
	exe, err := os.Executable()
	if err != nil {
		return fail(err)
	}
	res, err := os.CreateTemp(c.RunDir, "result-*.json")
	if err != nil {
		return fail(err)
	}
	res.Close()
	defer os.Remove(res.Name())
	c.Result = res.Name()
	conf, err := json.Marshal(c)
	if err != nil {
		return fail(err)
	}
	// The child stops itself at the stage timeout and reports how far it
	// got; the parent kills it only if it has not ended a while later.
	ctx, cancel := context.WithTimeout(ctx, c.Options.StageTimeout+5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, exe, os.Args[1:]...)
	cmd.Env = append(os.Environ(), childEnv+"="+string(conf))
	var stderr bytes.Buffer
	cmd.Stdout = io.Discard
	cmd.Stderr = &tail{buf: &stderr, max: 4 << 10}
	start := time.Now()
	runErr := cmd.Start()
	killed := ""
	if runErr == nil {
		stop := watchRSS(cmd.Process.Pid, c.Options.MaxRSSMB)
		runErr = cmd.Wait()
		killed = stop()
	}
	r.ProcessSeconds = time.Since(start).Seconds()
	if cmd.ProcessState != nil {
		r.PeakRSSMB = float64(maxRSSBytes(cmd.ProcessState)) / (1 << 20)
	}
	var m measure
	data, _ := os.ReadFile(c.Result)
	if len(data) > 0 {
		if err := json.Unmarshal(data, &m); err != nil {
			return fail(fmt.Errorf("child result: %w", err))
		}
	}
	switch {
	case killed != "":
		r.Error = killed
	case m.Error != "":
		r.Error = m.Error
	case runErr != nil:
		msg := strings.TrimSpace(stderr.String())
		r.Error = strings.TrimSpace(fmt.Sprintf("child: %v %s", runErr, msg))
	case len(data) == 0:
		r.Error = "child wrote no result"
	}
	r.Rows, r.RowsName, r.Seconds, r.Steps, r.Note = m.Rows, m.RowsName, m.Seconds, m.Steps, m.Note
	if r.Seconds > 0 {
		r.RowsPerSecond = float64(r.Rows) / r.Seconds
	}
	return r
}

// tail keeps the last max bytes written to it.
type tail struct {
	buf *bytes.Buffer
	max int
}

func (t *tail) Write(p []byte) (int, error) {
	t.buf.Write(p)
	if extra := t.buf.Len() - t.max; extra > 0 {
		t.buf.Next(extra)
	}
	return len(p), nil
}

// measure is what a child reports.
type measure struct {
	Rows     int64   `json:"rows"`
	RowsName string  `json:"rows_name"`
	Seconds  float64 `json:"seconds"`
	Steps    []Step  `json:"steps,omitempty"`
	Note     string  `json:"note,omitempty"`
	Error    string  `json:"error,omitempty"`
}

// runChild runs the stage described by conf (JSON) and writes its measure
// to the result file the parent named.
func runChild(ctx context.Context, conf string) (*Report, error) {
	var c childConf
	if err := json.Unmarshal([]byte(conf), &c); err != nil {
		return nil, fmt.Errorf("bench child: %w", err)
	}
	os.Unsetenv(childEnv) // not for grandchildren
	ds, st := lookup(c.Dataset, c.Stage)
	var m measure
	var err error
	if ds == nil || st == nil {
		err = fmt.Errorf("no stage %s/%s", c.Dataset, c.Stage)
	} else {
		x := &stageEnv{conf: c, ds: ds}
		if dir := c.Options.CPUProfile; dir != "" {
			stop, perr := startCPUProfile(dir, c.Dataset+"_"+c.Stage)
			if perr != nil {
				return nil, fmt.Errorf("bench child: %w", perr)
			}
			defer stop()
		}
		sctx, cancel := context.WithTimeout(ctx, c.Options.StageTimeout)
		start := time.Now()
		m, err = st.run(sctx, x)
		if err != nil && sctx.Err() == context.DeadlineExceeded {
			m.Seconds = time.Since(start).Seconds()
			err = fmt.Errorf("timed out after %s%s: %w", c.Options.StageTimeout, x.howFar(), err)
		}
		cancel()
	}
	if err != nil {
		m.Error = err.Error()
	}
	data, jerr := json.Marshal(m)
	if jerr != nil {
		return nil, jerr
	}
	if werr := os.WriteFile(c.Result, data, 0o644); werr != nil {
		return nil, errors.Join(err, werr)
	}
	r := Result{Dataset: c.Dataset, Stage: c.Stage, Rows: m.Rows, RowsName: m.RowsName, Seconds: m.Seconds, Steps: m.Steps, Note: m.Note, Error: m.Error}
	return &Report{Suite: "child", Command: c.Options.Command, Results: []Result{r}}, err
}

// writeJSONFile writes rep to path through a temporary file in the same
// folder, renamed into place.
func writeJSONFile(path string, rep *Report) error {
	data, err := json.MarshalIndent(rep, "", "  ")
	if err == nil {
		err = atomicfile.Write(path, func(w io.Writer) error {
			_, err := w.Write(append(data, '\n'))
			return err
		})
	}
	if err != nil {
		return fmt.Errorf("bench: write %s: %w", path, err)
	}
	return nil
}

// startCPUProfile starts a CPU profile in dir/name.pprof (name with
// spaces and slashes made safe) and returns the function that stops it.
func startCPUProfile(dir, name string) (func(), error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	name = strings.NewReplacer(" ", "-", "/", "-").Replace(name)
	f, err := os.Create(filepath.Join(dir, name+".pprof"))
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); f.Close() }, nil
}

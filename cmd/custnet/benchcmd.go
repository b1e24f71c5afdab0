package main

import (
	"fmt"
	"regexp"

	"github.com/spf13/cobra"

	"github.com/custnet/custnet/benchmarks/suite"
)

func (a *app) benchCmd() *cobra.Command {
	var (
		opt   suite.Options
		quiet bool
	)
	cmd := &cobra.Command{
		Use:   "bench",
		Short: "Run the benchmark suite: time and peak memory of every stage",
		Long: `Bench runs custnet's benchmark suite and prints one row per stage and
dataset: rows processed, wall time, rows per second, peak RSS, and the
reference implementation it is compared with (DuckDB's own CSV load, networkx
and igraph PageRank, Surprise's published cross-validation times).

Each stage runs in a child process of its own (this command again, with the
same arguments), so its time and peak memory are its alone. DuckDB gets
--memory-limit (default 2GB here) and --threads in every stage and spills
into the run's folder under --work-dir (--temp-dir is not used).

The quick suite (the real datasets and 1M generated events) takes 20-30 s
on two cores. The full suite adds 10M and 100M generated events, the
end-to-end total at 100M and the cost-growth exponents; its generated sets
took 7 minutes in a quiet two-core run (13.5-14 with --repeat 3), and it
needs up to ~25 GB of disk in --work-dir. --repeat N runs each stage but
ingest and the DuckDB CTAS reference N times and reports the median, which
steadies the short 10M stages that the growth exponents compare with the
long 100M ones. benchmarks/RESULTS.md explains the figures.`,
		Example: `  custnet bench                                   # quick suite, tables on stdout
  custnet bench --suite full --repeat 3 --out benchmarks/results/full.json
  custnet bench --only 'gen-1M/(generate|ingest)' --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if opt.Suite != "quick" && opt.Suite != "full" {
				return usageError{fmt.Errorf("--suite %q: want quick or full", opt.Suite)}
			}
			if opt.Only != "" {
				if _, err := regexp.Compile(opt.Only); err != nil {
					return usageError{fmt.Errorf("--only: %v", err)}
				}
			}
			// The global DuckDB flags apply to every stage; bench's own
			// default memory limit is 2GB, and DuckDB spills into --work-dir.
			opt.MemoryLimit, opt.Threads = a.memoryLimit, a.threads
			if opt.Threads < 0 {
				return usageError{fmt.Errorf("--threads %d: must not be negative", opt.Threads)}
			}
			if opt.MaxRSSMB < 0 {
				return usageError{fmt.Errorf("--max-rss %g: must not be negative", opt.MaxRSSMB)}
			}
			if opt.StageTimeout < 0 {
				return usageError{fmt.Errorf("--stage-timeout %s: must not be negative", opt.StageTimeout)}
			}
			if opt.Repeat < 1 {
				return usageError{fmt.Errorf("--repeat %d: must be at least 1", opt.Repeat)}
			}
			if !quiet {
				opt.Log = a.stderr
			}
			_, err := suite.Run(cmd.Context(), opt, a.stdout)
			return err
		},
	}
	f := cmd.Flags()
	f.StringVar(&opt.Suite, "suite", "quick", "quick (real datasets, 1M events) or full (adds 10M and 100M events)")
	f.BoolVar(&opt.JSON, "json", false, "print the report as JSON instead of tables")
	f.StringVar(&opt.Out, "out", "", "also write the JSON report to this file")
	f.StringVar(&opt.Only, "only", "", "regular expression on dataset/stage: run only the stages it matches")
	f.StringVar(&opt.Datasets, "datasets", "", "folder of the real datasets (default $CUSTNET_DATASETS or shared/datasets found upwards)")
	f.StringVar(&opt.WorkDir, "work-dir", "", "folder for generated files and stores (default $CUSTNET_BENCH_DIR or $TMPDIR/custnet-bench)")
	f.BoolVar(&opt.Keep, "keep", false, "keep the run's generated files and stores")
	f.Uint64Var(&opt.Seed, "seed", 7, "generator seed")
	f.DurationVar(&opt.StageTimeout, "stage-timeout", 0, "stop a stage still running after this long and report how far it got (0: 30m)")
	f.StringVar(&opt.Python, "python", "", "python with networkx for the PageRank reference (default /usr/bin/python3; none to skip)")
	f.Float64Var(&opt.MaxRSSMB, "max-rss", 0, "kill a stage whose resident set passes this many MB (0: 14336)")
	f.StringVar(&opt.CPUProfile, "cpu-profile", "", "write each stage's Go CPU profile to this folder (dataset_stage.pprof)")
	f.IntVar(&opt.Repeat, "repeat", 1, "run each stage but ingest and DuckDB CTAS this many times and report the median time")
	f.BoolVar(&quiet, "quiet", false, "no progress lines on stderr")
	return cmd
}

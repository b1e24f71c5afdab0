package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/custnet/custnet/datasets"
	"github.com/custnet/custnet/engine"
)

// Exit codes.
const (
	exitOK    = 0
	exitError = 1 // the work failed: bad data, no consent, a locked store
	exitUsage = 2 // the command line is wrong
)

// usageError marks errors in how the command was called.
type usageError struct{ error }

// app carries what every command shares: streams, logger, global flags.
type app struct {
	stdout, stderr io.Writer
	logFormat      string
	logLevel       string
	memoryLimit    string
	tempDir        string
	threads        int
	log            *slog.Logger
	progress       *progressUI
}

// run executes custnet with args and returns the process exit code. It is
// main without os.Exit, so tests can call it.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	a := &app{stdout: stdout, stderr: stderr}
	root := a.rootCmd()
	root.SetArgs(args)
	root.SetOut(stdout)
	root.SetErr(stderr)
	cmd, err := root.ExecuteContextC(ctx)
	if a.progress != nil {
		a.progress.wait()
	}
	if err == nil {
		return exitOK
	}
	var ue usageError
	if errors.As(err, &ue) || isCobraUsage(err) {
		help := "custnet --help"
		if cmd != nil && cmd != root {
			help = cmd.CommandPath() + " --help"
		}
		fmt.Fprintf(stderr, "custnet: %v\nRun '%s' for usage.\n", err, help)
		return exitUsage
	}
	if engine.KindOf(err) == engine.KindCanceled {
		fmt.Fprintf(stderr, "custnet: interrupted: %v\n", err)
		return 130
	}
	fmt.Fprintf(stderr, "custnet: %v\n", err)
	return exitError
}

// isCobraUsage recognises cobra's own flag and argument errors.
func isCobraUsage(err error) bool {
	msg := err.Error()
	for _, p := range []string{"unknown flag", "unknown shorthand flag", "unknown command", "flag needs an argument",
		"invalid argument", "accepts ", "requires at least", "required flag", "arg(s)", "if any flags in the group"} {
		if strings.Contains(msg, p) {
			return true
		}
	}
	return false
}

func (a *app) rootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:   "custnet",
		Short: "Customer-network analytics on consented data",
		Long: `custnet ingests consented customer interaction data into an embedded DuckDB
store, builds the customer network, scores every customer on Rogers' five
customer-network strategies (ACCESS, ENGAGE, CUSTOMIZE, CONNECT, COLLABORATE),
recommends items, and writes reports that open offline.

Nothing enters the store without a recorded consent basis, and revoking a
customer's consent erases their traces.`,
		Example: `  custnet run                                  # the whole pipeline on generated data
  custnet generate --customers 20000 --seed 7 --out events.parquet
  custnet ingest --store shop.duckdb --format events --consents events.consents.csv events.parquet
  custnet stats --store shop.duckdb`,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			return a.setup(cmd)
		},
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	pf := root.PersistentFlags()
	pf.StringVar(&a.logFormat, "log-format", "text", "log format on stderr: text or json")
	pf.StringVar(&a.logLevel, "log-level", "info", "log level: debug, info, warn or error")
	pf.StringVar(&a.memoryLimit, "memory-limit", "", "DuckDB memory limit, e.g. 4GB; above it DuckDB spills to --temp-dir (default: 80% of RAM)")
	pf.StringVar(&a.tempDir, "temp-dir", "", "where DuckDB spills (default: beside the store)")
	pf.IntVar(&a.threads, "threads", 0, "DuckDB threads (default: the number of cores)")
	root.AddCommand(a.generateCmd(), a.ingestCmd(), a.consentCmd(), a.statsCmd(), a.graphCmd(), a.scoreCmd(), a.exportScoresCmd(), a.trainCmd(), a.recommendCmd(), a.evaluateCmd(), a.reportCmd(), a.exportCmd(), a.rejectsCmd(), a.serveCmd(), a.runCmd(), a.formatsCmd(), a.fetchCmd(), a.benchCmd())
	return root
}

func (a *app) setup(cmd *cobra.Command) error {
	var level slog.Level
	if err := level.UnmarshalText([]byte(a.logLevel)); err != nil {
		return usageError{fmt.Errorf("--log-level %q: want debug, info, warn or error", a.logLevel)}
	}
	hopts := &slog.HandlerOptions{Level: level}
	switch a.logFormat {
	case "text":
		a.log = slog.New(slog.NewTextHandler(a.stderr, hopts))
	case "json":
		a.log = slog.New(slog.NewJSONHandler(a.stderr, hopts))
	default:
		return usageError{fmt.Errorf("--log-format %q: want text or json", a.logFormat)}
	}
	if a.threads < 0 {
		return usageError{fmt.Errorf("--threads %d: want a positive number, or 0 for one per core", a.threads)}
	}
	if a.memoryLimit != "" && !memoryLimitRE.MatchString(a.memoryLimit) {
		return usageError{fmt.Errorf("--memory-limit %q: want a size like 4GB or 512MB", a.memoryLimit)}
	}
	if f, ok := a.stderr.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		a.progress = newProgressUI(cmd.Context(), a.stderr)
	}
	return nil
}

// memoryLimitRE admits what DuckDB's memory_limit can take: a number with a
// unit (DuckDB checks which unit), or -1 and none for no limit.
var memoryLimitRE = regexp.MustCompile(`^\s*(\d+(\.\d+)?\s*[A-Za-z]+|-1|(?i:none))\s*$`)

// openStore opens the store at path read-write with the CLI's logger and
// progress, creating it when missing: for the commands that bring data in.
func (a *app) openStore(ctx context.Context, path string) (*engine.Engine, error) {
	return a.open(ctx, engine.Options{Path: path})
}

// openExisting opens the store at path, read-only or not, refusing a path
// with no store rather than creating an empty one: for the commands that
// read or analyse ingested data, where a mistyped --store would otherwise
// give empty results.
func (a *app) openExisting(ctx context.Context, path string, readOnly bool) (*engine.Engine, error) {
	e, err := a.open(ctx, engine.Options{Path: path, ReadOnly: readOnly, MustExist: true})
	if errors.Is(err, engine.ErrNotFound) {
		return nil, fmt.Errorf("%w (custnet ingest, or custnet run --store, creates one)", err)
	}
	return e, err
}

func (a *app) open(ctx context.Context, opts engine.Options) (*engine.Engine, error) {
	opts.Logger, opts.MemoryLimit, opts.TempDir, opts.Threads = a.log, a.memoryLimit, a.tempDir, a.threads
	if a.progress != nil {
		opts.Progress = a.progress.report
	}
	return engine.Open(ctx, opts)
}

// printJSON writes v to stdout as indented JSON.
func (a *app) printJSON(v any) error {
	enc := json.NewEncoder(a.stdout)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// checkOutDir refuses an --out file whose folder does not exist, so that a
// command fails before its work instead of after it.
func checkOutDir(out string) error {
	dir := filepath.Dir(out)
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return usageError{fmt.Errorf("--out %s: folder %s does not exist", out, dir)}
	}
	return nil
}

// storeFlag adds the --store flag shared by the commands that use a store.
func storeFlag(cmd *cobra.Command, p *string) {
	cmd.Flags().StringVar(p, "store", "custnet.duckdb", "path of the DuckDB store file (\":memory:\" for a throw-away store)")
}

func (a *app) formatsCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "formats",
		Short: "List the input formats custnet reads",
		Long: `Formats lists every input format with a one-line description. Give the
name to ingest --format, or let --format auto recognise the file by content.`,
		Example: "  custnet formats\n  custnet ingest --format filmtrust --assume-consent analytics ratings.txt",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			for _, f := range datasets.Formats() {
				fmt.Fprintf(a.stdout, "%-18s %s\n", f.Name, f.Description)
			}
			return nil
		},
	}
}

package main

import (
	"fmt"
	"io"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/custnet/custnet/engine"
	"github.com/custnet/custnet/strategies"
)

// featureTable renders the strategies' feature definitions for --help.
func featureTable() string {
	var b strings.Builder
	for _, f := range strategies.Features() {
		fmt.Fprintf(&b, "  %-12s %-26s %s (%s)\n", strings.ToUpper(string(f.Strategy)), f.Name, f.Meaning, f.Unit)
	}
	return b.String()
}

func (a *app) scoreCmd() *cobra.Command {
	var (
		store, asOf, config, by string
		window                  time.Duration = 90 * 24 * time.Hour
		compare, asJSON         bool
	)
	cmd := &cobra.Command{
		Use:   "score",
		Short: "Score every consented customer on the five strategies",
		Long: `Score computes each customer's features over a window in DuckDB, turns them
into 0-100 scores (weighted mean of the customer's percentile ranks within
the scored population) for ACCESS, ENGAGE, CUSTOMIZE, CONNECT and
COLLABORATE plus a composite, explains each score by the features that moved
it most, and aggregates per community and per --by attribute. Run
'custnet graph' first for the CONNECT network features.

Weights and the action→strategy mapping come from --config (YAML; see
strategies/strategies.example.yaml for the defaults).

Features:
` + featureTable(),
		Example: `  custnet score --store shop.duckdb --window 90d --by occupation --compare-previous
  custnet score --store shop.duckdb --as-of 2024-06-30 --config strategies.yaml --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			opt := engine.ScoreOptions{Days: int(window / (24 * time.Hour)), By: splitList(by), ComparePrevious: compare}
			if window%(24*time.Hour) != 0 || opt.Days <= 0 {
				return usageError{fmt.Errorf("--window %s: want a whole number of days, like 90d", window)}
			}
			if asOf != "" {
				t, err := time.Parse(time.DateOnly, asOf)
				if err != nil {
					return usageError{fmt.Errorf("--as-of %q: want a date like 2024-06-30", asOf)}
				}
				opt.AsOf = t
			}
			if config != "" {
				cfg, err := strategies.LoadConfig(config)
				if err != nil {
					return &engine.Error{Kind: engine.KindBadInput, Err: err}
				}
				opt.Config = cfg
			}
			e, err := a.openExisting(cmd.Context(), store, false)
			if err != nil {
				return err
			}
			defer e.Close()
			res, err := e.Score(cmd.Context(), opt)
			if err != nil {
				return err
			}
			if asJSON {
				return a.printJSON(res)
			}
			w := a.stdout
			fmt.Fprintf(w, "scored %d customers, %s (%.2fs)\n", res.Customers, res.WindowText(), res.Seconds)
			fmt.Fprintf(w, "%-12s %6s %7s %7s\n", "strategy", "mean", "median", "active")
			for _, g := range res.Aggregates {
				if g.Dimension == "all" {
					fmt.Fprintf(w, "%-12s %6.1f %7.1f %6.0f%%", g.Strategy, g.Mean, g.Median, 100*g.ActiveShare)
					if g.Change != nil {
						fmt.Fprintf(w, "  change %+.1f", *g.Change)
					}
					fmt.Fprintln(w)
				}
			}
			for _, s := range res.Maturity {
				fmt.Fprintln(w, s)
			}
			printGroups(w, res)
			return nil
		},
	}
	storeFlag(cmd, &store)
	f := cmd.Flags()
	f.StringVar(&asOf, "as-of", "", "last day of the window (default: the day of the latest event)")
	f.Var(daysFlag{&window}, "window", "window length, e.g. 90d")
	f.StringVar(&config, "config", "", "YAML file with weights and action mapping")
	f.StringVar(&by, "by", "", "customer attributes to aggregate by, comma-separated (e.g. occupation)")
	f.BoolVar(&compare, "compare-previous", false, "also score the previous window and report changes")
	f.BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func (a *app) exportScoresCmd() *cobra.Command {
	var store, format, out string
	cmd := &cobra.Command{
		Use:   "export-scores",
		Short: "Write the scores table to Parquet, CSV or JSON Lines",
		Long: `Export-scores copies the latest scores (five strategies, composite and the
explanation JSON per customer) to a file. The format follows --out's
extension (.parquet, .csv, .jsonl) unless --format says otherwise.`,
		Example: "  custnet export-scores --store shop.duckdb --format parquet --out scores.parquet",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if out == "" {
				return usageError{fmt.Errorf("--out is required")}
			}
			known := map[string]bool{"parquet": true, "csv": true, "jsonl": true}
			ext := strings.TrimPrefix(strings.ToLower(filepath.Ext(out)), ".")
			if format == "" {
				format = ext
				if !known[format] {
					return usageError{fmt.Errorf("--out %q: end it in .parquet, .csv or .jsonl, or give --format", out)}
				}
			}
			if !known[format] {
				return usageError{fmt.Errorf("--format %q: want parquet, csv or jsonl", format)}
			}
			if ext != format && known[ext] {
				return usageError{fmt.Errorf("--format %s does not match --out %s", format, out)}
			}
			if err := checkOutDir(out); err != nil {
				return err
			}
			e, err := a.openExisting(cmd.Context(), store, true)
			if err != nil {
				return err
			}
			defer e.Close()
			n, err := e.ExportScores(cmd.Context(), format, out)
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "wrote %d customers' scores to %s\n", n, out)
			return nil
		},
	}
	storeFlag(cmd, &store)
	cmd.Flags().StringVar(&format, "format", "", "parquet, csv or jsonl (default: from --out's extension)")
	cmd.Flags().StringVar(&out, "out", "", "output file (required)")
	return cmd
}

// printGroups prints, per aggregation dimension, the composite mean of its
// largest groups.
func printGroups(w io.Writer, res *engine.ScoreResult) {
	byDim := map[string][]strategies.GroupStats{}
	var dims []string
	for _, g := range res.Aggregates {
		if g.Dimension == "all" || g.Strategy != strategies.Composite {
			continue
		}
		if _, ok := byDim[g.Dimension]; !ok {
			dims = append(dims, g.Dimension)
		}
		byDim[g.Dimension] = append(byDim[g.Dimension], g)
	}
	for _, d := range dims {
		gs := byDim[d]
		sort.SliceStable(gs, func(i, j int) bool { return gs[i].Customers > gs[j].Customers })
		fmt.Fprintf(w, "by %s (composite mean; %d groups, largest first):\n", d, len(gs))
		for i, g := range gs {
			if i == 10 {
				fmt.Fprintf(w, "  ... %d more (see --json)\n", len(gs)-10)
				break
			}
			fmt.Fprintf(w, "  %-20s %6d customers  %5.1f\n", g.Group, g.Customers, g.Mean)
		}
	}
}

package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/custnet/custnet/datasets"
)

func (a *app) generateCmd() *cobra.Command {
	var (
		customers int
		events    int64
		seed      uint64
		out       string
	)
	cmd := &cobra.Command{
		Use:   "generate",
		Short: "Write a deterministic synthetic customer network",
		Long: `Generate writes a synthetic customer network for a seed: power-law activity,
communities with dense internal trust and follow links, a few bridging
customers, channels with time-of-day patterns, content views with dwell
times, ratings, recommendation accepts and dismissals, contributions,
answers and votes, and consent records with refusals and revocations.
Every action of the vocabulary occurs. The same flags give the same bytes.

Beside OUT it writes STEM.consents.csv, STEM.customers.csv and
STEM.truth.json (the planted communities and bridges). OUT's extension picks
the format: .parquet, .csv, .csv.gz or .jsonl.`,
		Example: `  custnet generate --customers 20000 --seed 7 --out events.parquet
  custnet generate --events 10000000 --out big.csv`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if customers <= 0 || events < 0 {
				return usageError{fmt.Errorf("--customers must be positive and --events not negative")}
			}
			switch {
			case strings.HasSuffix(out, ".parquet"), strings.HasSuffix(out, ".csv"), strings.HasSuffix(out, ".csv.gz"), strings.HasSuffix(out, ".jsonl"):
			default:
				return usageError{fmt.Errorf("--out %q: want a .parquet, .csv, .csv.gz or .jsonl file", out)}
			}
			if err := checkOutDir(out); err != nil {
				return err
			}
			opt := datasets.GenerateOptions{Customers: customers, Seed: seed, Events: events}
			_, st, err := datasets.WriteGenerated(cmd.Context(), out, opt)
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "wrote %s: %d events of %d customers (seed %d)\n", out, st.Events, st.Customers, seed)
			return nil
		},
	}
	f := cmd.Flags()
	f.IntVar(&customers, "customers", 20000, "number of customers")
	f.Int64Var(&events, "events", 0, "total events to aim for (0: about 50 per customer)")
	f.Uint64Var(&seed, "seed", 7, "random seed")
	f.StringVar(&out, "out", "events.parquet", "output file (.parquet, .csv, .csv.gz or .jsonl)")
	return cmd
}

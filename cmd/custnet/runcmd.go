package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/custnet/custnet/engine"
)

func (a *app) runCmd() *cobra.Command {
	var o engine.PipelineOptions
	var assume string
	cmd := &cobra.Command{
		Use:   "run",
		Short: "Run the whole pipeline: data, store, and every analysis stage",
		Long: `Run executes the pipeline end to end. Without --data it generates the
built-in default network (20,000 customers, seed 7) with its consent records;
with --data it ingests that source (--format, and a consent basis:
--consents or --assume-consent). The store is a temporary file unless
--store names one. The recommender served is the one of baseline,
knn-baseline, svd, als-implicit and the most-rated list that ranks a 20%
holdout of the ratings best (NDCG@10). Outputs go to --out, and the last
lines say where.`,
		Example: `  custnet run
  custnet run --data ../shared/datasets/movielens-100k/u.data --format movielens-100k --assume-consent analytics,personalization --out ml100k`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if assume != "" {
				o.AssumeConsent = splitList(assume)
			}
			if o.Data != "" && o.Consents == "" && len(o.AssumeConsent) == 0 {
				return usageError{fmt.Errorf("--data needs a consent basis: --consents FILE or --assume-consent analytics[,personalization]")}
			}
			if o.Data == "" && (o.Consents != "" || assume != "") {
				return usageError{fmt.Errorf("--consents and --assume-consent go with --data; the generated default carries its own consent records")}
			}
			if err := os.MkdirAll(o.Out, 0o755); err != nil {
				return err
			}
			o.Logger = a.log
			if a.progress != nil {
				o.Progress = a.progress.report
			}
			res, err := engine.RunPipeline(cmd.Context(), o)
			if err != nil {
				return err
			}
			w := a.stdout
			for _, s := range res.Steps {
				fmt.Fprintf(w, "%-10s %6.2fs  %s\n", s.Name, s.Seconds, s.Summary)
			}
			fmt.Fprintln(w, "outputs:")
			for _, p := range res.Outputs {
				fmt.Fprintf(w, "  %s\n", p)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.Data, "data", "", "source to ingest instead of the generated default")
	f.StringVar(&o.Format, "format", "auto", "format of --data")
	f.StringVar(&o.Consents, "consents", "", "consents CSV for --data")
	f.StringVar(&assume, "assume-consent", "", "purposes declared by the operator for --data: analytics,personalization")
	f.StringVar(&o.Out, "out", "custnet-out", "folder for the outputs")
	f.StringVar(&o.Store, "store", "", "store file to keep (default: a temporary store, removed at the end)")
	f.IntVar(&o.Customers, "customers", 20000, "customers of the generated default")
	f.Uint64Var(&o.Seed, "seed", 7, "seed of the generated default")
	return cmd
}

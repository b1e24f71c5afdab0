package main

import (
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/custnet/custnet/engine"
)

func (a *app) trainCmd() *cobra.Command {
	var store, model, out string
	cmd := &cobra.Command{
		Use:   "train",
		Short: "Train a recommender on the consented ratings and save it",
		Long: `Train fits a recommender on the ratings of customers with an active
personalization consent (implicit models: on every item interaction) and
saves it as a versioned, checksummed file that recommend --model loads.

Models: ` + strings.Join(engine.Models(), ", "),
		Example: "  custnet train --store shop.duckdb --model svd --out model.cnm",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkModels(model); err != nil {
				return err
			}
			if err := checkOutDir(out); err != nil {
				return err
			}
			e, err := a.openExisting(cmd.Context(), store, true)
			if err != nil {
				return err
			}
			defer e.Close()
			res, err := e.Train(cmd.Context(), engine.TrainOptions{Model: model, Out: out})
			if err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "trained %s on %d ratings of %d customers and %d items (%d repeats replaced) in %.2fs; saved %s\n",
				res.Model, res.Stats.Ratings, res.Stats.Customers, res.Stats.Items, res.Stats.Repeats, res.Seconds, res.Path)
			return nil
		},
	}
	storeFlag(cmd, &store)
	cmd.Flags().StringVar(&model, "model", "knn-baseline", "model to train")
	cmd.Flags().StringVar(&out, "out", "model.cnm", "model file to write")
	return cmd
}

func (a *app) recommendCmd() *cobra.Command {
	var (
		store, customer, model, train, out string
		n                                  int
		all, explain, asJSON               bool
	)
	cmd := &cobra.Command{
		Use:   "recommend",
		Short: "Recommend items a customer has not consumed yet",
		Long: `Recommend prints the top items for one customer (--customer) or writes
top-n lists for every consented customer (--all, in parallel, to the
recommendations table and optionally a Parquet file). Only customers with an
active personalization consent get recommendations; others get a clear
message. The model comes from --model FILE (custnet train) or is trained on
the fly with --train NAME.`,
		Example: `  custnet recommend --store shop.duckdb --model model.cnm --customer 42 -n 10 --explain
  custnet recommend --store shop.duckdb --train knn-baseline --all -n 10 --out recs.parquet`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if (customer == "") == !all {
				return usageError{fmt.Errorf("give either --customer ID or --all")}
			}
			if n <= 0 {
				return usageError{fmt.Errorf("-n must be positive")}
			}
			if out != "" && !all {
				return usageError{fmt.Errorf("--out goes with --all")}
			}
			if out != "" {
				if err := checkOutDir(out); err != nil {
					return err
				}
			}
			if model == "" {
				if err := checkModels(train); err != nil {
					return err
				}
			}
			e, err := a.openExisting(cmd.Context(), store, !all) // --all writes the recommendations table
			if err != nil {
				return err
			}
			defer e.Close()
			if model != "" {
				err = e.LoadModel(cmd.Context(), model)
			} else {
				_, err = e.Train(cmd.Context(), engine.TrainOptions{Model: train})
			}
			if err != nil {
				return err
			}
			if all {
				k, err := e.RecommendAll(cmd.Context(), n, out)
				if err != nil {
					return err
				}
				fmt.Fprintf(a.stdout, "recommended %d items each to %d consented customers", n, k)
				if out != "" {
					fmt.Fprintf(a.stdout, "; wrote %s", out)
				}
				fmt.Fprintln(a.stdout)
				return nil
			}
			recs, err := e.Recommend(cmd.Context(), customer, n)
			if err != nil {
				return err
			}
			if asJSON {
				return a.printJSON(recs)
			}
			for _, r := range recs {
				name := r.Title
				if name == "" {
					name = "item " + r.ItemID
				}
				fmt.Fprintf(a.stdout, "%2d. %s  (%.2f)", r.Rank, name, r.Score)
				if explain && r.Reason != "" {
					fmt.Fprintf(a.stdout, "  %s", r.Reason)
				}
				fmt.Fprintln(a.stdout)
			}
			return nil
		},
	}
	storeFlag(cmd, &store)
	f := cmd.Flags()
	f.StringVar(&customer, "customer", "", "customer id")
	f.BoolVar(&all, "all", false, "recommend for every consented customer")
	f.IntVarP(&n, "n", "n", 10, "items per customer")
	f.StringVar(&model, "model", "", "model file from custnet train")
	f.StringVar(&train, "train", "knn-baseline", "model to train on the fly when --model is not given")
	f.StringVar(&out, "out", "", "with --all: Parquet file to write")
	f.BoolVar(&explain, "explain", false, "show why each item is recommended")
	f.BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func (a *app) evaluateCmd() *cobra.Command {
	var (
		o      engine.EvaluateOptions
		store  string
		models string
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "evaluate",
		Short: "Measure recommender accuracy and top-N quality",
		Long: `Evaluate cross-validates recommenders on a ratings source (--data, read
directly, no store needed) or on the store's consented ratings, with the
same folds for every model. It prints per fold and in total RMSE, MAE, fit
and test seconds, and the top-N protocol (ratings as implicit interactions,
each test fold's items ranked against everything the customer has not seen
in training): Precision@10, Recall@10, NDCG@10, MAP@10, catalogue coverage
and back-catalogue share, with the popularity baseline in the same run.

Protocols: kfold (--folds, --seed), holdout, given-splits (MovieLens 100k's
u1..u5 base/test files). Models: ` + strings.Join(engine.Models(), ", ") + `.
--json prints the Evaluation object (fields are only ever added).`,
		Example: `  custnet evaluate --data ../shared/datasets/movielens-100k/u.data --format movielens-100k --model svd,knn-baseline
  custnet evaluate --data ../shared/datasets/movielens-100k --protocol given-splits --model baseline --json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.Models = splitList(models)
			if err := checkModels(o.Models...); err != nil {
				return err
			}
			switch {
			case o.Protocol != "kfold" && o.Protocol != "holdout" && o.Protocol != "given-splits":
				return usageError{fmt.Errorf("--protocol %q: want kfold, holdout or given-splits", o.Protocol)}
			case o.Protocol == "kfold" && o.Folds < 2:
				return usageError{fmt.Errorf("--folds %d: want at least 2", o.Folds)}
			case o.Data == "" && store == "":
				return usageError{fmt.Errorf("give --data FILE to evaluate on a ratings source, or --store STORE for the store's ratings")}
			case o.Data != "" && store != "":
				return usageError{fmt.Errorf("give --data or --store, not both")}
			}
			if store == "" {
				store = ":memory:"
			}
			e, err := a.openExisting(cmd.Context(), store, false)
			if err != nil {
				return err
			}
			defer e.Close()
			ev, err := e.Evaluate(cmd.Context(), o)
			if err != nil {
				return err
			}
			if asJSON {
				return a.printJSON(ev)
			}
			w := a.stdout
			fmt.Fprintf(w, "%s, %s, %d folds, seed %d: %d ratings, %d customers, %d items\n",
				ev.Dataset, ev.Protocol, ev.Folds, ev.Seed, ev.Data.Ratings, ev.Data.Customers, ev.Data.Items)
			fmt.Fprintf(w, "%-13s %-6s %7s %7s %8s %8s %7s %7s %7s %7s %8s %8s %8s\n", "model", "fold", "RMSE", "MAE", "fit s", "test s", "P@10", "R@10", "NDCG@10", "MAP@10", "coverage", "backcat", "peak MB")
			for _, r := range ev.Results {
				for _, s := range r.PerSplit {
					fmt.Fprintf(w, "%-13s %-6s %s %s %8.3f %8.3f %7.4f %7.4f %7.4f %7.4f %8.3f %8.3f %8d\n", r.Model, s.Split, ratingCell(s.RMSE), ratingCell(s.MAE), s.FitSeconds, s.TestSeconds, s.Precision, s.Recall, s.NDCG, s.MAP, s.Coverage, s.BackCatalogue, s.PeakRSS>>20)
				}
				fmt.Fprintf(w, "%-13s %-6s %s %s %8.3f %8.3f %7.4f %7.4f %7.4f %7.4f %8.3f %8.3f %8d\n", r.Model, "total", ratingCell(r.RMSE), ratingCell(r.MAE), r.FitSeconds, r.TestSeconds, r.Precision, r.Recall, r.NDCG, r.MAP, r.Coverage, r.BackCatalogue, ev.PeakRSS>>20)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&store, "store", "", "evaluate the store's consented ratings (and record results there) instead of --data")
	f.StringVar(&o.Data, "data", "", "ratings source to evaluate on")
	f.StringVar(&o.Format, "format", "auto", "format of --data")
	f.StringVar(&models, "model", "knn-baseline", "models, comma-separated")
	f.StringVar(&o.Protocol, "protocol", "kfold", "kfold, holdout or given-splits")
	f.IntVar(&o.Folds, "folds", 5, "folds for kfold")
	f.Uint64Var(&o.Seed, "seed", 1, "seed of the folds")
	f.BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

// ratingCell prints an RMSE or MAE, or "-" for models that rank items but
// predict no ratings (popularity, EASE, implicit ALS).
func ratingCell(v float64) string {
	if v == 0 {
		return "      -"
	}
	return fmt.Sprintf("%7.4f", v)
}

// checkModels reports unknown model names as usage errors.
func checkModels(names ...string) error {
	known := engine.Models()
	for _, n := range names {
		if !slices.Contains(known, n) {
			return usageError{fmt.Errorf("unknown model %q (want one of %s)", n, strings.Join(known, ", "))}
		}
	}
	return nil
}

package main

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/custnet/custnet/engine"
)

func (a *app) reportCmd() *cobra.Command {
	var store, out, title string
	var showIDs bool
	cmd := &cobra.Command{
		Use:   "report",
		Short: "Write the self-contained HTML report",
		Long: `Report writes one HTML file that opens offline (the chart library is inside
it): data and consent, the five strategies, the customer network,
recommendations, and the top customers per strategy. Sections whose stage
has not run say so. Customer ids are pseudonymised with a keyed hash unless
--show-ids is given.`,
		Example: "  custnet report --store shop.duckdb --out report.html",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkOutDir(out); err != nil {
				return err
			}
			e, err := a.openExisting(cmd.Context(), store, false)
			if err != nil {
				return err
			}
			defer e.Close()
			if err := e.Report(cmd.Context(), out, engine.ReportOptions{Title: title, ShowIDs: showIDs}); err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "wrote %s\n", out)
			return nil
		},
	}
	storeFlag(cmd, &store)
	cmd.Flags().StringVar(&out, "out", "report.html", "output HTML file")
	cmd.Flags().StringVar(&title, "title", "", "page title (default \"custnet report\")")
	cmd.Flags().BoolVar(&showIDs, "show-ids", false, "show customer ids instead of pseudonyms")
	return cmd
}

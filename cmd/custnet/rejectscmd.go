package main

import (
	"fmt"

	"github.com/spf13/cobra"
)

func (a *app) rejectsCmd() *cobra.Command {
	var store string
	var batch int64
	var n int
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "rejects",
		Short: "Show the records an ingest set aside, with file, line and reason",
		Long: `Rejects prints the quarantined records of the store's rejects table: the
records an ingest could not load, each with its file, line, reason and raw
text (first 1 KiB).`,
		Example: "  custnet rejects --store shop.duckdb --batch 3 -n 50",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if n <= 0 || batch < 0 {
				return usageError{fmt.Errorf("-n must be positive and --batch not negative")}
			}
			e, err := a.openExisting(cmd.Context(), store, true)
			if err != nil {
				return err
			}
			defer e.Close()
			rows, err := e.Rejects(cmd.Context(), batch, n)
			if err != nil {
				return err
			}
			if asJSON {
				return a.printJSON(rows)
			}
			if len(rows) == 0 {
				fmt.Fprintln(a.stdout, "no rejects")
			}
			for _, r := range rows {
				fmt.Fprintf(a.stdout, "batch %d  %s:%d: %s\n    %s\n", r.BatchID, r.File, r.Line, r.Reason, r.Raw)
			}
			return nil
		},
	}
	storeFlag(cmd, &store)
	cmd.Flags().Int64Var(&batch, "batch", 0, "only this ingest batch (0: all)")
	cmd.Flags().IntVarP(&n, "n", "n", 20, "at most this many rows")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

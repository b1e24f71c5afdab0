package main

import (
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/custnet/custnet/internal/atomicfile"
	"github.com/custnet/custnet/reports"
)

func (a *app) exportCmd() *cobra.Command {
	var store, customer, out string
	cmd := &cobra.Command{
		Use:   "export",
		Short: "Export what the store holds and infers about one customer",
		Long: `Export writes the customer's own view: what the store holds about them
(attributes, consent ledger, events) and what it inferred (strategy scores
with explanations, network community, recommendations), as a small HTML page
(--out me.html) or portable JSON (--out me.json, or - for stdout).`,
		Example: "  custnet export --store shop.duckdb --customer 42 --out me.html",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ext := strings.ToLower(filepath.Ext(out))
			if out != "-" && ext != ".html" && ext != ".htm" && ext != ".json" {
				return usageError{fmt.Errorf("--out %q: want a .html or .json file, or - for JSON on stdout", out)}
			}
			if out != "-" {
				if err := checkOutDir(out); err != nil {
					return err
				}
			}
			e, err := a.openExisting(cmd.Context(), store, true)
			if err != nil {
				return err
			}
			defer e.Close()
			x, err := e.Export(cmd.Context(), customer)
			if err != nil {
				return err
			}
			if out == "-" {
				return a.printJSON(x)
			}
			if ext == ".json" {
				b, err := json.MarshalIndent(x, "", "  ")
				if err != nil {
					return err
				}
				if err := atomicfile.Write(out, func(w io.Writer) error {
					_, err := w.Write(append(b, '\n'))
					return err
				}); err != nil {
					return err
				}
			} else if err := reports.WriteCustomerFile(cmd.Context(), out, x, reports.Options{}); err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "wrote %s (%d events, %d consent records)\n", out, x.EventCount, len(x.Consents))
			return nil
		},
	}
	storeFlag(cmd, &store)
	cmd.Flags().StringVar(&customer, "customer", "", "customer id (required)")
	cmd.MarkFlagRequired("customer")
	cmd.Flags().StringVar(&out, "out", "-", "me.html, me.json, or - for JSON on stdout")
	return cmd
}

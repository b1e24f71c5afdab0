package main

import (
	"fmt"
	"strings"

	"github.com/custnet/custnet/datasets"

	"github.com/spf13/cobra"
)

type consentOpts struct {
	store, customer, purpose, source string
	json                             bool
}

// consentSub builds one consent subcommand with its own flag values.
func (a *app) consentSub(use, short, example string, needPurpose bool, do func(*cobra.Command, *consentOpts) error) *cobra.Command {
	o := &consentOpts{}
	c := &cobra.Command{
		Use: use, Short: short, Example: example, Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if needPurpose && !datasets.ValidPurpose(o.purpose) {
				return usageError{fmt.Errorf("--purpose %q: want %s", o.purpose, strings.Join(datasets.Purposes, " or "))}
			}
			return do(cmd, o)
		},
	}
	storeFlag(c, &o.store)
	c.Flags().StringVar(&o.customer, "customer", "", "customer id (required)")
	c.MarkFlagRequired("customer")
	if needPurpose {
		c.Flags().StringVar(&o.purpose, "purpose", "", "analytics or personalization (required)")
		c.MarkFlagRequired("purpose")
		c.Flags().StringVar(&o.source, "source", "cli", "where the decision came from, kept in the ledger")
	}
	c.Flags().BoolVar(&o.json, "json", false, "print JSON")
	return c
}

func (a *app) consentCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "consent",
		Short: "Grant, revoke and show a customer's consent",
		Long: `The consent ledger is append-only: the latest record per customer and purpose
wins. Purposes: analytics (storage, graphs, scores, reports) and
personalization (recommendations). Revoking analytics erases the customer's
events, attributes, graph metrics, scores and recommendations in one
transaction and keeps the revocation as a tombstone.`,
		Example: `  custnet consent show --store shop.duckdb --customer 42
  custnet consent revoke --store shop.duckdb --customer 42 --purpose analytics`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return cmd.Help() },
	}
	revoke := a.consentSub("revoke", "Record a revocation and erase what it covered",
		"  custnet consent revoke --store shop.duckdb --customer 42 --purpose analytics", true,
		func(cmd *cobra.Command, o *consentOpts) error {
			e, err := a.openStore(cmd.Context(), o.store)
			if err != nil {
				return err
			}
			defer e.Close()
			res, err := e.Revoke(cmd.Context(), o.customer, o.purpose, o.source)
			if err != nil {
				return err
			}
			if o.json {
				return a.printJSON(res)
			}
			fmt.Fprintf(a.stdout, "revoked %s for customer %s; erased:", o.purpose, o.customer)
			for _, t := range []string{"events", "customers", "rejects", "graph_metrics", "graph_edges", "scores", "recommendations"} {
				if n, ok := res.Erased[t]; ok {
					fmt.Fprintf(a.stdout, " %s %d", t, n)
				}
			}
			fmt.Fprintln(a.stdout)
			return nil
		})
	grant := a.consentSub("grant", "Record a grant",
		"  custnet consent grant --store shop.duckdb --customer 42 --purpose personalization", true,
		func(cmd *cobra.Command, o *consentOpts) error {
			e, err := a.openStore(cmd.Context(), o.store)
			if err != nil {
				return err
			}
			defer e.Close()
			if err := e.Grant(cmd.Context(), o.customer, o.purpose, o.source); err != nil {
				return err
			}
			fmt.Fprintf(a.stdout, "granted %s for customer %s\n", o.purpose, o.customer)
			return nil
		})
	show := a.consentSub("show", "Print a customer's consent ledger",
		"  custnet consent show --store shop.duckdb --customer 42", false,
		func(cmd *cobra.Command, o *consentOpts) error {
			e, err := a.openExisting(cmd.Context(), o.store, true)
			if err != nil {
				return err
			}
			defer e.Close()
			recs, err := e.ConsentHistory(cmd.Context(), o.customer)
			if err != nil {
				return err
			}
			if o.json {
				return a.printJSON(recs)
			}
			if len(recs) == 0 {
				fmt.Fprintf(a.stdout, "no ledger records for customer %s\n", o.customer)
				return nil
			}
			for _, r := range recs {
				fmt.Fprintf(a.stdout, "%s  %-15s  %-11s  %s\n", r.At.UTC().Format("2006-01-02T15:04:05Z"), r.Purpose, r.Status, r.Source)
			}
			return nil
		})
	cmd.AddCommand(revoke, grant, show)
	return cmd
}

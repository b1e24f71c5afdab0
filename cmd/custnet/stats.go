package main

import (
	"fmt"
	"sort"

	"github.com/spf13/cobra"

	"github.com/custnet/custnet/engine"
)

func (a *app) statsCmd() *cobra.Command {
	var store string
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "stats",
		Short: "Summarise what the store holds",
		Long: `Stats prints what the store holds: events, customers and items, events by
action, the time span, the consent ledger per purpose (granted, refused,
revoked), and every ingest batch with its provenance counts.`,
		Example: "  custnet stats --store shop.duckdb --json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			e, err := a.openExisting(cmd.Context(), store, true)
			if err != nil {
				return err
			}
			defer e.Close()
			s, err := e.Stats(cmd.Context())
			if err != nil {
				return err
			}
			if asJSON {
				return a.printJSON(s)
			}
			printStats(a, s)
			return nil
		},
	}
	storeFlag(cmd, &store)
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func printStats(a *app, s *engine.Stats) {
	w := a.stdout
	fmt.Fprintf(w, "store %s\n", s.Path)
	fmt.Fprintf(w, "  events %d  customers %d  items %d  rejects %d\n", s.Events, s.Customers, s.Items, s.Rejects)
	if s.First != nil {
		fmt.Fprintf(w, "  events from %s to %s\n", s.First.Format("2006-01-02"), s.Last.Format("2006-01-02"))
	}
	actions := make([]string, 0, len(s.ByAction))
	for k := range s.ByAction {
		actions = append(actions, k)
	}
	sort.Strings(actions)
	if len(actions) > 0 {
		fmt.Fprintf(w, "  by action:")
		for _, k := range actions {
			fmt.Fprintf(w, " %s %d", k, s.ByAction[k])
		}
		fmt.Fprintln(w)
	}
	for _, c := range s.Consents {
		fmt.Fprintf(w, "  consent %-15s granted %d  refused %d  revoked %d\n", c.Purpose, c.Granted, c.Refused, c.Revoked)
	}
	for _, r := range s.Ingests {
		fmt.Fprintf(w, "  batch %d %s (%s): read %d loaded %d duplicate %d rejected %d without consent %d\n",
			r.BatchID, r.Path, r.Format, r.Read, r.Loaded, r.Duplicate, r.Rejected, r.WithoutConsent)
	}
}

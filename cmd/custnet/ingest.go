package main

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/custnet/custnet/datasets"
	"github.com/custnet/custnet/engine"
)

func (a *app) ingestCmd() *cobra.Command {
	var (
		store, format, consents, assume string
		strict, asJSON                  bool
	)
	cmd := &cobra.Command{
		Use:   "ingest [flags] FILE...",
		Short: "Load consented interaction data into the store",
		Long: `Ingest reads source files into the store, one all-or-nothing transaction per
file. Every event needs a consent basis: a consents file (--consents) or the
operator's declaration for the whole source (--assume-consent), which is
recorded in the ledger and the ingests table. Events of customers without an
active analytics basis are counted and not stored; a customer who revoked
stays out even when an old file is ingested again.

Bad records go to the rejects table with file, line and reason and the batch
loads the rest (exit 0 if anything loaded); with --strict the first bad
records are printed as file:line: reason and nothing is stored (exit 1).
Ingesting the same file twice adds nothing.

Formats (see 'custnet formats'): ` + formatNames(),
		Example: `  custnet ingest --store shop.duckdb --format movielens-100k --assume-consent analytics,personalization ../shared/datasets/movielens-100k/u.data
  custnet ingest --store shop.duckdb --format events --consents consents.csv events.parquet
  custnet ingest --store shop.duckdb --strict --consents consents.csv events.csv.gz`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, files []string) error {
			var purposes []string
			if assume != "" {
				for _, p := range strings.Split(assume, ",") {
					p = strings.TrimSpace(p)
					if !datasets.ValidPurpose(p) {
						return usageError{fmt.Errorf("--assume-consent: %q is not a purpose (want %s)", p, strings.Join(datasets.Purposes, ","))}
					}
					purposes = append(purposes, p)
				}
			}
			if consents == "" && len(purposes) == 0 {
				return usageError{fmt.Errorf("no consent basis: give --consents FILE (customer_id,purpose,granted,at) or, as the operator who holds a basis for the whole source, --assume-consent analytics[,personalization]")}
			}
			if format != "auto" {
				if _, ok := datasets.LookupFormat(format); !ok {
					return usageError{fmt.Errorf("--format %q: want auto or one of %s", format, formatNames())}
				}
			}
			for _, f := range files {
				if _, err := os.Stat(f); err != nil {
					return &engine.Error{Kind: engine.KindBadInput, Op: "ingest " + f, Err: errors.New("no such file")}
				}
			}
			// A store this command creates is removed again if nothing lands in it.
			_, statErr := os.Stat(store)
			created := os.IsNotExist(statErr) && store != ":memory:" && store != ""
			e, err := a.openStore(cmd.Context(), store)
			if err != nil {
				return err
			}
			committed := false
			defer func() {
				e.Close()
				if created && !committed {
					os.Remove(store)
					os.Remove(store + ".wal")
				}
			}()
			var results []*engine.IngestResult
			var loaded int64
			for i, f := range files {
				opt := engine.IngestOptions{Path: f, Format: format, AssumeConsent: purposes, Strict: strict}
				if i == 0 {
					opt.Consents = consents
				} else {
					opt.UseLedger = true
				}
				res, err := e.Ingest(cmd.Context(), opt)
				if err != nil {
					return err
				}
				committed = true
				results = append(results, res)
				loaded += res.Loaded
				if !asJSON {
					printIngest(a, store, res)
				}
			}
			if asJSON {
				if err := a.printJSON(results); err != nil {
					return err
				}
			}
			if loaded == 0 {
				for _, r := range results {
					if r.Rejected > 0 {
						return fmt.Errorf("nothing loaded from %s: of %d records %d rejected, %d without consent, %d duplicate (see custnet rejects --store %s --batch %d)",
							r.Path, r.Read, r.Rejected, r.WithoutConsent, r.Duplicate, store, r.BatchID)
					}
				}
			}
			return nil
		},
	}
	storeFlag(cmd, &store)
	f := cmd.Flags()
	f.StringVar(&format, "format", "auto", "input format, or auto to recognise it by content")
	f.StringVar(&consents, "consents", "", "consents CSV appended to the ledger first (customer_id,purpose,granted,at[,source])")
	f.StringVar(&assume, "assume-consent", "", "purposes the operator declares for every customer of the source without a ledger record: analytics,personalization")
	f.BoolVar(&strict, "strict", false, "store nothing if any record is bad; print the first bad records and exit 1")
	f.BoolVar(&asJSON, "json", false, "print the batch provenance as JSON")
	return cmd
}

func formatNames() string {
	var names []string
	for _, f := range datasets.Formats() {
		names = append(names, f.Name)
	}
	return strings.Join(names, ", ")
}

func printIngest(a *app, store string, r *engine.IngestResult) {
	fmt.Fprintf(a.stdout, "batch %d  %s (%s)\n", r.BatchID, r.Path, r.Format)
	fmt.Fprintf(a.stdout, "  read %d  loaded %d  duplicate %d  rejected %d  without consent %d  consent records %d  (%.2fs)\n",
		r.Read, r.Loaded, r.Duplicate, r.Rejected, r.WithoutConsent, r.ConsentRecords, r.Seconds)
	if len(r.Declared) > 0 {
		fmt.Fprintf(a.stdout, "  consent declared by operator: %s\n", strings.Join(r.Declared, ","))
	}
	if r.Revoked > 0 || r.Erased["recommendations"] > 0 {
		fmt.Fprintf(a.stdout, "  revocations in the consents file: %d customers revoked analytics; erased events %d, scores %d, recommendations %d\n",
			r.Revoked, r.Erased["events"], r.Erased["scores"], r.Erased["recommendations"])
	}
	if r.Rejected > 0 {
		fmt.Fprintf(a.stdout, "  see them with: custnet rejects --store %s --batch %d\n", store, r.BatchID)
	}
}

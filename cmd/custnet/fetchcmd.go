package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/custnet/custnet/datasets"
)

func (a *app) fetchCmd() *cobra.Command {
	var dir string
	var list bool
	names := make([]string, 0, len(datasets.Downloads))
	for _, d := range datasets.Downloads {
		names = append(names, d.Name)
	}
	cmd := &cobra.Command{
		Use:   "fetch NAME...",
		Short: "Download public datasets from their publishers, checksummed",
		Long: `Fetch downloads public datasets from their publishers (a network is
needed), unpacks them and checks every file against its pinned SHA-256
before placing it in DIR/NAME; a mismatch leaves nothing behind. Each
dataset has its own terms of use, kept beside the files when the publisher
ships them: read them (--list shows where).

Datasets: ` + strings.Join(names, ", ") + `.
Stack Exchange dumps and the Kaggle groceries set are not fetched (7z and a
login): see their publishers.`,
		Example: `  custnet fetch movielens-100k filmtrust --dir datasets
  custnet ingest --format movielens-100k --assume-consent analytics,personalization datasets/movielens-100k/u.data`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if list {
				for _, d := range datasets.Downloads {
					fmt.Fprintf(a.stdout, "%-24s %s\n%-24s terms: %s\n", d.Name, d.URL, "", d.Terms)
				}
				return nil
			}
			if len(args) == 0 {
				return usageError{fmt.Errorf("name a dataset to fetch (%s) or use --list", strings.Join(names, ", "))}
			}
			for _, n := range args {
				if _, ok := datasets.LookupDownload(n); !ok {
					return usageError{fmt.Errorf("unknown dataset %q (want %s)", n, strings.Join(names, ", "))}
				}
			}
			for _, n := range args {
				d, _ := datasets.LookupDownload(n)
				path, err := datasets.Fetch(cmd.Context(), nil, d, dir)
				if err != nil {
					return err
				}
				fmt.Fprintf(a.stdout, "fetched %s into %s (%d files verified; terms: %s)\n", n, path, len(d.Files), d.Terms)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&dir, "dir", "datasets", "folder to place the datasets in")
	cmd.Flags().BoolVar(&list, "list", false, "list the datasets, their sources and terms")
	return cmd
}

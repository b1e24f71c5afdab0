// Package dstest locates the real public datasets that custnet's tests and
// benchmarks read (never copies of them in this repository).
package dstest

import (
	"os"
	"path/filepath"
	"testing"
)

// Root returns the datasets folder: $CUSTNET_DATASETS when set, else the
// first shared/datasets found beside the working directory or one of its
// parents (the checkout sits beside ../shared). It returns "" when none is found.
func Root() string {
	if d := os.Getenv("CUSTNET_DATASETS"); d != "" {
		return d
	}
	dir, err := os.Getwd()
	if err != nil {
		return ""
	}
	for {
		cand := filepath.Join(dir, "shared", "datasets")
		if st, err := os.Stat(cand); err == nil && st.IsDir() {
			return cand
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

// Path returns the path of a file or folder inside the named dataset, for
// example Path(t, "movielens-100k", "u.data"). When it is missing the test
// is skipped, except under CI=true, where a missing dataset is a failure.
func Path(tb testing.TB, dataset string, elem ...string) string {
	tb.Helper()
	root := Root()
	p := filepath.Join(append([]string{root, dataset}, elem...)...)
	if root == "" {
		missing(tb, "no datasets folder found (set CUSTNET_DATASETS)")
	}
	if _, err := os.Stat(p); err != nil {
		missing(tb, "dataset missing: "+p)
	}
	return p
}

func missing(tb testing.TB, msg string) {
	tb.Helper()
	if os.Getenv("CI") == "true" {
		tb.Fatalf("%s (CI=true: a missing dataset is a failure)", msg)
	}
	tb.Skip(msg)
}

package datasets_test

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/custnet/custnet/datasets"
)

// tally is the smallest useful Sink: it counts what it receives.
type tally struct{ events, rejects, customers, items int }

func (t *tally) Event(*datasets.Event) error  { t.events++; return nil }
func (t *tally) Reject(datasets.Reject) error { t.rejects++; return nil }
func (t *tally) Customer(datasets.Attr) error { t.customers++; return nil }
func (t *tally) Item(datasets.Attr) error     { t.items++; return nil }

func ExampleRead() {
	// A hand-made MovieLens 1M folder: five ratings, one of them off the
	// 1-5 whole-star scale (see testdata/README.md).
	path := filepath.Join("testdata", "movielens-1m")
	format, err := datasets.Detect(path)
	if err != nil {
		fmt.Println(err)
		return
	}
	var t tally
	sum, err := datasets.Read(context.Background(), format, path, &t, datasets.ReadOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%s: %d records, %d events, %d rejected, %d movies, %d users, scale %g-%g\n",
		format, sum.Records, t.events, t.rejects, t.items, t.customers, sum.Scale.Min, sum.Scale.Max)
	// Output: movielens-1m: 5 records, 4 events, 1 rejected, 3 movies, 3 users, scale 1-5
}

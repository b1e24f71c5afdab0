package datasets_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/custnet/custnet/datasets"
)

func ExampleWriteGenerated() {
	dir, err := os.MkdirTemp("", "custnet-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	truth, st, err := datasets.WriteGenerated(context.Background(), filepath.Join(dir, "events.csv"),
		datasets.GenerateOptions{Customers: 1000, Events: 30000, Seed: 7})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(st.Events, "events of", st.Customers, "customers in", truth.Communities, "communities")
	for _, f := range st.Files[1:] {
		fmt.Println(filepath.Base(f))
	}
	// Output:
	// 30000 events of 1000 customers in 4 communities
	// events.consents.csv
	// events.customers.csv
	// events.truth.json
}

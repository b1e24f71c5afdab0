package reports_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/custnet/custnet/reports"
)

// A report with only the strategies computed still renders every section;
// the others say which command to run.
func ExampleWriteFile() {
	dir, _ := os.MkdirTemp("", "custnet-example-")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "report.html")

	r := &reports.Report{
		Title: "demo",
		Strategies: &reports.StrategiesSection{
			Business: reports.Scores{Access: 62, Engage: 48, Customize: 35, Connect: 20, Collaborate: 12, Composite: 35.4},
		},
	}
	opt := reports.Options{PseudonymKey: []byte("keep this secret")}
	if err := reports.WriteFile(context.Background(), path, r, opt); err != nil {
		fmt.Println(err)
		return
	}
	html, _ := os.ReadFile(path)
	for _, line := range strings.Split(string(html), "\n") {
		if strings.Contains(line, "Not computed yet") {
			fmt.Println(strings.TrimSuffix(strings.TrimPrefix(line, `<p class="missing">`), "</p>"))
		}
	}
	fmt.Println(reports.Pseudonym(opt.PseudonymKey, "u0042"))
	// Output:
	// Not computed yet: run custnet ingest.
	// Not computed yet: run custnet graph.
	// Not computed yet: run custnet evaluate.
	// Not computed yet: run custnet score.
	// c-6fb15e38d3
}

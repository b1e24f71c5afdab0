package reports_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/custnet/custnet/reports"
	"github.com/custnet/custnet/reports/browsertest"
)

var wantHeadings = []string{
	"Data and consent",
	"The five strategies",
	"The customer network",
	"Recommendations",
	"Top customers per strategy",
}

// checkInBrowser writes the page with write, opens it in Chromium and
// returns what the browser saw. The screenshot is kept in
// $CUSTNET_ARTIFACTS/name.png when that variable is set.
func checkInBrowser(t *testing.T, name string, write func(path string) error) browsertest.Result {
	t.Helper()
	browsertest.Require(t)
	dir := t.TempDir()
	page := filepath.Join(dir, name+".html")
	if err := write(page); err != nil {
		t.Fatal(err)
	}
	shot := filepath.Join(dir, name+".png")
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	res, err := browsertest.Check(ctx, page, shot)
	if err != nil {
		t.Fatal(err)
	}
	if art := os.Getenv("CUSTNET_ARTIFACTS"); art != "" {
		if err := os.MkdirAll(art, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, f := range []string{shot, page} {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(art, filepath.Base(f)), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	t.Logf("%s: rendered in %v, %d charts", name, res.RenderTime, len(res.Charts))
	return res
}

func TestReportInBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("browser check skipped in -short mode")
	}
	hostileReport := syntheticReport()
	hostileReport.Title = hostile
	hostileReport.TopCustomers[0].Rows[0].CustomerID = hostile
	hostileReport.TopCustomers[0].Rows[0].Explanation = hostile
	hostileReport.Network.Nodes[0].ID = hostile
	hostileReport.Network.Nodes[0].Label = hostile
	hostileReport.Network.Nodes[0].PageRank = 1 // most central, so it is labelled
	hostileReport.Recommendations.Models[2].Name = hostile

	tests := []struct {
		name       string
		report     *reports.Report
		opt        reports.Options
		wantCharts int
	}{
		{"a full synthetic report paints every chart offline", syntheticReport(), reports.Options{PseudonymKey: testKey}, 13},
		{"an empty report shows placeholders without errors", &reports.Report{}, reports.Options{PseudonymKey: testKey}, 0},
		{"hostile ids and titles shown as stored cannot inject markup", hostileReport, reports.Options{ShowIDs: true}, 13},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			name := []string{"report-full", "report-empty", "report-hostile"}[i]
			res := checkInBrowser(t, name, func(path string) error {
				return reports.WriteFile(context.Background(), path, tt.report, tt.opt)
			})
			if len(res.ConsoleErrors) != 0 {
				t.Errorf("console errors: %q", res.ConsoleErrors)
			}
			if len(res.ExternalRequests) != 0 {
				t.Errorf("external requests: %q", res.ExternalRequests)
			}
			if !strings.HasPrefix(res.Title, "custnet report") {
				t.Errorf("title %q does not start with %q", res.Title, "custnet report")
			}
			if !slices.Equal(res.Headings, wantHeadings) {
				t.Errorf("h2 headings = %q, want %q", res.Headings, wantHeadings)
			}
			if len(res.Charts) != tt.wantCharts {
				t.Errorf("found %d charts, want %d", len(res.Charts), tt.wantCharts)
			}
			for _, c := range res.Charts {
				if !c.Painted {
					t.Errorf("chart %q is not painted: %d of %dx%d pixels", c.ID, c.PaintedPixels, c.Width, c.Height)
				}
			}
			if res.RenderTime > 5*time.Second {
				t.Errorf("page took %v to render, want < 5s", res.RenderTime)
			}
		})
	}
}

func TestCustomerPageInBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("browser check skipped in -short mode")
	}
	c := syntheticExport()
	c.CustomerID = hostile
	res := checkInBrowser(t, "customer", func(path string) error {
		return reports.WriteCustomerFile(context.Background(), path, c, reports.Options{})
	})
	if len(res.ConsoleErrors) != 0 || len(res.ExternalRequests) != 0 {
		t.Errorf("console errors %q, external requests %q", res.ConsoleErrors, res.ExternalRequests)
	}
	want := []string{"Attributes", "Consents", "Events", "Scores", "Community", "Recommendations"}
	if !slices.Equal(res.Headings, want) {
		t.Errorf("h2 headings = %q, want %q", res.Headings, want)
	}
	if !strings.HasPrefix(res.Title, "custnet customer export") || !strings.Contains(res.Title, "</script>") {
		t.Errorf("title %q should start with the page name and show the id as text", res.Title)
	}
}

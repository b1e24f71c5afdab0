package reports_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/custnet/custnet/reports"
)

func render(t *testing.T, r *reports.Report, opt reports.Options) string {
	t.Helper()
	var buf bytes.Buffer
	if err := reports.Write(context.Background(), &buf, r, opt); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

// withoutLibrary drops the inlined ECharts library, so that searches look at
// custnet's own markup only.
func withoutLibrary(t *testing.T, html string) string {
	t.Helper()
	lib, err := os.ReadFile("assets/echarts/echarts.min.js")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(html, string(lib)) {
		t.Fatal("the page does not inline echarts.min.js verbatim")
	}
	return strings.Replace(html, string(lib), "", 1)
}

func TestWrite(t *testing.T) {
	opt := reports.Options{PseudonymKey: testKey}
	full := render(t, syntheticReport(), opt)

	t.Run("the title and the five section headings are present in order", func(t *testing.T) {
		if !strings.Contains(full, "<title>custnet report — MovieLens 100k</title>") {
			t.Error("page title missing or wrong")
		}
		last := -1
		for _, h := range wantHeadings {
			i := strings.Index(full, "<h2>"+h+"</h2>")
			if i < 0 {
				t.Fatalf("heading %q missing", h)
			}
			if i < last {
				t.Errorf("heading %q out of order", h)
			}
			last = i
		}
	})

	t.Run("nothing is loaded from the network", func(t *testing.T) {
		loads := regexp.MustCompile(`(?i)<(script|img|iframe|link|source|video|audio|embed|object)\b[^>]*\b(src|href|data)\s*=`)
		own := withoutLibrary(t, full)
		if m := loads.FindString(own); m != "" {
			t.Errorf("page loads a resource: %q", m)
		}
		for _, bad := range []string{"http://", "https://", "url(", "@import", "@font-face", "go-echarts-assets"} {
			if strings.Contains(own, bad) {
				t.Errorf("page markup contains %q", bad)
			}
		}
	})

	t.Run("every chart has a title, axis names, a reading aid and a table", func(t *testing.T) {
		charts := regexp.MustCompile(`<div class="chart" id="([^"]+)"`).FindAllStringSubmatch(full, -1)
		if len(charts) != 13 {
			t.Fatalf("found %d chart containers, want 13", len(charts))
		}
		for _, c := range charts {
			id := c[1]
			i := strings.Index(full, `id="`+id+`"`)
			rest := full[i:]
			end := strings.Index(rest, "</figure>")
			fig := rest[:end]
			if !strings.Contains(fig, `<p class="reading">`) || !strings.Contains(fig, "<details><summary>Table</summary>") || !strings.Contains(fig, "<tbody>\n<tr>") {
				t.Errorf("chart %s lacks a reading aid or a filled table fallback", id)
			}
			call := regexp.MustCompile(`custnetDraw\("` + regexp.QuoteMeta(id) + `",(\{.*\})\);`).FindStringSubmatch(full)
			if call == nil {
				t.Errorf("chart %s is never drawn", id)
				continue
			}
			var o struct {
				Title struct{ Text string }   `json:"title"`
				XAxis []struct{ Name string } `json:"xAxis"`
				YAxis []struct{ Name string } `json:"yAxis"`
			}
			if err := json.Unmarshal([]byte(call[1]), &o); err != nil {
				t.Errorf("chart %s option is not JSON: %v", id, err)
				continue
			}
			if o.Title.Text == "" {
				t.Errorf("chart %s has no title", id)
			}
			for _, a := range append(o.XAxis, o.YAxis...) {
				if a.Name == "" {
					t.Errorf("chart %s has an unnamed axis", id)
				}
			}
		}
	})

	t.Run("the same report renders to the same bytes", func(t *testing.T) {
		again := render(t, syntheticReport(), opt)
		if again != full {
			t.Error("two renders of the same report differ")
		}
	})

	t.Run("customer ids are pseudonymised with the keyed hash", func(t *testing.T) {
		// Golden from an independent implementation:
		// printf u0042 | openssl dgst -sha256 -hmac test-key-not-secret | cut -c1-10
		if !strings.Contains(full, "customer c-25b9a4891e from model") {
			t.Error("example customer u0042 is not shown as c-25b9a4891e")
		}
		own := withoutLibrary(t, full)
		if regexp.MustCompile(`\bu\d{4}\b`).MatchString(own) || strings.Contains(own, "User 1") {
			t.Error("a raw customer id or label leaks into the pseudonymised page")
		}
		other := render(t, syntheticReport(), reports.Options{PseudonymKey: []byte("another key")})
		if strings.Contains(other, "c-25b9a4891e") {
			t.Error("pseudonyms do not depend on the key")
		}
	})

	t.Run("ShowIDs reveals ids and labels", func(t *testing.T) {
		shown := render(t, syntheticReport(), reports.Options{ShowIDs: true})
		if !strings.Contains(shown, "customer u0042 from model") || !strings.Contains(shown, `"User `) {
			t.Error("ids or node labels are not shown with ShowIDs")
		}
	})

	t.Run("the page stays under 5 MB", func(t *testing.T) {
		if len(full) > 5<<20 {
			t.Errorf("page is %d bytes", len(full))
		}
		t.Logf("full report: %d bytes", len(full))
	})

	t.Run("the network keeps the 2,000 most central customers", func(t *testing.T) {
		if !strings.Contains(full, "Showing 2,000 of 2,400 customers (highest PageRank)") {
			t.Error("network cap not applied or not explained")
		}
	})

	t.Run("the radar says which groups it shows", func(t *testing.T) {
		if !strings.Contains(full, "Showing the 7 largest of 20 groups") {
			t.Error("radar does not explain its series cap")
		}
	})
}

func TestWriteEmptyReport(t *testing.T) {
	tests := []struct {
		name string
		r    *reports.Report
	}{
		{"a nil report renders placeholders", nil},
		{"an empty report renders placeholders", &reports.Report{}},
		{"empty sections render placeholders", &reports.Report{
			Data: &reports.DataSection{}, Network: &reports.NetworkSection{}, Recommendations: &reports.RecommendationsSection{},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			html := render(t, tt.r, reports.Options{PseudonymKey: testKey})
			for _, cmd := range []string{"ingest", "score", "graph", "evaluate"} {
				if !strings.Contains(html, "Not computed yet: run custnet "+cmd+".") {
					t.Errorf("no placeholder for custnet %s", cmd)
				}
			}
			if strings.Contains(html, "custnetDraw(") || strings.Contains(html, `class="chart"`) {
				t.Error("an empty report draws charts")
			}
			if got := strings.Count(html, `<p class="missing">`); got != 5 {
				t.Errorf("%d placeholders, want 5", got)
			}
		})
	}
}

func TestWriteEscapesHostileStrings(t *testing.T) {
	r := syntheticReport()
	r.Title = hostile
	r.TopCustomers[0].Rows[0].CustomerID = hostile
	r.TopCustomers[0].Rows[0].Explanation = hostile
	r.Network.Nodes[0].ID = hostile
	r.Network.Nodes[0].Label = hostile
	r.Network.Nodes[0].PageRank = 1
	r.Recommendations.Models[0].Name = hostile
	r.Strategies.Groups[0].Name = hostile
	r.Data.Sources[0].Path = hostile
	html := withoutLibrary(t, render(t, r, reports.Options{ShowIDs: true}))

	tests := []struct {
		name, bad string
	}{
		{"no script element is closed by data", "</script><img"},
		{"no img element is created by data", "<img src=x"},
		{"no event handler attribute is created", `onerror="window`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if strings.Contains(html, tt.bad) {
				t.Errorf("page contains %q", tt.bad)
			}
		})
	}
	t.Run("the hostile text is still shown, escaped", func(t *testing.T) {
		if !strings.Contains(html, "&lt;/script&gt;&lt;img src=x onerror=") {
			t.Error("escaped text missing from the HTML body")
		}
		if !strings.Contains(html, `\u003c/script\u003e\u003cimg`) {
			t.Error("escaped text missing from the chart options")
		}
	})
}

func TestWriteNeedsAKey(t *testing.T) {
	err := reports.Write(context.Background(), &bytes.Buffer{}, &reports.Report{}, reports.Options{})
	if !errors.Is(err, reports.ErrNoPseudonymKey) {
		t.Errorf("err = %v, want ErrNoPseudonymKey", err)
	}
}

func TestWriteHonoursCancellation(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := reports.Write(ctx, &bytes.Buffer{}, syntheticReport(), reports.Options{PseudonymKey: testKey})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled", err)
	}
}

func TestWriteFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "report.html")
	ctx := context.Background()

	t.Run("a report is written whole and no temporary file is left", func(t *testing.T) {
		if err := reports.WriteFile(ctx, path, syntheticReport(), reports.Options{PseudonymKey: testKey}); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.HasSuffix(bytes.TrimSpace(b), []byte("</html>")) {
			t.Error("file does not end with </html>")
		}
		entries, _ := os.ReadDir(dir)
		if len(entries) != 1 {
			t.Errorf("directory holds %d entries, want only report.html", len(entries))
		}
	})

	t.Run("a failed render keeps the previous report", func(t *testing.T) {
		before, _ := os.ReadFile(path)
		err := reports.WriteFile(ctx, path, syntheticReport(), reports.Options{})
		if !errors.Is(err, reports.ErrNoPseudonymKey) {
			t.Fatalf("err = %v, want ErrNoPseudonymKey", err)
		}
		after, _ := os.ReadFile(path)
		if !bytes.Equal(before, after) {
			t.Error("the previous report was changed")
		}
		entries, _ := os.ReadDir(dir)
		if len(entries) != 1 {
			t.Errorf("directory holds %d entries after a failure, want 1", len(entries))
		}
	})

	t.Run("a missing directory is an error", func(t *testing.T) {
		err := reports.WriteFile(ctx, filepath.Join(dir, "no", "such", "r.html"), &reports.Report{}, reports.Options{ShowIDs: true})
		if err == nil {
			t.Error("no error")
		}
	})
}

func TestPseudonym(t *testing.T) {
	// Goldens from: printf ID | openssl dgst -sha256 -hmac KEY | cut -c1-10
	tests := []struct {
		key, id, want string
	}{
		{"test-key-not-secret", "u0042", "c-25b9a4891e"},
	}
	for _, tt := range tests {
		t.Run("id "+tt.id+" under key "+tt.key+" matches openssl", func(t *testing.T) {
			if got := reports.Pseudonym([]byte(tt.key), tt.id); got != tt.want {
				t.Errorf("Pseudonym = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestVendoredECharts(t *testing.T) {
	b, err := os.ReadFile("assets/echarts/echarts.min.js")
	if err != nil {
		t.Fatal(err)
	}
	t.Run("the script is the pinned 5.6.0 release", func(t *testing.T) {
		sum := sha256.Sum256(b)
		const want = "bf4a223524e40b77c304bec67e1222cf551f14880cf42c69dc046558e11c07b1"
		if got := hex.EncodeToString(sum[:]); got != want {
			t.Errorf("sha256 = %s, want %s (see assets/echarts/README.md)", got, want)
		}
	})
	t.Run("the script can be inlined without ending its element", func(t *testing.T) {
		if bytes.Contains(bytes.ToLower(b), []byte("</script")) || bytes.Contains(b, []byte("<!--")) {
			t.Error("echarts.min.js holds </script or <!--")
		}
	})
	t.Run("the licence files sit beside it", func(t *testing.T) {
		for _, f := range []string{"LICENSE", "NOTICE", "LICENSE-d3", "README.md"} {
			if _, err := os.Stat(filepath.Join("assets/echarts", f)); err != nil {
				t.Error(err)
			}
		}
	})
}

func TestWriteCustomer(t *testing.T) {
	ctx := context.Background()
	var buf bytes.Buffer
	c := syntheticExport()
	if err := reports.WriteCustomer(ctx, &buf, c, reports.Options{MaxEvents: 50}); err != nil {
		t.Fatal(err)
	}
	html := buf.String()

	t.Run("the page shows the customer's own id and every part of the export", func(t *testing.T) {
		for _, want := range []string{"customer u0042", "technician", "account settings", "Star Wars (1977)", "shares tastes with 61 customers", "<td class=\"n\">120</td>"} {
			if !strings.Contains(html, want) {
				t.Errorf("page lacks %q", want)
			}
		}
	})
	t.Run("events are capped and the total is stated", func(t *testing.T) {
		if got := strings.Count(html, "<td>rating</td>"); got != 50 {
			t.Errorf("%d event rows, want 50", got)
		}
		if !strings.Contains(html, "Showing 50 of 450 events") {
			t.Error("event count not stated")
		}
	})
	t.Run("the page has no script and loads nothing", func(t *testing.T) {
		if strings.Contains(html, "<script") || strings.Contains(html, "http") {
			t.Error("customer page holds a script or a URL")
		}
	})
	t.Run("attributes are listed in name order", func(t *testing.T) {
		if !(strings.Index(html, ">age<") < strings.Index(html, ">gender<") && strings.Index(html, ">gender<") < strings.Index(html, ">zip<")) {
			t.Error("attributes not sorted by name")
		}
	})
	t.Run("missing parts render placeholders", func(t *testing.T) {
		var b bytes.Buffer
		if err := reports.WriteCustomer(ctx, &b, &reports.CustomerExport{CustomerID: "u1"}, reports.Options{}); err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"Not computed yet: run custnet score.", "Not computed yet: run custnet graph.", "No events are stored."} {
			if !strings.Contains(b.String(), want) {
				t.Errorf("page lacks %q", want)
			}
		}
	})
	t.Run("after an analytics revocation the empty parts say they were erased", func(t *testing.T) {
		at := time.Date(2026, 11, 20, 9, 30, 0, 0, time.UTC)
		revoked := &reports.CustomerExport{CustomerID: "u1", Consents: []reports.ConsentRecord{
			{Purpose: "analytics", Status: "granted", RecordedAt: at.AddDate(-1, 0, 0)},
			{Purpose: "personalization", Status: "granted", RecordedAt: at.AddDate(-1, 0, 0)},
			{Purpose: "analytics", Status: "revoked", RecordedAt: at},
		}}
		var b bytes.Buffer
		if err := reports.WriteCustomer(ctx, &b, revoked, reports.Options{}); err != nil {
			t.Fatal(err)
		}
		page := b.String()
		if n := strings.Count(page, "Erased when you revoked your analytics consent (2026-11-20 09:30 UTC)."); n != 4 {
			t.Errorf("%d parts say they were erased, want 4 (events, scores, community, recommendations)", n)
		}
		if !strings.Contains(page, "You revoked your analytics consent on 2026-11-20 09:30 UTC") {
			t.Error("the page does not state the revocation at the top")
		}
		if strings.Contains(page, "Not computed yet") {
			t.Error("the page tells a customer whose data was erased to run custnet")
		}
	})
	t.Run("a grant after a revocation brings back the usual placeholders", func(t *testing.T) {
		at := time.Date(2026, 11, 20, 9, 30, 0, 0, time.UTC)
		regranted := &reports.CustomerExport{CustomerID: "u1", Consents: []reports.ConsentRecord{
			{Purpose: "analytics", Status: "revoked", RecordedAt: at},
			{Purpose: "analytics", Status: "granted", RecordedAt: at.Add(time.Hour)},
		}}
		var b bytes.Buffer
		if err := reports.WriteCustomer(ctx, &b, regranted, reports.Options{}); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(b.String(), "Erased") || !strings.Contains(b.String(), "No events are stored.") {
			t.Error("a later grant should replace the revocation")
		}
	})
	t.Run("a hostile id is escaped", func(t *testing.T) {
		var b bytes.Buffer
		if err := reports.WriteCustomer(ctx, &b, &reports.CustomerExport{CustomerID: hostile}, reports.Options{}); err != nil {
			t.Fatal(err)
		}
		if strings.Contains(b.String(), "<img") {
			t.Error("hostile id injected markup")
		}
	})
	t.Run("the export round-trips through JSON with snake_case keys", func(t *testing.T) {
		b, err := json.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range []string{`"customer_id":"u0042"`, `"event_count":450`, `"recorded_at":`, `"item_id":"i50"`, `"pagerank":0.0021`} {
			if !bytes.Contains(b, []byte(k)) {
				t.Errorf("JSON lacks %s", k)
			}
		}
		var back reports.CustomerExport
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatal(err)
		}
		if back.CustomerID != c.CustomerID || len(back.Events) != len(c.Events) || !back.Consents[2].RecordedAt.Equal(c.Consents[2].RecordedAt) {
			t.Error("export changed in a JSON round trip")
		}
	})
	t.Run("the file is written atomically", func(t *testing.T) {
		p := filepath.Join(t.TempDir(), "c.html")
		if err := reports.WriteCustomerFile(ctx, p, c, reports.Options{}); err != nil {
			t.Fatal(err)
		}
		if fi, err := os.Stat(p); err != nil || fi.Size() == 0 {
			t.Errorf("file not written: %v", err)
		}
	})
}

func BenchmarkWrite(b *testing.B) {
	r := syntheticReport()
	opt := reports.Options{PseudonymKey: testKey}
	var buf bytes.Buffer
	b.ReportAllocs()
	for b.Loop() {
		buf.Reset()
		if err := reports.Write(context.Background(), &buf, r, opt); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(buf.Len()), "bytes/page")
}

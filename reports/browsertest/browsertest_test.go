package browsertest_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/custnet/custnet/reports/browsertest"
)

// page is a hand-written page that does everything Check must notice.
const page = `<!DOCTYPE html><html><head><meta charset="utf-8"><title>probe page</title>
<script src="https://cdn.example.com/lib.js"></script>
<link rel="stylesheet" href="http://fonts.example.com/font.css">
</head><body>
<h2>First</h2><h2> Second </h2>
<div id="painted" data-chart="painted"><canvas width="200" height="100"></canvas></div>
<div id="blank" data-chart="blank"><canvas width="200" height="100"></canvas></div>
<div id="nocanvas" data-chart="nocanvas"></div>
<img src="local.png">
<script>
var c = document.querySelector("#painted canvas").getContext("2d");
c.fillStyle = "#336699"; c.fillRect(0, 0, 150, 80);
console.error("probe error");
console.log("not an error");
try { new WebSocket("wss://socket.example.com/"); } catch (e) {}
fetch("https://api.example.com/data").catch(function () {});
setTimeout(function () { throw new Error("probe exception"); }, 0);
</script></body></html>`

func TestCheck(t *testing.T) {
	browsertest.Require(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "probe.html")
	if err := os.WriteFile(path, []byte(page), 0o644); err != nil {
		t.Fatal(err)
	}
	shot := filepath.Join(dir, "probe.png")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	res, err := browsertest.Check(ctx, path, shot)
	if err != nil {
		t.Fatal(err)
	}

	t.Run("the title and h2 headings are read", func(t *testing.T) {
		if res.Title != "probe page" {
			t.Errorf("title = %q", res.Title)
		}
		if !slices.Equal(res.Headings, []string{"First", "Second"}) {
			t.Errorf("headings = %q", res.Headings)
		}
	})
	t.Run("every attempted external request is recorded", func(t *testing.T) {
		all := strings.Join(res.ExternalRequests, " ")
		for _, want := range []string{"https://cdn.example.com/lib.js", "http://fonts.example.com/font.css", "wss://socket.example.com/", "https://api.example.com/data", "/local.png"} {
			if !strings.Contains(all, want) {
				t.Errorf("request to %s not recorded in %q", want, res.ExternalRequests)
			}
		}
		if strings.Contains(all, "probe.html") {
			t.Errorf("the page itself is counted as external: %q", res.ExternalRequests)
		}
	})
	t.Run("console errors and uncaught exceptions are recorded, logs are not", func(t *testing.T) {
		all := strings.Join(res.ConsoleErrors, "\n")
		for _, want := range []string{"probe error", "probe exception"} {
			if !strings.Contains(all, want) {
				t.Errorf("%q not recorded in %q", want, res.ConsoleErrors)
			}
		}
		if strings.Contains(all, "not an error") {
			t.Errorf("console.log counted as an error")
		}
	})
	t.Run("painted and blank canvases are told apart", func(t *testing.T) {
		want := map[string]bool{"painted": true, "blank": false, "nocanvas": false}
		if len(res.Charts) != len(want) {
			t.Fatalf("charts = %+v", res.Charts)
		}
		for _, c := range res.Charts {
			if c.Painted != want[c.ID] {
				t.Errorf("chart %s painted = %v (%d pixels)", c.ID, c.Painted, c.PaintedPixels)
			}
		}
		if res.Charts[0].PaintedPixels != 150*80 {
			t.Errorf("painted pixels = %d, want %d", res.Charts[0].PaintedPixels, 150*80)
		}
	})
	t.Run("a PNG screenshot is written", func(t *testing.T) {
		b, err := os.ReadFile(shot)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(string(b), "\x89PNG") {
			t.Error("screenshot is not a PNG")
		}
	})
}

func TestCheckMissingFile(t *testing.T) {
	browsertest.Require(t)
	_, err := browsertest.Check(context.Background(), filepath.Join(t.TempDir(), "none.html"), "")
	if err == nil {
		t.Error("no error for a missing file")
	}
}

func TestBrowserPathHonoursEnvironment(t *testing.T) {
	t.Setenv("CUSTNET_CHROMIUM", filepath.Join(t.TempDir(), "no-such-chromium"))
	if _, err := browsertest.BrowserPath(); err == nil {
		t.Error("a missing $CUSTNET_CHROMIUM is accepted")
	}
}

func TestCheckBlocksTheNetwork(t *testing.T) {
	browsertest.Require(t)
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("Content-Type", "text/javascript")
		w.Write([]byte(`document.title = "loaded";`))
	}))
	defer srv.Close()
	path := filepath.Join(t.TempDir(), "net.html")
	html := `<!DOCTYPE html><html><head><title>offline</title><script src="` + srv.URL + `/x.js"></script></head><body>
<script>fetch("` + srv.URL + `/f").catch(function(){}); var i = new Image(); i.src = "` + srv.URL + `/i.png";</script></body></html>`
	if err := os.WriteFile(path, []byte(html), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	res, err := browsertest.Check(ctx, path, "")
	if err != nil {
		t.Fatal(err)
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("the local server got %d requests, want 0", n)
	}
	if res.Title != "offline" {
		t.Errorf("title = %q: a blocked script ran", res.Title)
	}
	if len(res.ExternalRequests) != 3 {
		t.Errorf("recorded %q, want the 3 attempts", res.ExternalRequests)
	}
}

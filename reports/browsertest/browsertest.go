package browsertest

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// ErrNoBrowser is returned by [Check] and [BrowserPath] when no Chromium
// executable is found.
var ErrNoBrowser = errors.New("browsertest: no Chromium found (install Debian's chromium package or set CUSTNET_CHROMIUM)")

// Result is what a reader would see of a page.
type Result struct {
	Title    string
	Headings []string // text of every h2, in page order
	Charts   []Chart
	// ConsoleErrors holds console.error and console.assert calls, uncaught
	// exceptions and browser log entries of level error.
	ConsoleErrors []string
	// ExternalRequests holds the URL of every request other than the page
	// itself and data: or blob: URLs, blocked or not.
	ExternalRequests []string
	// RenderTime is the time from the start of navigation until the charts
	// had been drawn and checked, as the page measures it.
	RenderTime time.Duration
}

// Chart is one chart container: an element with a data-chart attribute or
// one that ECharts has initialised.
type Chart struct {
	ID string
	// Painted reports whether the container holds a canvas with at least
	// 0.5% of its pixels (and at least 500) painted in a colour other than
	// the white background.
	Painted bool
	// PaintedPixels counts the canvas pixels that are neither transparent
	// nor near-white; Width and Height are the canvas size in pixels.
	PaintedPixels int
	Width, Height int
}

// BrowserPath returns the Chromium executable: $CUSTNET_CHROMIUM when set,
// otherwise the first of /usr/bin/chromium, chromium and
// chromium-browser found on PATH.
func BrowserPath() (string, error) {
	if p := os.Getenv("CUSTNET_CHROMIUM"); p != "" {
		if _, err := os.Stat(p); err != nil {
			return "", fmt.Errorf("%w: CUSTNET_CHROMIUM: %v", ErrNoBrowser, err)
		}
		return p, nil
	}
	if _, err := os.Stat("/usr/bin/chromium"); err == nil {
		return "/usr/bin/chromium", nil
	}
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", ErrNoBrowser
}

// Require skips t when no browser is installed, or fails it when the
// environment variable CI is "true", where a missing browser is a broken
// setup rather than a developer's machine.
func Require(t testing.TB) {
	t.Helper()
	if _, err := BrowserPath(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%v; CI=true, so this is a failure", err)
		}
		t.Skipf("skipping browser check: %v", err)
	}
}

// collectJS waits two animation frames, so that pending chart frames are
// painted, then reads the page. Painted pixels are those neither
// transparent nor near-white.
const collectJS = `new Promise(function(done){requestAnimationFrame(function(){requestAnimationFrame(function(){
var out={title:document.title,headings:[],charts:[],ms:performance.now()};
document.querySelectorAll("h2").forEach(function(h){out.headings.push(h.textContent.trim())});
document.querySelectorAll("[data-chart],[_echarts_instance_]").forEach(function(el){
var c={id:el.id||el.getAttribute("data-chart")||"",pixels:0,width:0,height:0};
el.querySelectorAll("canvas").forEach(function(cv){
c.width=Math.max(c.width,cv.width);c.height=Math.max(c.height,cv.height);
if(!cv.width||!cv.height)return;
var d=cv.getContext("2d").getImageData(0,0,cv.width,cv.height).data;
for(var i=0;i<d.length;i+=4){if(d[i+3]>16&&!(d[i]>245&&d[i+1]>245&&d[i+2]>245))c.pixels++}});
out.charts.push(c)});
done(out)})})})`

type collected struct {
	Title    string   `json:"title"`
	Headings []string `json:"headings"`
	MS       float64  `json:"ms"`
	Charts   []struct {
		ID     string `json:"id"`
		Pixels int    `json:"pixels"`
		Width  int    `json:"width"`
		Height int    `json:"height"`
	} `json:"charts"`
}

// Check opens the local HTML file htmlPath in headless Chromium with every
// http, https, ws and wss request blocked and the network emulated offline,
// waits for the page to load and its charts to be drawn, and reports what
// it saw. When screenshotPath is not empty it writes a full-page PNG there.
// The browser runs with a fresh profile in a temporary directory, removed
// afterwards. Check returns [ErrNoBrowser] when Chromium is missing; give it
// a ctx with a deadline.
func Check(ctx context.Context, htmlPath, screenshotPath string) (Result, error) {
	var res Result
	bin, err := BrowserPath()
	if err != nil {
		return res, err
	}
	abs, err := filepath.Abs(htmlPath)
	if err != nil {
		return res, fmt.Errorf("check %s: %w", htmlPath, err)
	}
	if _, err := os.Stat(abs); err != nil {
		return res, fmt.Errorf("check %s: %w", htmlPath, err)
	}
	pageURL := (&url.URL{Scheme: "file", Path: filepath.ToSlash(abs)}).String()

	profile, err := os.MkdirTemp("", "custnet-chromium-")
	if err != nil {
		return res, fmt.Errorf("check %s: profile: %w", htmlPath, err)
	}
	defer os.RemoveAll(profile)

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(bin),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.Flag("mute-audio", true),
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(1280, 1000),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	defer cancelAlloc()
	bctx, cancelBrowser := chromedp.NewContext(allocCtx)
	defer cancelBrowser()

	var (
		mu       sync.Mutex
		errs     []string
		requests []string
	)
	record := func(u string) {
		if strings.HasPrefix(u, "data:") || strings.HasPrefix(u, "blob:") {
			return
		}
		if i := strings.IndexByte(u, '#'); i >= 0 {
			u = u[:i]
		}
		if u == pageURL {
			return
		}
		mu.Lock()
		requests = append(requests, u)
		mu.Unlock()
	}
	listen := func(ev any) {
		switch e := ev.(type) {
		case *network.EventRequestWillBeSent:
			if e.Request != nil {
				record(e.Request.URL)
			}
		case *network.EventWebSocketCreated:
			record(e.URL)
		case *runtime.EventConsoleAPICalled:
			if e.Type == runtime.ConsoleAPICalledTypeError || e.Type == runtime.ConsoleAPICalledTypeAssert {
				var parts []string
				for _, a := range e.Args {
					if a.Description != "" {
						parts = append(parts, a.Description)
					} else {
						parts = append(parts, strings.Trim(string(a.Value), `"`))
					}
				}
				mu.Lock()
				errs = append(errs, "console."+string(e.Type)+": "+strings.Join(parts, " "))
				mu.Unlock()
			}
		case *runtime.EventExceptionThrown:
			if d := e.ExceptionDetails; d != nil {
				msg := d.Text
				if d.Exception != nil && d.Exception.Description != "" {
					msg += " " + d.Exception.Description
				}
				mu.Lock()
				errs = append(errs, fmt.Sprintf("exception at %s:%d: %s", d.URL, d.LineNumber+1, msg))
				mu.Unlock()
			}
		case *log.EventEntryAdded:
			if e.Entry != nil && e.Entry.Level == log.EntryLevelError {
				mu.Lock()
				errs = append(errs, "log: "+e.Entry.Text+" "+e.Entry.URL)
				mu.Unlock()
			}
		}
	}

	// Start the browser, then block the network before the page loads.
	if err := chromedp.Do(bctx); err != nil {
		return res, fmt.Errorf("check %s: start %s: %w", htmlPath, bin, err)
	}
	if err := chromedp.Listen(bctx, listen); err != nil {
		return res, fmt.Errorf("check %s: listen: %w", htmlPath, err)
	}
	var patterns []*network.BlockPattern
	for _, s := range []string{"http", "https", "ws", "wss"} {
		patterns = append(patterns, &network.BlockPattern{URLPattern: s + "://*:*/*", Block: true})
	}
	if _, err := chromedp.Call(bctx, network.SetBlockedURLs, network.SetBlockedURLsParams{URLPatterns: patterns}); err != nil {
		return res, fmt.Errorf("check %s: block network: %w", htmlPath, err)
	}
	if _, err := chromedp.Call(bctx, network.OverrideNetworkState, network.OverrideNetworkStateParams{
		Offline: true, DownloadThroughput: -1, UploadThroughput: -1,
	}); err != nil {
		return res, fmt.Errorf("check %s: go offline: %w", htmlPath, err)
	}

	if err := chromedp.Do(bctx, chromedp.Navigate(pageURL)); err != nil {
		return res, fmt.Errorf("check %s: open: %w", htmlPath, err)
	}
	got, err := chromedp.Run(bctx, chromedp.Evaluate[collected](collectJS, chromedp.EvalAwaitPromise))
	if err != nil {
		return res, fmt.Errorf("check %s: read page: %w", htmlPath, err)
	}
	res.Title = got.Title
	res.Headings = got.Headings
	res.RenderTime = time.Duration(got.MS * float64(time.Millisecond))
	for _, c := range got.Charts {
		area := c.Width * c.Height
		res.Charts = append(res.Charts, Chart{
			ID: c.ID, PaintedPixels: c.Pixels, Width: c.Width, Height: c.Height,
			Painted: area > 0 && c.Pixels >= 500 && float64(c.Pixels) >= 0.005*float64(area),
		})
	}

	if screenshotPath != "" {
		png, err := chromedp.Run(bctx, chromedp.FullScreenshot(100))
		if err != nil {
			return res, fmt.Errorf("check %s: screenshot: %w", htmlPath, err)
		}
		if err := os.WriteFile(screenshotPath, png, 0o644); err != nil {
			return res, fmt.Errorf("check %s: screenshot: %w", htmlPath, err)
		}
	}

	// Let late events (a failing request, an error in a timer) arrive.
	if err := chromedp.Do(bctx, chromedp.Sleep(200*time.Millisecond)); err != nil {
		return res, fmt.Errorf("check %s: %w", htmlPath, err)
	}
	mu.Lock()
	res.ConsoleErrors = append([]string(nil), errs...)
	res.ExternalRequests = append([]string(nil), requests...)
	mu.Unlock()
	return res, nil
}

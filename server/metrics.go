package server

import (
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/custnet/custnet/engine"
)

// latencyBuckets are the upper bounds, in seconds, of the request latency
// histogram.
var latencyBuckets = []float64{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}

// metrics holds the counters /metrics exposes, in the Prometheus text
// format (version 0.0.4), written by hand.
type metrics struct {
	mu       sync.Mutex
	routes   map[string]*routeStats // by route pattern; "unmatched" for 404s of the mux
	inFlight atomic.Int64

	eventsLoaded, eventsDuplicate, eventsWithoutConsent, eventsRejected atomic.Int64
	batchMu                                                             sync.Mutex
	batchResults                                                        map[string]int64
}

type routeStats struct {
	codes   map[int]int64
	buckets []int64 // cumulative counts are computed at exposition
	count   int64
	sum     float64
}

func newMetrics() *metrics {
	return &metrics{routes: map[string]*routeStats{}, batchResults: map[string]int64{}}
}

func (m *metrics) observe(route string, code int, d time.Duration) {
	sec := d.Seconds()
	m.mu.Lock()
	defer m.mu.Unlock()
	rs := m.routes[route]
	if rs == nil {
		rs = &routeStats{codes: map[int]int64{}, buckets: make([]int64, len(latencyBuckets))}
		m.routes[route] = rs
	}
	rs.codes[code]++
	rs.count++
	rs.sum += sec
	if i := sort.SearchFloat64s(latencyBuckets, sec); i < len(latencyBuckets) {
		rs.buckets[i]++
	}
}

func (m *metrics) ingested(res *engine.IngestResult) {
	m.eventsLoaded.Add(res.Loaded)
	m.eventsDuplicate.Add(res.Duplicate)
	m.eventsWithoutConsent.Add(res.WithoutConsent)
	m.batches("accepted")
}

func (m *metrics) rejected(rows int) {
	m.eventsRejected.Add(int64(rows))
	m.batches("rejected")
}

func (m *metrics) batches(result string) {
	m.batchMu.Lock()
	m.batchResults[result]++
	m.batchMu.Unlock()
}

// statusWriter records the status code of a response.
type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// instrument counts requests by route and status, times them, and turns a
// panic into a 500.
func (s *Server) instrument(mux *http.ServeMux) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		s.metrics.inFlight.Add(1)
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			s.metrics.inFlight.Add(-1)
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.Error("panic serving request", "method", r.Method, "path", r.URL.Path, "panic", v)
				if sw.code == 0 {
					writeError(sw, http.StatusInternalServerError, "internal error; the server log has the details", "other")
				}
			}
			route := r.Pattern
			if route == "" {
				route = "unmatched"
			}
			code := sw.code
			if code == 0 {
				code = http.StatusOK
			}
			s.metrics.observe(route, code, time.Since(start))
		}()
		if _, pattern := mux.Handler(r); pattern == "" && unmatched(sw, mux, r) {
			return
		}
		mux.ServeHTTP(sw, r)
	})
}

// unmatched answers a request no route matches with the JSON error body
// every other error has (the mux itself answers in plain text), keeping
// the mux's status (404, or 405 with its Allow header). It reports false,
// having written nothing, for anything else the mux would answer (such as
// a redirect to the cleaned path).
func unmatched(w http.ResponseWriter, mux *http.ServeMux, r *http.Request) bool {
	d := &headerOnly{h: http.Header{}}
	mux.ServeHTTP(d, r)
	switch d.code {
	case http.StatusNotFound:
		writeError(w, d.code, "no such endpoint: "+r.Method+" "+r.URL.Path, "not found")
	case http.StatusMethodNotAllowed:
		allow := d.h.Get("Allow")
		w.Header().Set("Allow", allow)
		writeError(w, d.code, r.Method+" is not allowed on "+r.URL.Path+" (allowed: "+allow+")", "method not allowed")
	default:
		return false
	}
	return true
}

// headerOnly records what a handler would answer and drops its body.
type headerOnly struct {
	h    http.Header
	code int
}

func (d *headerOnly) Header() http.Header { return d.h }
func (d *headerOnly) Write(b []byte) (int, error) {
	if d.code == 0 {
		d.code = http.StatusOK
	}
	return len(b), nil
}
func (d *headerOnly) WriteHeader(code int) {
	if d.code == 0 {
		d.code = code
	}
}

func (s *Server) metricsPage(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	s.metrics.write(w)
}

// write renders every metric in the Prometheus text format, sorted so
// that the page is stable between scrapes.
func (m *metrics) write(out io.Writer) {
	var b strings.Builder
	m.mu.Lock()
	routes := make([]string, 0, len(m.routes))
	for r := range m.routes {
		routes = append(routes, r)
	}
	sort.Strings(routes)
	b.WriteString("# HELP custnet_http_requests_total HTTP requests served, by route pattern and status code.\n")
	b.WriteString("# TYPE custnet_http_requests_total counter\n")
	for _, r := range routes {
		rs := m.routes[r]
		codes := make([]int, 0, len(rs.codes))
		for c := range rs.codes {
			codes = append(codes, c)
		}
		sort.Ints(codes)
		for _, c := range codes {
			fmt.Fprintf(&b, "custnet_http_requests_total{route=%s,code=\"%d\"} %d\n", label(r), c, rs.codes[c])
		}
	}
	b.WriteString("# HELP custnet_http_request_duration_seconds Time from the request reaching the handler to the response, by route pattern.\n")
	b.WriteString("# TYPE custnet_http_request_duration_seconds histogram\n")
	for _, r := range routes {
		rs := m.routes[r]
		var cum int64
		for i, le := range latencyBuckets {
			cum += rs.buckets[i]
			fmt.Fprintf(&b, "custnet_http_request_duration_seconds_bucket{route=%s,le=\"%s\"} %d\n", label(r), strconv.FormatFloat(le, 'g', -1, 64), cum)
		}
		fmt.Fprintf(&b, "custnet_http_request_duration_seconds_bucket{route=%s,le=\"+Inf\"} %d\n", label(r), rs.count)
		fmt.Fprintf(&b, "custnet_http_request_duration_seconds_sum{route=%s} %s\n", label(r), strconv.FormatFloat(rs.sum, 'g', -1, 64))
		fmt.Fprintf(&b, "custnet_http_request_duration_seconds_count{route=%s} %d\n", label(r), rs.count)
	}
	m.mu.Unlock()
	gauge := func(name, help, typ string, v int64) {
		fmt.Fprintf(&b, "# HELP %s %s\n# TYPE %s %s\n%s %d\n", name, help, name, typ, name, v)
	}
	gauge("custnet_http_requests_in_flight", "HTTP requests being served.", "gauge", m.inFlight.Load())
	gauge("custnet_ingested_events_total", "Events stored by POST /v1/events.", "counter", m.eventsLoaded.Load())
	gauge("custnet_ingest_duplicate_events_total", "Events of accepted batches already in the store.", "counter", m.eventsDuplicate.Load())
	gauge("custnet_ingest_without_consent_events_total", "Events of accepted batches dropped for lack of an analytics basis.", "counter", m.eventsWithoutConsent.Load())
	gauge("custnet_ingest_rejected_events_total", "Bad events reported in rejected batches (a rejected batch stores nothing).", "counter", m.eventsRejected.Load())
	b.WriteString("# HELP custnet_ingest_batches_total POST /v1/events batches by result: accepted, rejected (bad events), failed, or shed (queue full, 503).\n")
	b.WriteString("# TYPE custnet_ingest_batches_total counter\n")
	m.batchMu.Lock()
	for _, res := range []string{"accepted", "failed", "rejected", "shed"} {
		fmt.Fprintf(&b, "custnet_ingest_batches_total{result=%q} %d\n", res, m.batchResults[res])
	}
	m.batchMu.Unlock()
	io.WriteString(out, b.String())
}

// label quotes a label value as the text format wants: backslash, double
// quote and newline escaped.
func label(v string) string {
	return `"` + labelEscaper.Replace(v) + `"`
}

var labelEscaper = strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)

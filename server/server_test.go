package server

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/custnet/custnet/engine"
)

func TestNewValidatesOptions(t *testing.T) {
	e := newTestEngine(t)
	tests := []struct {
		name    string
		opt     Options
		wantErr string
	}{
		{"no operator token is refused", Options{}, "no operator token"},
		{"a short operator token is refused", Options{OperatorToken: "secret"}, "shorter than 16"},
		{"a token with white space is refused", Options{OperatorToken: "0123456789abcdef \n"}, "white space"},
		{"a long token is accepted", Options{OperatorToken: testToken}, ""},
		{"tests may turn authentication off", Options{InsecureNoAuth: true}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := New(e, tc.opt)
			if tc.wantErr == "" {
				if err != nil || s == nil {
					t.Fatalf("New: %v", err)
				}
				if s.opt.MaxBodyBytes != 8<<20 || s.opt.MaxConcurrentIngests != 16 {
					t.Fatalf("defaults not applied: %+v", s.opt)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("New: %v, want an error containing %q", err, tc.wantErr)
			}
		})
	}
	t.Run("a nil engine is refused", func(t *testing.T) {
		if _, err := New(nil, Options{OperatorToken: testToken}); err == nil {
			t.Fatal("New(nil) succeeded")
		}
	})
}

func TestResolveAddrBindsLoopbackByDefault(t *testing.T) {
	for in, want := range map[string]string{
		"":              "127.0.0.1:8080",
		":9000":         "127.0.0.1:9000",
		"0.0.0.0:9000":  "0.0.0.0:9000",
		"[::1]:9000":    "[::1]:9000",
		"localhost:123": "localhost:123",
	} {
		if got := ResolveAddr(in); got != want {
			t.Errorf("ResolveAddr(%q) = %q, want %q", in, got, want)
		}
	}
}

// route is one endpoint as the auth tests call it.
type route struct {
	method, path string // path with %s for the customer id, when it has one
	body         string
	operatorOnly bool
}

var authRoutes = []route{
	{"GET", "/v1/customers/%s/recommendations?n=3", "", false},
	{"GET", "/v1/customers/%s/scores", "", false},
	{"GET", "/v1/customers/%s/export", "", false},
	{"POST", "/v1/customers/%s/consents", `{"purpose":"personalization","granted":true}`, false},
	{"POST", "/v1/customers/%s/token", "", true},
	{"POST", "/v1/events", `{"events":[{"customer_id":"1","action":"visit"}]}`, true},
	{"GET", "/metrics", "", true},
}

func (r route) url(customer string) string {
	if strings.Contains(r.path, "%s") {
		return fmt.Sprintf(r.path, customer)
	}
	return r.path
}

func TestEveryEndpointRefusesMissingAndWrongTokens(t *testing.T) {
	f := movieLensServer(t)
	other := f.mint(t, "2") // a valid token, for customer 2
	forged := "1." + strings.Repeat("ab", 32)
	wantBody := map[int]string{
		401: `{"error":"` + msgUnauthorized + `","kind":"auth"}` + "\n",
		403: `{"error":"` + msgForbidden + `","kind":"auth"}` + "\n",
	}
	tokens := []struct {
		name, token string
		code        int
	}{
		{"no token", "", 401},
		{"a wrong operator token", testToken + "x", 401},
		{"a forged customer token", forged, 401},
		{"a token of the right shape for nobody", "." + strings.Repeat("00", 32), 401},
		{"another customer's token", other, 403},
	}
	for _, rt := range authRoutes {
		for _, tk := range tokens {
			// Customer 1 exists and "nobody" does not: the answers must be
			// identical, so they leak nothing.
			for _, cust := range []string{"1", "nobody"} {
				name := fmt.Sprintf("%s %s with %s for customer %s is %d", rt.method, rt.path, tk.name, cust, tk.code)
				t.Run(name, func(t *testing.T) {
					code, body := f.do(t, rt.method, rt.url(cust), tk.token, nilIfEmpty(rt.body))
					if code != tk.code {
						t.Fatalf("status %d, want %d: %s", code, tk.code, body)
					}
					if string(body) != wantBody[code] {
						t.Fatalf("body %q, want exactly %q", body, wantBody[code])
					}
				})
			}
		}
	}
	t.Run("a 401 says how to authenticate", func(t *testing.T) {
		req, _ := http.NewRequest("GET", f.url+"/v1/customers/1/export", nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if got := resp.Header.Get("WWW-Authenticate"); !strings.HasPrefix(got, "Bearer") {
			t.Fatalf("WWW-Authenticate = %q", got)
		}
	})
	t.Run("the health check needs no token", func(t *testing.T) {
		code, body := f.do(t, "GET", "/healthz", "", nil)
		if code != 200 || !strings.Contains(string(body), `"ok"`) {
			t.Fatalf("%d %s", code, body)
		}
	})
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func TestCustomerTokenReadsOwnDataOnly(t *testing.T) {
	f := movieLensServer(t)
	tok := f.mint(t, "7")
	t.Run("the token names its customer", func(t *testing.T) {
		if !strings.HasPrefix(tok, "7.") || tok != CustomerToken(f.s.key, "7") {
			t.Fatalf("token %q", tok)
		}
	})
	own := []struct {
		name, method, path string
		body               any
	}{
		{"reads own recommendations", "GET", "/v1/customers/7/recommendations?n=3", nil},
		{"reads own export", "GET", "/v1/customers/7/export", nil},
		{"grants own consent", "POST", "/v1/customers/7/consents", `{"purpose":"personalization","granted":true}`},
	}
	for _, tc := range own {
		t.Run("a customer token "+tc.name, func(t *testing.T) {
			code, body := f.do(t, tc.method, tc.path, tok, tc.body)
			if code != 200 {
				t.Fatalf("%d %s", code, body)
			}
		})
	}
	t.Run("the export holds the customer's own events", func(t *testing.T) {
		_, body := f.do(t, "GET", "/v1/customers/7/export", tok, nil)
		var x struct {
			CustomerID string `json:"customer_id"`
			EventCount int    `json:"event_count"`
		}
		mustJSON(t, body, &x)
		if x.CustomerID != "7" || x.EventCount == 0 {
			t.Fatalf("export: %+v", x)
		}
	})
	others := []struct {
		name, method, path string
		body               any
	}{
		{"another customer's recommendations", "GET", "/v1/customers/8/recommendations", nil},
		{"another customer's export", "GET", "/v1/customers/8/export", nil},
		{"another customer's scores", "GET", "/v1/customers/8/scores", nil},
		{"another customer's consent", "POST", "/v1/customers/8/consents", `{"purpose":"analytics","granted":false}`},
		{"a token for someone else", "POST", "/v1/customers/8/token", nil},
		{"a token for itself", "POST", "/v1/customers/7/token", nil},
		{"events", "POST", "/v1/events", `{"events":[{"customer_id":"7","action":"visit"}]}`},
		{"the metrics", "GET", "/metrics", nil},
	}
	for _, tc := range others {
		t.Run("a customer token cannot reach "+tc.name, func(t *testing.T) {
			code, body := f.do(t, tc.method, tc.path, tok, tc.body)
			if code != 403 {
				t.Fatalf("%d %s", code, body)
			}
		})
	}
	t.Run("customer 8 still has every event after customer 7 tried to revoke for them", func(t *testing.T) {
		if ok, _ := f.e.HasConsent(ctx, "8", "analytics"); !ok {
			t.Fatal("customer 8 lost analytics consent")
		}
	})
	t.Run("a token minted under another key is refused", func(t *testing.T) {
		code, _ := f.do(t, "GET", "/v1/customers/7/export", CustomerToken([]byte("another key"), "7"), nil)
		if code != 401 {
			t.Fatalf("status %d, want 401", code)
		}
	})
}

func TestRecommendationsOnMovieLens(t *testing.T) {
	f := movieLensServer(t)
	t.Run("the operator gets n recommendations with titles and reasons", func(t *testing.T) {
		code, body := f.do(t, "GET", "/v1/customers/1/recommendations?n=5", testToken, nil)
		if code != 200 {
			t.Fatalf("%d %s", code, body)
		}
		var rr RecommendationsResponse
		mustJSON(t, body, &rr)
		if rr.CustomerID != "1" || len(rr.Recommendations) != 5 {
			t.Fatalf("%+v", rr)
		}
		r := rr.Recommendations[0]
		if r.Rank != 1 || r.Title == "" || !strings.HasPrefix(r.Reason, "because you rated ") {
			t.Fatalf("first recommendation: %+v", r)
		}
	})
	t.Run("n defaults to 10", func(t *testing.T) {
		_, body := f.do(t, "GET", "/v1/customers/1/recommendations", testToken, nil)
		var rr RecommendationsResponse
		mustJSON(t, body, &rr)
		if len(rr.Recommendations) != 10 {
			t.Fatalf("%d recommendations", len(rr.Recommendations))
		}
	})
	for _, n := range []string{"0", "-1", "x", "1001"} {
		t.Run("n="+n+" is a bad request", func(t *testing.T) {
			code, body := f.do(t, "GET", "/v1/customers/1/recommendations?n="+n, testToken, nil)
			if code != 400 || !strings.Contains(string(body), `"kind":"bad input"`) {
				t.Fatalf("%d %s", code, body)
			}
		})
	}
	t.Run("a customer without personalization consent gets 403 with a reason, not an empty list", func(t *testing.T) {
		// Known to the store through an analytics grant only.
		if err := f.e.Grant(ctx, "analytics-only", "analytics", "test"); err != nil {
			t.Fatal(err)
		}
		code, body := f.do(t, "GET", "/v1/customers/analytics-only/recommendations", testToken, nil)
		if code != 403 || !strings.Contains(string(body), "no active personalization consent") || !strings.Contains(string(body), `"kind":"no consent"`) {
			t.Fatalf("%d %s", code, body)
		}
	})
	t.Run("a customer the store has never heard of is 404", func(t *testing.T) {
		code, body := f.do(t, "GET", "/v1/customers/no-such-customer/recommendations", testToken, nil)
		if code != 404 || !strings.Contains(string(body), `"kind":"not found"`) {
			t.Fatalf("%d %s", code, body)
		}
	})
}

func TestRevokingPersonalizationStopsRecommendations(t *testing.T) {
	f := movieLensServer(t)
	tok := f.mint(t, "11")
	if code, body := f.do(t, "GET", "/v1/customers/11/recommendations", tok, nil); code != 200 {
		t.Fatalf("before revoking: %d %s", code, body)
	}
	t.Run("the customer revokes personalization", func(t *testing.T) {
		code, body := f.do(t, "POST", "/v1/customers/11/consents", tok, `{"purpose":"personalization","granted":false,"source":"app settings"}`)
		if code != 200 {
			t.Fatalf("%d %s", code, body)
		}
		var cr ConsentResponse
		mustJSON(t, body, &cr)
		if cr.Granted || cr.Purpose != "personalization" || cr.Erased == nil {
			t.Fatalf("%+v", cr)
		}
	})
	t.Run("then recommendations are refused with 403 and a clear message", func(t *testing.T) {
		code, body := f.do(t, "GET", "/v1/customers/11/recommendations", tok, nil)
		if code != 403 || !strings.Contains(string(body), "no active personalization consent") {
			t.Fatalf("%d %s", code, body)
		}
	})
	t.Run("the ledger keeps the source the customer gave", func(t *testing.T) {
		h, err := f.e.ConsentHistory(ctx, "11")
		if err != nil {
			t.Fatal(err)
		}
		last := h[len(h)-1]
		if last.Granted || last.Source != "app settings" {
			t.Fatalf("last ledger record: %+v", last)
		}
	})
	t.Run("granting again brings them back", func(t *testing.T) {
		f.do(t, "POST", "/v1/customers/11/consents", tok, `{"purpose":"personalization","granted":true}`)
		if code, body := f.do(t, "GET", "/v1/customers/11/recommendations", tok, nil); code != 200 {
			t.Fatalf("%d %s", code, body)
		}
	})
}

func TestConsentRequestsAreValidated(t *testing.T) {
	f := movieLensServer(t)
	tests := []struct {
		name, body, contains string
		code                 int
	}{
		{"a missing granted is refused", `{"purpose":"analytics"}`, "granted", 400},
		{"an unknown purpose is refused", `{"purpose":"marketing","granted":true}`, "marketing", 400},
		{"an unknown field is refused", `{"purpose":"analytics","granted":true,"until":"2030"}`, "until", 400},
		{"an empty body is refused", ``, "empty body", 400},
		{"trailing data is refused", `{"purpose":"analytics","granted":true} {}`, "trailing", 400},
		{"not JSON is refused", `purpose=analytics`, "request body", 400},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, body := f.do(t, "POST", "/v1/customers/12/consents", testToken, tc.body)
			if code != tc.code || !strings.Contains(string(body), tc.contains) {
				t.Fatalf("%d %s", code, body)
			}
		})
	}
	if ok, _ := f.e.HasConsent(ctx, "12", "analytics"); !ok {
		t.Fatal("a refused request changed the ledger")
	}
}

func TestScoresComeFromTheEngine(t *testing.T) {
	f := newFixture(t, newTestEngine(t), Options{OperatorToken: testToken})
	// A tiny store: two customers with a few events.
	post := `{"events":[
		{"customer_id":"a","action":"visit","at":"2024-05-01T10:00:00Z","channel":"web"},
		{"customer_id":"a","action":"rate","at":"2024-05-02T10:00:00Z","item_id":"m1","value":4},
		{"customer_id":"a","action":"share","at":"2024-05-03T10:00:00Z","item_id":"m1","peer_id":"b"},
		{"customer_id":"b","action":"login","at":"2024-05-03T11:00:00Z","channel":"app"},
		{"customer_id":"b","action":"contribute","at":"2024-05-04T10:00:00Z","item_id":"q1","value":3}]}`
	for _, c := range []string{"a", "b"} {
		if err := f.e.Grant(ctx, c, "analytics", "test"); err != nil {
			t.Fatal(err)
		}
	}
	if code, body := f.do(t, "POST", "/v1/events", testToken, post); code != 200 {
		t.Fatalf("ingest: %d %s", code, body)
	}
	t.Run("before scoring, scores are not found", func(t *testing.T) {
		code, body := f.do(t, "GET", "/v1/customers/a/scores", testToken, nil)
		if code != 404 || !strings.Contains(string(body), `"kind":"not found"`) {
			t.Fatalf("%d %s", code, body)
		}
	})
	t.Run("after scoring, a customer reads their five scores with explanations", func(t *testing.T) {
		if _, err := f.e.Score(ctx, engine.ScoreOptions{}); err != nil {
			t.Fatal(err)
		}
		code, body := f.do(t, "GET", "/v1/customers/a/scores", f.mint(t, "a"), nil)
		if code != 200 {
			t.Fatalf("%d %s", code, body)
		}
		var cs engine.CustomerScores
		mustJSON(t, body, &cs)
		if cs.Customer != "a" || len(cs.Scores) != 5 {
			t.Fatalf("%s", body)
		}
		if !strings.Contains(string(body), `"explanation"`) {
			t.Fatalf("no explanation: %s", body)
		}
	})
}

func TestBodyTooLargeIs413(t *testing.T) {
	e := newTestEngine(t)
	f := newFixture(t, e, Options{OperatorToken: testToken, MaxBodyBytes: 1024})
	if err := e.Grant(ctx, "big", "analytics", "test"); err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	b.WriteString(`{"events":[`)
	for i := 0; b.Len() < 4096; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"customer_id":"big","action":"visit","item_id":"i%d"}`, i)
	}
	b.WriteString(`]}`)
	tests := []struct{ name, path, body string }{
		{"an event batch over the limit", "/v1/events", b.String()},
		{"a consent body over the limit", "/v1/customers/big/consents", `{"purpose":"analytics","granted":true,"source":"` + strings.Repeat("x", 2000) + `"}`},
	}
	for _, tc := range tests {
		t.Run(tc.name+" is refused with 413", func(t *testing.T) {
			code, body := f.do(t, "POST", tc.path, testToken, tc.body)
			if code != 413 || !strings.Contains(string(body), "1024 bytes") {
				t.Fatalf("%d %s", code, body)
			}
		})
	}
	if n := len(itemsOf(t, e, "big")); n != 0 {
		t.Fatalf("%d items stored from a refused body", n)
	}
}

func TestUnknownRoutesAndMethods(t *testing.T) {
	f := movieLensServer(t)
	tests := []struct {
		name, method, path string
		code               int
		kind               string
	}{
		{"an unknown path is 404", "GET", "/v1/nothing", 404, `"kind":"not found"`},
		{"a wrong method is 405", "DELETE", "/v1/customers/1/export", 405, `"kind":"method not allowed"`},
	}
	for _, tc := range tests {
		t.Run(tc.name+" with a JSON error body", func(t *testing.T) {
			code, body := f.do(t, tc.method, tc.path, testToken, nil)
			if code != tc.code || !strings.Contains(string(body), tc.kind) || !json.Valid(body) {
				t.Fatalf("%d %s", code, body)
			}
		})
	}
}

func TestMetricsInPrometheusTextFormat(t *testing.T) {
	f := movieLensServer(t)
	f.do(t, "GET", "/v1/customers/1/recommendations?n=2", testToken, nil)
	f.do(t, "GET", "/v1/customers/1/recommendations", "", nil)
	code, body := f.do(t, "GET", "/metrics", testToken, nil)
	if code != 200 {
		t.Fatalf("%d %s", code, body)
	}
	page := string(body)
	for _, want := range []string{
		"# TYPE custnet_http_requests_total counter",
		`custnet_http_requests_total{route="GET /v1/customers/{id}/recommendations",code="200"} `,
		`custnet_http_requests_total{route="GET /v1/customers/{id}/recommendations",code="401"} `,
		"# TYPE custnet_http_request_duration_seconds histogram",
		`custnet_http_request_duration_seconds_bucket{route="GET /v1/customers/{id}/recommendations",le="0.005"} `,
		`custnet_http_request_duration_seconds_bucket{route="GET /v1/customers/{id}/recommendations",le="+Inf"} `,
		`custnet_http_request_duration_seconds_count{route="GET /v1/customers/{id}/recommendations"} `,
		"custnet_ingested_events_total ",
		"custnet_ingest_rejected_events_total ",
		`custnet_ingest_batches_total{result="accepted"} `,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
	// Every sample line is "name{labels} value" or "name value".
	for _, line := range strings.Split(strings.TrimSpace(page), "\n") {
		if strings.HasPrefix(line, "#") {
			continue
		}
		if i := strings.LastIndexByte(line, ' '); i < 0 || strings.ContainsAny(line[i+1:], "{}\" ") {
			t.Errorf("malformed sample %q", line)
		}
	}
}

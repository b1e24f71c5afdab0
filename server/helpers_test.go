package server

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/custnet/custnet/engine"
	"github.com/custnet/custnet/internal/dstest"
)

const testToken = "test-operator-token-0123456789"

var ctx = context.Background()

// newTestEngine opens a store in a temp dir, closed at cleanup.
func newTestEngine(tb testing.TB) *engine.Engine {
	tb.Helper()
	e, err := engine.Open(ctx, engine.Options{Path: filepath.Join(tb.TempDir(), "test.duckdb")})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { e.Close() })
	return e
}

// movieLensEngine opens a store in dir holding MovieLens 100k (every
// customer with analytics and personalization consent) and trains a
// knn-baseline on it.
func movieLensEngine(dir, udata string) (*engine.Engine, error) {
	e, err := engine.Open(ctx, engine.Options{Path: filepath.Join(dir, "ml.duckdb")})
	if err != nil {
		return nil, err
	}
	_, err = e.Ingest(ctx, engine.IngestOptions{
		Path:          udata,
		Format:        "movielens-100k",
		AssumeConsent: []string{"analytics", "personalization"},
	})
	if err == nil {
		_, err = e.Train(ctx, engine.TrainOptions{Model: "knn-baseline"})
	}
	if err != nil {
		e.Close()
		return nil, err
	}
	return e, nil
}

// fixture is a server behind an httptest listener.
type fixture struct {
	e   *engine.Engine
	s   *Server
	url string
}

// The MovieLens fixture is shared by the tests of this package: they use
// distinct customers (or only read), so they do not disturb each other. It
// is built on first use and torn down by TestMain.
var (
	mlOnce     sync.Once
	mlFix      *fixture
	mlErr      error
	mlTeardown []func()
)

func TestMain(m *testing.M) {
	code := m.Run()
	for i := len(mlTeardown) - 1; i >= 0; i-- {
		mlTeardown[i]()
	}
	os.Exit(code)
}

// movieLensServer returns the shared server on MovieLens 100k, with the
// operator token testToken.
func movieLensServer(t *testing.T) *fixture {
	t.Helper()
	udata := dstest.Path(t, "movielens-100k", "u.data")
	mlOnce.Do(func() {
		dir, err := os.MkdirTemp("", "custnet-server-test-")
		if err != nil {
			mlErr = err
			return
		}
		mlTeardown = append(mlTeardown, func() { os.RemoveAll(dir) })
		e, err := movieLensEngine(dir, udata)
		if err != nil {
			mlErr = err
			return
		}
		mlTeardown = append(mlTeardown, func() { e.Close() })
		s, err := New(e, Options{OperatorToken: testToken})
		if err != nil {
			mlErr = err
			return
		}
		ts := httptest.NewServer(s.Handler())
		mlTeardown = append(mlTeardown, ts.Close)
		mlFix = &fixture{e: e, s: s, url: ts.URL}
	})
	if mlErr != nil {
		t.Fatalf("building the MovieLens fixture: %v", mlErr)
	}
	return mlFix
}

func newFixture(tb testing.TB, e *engine.Engine, opt Options) *fixture {
	tb.Helper()
	s, err := New(e, opt)
	if err != nil {
		tb.Fatal(err)
	}
	ts := httptest.NewServer(s.Handler())
	tb.Cleanup(ts.Close)
	return &fixture{e: e, s: s, url: ts.URL}
}

// do sends a request and returns the status and body.
func (f *fixture) do(t testing.TB, method, path, token string, body any) (int, []byte) {
	t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = bytes.NewBufferString(b)
	case []byte:
		r = bytes.NewReader(b)
	default:
		buf, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		r = bytes.NewReader(buf)
	}
	req, err := http.NewRequest(method, f.url+path, r)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if r != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, out
}

// mint asks the operator for customer's token over HTTP.
func (f *fixture) mint(t testing.TB, customer string) string {
	t.Helper()
	code, body := f.do(t, "POST", "/v1/customers/"+customer+"/token", testToken, nil)
	if code != 200 {
		t.Fatalf("mint token: %d %s", code, body)
	}
	var tr TokenResponse
	mustJSON(t, body, &tr)
	return tr.Token
}

func mustJSON(t testing.TB, body []byte, v any) {
	t.Helper()
	if err := json.Unmarshal(body, v); err != nil {
		t.Fatalf("response is not the expected JSON: %v\n%s", err, body)
	}
}

// itemsOf returns the item ids of the customer's stored events.
func itemsOf(t testing.TB, e *engine.Engine, customer string) map[string]int {
	t.Helper()
	x, err := e.Export(ctx, customer)
	if err != nil {
		if engine.KindOf(err) == engine.KindNotFound {
			return map[string]int{}
		}
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, ev := range x.Events {
		out[ev.ItemID]++
	}
	return out
}

package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/custnet/custnet/internal/dstest"
)

func runCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var o, e bytes.Buffer
	code = run(context.Background(), args, &o, &e)
	return code, o.String(), e.String()
}

func TestHelpAndUsageErrors(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		code     int
		contains string
	}{
		{"help lists the commands", []string{"--help"}, 0, "ingest"},
		{"every command has an example", []string{"ingest", "--help"}, 0, "Examples:"},
		{"an unknown flag is a usage error", []string{"stats", "--frobnicate"}, 2, "unknown flag"},
		{"an unknown command is a usage error", []string{"frobnicate"}, 2, "unknown command"},
		{"ingest without a consent basis explains itself", []string{"ingest", "--store", ":memory:", "x.csv"}, 2, "--assume-consent"},
		{"an unknown purpose is a usage error", []string{"ingest", "--assume-consent", "marketing", "x.csv"}, 2, "not a purpose"},
		{"an unknown format is a usage error", []string{"ingest", "--format", "excel", "--assume-consent", "analytics", "x.csv"}, 2, "--format"},
		{"a bad log format is a usage error", []string{"stats", "--log-format", "xml"}, 2, "--log-format"},
		{"revoke needs a customer", []string{"consent", "revoke", "--purpose", "analytics"}, 2, "customer"},
		{"a bad half-life is a usage error", []string{"graph", "--half-life", "soon"}, 2, "90d"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errOut := runCLI(t, tc.args...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tc.code, out, errOut)
			}
			if !strings.Contains(out+errOut, tc.contains) {
				t.Fatalf("output lacks %q\nstdout: %s\nstderr: %s", tc.contains, out, errOut)
			}
		})
	}
}

func TestIngestStatsRevokeThroughTheCLI(t *testing.T) {
	store := filepath.Join(t.TempDir(), "shop.duckdb")
	udata := dstest.Path(t, "movielens-100k", "u.data")
	code, out, errOut := runCLI(t, "ingest", "--store", store, "--format", "movielens-100k", "--assume-consent", "analytics,personalization", udata)
	if code != 0 || !strings.Contains(out, "loaded 100000") {
		t.Fatalf("ingest exit %d\n%s\n%s", code, out, errOut)
	}
	code, out, _ = runCLI(t, "stats", "--store", store, "--json")
	var s struct {
		Events, Customers, Items int64
	}
	if code != 0 || json.Unmarshal([]byte(out), &s) != nil || s.Events != 100000 || s.Customers != 943 || s.Items != 1682 {
		t.Fatalf("stats exit %d: %+v\n%s", code, s, out)
	}
	code, out, errOut = runCLI(t, "consent", "revoke", "--store", store, "--customer", "1", "--purpose", "analytics")
	if code != 0 || !strings.Contains(out, "events 272") {
		t.Fatalf("revoke exit %d\n%s\n%s", code, out, errOut)
	}
	code, out, _ = runCLI(t, "consent", "show", "--store", store, "--customer", "1")
	if code != 0 || !strings.Contains(out, "not granted") || !strings.Contains(out, "declared by operator") {
		t.Fatalf("consent show exit %d\n%s", code, out)
	}
}

func TestStrictIngestPrintsFileLineReason(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.csv")
	os.WriteFile(bad, []byte("customer_id,action,at,value\na,rate,2024-01-01T00:00:00Z,4\nb,rate,yesterday,3\n"), 0o644)
	store := filepath.Join(dir, "s.duckdb")
	code, out, errOut := runCLI(t, "ingest", "--store", store, "--format", "events", "--strict", "--assume-consent", "analytics", bad)
	if code != 1 || !strings.Contains(errOut, "bad.csv:3:") {
		t.Fatalf("exit %d, want 1 with bad.csv:3\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	code, out, _ = runCLI(t, "stats", "--store", store, "--json")
	if code != 0 || !strings.Contains(out, `"events": 0`) {
		t.Fatalf("strict failure stored something:\n%s", out)
	}
}

func TestMissingFileAndNotAStore(t *testing.T) {
	dir := t.TempDir()
	code, _, errOut := runCLI(t, "ingest", "--store", filepath.Join(dir, "s.duckdb"), "--format", "events", "--assume-consent", "analytics", filepath.Join(dir, "nope.csv"))
	if code != 1 || !strings.Contains(errOut, "nope.csv") {
		t.Fatalf("missing file: exit %d\n%s", code, errOut)
	}
	notStore := filepath.Join(dir, "notes.txt")
	os.WriteFile(notStore, []byte("hello\n"), 0o644)
	code, _, errOut = runCLI(t, "stats", "--store", notStore)
	if code != 1 || !strings.Contains(errOut, "not a DuckDB") {
		t.Fatalf("not a store: exit %d\n%s", code, errOut)
	}
}

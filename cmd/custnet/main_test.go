package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"

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
		{"a memory limit without a number is a usage error", []string{"stats", "--memory-limit", "lots"}, 2, "--memory-limit \"lots\": want a size like 4GB"},
		{"negative threads are a usage error", []string{"stats", "--threads", "-2"}, 2, "--threads -2"},
		{"revoke needs a customer", []string{"consent", "revoke", "--purpose", "analytics"}, 2, "customer"},
		{"a bad half-life is a usage error", []string{"graph", "--half-life", "soon"}, 2, "90d"},
		{"an unknown graph kind is a usage error", []string{"graph", "--kind", "foo"}, 2, "--kind"},
		{"an unknown model is a usage error", []string{"evaluate", "--data", "x", "--model", "magic"}, 2, "unknown model"},
		{"one fold is a usage error", []string{"evaluate", "--data", "x", "--folds", "1"}, 2, "--folds"},
		{"evaluate needs data or a store", []string{"evaluate"}, 2, "--data"},
		{"an unknown purpose to revoke is a usage error", []string{"consent", "revoke", "--customer", "1", "--purpose", "marketing"}, 2, "--purpose"},
		{"generate wants a known extension", []string{"generate", "--out", "g.txt"}, 2, ".parquet"},
		{"recommend wants a positive n", []string{"recommend", "--customer", "1", "-n", "0"}, 2, "-n"},
		{"export-scores wants a known extension when --format is not given", []string{"export-scores", "--out", "s.xlsx"}, 2, `--out "s.xlsx": end it in .parquet, .csv or .jsonl, or give --format`},
		{"export-scores wants a known format", []string{"export-scores", "--format", "xlsx", "--out", "s.csv"}, 2, `--format "xlsx"`},
		{"export-scores help shows no default format that the extension overrides", []string{"export-scores", "--help"}, 0, "(default: from --out's extension)\n"},
		{"generate into a missing folder is a usage error", []string{"generate", "--out", "no-such-folder/g.csv"}, 2, "folder no-such-folder does not exist"},
		{"train into a missing folder is a usage error", []string{"train", "--out", "no-such-folder/m.cnm"}, 2, "folder no-such-folder does not exist"},
		{"recommend into a missing folder is a usage error", []string{"recommend", "--all", "--out", "no-such-folder/r.parquet"}, 2, "folder no-such-folder does not exist"},
		{"report into a missing folder is a usage error", []string{"report", "--out", "no-such-folder/r.html"}, 2, "folder no-such-folder does not exist"},
		{"export into a missing folder is a usage error", []string{"export", "--customer", "1", "--out", "no-such-folder/me.html"}, 2, "folder no-such-folder does not exist"},
		{"export-scores into a missing folder is a usage error", []string{"export-scores", "--out", "no-such-folder/s.csv"}, 2, "folder no-such-folder does not exist"},
		{"a usage error points at the subcommand's help", []string{"graph", "--kind", "foo"}, 2, "custnet graph --help"},
		{"bench wants at least one run of a stage", []string{"bench", "--repeat", "0"}, 2, "--repeat 0: must be at least 1"},
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
	if code != 0 || !strings.Contains(out, "revoked") || !strings.Contains(out, "declared by operator") {
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
	if _, err := os.Stat(store); !os.IsNotExist(err) {
		t.Fatal("a strict failure left the new store behind")
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

// TestAnalysisOfAMissingStoreCreatesNothing: commands that read or analyse
// ingested data refuse a --store that does not exist, instead of creating
// an empty store and reporting zeros (a mistyped path looked like empty
// data), and say what creates one.
func TestAnalysisOfAMissingStoreCreatesNothing(t *testing.T) {
	dir := t.TempDir()
	for _, args := range [][]string{
		{"graph"}, {"score"}, {"report", "--out", filepath.Join(dir, "r.html")},
		{"recommend", "--all", "--train", "popularity"}, {"evaluate", "--model", "baseline"},
		{"stats"}, {"train", "--out", filepath.Join(dir, "m.cnm")}, {"rejects"},
		{"export", "--customer", "1", "--out", filepath.Join(dir, "me.html")},
	} {
		store := filepath.Join(dir, "typo.duckdb")
		code, out, errOut := runCLI(t, append(args, "--store", store)...)
		if code != 1 || !strings.Contains(errOut, "open store "+store+": no such store (custnet ingest, or custnet run --store, creates one)") {
			t.Errorf("%v: exit %d\nstdout: %s\nstderr: %s", args, code, out, errOut)
		}
		if _, err := os.Stat(store); err == nil {
			t.Fatalf("%v created %s", args, store)
		}
	}
}

// TestEveryCommandHasAnExample walks the command tree.
func TestEveryCommandHasAnExample(t *testing.T) {
	a := &app{stdout: &bytes.Buffer{}, stderr: &bytes.Buffer{}}
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if c.Hidden || c.Name() == "help" || c.Name() == "completion" {
			return
		}
		if strings.TrimSpace(c.Example) == "" {
			t.Errorf("%s has no example", c.CommandPath())
		}
		if strings.TrimSpace(c.Short) == "" {
			t.Errorf("%s has no short description", c.CommandPath())
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(a.rootCmd())
}

func TestFailedIngestLeavesNoNewStore(t *testing.T) {
	dir := t.TempDir()
	store := filepath.Join(dir, "new.duckdb")
	empty := filepath.Join(dir, "empty.csv")
	os.WriteFile(empty, nil, 0o644)
	for _, input := range []string{filepath.Join(dir, "missing.csv"), empty} {
		code, _, errOut := runCLI(t, "ingest", "--store", store, "--format", "events", "--assume-consent", "analytics", input)
		if code != 1 {
			t.Fatalf("%s: exit %d\n%s", input, code, errOut)
		}
		if _, err := os.Stat(store); !os.IsNotExist(err) {
			t.Fatalf("%s: a failed ingest left a new store behind", input)
		}
	}
}

func TestIngestThatLoadsNothingSaysWhy(t *testing.T) {
	dir := t.TempDir()
	events := filepath.Join(dir, "ev.csv")
	os.WriteFile(events, []byte("customer_id,action,at\nc1,view,2024-01-01T00:00:00Z\nc2,view,yesterday\n"), 0o644)
	consents := filepath.Join(dir, "consents.csv")
	os.WriteFile(consents, []byte("customer_id,purpose,granted,at\nc2,analytics,true,2024-01-01T00:00:00Z\n"), 0o644)
	store := filepath.Join(dir, "s.duckdb")
	code, out, errOut := runCLI(t, "ingest", "--store", store, "--format", "events", "--consents", consents, events)
	if code != 1 {
		t.Fatalf("exit %d, want 1\nstdout: %s\nstderr: %s", code, out, errOut)
	}
	hint := "custnet rejects --store " + store + " --batch 1"
	if !strings.Contains(out, "see them with: "+hint) {
		t.Errorf("stdout does not give a runnable rejects command %q:\n%s", hint, out)
	}
	if !strings.Contains(errOut, "1 rejected, 1 without consent") || strings.Contains(errOut, "every record") {
		t.Errorf("stderr does not count the rejected and unconsented records:\n%s", errOut)
	}
}

func TestServeWithoutATokenSaysHowToMakeOne(t *testing.T) {
	t.Setenv(tokenEnv, "")
	code, out, errOut := runCLI(t, "serve", "--store", ":memory:")
	if code != 2 || !strings.Contains(errOut, "export CUSTNET_TOKEN=$(openssl rand -hex 32)") {
		t.Fatalf("exit %d, want 2 with a command that makes a token\nstdout: %s\nstderr: %s", code, out, errOut)
	}
}

func TestServeHelpShowsTheRequestBodies(t *testing.T) {
	_, out, _ := runCLI(t, "serve", "--help")
	for _, want := range []string{`{"purpose":"personalization","granted":false}`, `{"events":[{"customer_id":`} {
		if !strings.Contains(out, want) {
			t.Errorf("serve --help lacks the body %s", want)
		}
	}
}

// TestGraphSaysHowBetweennessWasComputed runs custnet graph on FilmTrust's
// trust links (874 customers: exact betweenness) and checks that the text
// says so, that --skip-betweenness says it was skipped, and that a
// half-life on an item graph is refused.
func TestGraphSaysHowBetweennessWasComputed(t *testing.T) {
	store := filepath.Join(t.TempDir(), "ft.duckdb")
	code, out, errOut := runCLI(t, "ingest", "--store", store, "--format", "filmtrust", "--assume-consent", "analytics", dstest.Path(t, "filmtrust", "trust.txt"))
	if code != 0 {
		t.Fatalf("ingest exit %d\n%s\n%s", code, out, errOut)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{nil, "betweenness: exact"},
		{[]string{"--skip-betweenness"}, "betweenness: skipped"},
	} {
		code, out, errOut := runCLI(t, append([]string{"graph", "--store", store}, c.args...)...)
		if code != 0 || !strings.Contains(out, "874 nodes, 1853 edges") || !strings.Contains(out, c.want) {
			t.Errorf("graph %v: exit %d, want %q\n%s\n%s", c.args, code, c.want, out, errOut)
		}
	}
	// --json speaks snake_case, as the tables do, down to the nested rows.
	code, out, errOut = runCLI(t, "graph", "--store", store, "--skip-betweenness", "--json")
	var res struct {
		Summary map[string]json.RawMessage   `json:"summary"`
		Top     []map[string]json.RawMessage `json:"top_by_pagerank"`
	}
	if err := json.Unmarshal([]byte(out), &res); code != 0 || err != nil {
		t.Fatalf("graph --json: exit %d, %v\n%s\n%s", code, err, out, errOut)
	}
	if string(res.Summary["nodes"]) != "874" || string(res.Summary["edges"]) != "1853" {
		t.Errorf("summary nodes %s edges %s, want 874 and 1853: %s", res.Summary["nodes"], res.Summary["edges"], out)
	}
	for _, k := range []string{"components", "largest_component_share", "modularity", "degrees", "pagerank_iterations"} {
		if _, ok := res.Summary[k]; !ok {
			t.Errorf("summary lacks %q: %s", k, out)
		}
	}
	if len(res.Top) == 0 {
		t.Fatalf("no top_by_pagerank rows: %s", out)
	}
	for _, k := range []string{"customer_id", "in_degree", "out_strength", "pagerank", "core", "community", "participation"} {
		if _, ok := res.Top[0][k]; !ok {
			t.Errorf("top_by_pagerank row lacks %q: %s", k, out)
		}
	}
	code, _, errOut = runCLI(t, "graph", "--store", store, "--kind", "bipartite", "--half-life", "90d")
	if code == 0 || !strings.Contains(errOut, "customer network only") {
		t.Errorf("bipartite graph with --half-life: exit %d\n%s", code, errOut)
	}
}

package engine

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/custnet/custnet/internal/dstest"
)

// newTestEngine opens a store in a temp dir, closed at cleanup.
func newTestEngine(tb testing.TB) (*Engine, string) {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "test.duckdb")
	e, err := Open(context.Background(), Options{Path: path})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { e.Close() })
	return e, path
}

func count(tb testing.TB, e *Engine, q string, args ...any) int64 {
	tb.Helper()
	var n int64
	if err := e.db.QueryRowContext(context.Background(), q, args...).Scan(&n); err != nil {
		tb.Fatalf("%s: %v", q, err)
	}
	return n
}

func ingestML100k(tb testing.TB, e *Engine) *IngestResult {
	tb.Helper()
	res, err := e.Ingest(context.Background(), IngestOptions{
		Path:          dstest.Path(tb, "movielens-100k", "u.data"),
		Format:        "movielens-100k",
		AssumeConsent: []string{"analytics", "personalization"},
	})
	if err != nil {
		tb.Fatal(err)
	}
	return res
}

func TestIngestMovieLens100k(t *testing.T) {
	e, _ := newTestEngine(t)
	res := ingestML100k(t, e)
	t.Run("loads every rating of every customer and item", func(t *testing.T) {
		if res.Loaded != 100000 || res.Read != 100000 {
			t.Fatalf("read %d loaded %d, want 100000", res.Read, res.Loaded)
		}
		if n := count(t, e, `SELECT count(DISTINCT customer_id) FROM events`); n != 943 {
			t.Errorf("customers with events = %d, want 943", n)
		}
		if n := count(t, e, `SELECT count(DISTINCT item_id) FROM events`); n != 1682 {
			t.Errorf("items with events = %d, want 1682", n)
		}
		if n := count(t, e, `SELECT count(*) FROM customers WHERE attrs->>'occupation' IS NOT NULL`); n != 943 {
			t.Errorf("customers with occupation = %d, want 943", n)
		}
		if n := count(t, e, `SELECT count(*) FROM items WHERE title IS NOT NULL`); n != 1682 {
			t.Errorf("items with a title = %d, want 1682", n)
		}
	})
	t.Run("records provenance with the file's checksum and the declared consent", func(t *testing.T) {
		if n := count(t, e, `SELECT count(*) FROM ingests WHERE loaded = 100000 AND declared_consent = 'analytics,personalization' AND length(sha256) >= 64 AND scale_max = 5`); n != 1 {
			t.Fatalf("ingests rows matching = %d", n)
		}
		if n := count(t, e, `SELECT count(DISTINCT customer_id) FROM consents WHERE purpose = 'personalization' AND granted`); n != 943 {
			t.Fatalf("declared personalization grants = %d, want 943", n)
		}
	})
	t.Run("ingesting the same file again adds nothing and says so", func(t *testing.T) {
		again := ingestML100k(t, e)
		if again.Loaded != 0 || again.Duplicate != 100000 {
			t.Fatalf("second ingest loaded %d duplicate %d", again.Loaded, again.Duplicate)
		}
		if n := count(t, e, `SELECT count(*) FROM events`); n != 100000 {
			t.Fatalf("events = %d after re-ingest", n)
		}
	})
	t.Run("revoking customer 1 removes exactly their 272 events", func(t *testing.T) {
		r, err := e.Revoke(context.Background(), "1", "analytics", "test")
		if err != nil {
			t.Fatal(err)
		}
		if r.Erased["events"] != 272 {
			t.Fatalf("erased %d events, want 272", r.Erased["events"])
		}
		if n := count(t, e, `SELECT count(*) FROM events`); n != 100000-272 {
			t.Fatalf("events = %d", n)
		}
		if n := count(t, e, `SELECT count(*) FROM customers WHERE customer_id = '1'`); n != 0 {
			t.Fatal("customer 1 attributes survive revocation")
		}
	})
	t.Run("a revoked customer stays out when the old file is ingested again", func(t *testing.T) {
		again := ingestML100k(t, e)
		if again.Loaded != 0 || again.WithoutConsent != 272 {
			t.Fatalf("loaded %d without consent %d, want 0 and 272", again.Loaded, again.WithoutConsent)
		}
	})
	t.Run("a later grant lets them back in", func(t *testing.T) {
		if err := e.Grant(context.Background(), "1", "analytics", "test"); err != nil {
			t.Fatal(err)
		}
		again := ingestML100k(t, e)
		if again.Loaded != 272 {
			t.Fatalf("loaded %d after the grant, want 272", again.Loaded)
		}
	})
}

func TestIngestFilmTrust(t *testing.T) {
	e, _ := newTestEngine(t)
	res, err := e.Ingest(context.Background(), IngestOptions{
		Path: dstest.Path(t, "filmtrust", "ratings.txt"), Format: "filmtrust", AssumeConsent: []string{"analytics"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if n := count(t, e, `SELECT count(*) FROM events WHERE action = 'rate'`); n != 35496 {
		t.Errorf("rate events = %d, want 35496", n)
	}
	if n := count(t, e, `SELECT count(*) FROM events WHERE action = 'trust'`); n != 1853 {
		t.Errorf("trust events = %d, want 1853 (CRLF file)", n)
	}
	if res.Duplicate != 1 {
		t.Errorf("duplicate = %d, want the one exact duplicate line reported", res.Duplicate)
	}
}

func TestIngestNeedsAConsentBasis(t *testing.T) {
	e, _ := newTestEngine(t)
	_, err := e.Ingest(context.Background(), IngestOptions{Path: dstest.Path(t, "movielens-100k", "u.data"), Format: "movielens-100k"})
	if !errors.Is(err, ErrNoConsent) {
		t.Fatalf("err = %v, want ErrNoConsent", err)
	}
	if !strings.Contains(err.Error(), "--assume-consent") {
		t.Errorf("the error does not explain how to give a basis: %v", err)
	}
	if n := count(t, e, `SELECT count(*) FROM events`); n != 0 {
		t.Fatalf("events stored without a basis: %d", n)
	}
}

func TestIngestConsentsFileGatesEvents(t *testing.T) {
	dir := t.TempDir()
	events := filepath.Join(dir, "ev.csv")
	write(t, events, "customer_id,action,at,channel,item_id,peer_id,value\n"+
		"a,view,2024-01-02T10:00:00Z,web,i1,,30\n"+
		"b,view,2024-01-02T11:00:00Z,web,i1,,20\n"+
		"c,view,2024-01-02T12:00:00Z,app,i2,,10\n"+
		"a,follow,2024-01-03T12:00:00Z,app,,b,\n")
	consents := filepath.Join(dir, "consents.csv")
	write(t, consents, "customer_id,purpose,granted,at\n"+
		"a,analytics,true,2024-01-01T00:00:00Z\n"+
		"b,analytics,true,2024-01-01T00:00:00Z\n"+
		"b,analytics,false,2024-02-01T00:00:00Z\n"+
		"c,analytics,false,2024-01-01T00:00:00Z\n")
	e, _ := newTestEngine(t)
	res, err := e.Ingest(context.Background(), IngestOptions{Path: events, Format: "events", Consents: consents})
	if err != nil {
		t.Fatal(err)
	}
	if res.Loaded != 2 || res.WithoutConsent != 2 || res.ConsentRecords != 4 {
		t.Fatalf("loaded %d without consent %d consent records %d, want 2, 2, 4", res.Loaded, res.WithoutConsent, res.ConsentRecords)
	}
	if n := count(t, e, `SELECT count(*) FROM customers`); n != 1 {
		t.Errorf("customers = %d, want only a", n)
	}
	t.Run("re-ingesting the consents file does not duplicate the ledger", func(t *testing.T) {
		res, err := e.Ingest(context.Background(), IngestOptions{Path: events, Format: "events", Consents: consents})
		if err != nil {
			t.Fatal(err)
		}
		if res.ConsentRecords != 0 || count(t, e, `SELECT count(*) FROM consents`) != 4 {
			t.Fatalf("consent records %d, ledger %d", res.ConsentRecords, count(t, e, `SELECT count(*) FROM consents`))
		}
	})
	t.Run("a bad consents line stores nothing and names the line", func(t *testing.T) {
		bad := filepath.Join(dir, "bad-consents.csv")
		write(t, bad, "customer_id,purpose,granted,at\nc,analytics,maybe,2024-01-01\n")
		_, err := e.Ingest(context.Background(), IngestOptions{Path: events, Format: "events", Consents: bad})
		if !errors.Is(err, ErrBadInput) || !strings.Contains(err.Error(), "bad-consents.csv:2:") {
			t.Fatalf("err = %v, want bad input naming bad-consents.csv:2", err)
		}
		if count(t, e, `SELECT count(*) FROM ingests`) != 2 {
			t.Fatal("a failed batch left provenance behind")
		}
	})
}

func TestStrictModeStoresNothing(t *testing.T) {
	dir := t.TempDir()
	events := filepath.Join(dir, "ev.csv")
	write(t, events, "customer_id,action,at,channel,item_id,peer_id,value\n"+
		"a,view,2024-01-02T10:00:00Z,web,i1,,30\n"+
		"b,teleport,2024-01-02T11:00:00Z,web,i1,,20\n")
	e, _ := newTestEngine(t)
	_, err := e.Ingest(context.Background(), IngestOptions{Path: events, Format: "events", AssumeConsent: []string{"analytics"}, Strict: true})
	if !errors.Is(err, ErrBadInput) || !strings.Contains(err.Error(), "ev.csv:3:") {
		t.Fatalf("err = %v, want bad input naming ev.csv:3", err)
	}
	for _, table := range []string{"events", "consents", "ingests", "rejects", "customers"} {
		if n := count(t, e, `SELECT count(*) FROM `+table); n != 0 {
			t.Errorf("%s has %d rows after a strict failure", table, n)
		}
	}
	t.Run("default mode loads the good rows and quarantines the bad", func(t *testing.T) {
		res, err := e.Ingest(context.Background(), IngestOptions{Path: events, Format: "events", AssumeConsent: []string{"analytics"}})
		if err != nil {
			t.Fatal(err)
		}
		if res.Loaded != 1 || res.Rejected != 1 {
			t.Fatalf("loaded %d rejected %d", res.Loaded, res.Rejected)
		}
		if n := count(t, e, `SELECT count(*) FROM rejects WHERE line = 3 AND reason <> '' AND raw LIKE 'b,teleport%'`); n != 1 {
			t.Fatal("the reject is not stored with line, reason and raw text")
		}
	})
}

func TestCanceledIngestLeavesStoreAsBefore(t *testing.T) {
	e, _ := newTestEngine(t)
	ctx, cancel := context.WithCancel(context.Background())
	e.opts.Progress = func(p Progress) {
		if p.Done > 0 {
			cancel()
		}
	}
	_, err := e.Ingest(ctx, IngestOptions{Path: dstest.Path(t, "movielens-100k", "u.data"), Format: "movielens-100k", AssumeConsent: []string{"analytics"}})
	if !errors.Is(err, ErrCanceled) {
		t.Fatalf("err = %v, want ErrCanceled", err)
	}
	e.opts.Progress = nil
	for _, table := range []string{"events", "consents", "ingests", "customers", "items"} {
		if n := count(t, e, `SELECT count(*) FROM `+table); n != 0 {
			t.Errorf("%s has %d rows after a canceled batch", table, n)
		}
	}
}

func TestOpenRefusesWhatIsNotAStore(t *testing.T) {
	dir := t.TempDir()
	t.Run("a text file", func(t *testing.T) {
		p := filepath.Join(dir, "notes.duckdb")
		write(t, p, "this is not a database\n")
		_, err := Open(context.Background(), Options{Path: p})
		if !errors.Is(err, ErrNotAStore) {
			t.Fatalf("err = %v, want ErrNotAStore", err)
		}
		if b, _ := os.ReadFile(p); string(b) != "this is not a database\n" {
			t.Fatal("the file was modified")
		}
	})
	t.Run("a directory", func(t *testing.T) {
		_, err := Open(context.Background(), Options{Path: dir})
		if !errors.Is(err, ErrNotAStore) {
			t.Fatalf("err = %v, want ErrNotAStore", err)
		}
	})
	t.Run("a store in a missing folder names the folder", func(t *testing.T) {
		missing := filepath.Join(dir, "no-such-folder")
		_, err := Open(context.Background(), Options{Path: filepath.Join(missing, "s.duckdb")})
		if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "folder "+missing+" does not exist") {
			t.Fatalf("err = %v, want ErrNotFound naming %s", err, missing)
		}
		if _, err := os.Stat(missing); !os.IsNotExist(err) {
			t.Fatal("the folder was created")
		}
	})
	t.Run("MustExist refuses a missing store and creates nothing", func(t *testing.T) {
		p := filepath.Join(dir, "typo.duckdb")
		_, err := Open(context.Background(), Options{Path: p, MustExist: true})
		if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "open store "+p+": no such store") {
			t.Fatalf("err = %v, want ErrNotFound naming %s", err, p)
		}
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Fatal("the store was created")
		}
		// It opens a store that exists, read-write, and a store in memory.
		e, err := Open(context.Background(), Options{Path: p})
		if err != nil {
			t.Fatal(err)
		}
		e.Close()
		for _, path := range []string{p, ":memory:"} {
			e, err := Open(context.Background(), Options{Path: path, MustExist: true})
			if err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			if _, err := e.db.Exec(`CREATE TEMP TABLE t AS SELECT 1`); err != nil {
				t.Fatalf("%s: not writable: %v", path, err)
			}
			e.Close()
		}
	})
}

// TestStoreLockedByAnotherProcess opens a store here and again from a child
// process (this test binary), which must get ErrLocked.
func TestStoreLockedByAnotherProcess(t *testing.T) {
	if p := os.Getenv("CUSTNET_LOCK_CHILD"); p != "" {
		_, err := Open(context.Background(), Options{Path: p})
		if errors.Is(err, ErrLocked) {
			os.Exit(3)
		}
		os.Stderr.WriteString("child open: " + errString(err))
		os.Exit(4)
	}
	_, path := newTestEngine(t)
	cmd := exec.Command(os.Args[0], "-test.run=^TestStoreLockedByAnotherProcess$")
	cmd.Env = append(os.Environ(), "CUSTNET_LOCK_CHILD="+path)
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 3 {
		t.Fatalf("child did not see ErrLocked: %v\n%s", err, out)
	}
}

func errString(err error) string {
	if err == nil {
		return "<nil>\n"
	}
	return err.Error() + "\n"
}

func write(tb testing.TB, path, content string) {
	tb.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		tb.Fatal(err)
	}
}

func TestIngestErrorNamesTheFileOnce(t *testing.T) {
	e, _ := newTestEngine(t)
	empty := filepath.Join(t.TempDir(), "empty.csv")
	write(t, empty, "")
	_, err := e.Ingest(context.Background(), IngestOptions{Path: empty, Format: "events", AssumeConsent: []string{"analytics"}})
	if !errors.Is(err, ErrBadInput) {
		t.Fatalf("err = %v, want ErrBadInput", err)
	}
	if got, want := err.Error(), "ingest: "+empty+": file is empty"; got != want {
		t.Fatalf("err = %q, want %q", got, want)
	}
}

// A revocation that arrives in a later consents file erases what the store
// already holds of the customer, as Revoke does; a revocation dated before
// the customer's latest grant changes nothing (the latest record wins).
func TestConsentsFileRevocationErasesEarlierEvents(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	events := filepath.Join(dir, "ev.csv")
	write(t, events, "customer_id,action,at,channel,item_id,peer_id,value\n"+
		"a,view,2024-01-02T10:00:00Z,web,i1,,30\n"+
		"a,rate,2024-01-02T10:05:00Z,web,i1,,4\n"+
		"b,follow,2024-01-02T11:00:00Z,web,,a,\n"+
		"c,view,2024-01-02T12:00:00Z,app,i2,,10\n")
	grants := filepath.Join(dir, "grants.csv")
	write(t, grants, "customer_id,purpose,granted,at\n"+
		"a,analytics,true,2024-01-01T00:00:00Z\n"+
		"b,analytics,true,2024-01-01T00:00:00Z\n"+
		"b,personalization,true,2024-01-01T00:00:00Z\n"+
		"c,analytics,true,2024-03-01T00:00:00Z\n")
	e, _ := newTestEngine(t)
	if res, err := e.Ingest(ctx, IngestOptions{Path: events, Format: "events", Consents: grants}); err != nil || res.Loaded != 4 || res.Revoked != 0 {
		t.Fatalf("first ingest: %+v, %v", res, err)
	}
	if _, err := e.db.ExecContext(ctx, `INSERT INTO recommendations (customer_id, rank, item_id, score, model) VALUES ('b', 1, 'i2', 1, 'test');
		INSERT INTO communities (kind, community, size, top_customers) VALUES ('customer', 0, 3, ['a', 'b', 'c'])`); err != nil {
		t.Fatal(err)
	}
	more := filepath.Join(dir, "more.csv")
	write(t, more, "customer_id,action,at,channel,item_id,peer_id,value\n"+
		"c,view,2024-01-05T12:00:00Z,app,i1,,10\n")
	revokes := filepath.Join(dir, "revokes.csv")
	write(t, revokes, "customer_id,purpose,granted,at\n"+
		"a,analytics,false,2024-02-01T00:00:00Z\n"+
		"b,personalization,false,2024-02-01T00:00:00Z\n"+
		"c,analytics,false,2024-02-01T00:00:00Z\n") // before c's grant of March: c stays
	res, err := e.Ingest(ctx, IngestOptions{Path: more, Format: "events", Consents: revokes})
	if err != nil {
		t.Fatal(err)
	}
	if res.Revoked != 1 || res.Erased["events"] != 3 || res.Erased["recommendations"] != 1 {
		t.Fatalf("revoked %d, erased %v; want customer a, a's 2 events and b's follow of a, b's recommendation", res.Revoked, res.Erased)
	}
	if n := count(t, e, `SELECT count(*) FROM events WHERE customer_id = 'a' OR peer_id = 'a'`); n != 0 {
		t.Fatalf("%d events still name a", n)
	}
	if n := count(t, e, `SELECT count(*) FROM customers WHERE customer_id = 'a'`); n != 0 {
		t.Fatal("customer a's row survived the revocation")
	}
	if n := count(t, e, `SELECT count(*) FROM events WHERE customer_id = 'c'`); n != 2 {
		t.Fatalf("c has %d events, want 2 (the revocation predates c's grant)", n)
	}
	if n := count(t, e, `SELECT count(*) FROM recommendations`); n != 0 {
		t.Fatal("b's recommendations survived b's personalization revocation")
	}
	var top string
	if err := e.db.QueryRowContext(ctx, `SELECT top_customers::VARCHAR FROM communities`).Scan(&top); err != nil || top != "[b, c]" {
		t.Fatalf("community top customers %q, %v; want [b, c]", top, err)
	}
}

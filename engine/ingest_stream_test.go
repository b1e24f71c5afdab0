package engine

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// TestIngestDropsRepeatsAcrossRecords places exact repeats of earlier lines
// inside one Arrow record, across records (the stream cuts every batchRows
// rows), in runs and as the last line, and checks that each distinct line
// is stored exactly once.
func TestIngestDropsRepeatsAcrossRecords(t *testing.T) {
	e, _ := newTestEngine(t)
	const distinct = 2*batchRows + 1000
	line := func(i int) string {
		return fmt.Sprintf("c%d,rate,2024-01-01T00:00:%02dZ,web,i%d,,%d\n", i%97, i%60, i, i)
	}
	var b strings.Builder
	b.WriteString("customer_id,action,at,channel,item_id,peer_id,value\n")
	repeats := 0
	repeat := func(i int) {
		b.WriteString(line(i))
		repeats++
	}
	var wantSum int64
	for i := range distinct {
		b.WriteString(line(i))
		wantSum += int64(i)
		switch {
		case i == 10: // right after itself, in the first record
			repeat(10)
		case i == batchRows+5: // a first-record line, in the second record
			repeat(3)
			repeat(7)
		case i >= 2*batchRows+100 && i < 2*batchRows+110: // a run, in the third record
			repeat(i - batchRows)
		}
	}
	repeat(0) // the last line
	path := filepath.Join(t.TempDir(), "repeats.csv")
	write(t, path, b.String())
	res, err := e.Ingest(context.Background(), IngestOptions{Path: path, Format: "events", AssumeConsent: []string{"analytics"}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Read != int64(distinct+repeats) || res.Loaded != distinct || res.Duplicate != int64(repeats) {
		t.Fatalf("read %d loaded %d duplicate %d, want %d, %d, %d", res.Read, res.Loaded, res.Duplicate, distinct+repeats, distinct, repeats)
	}
	if n := count(t, e, `SELECT count(DISTINCT item_id) FROM events`); n != distinct {
		t.Errorf("%d distinct items stored, want %d", n, distinct)
	}
	if s := count(t, e, `SELECT sum(value)::BIGINT FROM events`); s != wantSum {
		t.Errorf("sum of stored values %d, want %d (each distinct line once)", s, wantSum)
	}
	if n := count(t, e, `SELECT count(*) FROM customers`); n != 97 {
		t.Errorf("%d customers, want the 97 the lines name", n)
	}
	if n := count(t, e, `SELECT count(*) FROM items`); n != distinct {
		t.Errorf("%d items, want the %d the lines name", n, distinct)
	}
}

// TestDeclaredConsentCoversActorsAndPeers checks that an operator's declared
// basis is recorded for every customer an ingested event names, as actor or
// peer, and only for the purposes they have no ledger record for.
func TestDeclaredConsentCoversActorsAndPeers(t *testing.T) {
	e, _ := newTestEngine(t)
	ctx := context.Background()
	if err := e.Grant(ctx, "p1", "analytics", "test"); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "peers.csv")
	write(t, path, "customer_id,action,at,channel,item_id,peer_id,value\n"+
		"a1,edit,2024-01-01T00:00:00Z,web,,p1,\n"+
		"a1,edit,2024-01-02T00:00:00Z,web,,a2,\n"+
		"a2,visit,2024-01-03T00:00:00Z,web,,,\n")
	if _, err := e.Ingest(ctx, IngestOptions{Path: path, Format: "events", AssumeConsent: []string{"analytics", "personalization"}}); err != nil {
		t.Fatal(err)
	}
	got, err := queryStrings(ctx, e.db, `SELECT customer_id || ':' || purpose FROM consents
		WHERE source LIKE 'declared by operator%' ORDER BY 1`)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"a1:analytics", "a1:personalization", "a2:analytics", "a2:personalization", "p1:personalization"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("declared records %v, want %v", got, want)
	}
}

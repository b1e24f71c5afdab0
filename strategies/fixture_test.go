//go:build duckdb_arrow

package strategies

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"encoding/csv"
	"math"
	"os"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/array"
	duckdb "github.com/duckdb/duckdb-go/v2"

	"github.com/custnet/custnet/datasets"
)

// golden is one row of testdata/golden.csv, written by testdata/fixture.py
// (an independent Python implementation of the feature definitions; the
// worked tables are in testdata/fixture.md).
type golden struct {
	values  map[string]float64 // features, strategies and "composite"
	drivers map[datasets.Strategy][]string
}

func readGolden(t *testing.T) map[string]golden {
	t.Helper()
	f, err := os.Open("testdata/golden.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	head := rows[0]
	out := map[string]golden{}
	for _, r := range rows[1:] {
		g := golden{values: map[string]float64{}, drivers: map[datasets.Strategy][]string{}}
		for j := 1; j < len(r); j++ {
			if s, ok := strings.CutPrefix(head[j], "drivers_"); ok {
				g.drivers[datasets.Strategy(s)] = strings.Split(r[j], ";")
				continue
			}
			v, err := strconv.ParseFloat(r[j], 64)
			if err != nil {
				t.Fatalf("golden %s %s: %v", r[0], head[j], err)
			}
			g.values[head[j]] = v
		}
		out[r[0]] = g
	}
	return out
}

func TestFixture(t *testing.T) {
	db := newTestDB(t)
	loadFixture(t, db)
	ft := queryFeatures(t, db, fixtureWindow, nil)
	want := readGolden(t)

	t.Run("the query returns one row per customer of events or customers, sorted", func(t *testing.T) {
		got := strings.Join(ft.CustomerIDs, ",")
		if got != "c01,c02,c03,c04,c05,c06,c07,c08,c09,c10" {
			t.Fatalf("customers = %s", got)
		}
		if !ft.AsOf.Equal(time.Date(2024, 6, 30, 0, 0, 0, 0, time.UTC)) {
			t.Errorf("as_of = %v, want 2024-06-30", ft.AsOf)
		}
	})
	t.Run("every feature value matches the hand-worked table", func(t *testing.T) {
		for i, id := range ft.CustomerIDs {
			for k, f := range Features() {
				got, exp := ft.Columns[k][i], want[id].values[f.Name]
				if math.Abs(got-exp) > 1e-9 {
					t.Errorf("%s %s = %v, want %v", id, f.Name, got, exp)
				}
			}
		}
	})

	res, err := Score(context.Background(), ft, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Run("every strategy and composite score matches the hand-worked table", func(t *testing.T) {
		for i, id := range res.CustomerIDs {
			for _, s := range datasets.Strategies {
				if got, exp := res.Scores[s][i], want[id].values[string(s)]; math.Abs(got-exp) > 1e-9 {
					t.Errorf("%s %s = %v, want %v", id, s, got, exp)
				}
			}
			if got, exp := res.Composite[i], want[id].values["composite"]; math.Abs(got-exp) > 1e-9 {
				t.Errorf("%s composite = %v, want %v", id, got, exp)
			}
		}
	})
	t.Run("explanations name the drivers the table names", func(t *testing.T) {
		for i, id := range res.CustomerIDs {
			e := res.Explain(i)
			for _, sr := range e.Strategies {
				var names []string
				for _, d := range sr.Drivers {
					names = append(names, d.Feature)
				}
				if got, exp := strings.Join(names, ";"), strings.Join(want[id].drivers[sr.Strategy], ";"); got != exp {
					t.Errorf("%s %s drivers = %s, want %s", id, sr.Strategy, got, exp)
				}
			}
		}
	})
	t.Run("sentences name the drivers with their rank", func(t *testing.T) {
		// c04 CONNECT: mean of 90,95,80,95,95,95,95,85,95,95 = 92; shares,
		// participation and conversations are 95 against population means
		// of 9.5, 25.5 and 25.5 (the inactive count as 0s), effects 8.55,
		// 6.95 and 6.95 points, the tie kept in feature order (fixture.md).
		// c01 has no CONNECT activity: every percentile is 0.
		for _, tc := range []struct {
			i    int
			want string
		}{
			{3, "CONNECT 92: shares 4 (top 5%); community bridging 0.5 (top 5%); conversations joined 2 (top 5%)"},
			{0, "CONNECT 0: customers linking in: none; customers linked to: none; incoming link weight: none"},
		} {
			if got := res.Explain(tc.i).Strategies[3].Sentence; got != tc.want {
				t.Errorf("%s: sentence = %q, want %q", res.CustomerIDs[tc.i], got, tc.want)
			}
		}
	})
	t.Run("the stored explanation holds the drivers as numbers and reads back as Explain", func(t *testing.T) {
		// c04 CONNECT, as above: shares 4, participation 0.5 and
		// conversations 2, each at percentile 95, effects 8.55, 6.95, 6.95.
		stored := string(res.AppendStoredExplanation(nil, 3))
		if want := `"connect":[["shares",4,95,8.55],["participation",0.5,95,6.95],["conversations",2,95,6.95]]`; !strings.Contains(stored, want) {
			t.Errorf("c04 stored = %s, want it to contain %s", stored, want)
		}
		for i, id := range res.CustomerIDs {
			got, err := ParseExplanation(id, storedScores(res, i), res.Composite[i], res.AppendStoredExplanation(nil, i))
			if err != nil {
				t.Fatal(err)
			}
			if exp := res.Explain(i); !reflect.DeepEqual(got, exp) {
				t.Errorf("%s: read back %+v, want %+v", id, got, exp)
			}
		}
	})
}

// TestWindowDefaults checks the zero Window: as-of is the latest event's
// date (2024-07-01, event 28) and the window is 90 days, so c08's May events
// count.
func TestWindowDefaults(t *testing.T) {
	db := newTestDB(t)
	loadFixture(t, db)
	ft := queryFeatures(t, db, Window{}, nil)
	if !ft.AsOf.Equal(time.Date(2024, 7, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("as_of = %v, want 2024-07-01", ft.AsOf)
	}
	ad := ft.Column("active_days")
	rec := ft.Column("recency_days")
	// c08: 2024-05-20 and 2024-05-25 → 2 days, last 37 days before 07-01.
	if ad[7] != 2 || rec[7] != 37 {
		t.Errorf("c08 active_days, recency_days = %v, %v; want 2, 37", ad[7], rec[7])
	}
	// c09 has no events: recency is the window length, 90.
	if rec[8] != 90 {
		t.Errorf("c09 recency_days = %v, want 90", rec[8])
	}
}

// TestActionMapping moves "review" and "follow" between strategies and
// checks that the generic counters follow the mapping.
func TestActionMapping(t *testing.T) {
	db := newTestDB(t)
	loadFixture(t, db)
	cfg := DefaultConfig()
	cfg.Actions["follow"] = datasets.Collaborate // c10's follow of c04 becomes collaboration
	ft := queryFeatures(t, db, fixtureWindow, cfg)
	i := 9 // c10
	// contributions: follow (1; its vote is not a contribution);
	// collaborators: c05 (vote) and c04 (follow) = 2; reach: no connect link
	// left for c10.
	if got := ft.Column("contributions")[i]; got != 1 {
		t.Errorf("c10 contributions = %v, want 1", got)
	}
	if got := ft.Column("collaborators")[i]; got != 2 {
		t.Errorf("c10 collaborators = %v, want 2", got)
	}
	if got := ft.Column("reach_2hop")[i]; got != 0 {
		t.Errorf("c10 reach_2hop = %v, want 0", got)
	}
}

// querySlices computes the features slice by slice, as the engine does for
// large stores: Setup, one Arrow query per slice, Cleanup, merge.
func querySlices(tb testing.TB, db *sql.DB, w Window, bounds []string) *FeatureTable {
	tb.Helper()
	fq, err := FeatureSQLSlices(w, nil, bounds)
	if err != nil {
		tb.Fatal(err)
	}
	if len(fq.Parts) != len(bounds)+1 {
		tb.Fatalf("%d bounds gave %d slices", len(bounds), len(fq.Parts))
	}
	ctx := context.Background()
	conn, err := db.Conn(ctx)
	if err != nil {
		tb.Fatal(err)
	}
	defer conn.Close()
	for _, s := range fq.Setup {
		if _, err := conn.ExecContext(ctx, s); err != nil {
			tb.Fatalf("%v\n%s", err, s)
		}
	}
	var tables []*FeatureTable
	err = conn.Raw(func(dc any) error {
		ar, err := duckdb.NewArrowFromConn(dc.(driver.Conn))
		if err != nil {
			return err
		}
		for _, q := range fq.Parts {
			rr, err := ar.QueryContext(ctx, q)
			if err != nil {
				return err
			}
			ft, err := FeatureTableFromArrow(ctx, array.RecordReader(rr))
			rr.Release()
			if err != nil {
				return err
			}
			tables = append(tables, ft)
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	for _, s := range fq.Cleanup {
		if _, err := conn.ExecContext(ctx, s); err != nil {
			tb.Fatal(err)
		}
	}
	ft, err := ConcatFeatureTables(tables)
	if err != nil {
		tb.Fatal(err)
	}
	return ft
}

func TestFeatureSlicesMatchOneQuery(t *testing.T) {
	db := newTestDB(t)
	loadFixture(t, db)
	// An id with a quote and one with a NUL byte, which a bound must carry
	// into the query text intact.
	mustExec(t, db, `INSERT INTO customers VALUES ('c05' || chr(0) || 'x', NULL, 'test'), ('c07''s', NULL, 'test')`)
	// A user's own table named like one of the slices' temporary tables
	// must neither be read nor dropped by them.
	mustExec(t, db, `CREATE TABLE feature_gm AS SELECT 'not graph metrics' AS note`)
	one := queryFeatures(t, db, fixtureWindow, nil)
	computed, err := db.Query(FeatureSliceBoundsSQL(3))
	if err != nil {
		t.Fatal(err)
	}
	var fromQuery []string
	for computed.Next() {
		var b string
		if err := computed.Scan(&b); err != nil {
			t.Fatal(err)
		}
		fromQuery = append(fromQuery, b)
	}
	computed.Close()
	if len(fromQuery) != 2 {
		t.Fatalf("bounds for 3 slices of 12 customers: %v", fromQuery)
	}
	// c03 is a bound and a customer: it belongs to the second slice only.
	// A bound below every id and one above: empty first and last slices.
	for _, bounds := range [][]string{fromQuery, {"c03", "c07"}, {"a", "c05", "z"}, {"c05\x00x", "c07's"}} {
		got := querySlices(t, db, fixtureWindow, bounds)
		if strings.Join(got.CustomerIDs, ",") != strings.Join(one.CustomerIDs, ",") {
			t.Fatalf("bounds %v: customers %v, one query %v", bounds, got.CustomerIDs, one.CustomerIDs)
		}
		for c, f := range Features() {
			for i := range one.CustomerIDs {
				if a, b := got.Columns[c][i], one.Columns[c][i]; a != b {
					t.Errorf("bounds %v: %s of %s = %v, one query %v", bounds, f.Name, one.CustomerIDs[i], a, b)
				}
			}
		}
	}
	// Cleanup after a Setup that failed before making its tables.
	fq, err := FeatureSQLSlices(fixtureWindow, nil, fromQuery)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range fq.Cleanup {
		mustExec(t, db, s)
	}
	var note string
	if err := db.QueryRow(`SELECT note FROM main.feature_gm`).Scan(&note); err != nil || note != "not graph metrics" {
		t.Errorf("the user's table main.feature_gm after the slices: %q, %v", note, err)
	}
	if _, err := FeatureSQLSlices(fixtureWindow, nil, []string{"c05", "c05"}); err == nil {
		t.Error("repeated bound accepted")
	}
}

func TestConcatFeatureTablesRefusesSlicesOutOfOrder(t *testing.T) {
	table := func(ids ...string) *FeatureTable {
		ft := NewFeatureTable(len(ids))
		for i, id := range ids {
			ft.CustomerIDs = append(ft.CustomerIDs, id)
			for c := range ft.Columns {
				ft.Columns[c] = append(ft.Columns[c], float64(i))
			}
		}
		return ft
	}
	got, err := ConcatFeatureTables([]*FeatureTable{table("a", "b"), table(), table("c")})
	if err != nil || strings.Join(got.CustomerIDs, ",") != "a,b,c" || got.Columns[0][2] != 0 {
		t.Fatalf("in order: %v, %v", got, err)
	}
	if _, err := ConcatFeatureTables([]*FeatureTable{table("a", "c"), table("b")}); err == nil {
		t.Error("slices out of order accepted")
	}
}

//go:build duckdb_arrow

package strategies

import (
	"context"
	"slices"
	"testing"

	"github.com/custnet/custnet/datasets"
)

// monotone lists the features that can only grow when an event is added:
// counts and distinct counts (ratios, medians and shares may move either
// way; recency may only fall, which is checked separately).
var monotone = []string{
	"active_days", "channels", "hours_covered", "weekdays_covered",
	"content_events", "dwell_total", "content_items",
	"ratings", "preferences",
	"communities_linked", "reach_2hop", "conversations", "shares",
	"contributions", "votes_given", "uptake_received", "collaborators",
}

// TestAddingActivity adds one event of every vocabulary action to an
// active, a collaborating and an idle customer and re-runs the query.
func TestAddingActivity(t *testing.T) {
	db := newTestDB(t)
	loadFixture(t, db)
	base := queryFeatures(t, db, fixtureWindow, nil)
	row := func(ft *FeatureTable, id string) int {
		i := slices.Index(ft.CustomerIDs, id)
		if i < 0 {
			t.Fatalf("no row for %s", id)
		}
		return i
	}
	for _, a := range datasets.Vocabulary() {
		if strategyIndex(a.Strategy) < 0 {
			continue // commerce
		}
		for _, c := range []string{"c01", "c05", "c09"} {
			mustExec(t, db, `INSERT INTO events VALUES (1000, TIMESTAMP '2024-06-20 10:00:00', $1, $2, 'web', 'i9', 'c02', 10, 'test', 2)`, c, a.Name)
			ft := queryFeatures(t, db, fixtureWindow, nil)
			mustExec(t, db, `DELETE FROM events WHERE event_id = 1000`)
			i, j := row(base, c), row(ft, c)
			t.Run("adding "+a.Name+" for "+c+" lowers none of its counts", func(t *testing.T) {
				for _, name := range monotone {
					if ft.Column(name)[j] < base.Column(name)[i] {
						t.Errorf("%s fell from %v to %v", name, base.Column(name)[i], ft.Column(name)[j])
					}
				}
				if ft.Column("recency_days")[j] > base.Column("recency_days")[i] {
					t.Errorf("recency rose from %v to %v", base.Column("recency_days")[i], ft.Column("recency_days")[j])
				}
			})
			if c != "c09" || a.Name == "dismiss_recommendation" || a.Name == "show_recommendation" {
				continue // being shown or dismissing a recommendation is no activity by itself
			}
			t.Run("adding "+a.Name+" makes an idle customer active in "+string(a.Strategy), func(t *testing.T) {
				active := false
				for k, f := range features {
					if f.Strategy == a.Strategy && f.Activity() && ft.Columns[k][j] > 0 {
						active = true
					}
				}
				if !active {
					t.Error("no activity feature moved")
				}
			})
		}
	}
}

// TestRevocationInSQL erases c05 as the engine's revocation does (events
// naming them either side, the customers row, graph rows) and re-scores.
func TestRevocationInSQL(t *testing.T) {
	db := newTestDB(t)
	loadFixture(t, db)
	before := queryFeatures(t, db, fixtureWindow, nil)
	mustExec(t, db, `DELETE FROM events WHERE customer_id = 'c05' OR peer_id = 'c05'`)
	mustExec(t, db, `DELETE FROM customers WHERE customer_id = 'c05'`)
	mustExec(t, db, `DELETE FROM graph_metrics WHERE customer_id = 'c05'`)
	after := queryFeatures(t, db, fixtureWindow, nil)
	if slices.Contains(after.CustomerIDs, "c05") || after.Len() != before.Len()-1 {
		t.Fatalf("customers after revocation: %v", after.CustomerIDs)
	}
	res, err := Score(context.Background(), after, nil)
	if err != nil {
		t.Fatal(err)
	}
	// c06 keeps only c04's reply (event 31; c05's answer 36 is gone) and
	// c04 loses its only uptake (c05's reply 40), so among the nine left
	// c06 alone has uptake: percentile (8 below + ½·1 equal)/9·100.
	i := slices.Index(after.CustomerIDs, "c06")
	up := after.Column("uptake_received")
	if up[i] != 1 {
		t.Errorf("c06 uptake_received = %v, want 1", up[i])
	}
	if got, want := res.Percentiles[featureIndex["uptake_received"]][i], (8+0.5)/9*100; got != want {
		t.Errorf("c06 uptake percentile = %v, want %v", got, want)
	}
}

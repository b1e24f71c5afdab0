//go:build duckdb_arrow

package strategies

import (
	"context"
	"database/sql"
	"fmt"
	"testing"
	"time"
)

// loadSynthetic fills events with n synthetic events over 90 days for
// customers customers (seeded), and graph_metrics with a row for a third of
// them.
func loadSynthetic(tb testing.TB, db *sql.DB, events, customers int) {
	tb.Helper()
	mustExec(tb, db, `SELECT setseed(0.42)`)
	mustExec(tb, db, fmt.Sprintf(`INSERT INTO events
		SELECT i, ts, customer_id, action, channel,
			CASE WHEN action IN ('view', 'watch', 'read', 'click', 'dwell', 'rate', 'purchase', 'share')
				THEN 'i' || CAST(floor(pow(random(), 3) * 20000) AS BIGINT) END,
			CASE WHEN action IN ('share', 'comment', 'reply', 'follow', 'answer', 'vote', 'edit')
				THEN 'c' || CAST(floor(random() * %[2]d) AS BIGINT) END,
			random() * 300, 'bench', 1
		FROM (
			SELECT i,
				TIMESTAMP '2024-04-02' + to_seconds(CAST(random() * 90 * 86400 AS BIGINT)) AS ts,
				'c' || CAST(floor(pow(random(), 2) * %[2]d) AS BIGINT) AS customer_id,
				list_element(['visit', 'login', 'app_open', 'search', 'call', 'view', 'watch', 'read', 'click',
					'dwell', 'rate', 'set_preference', 'show_recommendation', 'accept_recommendation', 'share',
					'comment', 'reply', 'follow', 'contribute', 'answer', 'vote', 'idea', 'purchase'],
					CAST(floor(random() * 23) AS INTEGER) + 1) AS action,
				list_element(['web', 'mobile', 'app', 'store', 'call_center', 'email'], CAST(floor(random() * 6) AS INTEGER) + 1) AS channel
			FROM range(%[1]d) t(i)
		)`, events, customers))
	mustExec(tb, db, fmt.Sprintf(`INSERT INTO graph_metrics (customer_id, kind, in_degree, out_degree, in_strength,
			out_strength, pagerank, community, participation)
		SELECT 'c' || i, 'customer', CAST(random() * 10 AS BIGINT), CAST(random() * 10 AS BIGINT), random() * 10,
			random() * 10, random() / %[1]d, CAST(random() * 50 AS BIGINT), random()
		FROM range(0, %[1]d, 3) t(i)`, customers))
}

// BenchmarkFeatureSQL measures scoring end to end: the feature query over
// synthetic events read through Arrow (as the engine does), then [Score].
// The target at events=10M/customers=1M is 45 s on 2 cores. Run with
//
//	go test -tags duckdb_arrow -run '^$' -bench BenchmarkFeatureSQL -benchtime 1x ./strategies/
func BenchmarkFeatureSQL(b *testing.B) {
	for _, sz := range []struct{ events, customers int }{{1_000_000, 100_000}, {10_000_000, 1_000_000}} {
		b.Run(fmt.Sprintf("events=%s/customers=%s", size(sz.events), size(sz.customers)), func(b *testing.B) {
			db := newTestDB(b)
			loadSynthetic(b, db, sz.events, sz.customers)
			w := Window{AsOf: time.Date(2024, 6, 30, 0, 0, 0, 0, time.UTC), Days: 90}
			var sqlTime, goTime time.Duration
			b.ResetTimer()
			for b.Loop() {
				t0 := time.Now()
				ft := queryFeatures(b, db, w, nil)
				t1 := time.Now()
				if _, err := Score(context.Background(), ft, nil); err != nil {
					b.Fatal(err)
				}
				sqlTime += t1.Sub(t0)
				goTime += time.Since(t1)
			}
			b.ReportMetric(sqlTime.Seconds()/float64(b.N), "sql-s/op")
			b.ReportMetric(goTime.Seconds()/float64(b.N), "go-s/op")
			b.ReportMetric(float64(sz.customers)*float64(b.N)/(sqlTime+goTime).Seconds(), "customers/s")
		})
	}
}

package engine

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/custnet/custnet/reports"
)

// Export gathers everything the store holds and infers about one customer:
// attributes, consent ledger, events (all of them, including those where
// they are the peer), strategy scores with explanations, network metrics
// and community, and recommendations. It fails with [ErrNotFound] when the
// store holds nothing about the customer.
func (e *Engine) Export(ctx context.Context, customer string) (*reports.CustomerExport, error) {
	op := "export customer " + customer
	x := &reports.CustomerExport{CustomerID: customer, ExportedAt: time.Now().UTC()}
	var attrs sql.NullString
	err := e.db.QueryRowContext(ctx, `SELECT attrs::VARCHAR FROM customers WHERE customer_id = $1`, customer).Scan(&attrs)
	if err != nil && err != sql.ErrNoRows {
		return nil, wrap(op, err)
	}
	if attrs.Valid {
		var m map[string]any
		if json.Unmarshal([]byte(attrs.String), &m) == nil && len(m) > 0 {
			x.Attributes = map[string]string{}
			for k, v := range m {
				x.Attributes[k] = jsonScalar(v)
			}
		}
	}
	ledger, err := e.ConsentHistory(ctx, customer)
	if err != nil {
		return nil, wrap(op, err)
	}
	for _, c := range ledger {
		x.Consents = append(x.Consents, reports.ConsentRecord{Purpose: c.Purpose, Status: c.Status, RecordedAt: c.At, Source: c.Source})
	}
	rows, err := e.db.QueryContext(ctx, `SELECT COALESCE("at", TIMESTAMP '1970-01-01'), action, COALESCE(item_id, ''), COALESCE(value, 0),
			COALESCE(channel, ''), COALESCE(peer_id, '')
		FROM events WHERE customer_id = $1 OR peer_id = $1 ORDER BY "at" NULLS FIRST, event_id`, customer)
	if err != nil {
		return nil, wrap(op, err)
	}
	for rows.Next() {
		var ev reports.Event
		if err := rows.Scan(&ev.At, &ev.Type, &ev.ItemID, &ev.Value, &ev.Channel, &ev.PeerID); err != nil {
			rows.Close()
			return nil, wrap(op, err)
		}
		x.Events = append(x.Events, ev)
	}
	rows.Close()
	if x.Events == nil {
		x.Events = []reports.Event{} // JSON [] rather than null: "no events", not "unknown"
	}
	x.EventCount = int64(len(x.Events))
	var comm sql.NullInt64
	var pr sql.NullFloat64
	var kind string
	err = e.db.QueryRowContext(ctx, `SELECT kind, community, pagerank FROM graph_metrics WHERE customer_id = $1
		AND kind IN ('customer', 'coactivity') ORDER BY community IS NULL, kind = 'customer' DESC LIMIT 1`, customer).Scan(&kind, &comm, &pr)
	if err != nil && err != sql.ErrNoRows {
		return nil, wrap(op, err)
	}
	// A row without a community: the graphs were computed without this
	// customer in them (graph_metrics has a row for every consented one).
	x.OutsideNetwork = err == nil && !comm.Valid
	if comm.Valid {
		var size int
		e.db.QueryRowContext(ctx, `SELECT size FROM communities WHERE kind = $1 AND community = $2`, kind, comm.Int64).Scan(&size)
		x.Community = &reports.CommunityMembership{ID: int(comm.Int64), Size: size, PageRank: pr.Float64}
	}
	if err := e.exportScores(ctx, customer, x); err != nil {
		return nil, wrap(op, err)
	}
	rows, err = e.db.QueryContext(ctx, `SELECT r.item_id, COALESCE(i.title, ''), r.score, COALESCE(r.reason, '') FROM recommendations r
		LEFT JOIN items i USING (item_id) WHERE r.customer_id = $1 ORDER BY r.rank`, customer)
	if err != nil {
		return nil, wrap(op, err)
	}
	defer rows.Close()
	for rows.Next() {
		var r reports.Recommendation
		if err := rows.Scan(&r.ItemID, &r.Title, &r.Score, &r.Reason); err != nil {
			return nil, wrap(op, err)
		}
		x.Recommendations = append(x.Recommendations, r)
	}
	if len(ledger) == 0 && len(x.Events) == 0 && x.Attributes == nil {
		return nil, errorf(KindNotFound, op, "the store holds nothing about customer %s", customer)
	}
	return x, wrap(op, rows.Err())
}

func jsonScalar(v any) string {
	switch t := v.(type) {
	case string:
		return t
	default:
		b, _ := json.Marshal(t)
		return string(b)
	}
}

// exportScores adds the customer's latest strategy scores with their
// explanations, when scoring has run.
func (e *Engine) exportScores(ctx context.Context, customer string, x *reports.CustomerExport) error {
	cs, err := e.Scores(ctx, customer)
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	for _, r := range cs.Explanation.Strategies {
		x.Scores = append(x.Scores, reports.StrategyScore{Strategy: string(r.Strategy), Score: r.Score, Explanation: r.Sentence})
	}
	x.Scores = append(x.Scores, reports.StrategyScore{Strategy: "composite", Score: cs.Composite,
		Explanation: fmt.Sprintf("weighted mean of the five strategy scores, window %s to %s", cs.Window, cs.AsOf.Format("2006-01-02"))})
	return nil
}

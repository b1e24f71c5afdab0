package engine

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"math"
	"sort"

	"github.com/custnet/custnet/datasets"
	"github.com/custnet/custnet/strategies"
	"github.com/custnet/custnet/strategies/customize"

	"github.com/custnet/custnet/reports"
)

// reportStrategies fills the strategies section and the top lists from the
// scores and strategy_aggregates tables, when scoring has run.
func (e *Engine) reportStrategies(ctx context.Context, r *reports.Report) error {
	aggs, err := e.storedAggregates(ctx)
	if err != nil || len(aggs) == 0 {
		return err
	}
	sec := &reports.StrategiesSection{Maturity: strategies.Maturity(aggs)}
	type key struct{ dim, group string }
	means := map[key]*reports.GroupScores{}
	var order []key
	var prev reports.Scores
	hasPrev := false
	for _, a := range aggs {
		k := key{a.Dimension, a.Group}
		g, ok := means[k]
		if !ok {
			name := a.Group
			if a.Dimension != "all" {
				name = a.Dimension + " " + a.Group
			}
			g = &reports.GroupScores{Name: name, Size: a.Customers}
			means[k] = g
			order = append(order, k)
		}
		setScore(&g.Means, a.Strategy, a.Mean)
		if a.Dimension == "all" && a.Change != nil {
			setScore(&prev, a.Strategy, a.Mean-*a.Change)
			hasPrev = true
		}
	}
	if g, ok := means[key{"all", "all"}]; ok {
		sec.Business = g.Means
	}
	if hasPrev {
		sec.Previous = &prev
	}
	// The radar shows the largest groups: up to 7 beside the business.
	sort.SliceStable(order, func(i, j int) bool { return means[order[i]].Size > means[order[j]].Size })
	for _, k := range order {
		if k.dim == "all" || len(sec.Groups) == 7 {
			continue
		}
		sec.Groups = append(sec.Groups, *means[k])
	}
	for si, s := range datasets.Strategies {
		h := reports.Histogram{Strategy: string(s)}
		rows, err := e.db.QueryContext(ctx, `SELECT least(floor(`+string(s)+` / 5), 19)::INTEGER AS bin, count(*) FROM scores GROUP BY bin`)
		if err != nil {
			return err
		}
		for rows.Next() {
			var bin int
			var n int64
			if err := rows.Scan(&bin, &n); err != nil {
				rows.Close()
				return err
			}
			h.Counts[bin] = n
		}
		rows.Close()
		sec.Histograms = append(sec.Histograms, h)
		top := reports.TopList{Strategy: string(s)}
		rows, err = e.db.QueryContext(ctx, `SELECT customer_id, access, engage, customize, connect, collaborate, composite,
			explanation FROM scores ORDER BY `+string(s)+` DESC, customer_id LIMIT 20`)
		if err != nil {
			return err
		}
		for rows.Next() {
			var tc reports.TopCustomer
			vals := make([]float64, len(datasets.Strategies))
			var composite float64
			var js string
			if err := rows.Scan(&tc.CustomerID, &vals[0], &vals[1], &vals[2], &vals[3], &vals[4], &composite, &js); err != nil {
				rows.Close()
				return err
			}
			tc.Score = vals[si]
			tc.Explanation = sentenceFor(tc.CustomerID, vals, composite, js, s)
			top.Rows = append(top.Rows, tc)
		}
		rows.Close()
		r.TopCustomers = append(r.TopCustomers, top)
	}
	r.Strategies = sec
	return nil
}

func setScore(sc *reports.Scores, strategy string, v float64) {
	switch strategy {
	case "access":
		sc.Access = v
	case "engage":
		sc.Engage = v
	case "customize":
		sc.Customize = v
	case "connect":
		sc.Connect = v
	case "collaborate":
		sc.Collaborate = v
	case strategies.Composite:
		sc.Composite = v
	}
}

// sentenceFor renders one strategy's sentence out of a stored explanation
// and the customer's scores; "" when the explanation does not read.
func sentenceFor(customer string, scores []float64, composite float64, js string, s datasets.Strategy) string {
	ex, err := strategies.ParseExplanation(customer, scores, composite, []byte(js))
	if err != nil {
		return ""
	}
	for _, r := range ex.Strategies {
		if r.Strategy == s {
			return r.Sentence
		}
	}
	return ""
}

// storedAggregates reads the strategy_aggregates table.
func (e *Engine) storedAggregates(ctx context.Context) ([]strategies.GroupStats, error) {
	rows, err := e.db.QueryContext(ctx, `SELECT dimension, grp, strategy, customers, mean, median, active_share, change
		FROM strategy_aggregates ORDER BY dimension, grp, strategy`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []strategies.GroupStats
	for rows.Next() {
		var a strategies.GroupStats
		var change sql.NullFloat64
		if err := rows.Scan(&a.Dimension, &a.Group, &a.Strategy, &a.Customers, &a.Mean, &a.Median, &a.ActiveShare, &change); err != nil {
			return nil, err
		}
		if change.Valid {
			c := change.Float64
			a.Change = &c
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// reportRecommendations fills the recommendations section from the latest
// evaluation of each model and an example customer's stored recommendations.
func (e *Engine) reportRecommendations(ctx context.Context, r *reports.Report) error {
	rows, err := e.db.QueryContext(ctx, `SELECT model, result::VARCHAR FROM evaluations
		QUALIFY row_number() OVER (PARTITION BY model ORDER BY computed_at DESC) = 1 ORDER BY model`)
	if err != nil {
		return err
	}
	sec := &reports.RecommendationsSection{}
	for rows.Next() {
		var model, js string
		if err := rows.Scan(&model, &js); err != nil {
			rows.Close()
			return err
		}
		var res customize.Result
		if err := json.Unmarshal([]byte(js), &res); err != nil {
			rows.Close()
			return fmt.Errorf("evaluation of %s: %w", model, err)
		}
		if res.RMSE == 0 && res.MAE == 0 { // ranks items, predicts no ratings
			res.RMSE, res.MAE = math.NaN(), math.NaN()
		}
		sec.Models = append(sec.Models, reports.ModelMetrics{Name: model, Baseline: model == "baseline" || model == "popularity",
			RMSE: res.RMSE, MAE: res.MAE, NDCG10: res.NDCG, Precision10: res.Precision, Coverage: res.Coverage, BackCatalogueShare: res.BackCatalogue})
	}
	rows.Close()
	var who, model string
	// The example is a customer with personal reasons when there is one
	// (cold-start customers get popular items).
	err = e.db.QueryRowContext(ctx, `SELECT customer_id, model FROM recommendations
		ORDER BY starts_with(COALESCE(reason, ''), 'because') DESC, customer_id LIMIT 1`).Scan(&who, &model)
	if err == nil {
		ex := &reports.ExampleRecommendations{CustomerID: who, Model: model}
		rows, err := e.db.QueryContext(ctx, `SELECT r.item_id, COALESCE(i.title, ''), r.score, COALESCE(r.reason, '')
			FROM recommendations r LEFT JOIN items i USING (item_id) WHERE r.customer_id = $1 ORDER BY r.rank`, who)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var it reports.Recommendation
			if err := rows.Scan(&it.ItemID, &it.Title, &it.Score, &it.Reason); err != nil {
				return err
			}
			ex.Items = append(ex.Items, it)
		}
		sec.Example = ex
	} else if err != sql.ErrNoRows {
		return err
	}
	if len(sec.Models) > 0 || sec.Example != nil {
		r.Recommendations = sec
	}
	return nil
}

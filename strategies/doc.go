// Package strategies scores every consented customer on David Rogers' five
// customer-network strategies (ACCESS, ENGAGE, CUSTOMIZE, CONNECT,
// COLLABORATE), explains each score, and aggregates the scores per segment
// and community.
//
// Scoring runs in two stages. [FeatureSQL] returns one DuckDB query that the
// engine runs over the relations scoring_events (events of consented
// customers), graph_metrics and customers; it yields one row per customer
// with every feature of [Features]. The engine reads the rows with
// [FeatureTableFromArrow], and [Score] turns them into 0–100 scores in pure
// Go: each feature becomes a mid-rank percentile within the scored
// population, each strategy is the weighted mean of its features'
// percentiles and the composite is the weighted mean of the five strategies.
// [Result.Explain] names the features that moved a customer's scores most
// ([Result.AppendStoredExplanation] writes that as the compact JSON the
// engine stores, [ParseExplanation] reads it back with its sentences),
// [Aggregate] summarises scores per group and [Maturity] turns the
// aggregates into sentences for the business.
//
// Weights and the action → strategy mapping come from a [Config]
// ([DefaultConfig], [LoadConfig]); strategies.example.yaml in this folder
// holds the defaults.
//
// The package never talks to a database: SQL is returned as text and the
// inputs are plain Go slices or Arrow record batches.
//
// Example:
//
//	q, err := strategies.FeatureSQL(strategies.Window{Days: 90}, cfg)
//	// engine: run q, then
//	ft, err := strategies.FeatureTableFromArrow(ctx, rr)
//	res, err := strategies.Score(ctx, ft, cfg)
//	aggs, err := strategies.Aggregate(ctx, res, map[string][]string{"community": labels}, nil)
//	lines := strategies.Maturity(aggs)
package strategies

package reports

import "time"

// Report is everything one HTML report shows. The engine fills it; every
// section is optional, and a nil or empty section renders as a short
// "not computed yet" note. A Report is read, never modified, by [Write].
type Report struct {
	// Title is shown after "custnet report" in the page title and heading.
	Title string
	// GeneratedAt is when the report was produced. The zero time is left out,
	// which keeps the output reproducible in tests.
	GeneratedAt time.Time
	// AsOf is the point in time the results describe; zero means unknown.
	AsOf time.Time
	// Window is the span of events the results were computed from; a zero
	// Window is left out.
	Window Window

	// Data describes ingestion and consent (custnet ingest).
	Data *DataSection
	// Strategies summarises the five strategy scores (custnet score).
	Strategies *StrategiesSection
	// Network describes the customer graph (custnet graph).
	Network *NetworkSection
	// Recommendations holds offline evaluation results (custnet evaluate).
	Recommendations *RecommendationsSection
	// TopCustomers holds one ranked list per strategy.
	TopCustomers []TopList
}

// Window is a half-open span of time [From, To).
type Window struct {
	From, To time.Time
}

// DataSection describes what was ingested and under which consent.
type DataSection struct {
	Sources []Source
	// Consent summarises the consent ledger, one row per purpose
	// ("analytics", "personalization").
	Consent []ConsentSummary
}

// Source is one ingested input file and what became of its rows.
type Source struct {
	Format string // e.g. "movielens-100k", "csv"
	Path   string
	SHA256 string // hex digest of the file as read

	RowsRead           int64
	RowsLoaded         int64
	RowsDuplicate      int64
	RowsRejected       int64
	RowsWithoutConsent int64
}

// ConsentSummary counts the customers whose latest ledger record for Purpose
// is a grant, a refusal or a revocation.
type ConsentSummary struct {
	Purpose                   string
	Granted, Refused, Revoked int64
}

// Scores holds the five strategy scores and their composite, each on 0–100.
type Scores struct {
	Access      float64 `json:"access"`
	Engage      float64 `json:"engage"`
	Customize   float64 `json:"customize"`
	Connect     float64 `json:"connect"`
	Collaborate float64 `json:"collaborate"`
	Composite   float64 `json:"composite"`
}

// StrategiesSection summarises the five strategy scores.
type StrategiesSection struct {
	// Business holds the mean scores over all scored customers.
	Business Scores
	// Previous holds the business means of the previous window; nil when
	// there is none, and then no change is shown.
	Previous *Scores
	// Groups are segments or communities with their mean scores. The radar
	// chart draws the largest seven beside the business and says so.
	Groups []GroupScores
	// Histograms has one entry per strategy, in display order.
	Histograms []Histogram
	// Maturity holds plain-language summary sentences, shown as a list.
	Maturity []string
}

// GroupScores are the mean scores of one segment or community.
type GroupScores struct {
	Name  string
	Size  int // customers in the group
	Means Scores
}

// Histogram counts customers per score bin for one strategy. Bin i covers
// [5i, 5i+5); the last bin also holds the score 100.
type Histogram struct {
	Strategy string
	Counts   [20]int64
}

// NetworkSection describes the customer network. Nodes may hold the whole
// graph: the renderer keeps at most [Options.MaxNodes] nodes with the
// highest PageRank and the edges among them.
type NetworkSection struct {
	Nodes       []Node
	Edges       []Edge
	Communities []Community
	// Degrees is the degree distribution over the whole graph, one row per
	// degree that occurs, drawn on log–log axes (degree 0 is left out of the
	// chart, kept in the table).
	Degrees []DegreeCount
	// GraphNodes and GraphEdges give the whole graph's size when Nodes and
	// Edges are a sample of it (the most central customers). Zero means
	// Nodes and Edges are the whole graph.
	GraphNodes, GraphEdges int
}

// Node is one customer in the network.
type Node struct {
	ID string
	// Label is a display name, shown only with [Options.ShowIDs]; otherwise
	// the pseudonym of ID is shown.
	Label     string
	Community int
	PageRank  float64
}

// Edge links two customers by ID. Weight orders the edges kept when the
// page has to drop some (the heaviest stay); zero weights count as 1.
type Edge struct {
	Source, Target string
	Weight         float64
}

// Community is one row of the community table.
type Community struct {
	ID      int
	Size    int
	Density float64
	// Modularity is the community's contribution to the partition's
	// modularity.
	Modularity   float64
	TopCustomers []string // customer IDs, most central first
}

// DegreeCount says how many nodes have a given degree.
type DegreeCount struct {
	Degree int
	Count  int64
}

// RecommendationsSection holds offline evaluation results and one example.
type RecommendationsSection struct {
	// Models lists every evaluated model, baselines included. A metric that
	// was not measured is NaN and shows as "–".
	Models []ModelMetrics
	// Example is one customer's recommendations; nil leaves it out.
	Example *ExampleRecommendations
}

// ModelMetrics are the offline metrics of one model on the held-out data.
// Ratios (Precision10, NDCG10, Coverage, BackCatalogueShare) are in [0, 1].
type ModelMetrics struct {
	Name string
	// Baseline marks reference models such as popularity.
	Baseline           bool
	RMSE               float64
	MAE                float64
	NDCG10             float64
	Precision10        float64
	Coverage           float64 // share of the catalogue ever recommended
	BackCatalogueShare float64 // share of recommendations outside the top 20% items
}

// ExampleRecommendations are one customer's recommendations.
type ExampleRecommendations struct {
	CustomerID string
	Model      string
	Items      []Recommendation
}

// Recommendation is one recommended item with the reason it was chosen.
type Recommendation struct {
	ItemID string  `json:"item_id"`
	Title  string  `json:"title,omitempty"`
	Score  float64 `json:"score"`
	Reason string  `json:"reason"`
}

// TopList ranks the customers with the highest score in one strategy.
type TopList struct {
	Strategy string
	Rows     []TopCustomer
}

// TopCustomer is one row of a [TopList].
type TopCustomer struct {
	CustomerID  string
	Score       float64
	Explanation string
}

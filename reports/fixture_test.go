package reports_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"time"

	"github.com/custnet/custnet/reports"
)

// testKey is the pseudonym key of the tests.
var testKey = []byte("test-key-not-secret")

// hostile is a string that must never reach the page unescaped.
const hostile = `</script><img src=x onerror="window.__pwned=1">`

// syntheticReport builds a report of realistic size: 2,400 customers in the
// network (2,000 are drawn), 20 communities, 5 models and 200 top customers
// per strategy. It is deterministic.
func syntheticReport() *reports.Report {
	rng := rand.New(rand.NewPCG(1, 2))
	strategies := []string{"access", "engage", "customize", "connect", "collaborate"}
	ts := func(d int) time.Time { return time.Date(1998, 4, 22, 0, 0, 0, 0, time.UTC).AddDate(0, 0, d) }

	r := &reports.Report{
		Title:       "MovieLens 100k",
		GeneratedAt: time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC),
		AsOf:        ts(0),
		Window:      reports.Window{From: ts(-214), To: ts(0)},
	}
	r.Data = &reports.DataSection{
		Sources: []reports.Source{
			{Format: "movielens-100k", Path: "/data/ml-100k/u.data", SHA256: "06416e597f82b7342361e41163890c81036900f418ad91315590814211dca490",
				RowsRead: 100000, RowsLoaded: 98211, RowsDuplicate: 12, RowsRejected: 3, RowsWithoutConsent: 1774},
			{Format: "consent-csv", Path: "/data/consent/ledger.csv", SHA256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
				RowsRead: 1886, RowsLoaded: 1880, RowsRejected: 6},
		},
		Consent: []reports.ConsentSummary{
			{Purpose: "analytics", Granted: 925, Refused: 12, Revoked: 6},
			{Purpose: "personalization", Granted: 880, Refused: 40, Revoked: 23},
		},
	}

	score := func() float64 { return math.Round(math.Min(100, math.Max(0, 50+18*rng.NormFloat64()))*10) / 10 }
	scores := func() reports.Scores {
		s := reports.Scores{Access: score(), Engage: score(), Customize: score(), Connect: score(), Collaborate: score()}
		s.Composite = (s.Access + s.Engage + s.Customize + s.Connect + s.Collaborate) / 5
		return s
	}
	st := &reports.StrategiesSection{Business: scores(), Maturity: []string{
		"Access is mature: 84% of customers reach the catalogue in more than one way.",
		"Collaborate is emerging: few customers' ratings shape what others see.",
	}}
	prev := scores()
	st.Previous = &prev
	for g := range 20 {
		st.Groups = append(st.Groups, reports.GroupScores{Name: fmt.Sprintf("community %d", g), Size: 200 - 7*g, Means: scores()})
	}
	for _, s := range strategies {
		h := reports.Histogram{Strategy: s}
		for range 943 {
			b := int(score() / 5)
			h.Counts[min(b, 19)]++
		}
		st.Histograms = append(st.Histograms, h)
	}
	r.Strategies = st

	const nodes, comms = 2400, 20
	ns := &reports.NetworkSection{}
	for i := range nodes {
		c := i % comms
		ns.Nodes = append(ns.Nodes, reports.Node{
			ID: fmt.Sprintf("u%04d", i), Label: fmt.Sprintf("User %d", i),
			Community: c, PageRank: math.Round(1e6*rng.ExpFloat64()/nodes) / 1e6,
		})
	}
	degree := make([]int, nodes)
	for i := range nodes {
		for range 3 {
			j := rng.IntN(nodes/comms)*comms + i%comms // same community
			if rng.Float64() < 0.15 {
				j = rng.IntN(nodes)
			}
			if j == i {
				continue
			}
			ns.Edges = append(ns.Edges, reports.Edge{Source: ns.Nodes[i].ID, Target: ns.Nodes[j].ID, Weight: float64(1 + rng.IntN(5))})
			degree[i]++
			degree[j]++
		}
	}
	for c := range comms {
		ns.Communities = append(ns.Communities, reports.Community{
			ID: c, Size: nodes / comms, Density: 0.05 + 0.01*float64(c%5), Modularity: 0.04 - 0.001*float64(c),
			TopCustomers: []string{fmt.Sprintf("u%04d", c), fmt.Sprintf("u%04d", c+comms), fmt.Sprintf("u%04d", c+2*comms)},
		})
	}
	hist := map[int]int64{}
	for _, d := range degree {
		hist[d]++
	}
	for d := range 200 {
		if n := hist[d]; n > 0 {
			ns.Degrees = append(ns.Degrees, reports.DegreeCount{Degree: d, Count: n})
		}
	}
	r.Network = ns

	r.Recommendations = &reports.RecommendationsSection{
		Models: []reports.ModelMetrics{
			{Name: "popularity", Baseline: true, RMSE: math.NaN(), MAE: math.NaN(), NDCG10: 0.105, Precision10: 0.102, Coverage: 0.06, BackCatalogueShare: 0.0},
			{Name: "item mean", Baseline: true, RMSE: 1.023, MAE: 0.815, NDCG10: 0.021, Precision10: 0.018, Coverage: 0.35, BackCatalogueShare: 0.41},
			{Name: "user kNN", RMSE: 0.955, MAE: 0.752, NDCG10: 0.151, Precision10: 0.139, Coverage: 0.21, BackCatalogueShare: 0.12},
			{Name: "item kNN", RMSE: 0.936, MAE: 0.736, NDCG10: 0.163, Precision10: 0.147, Coverage: 0.29, BackCatalogueShare: 0.19},
			{Name: "matrix factorisation", RMSE: 0.912, MAE: 0.718, NDCG10: 0.181, Precision10: 0.162, Coverage: 0.33, BackCatalogueShare: 0.24},
		},
		Example: &reports.ExampleRecommendations{CustomerID: "u0042", Model: "matrix factorisation"},
	}
	for i := range 10 {
		r.Recommendations.Example.Items = append(r.Recommendations.Example.Items, reports.Recommendation{
			ItemID: fmt.Sprintf("i%d", 100+i), Title: fmt.Sprintf("Film %d (1996)", 100+i), Score: 4.8 - 0.1*float64(i),
			Reason: "liked by customers whose ratings match yours",
		})
	}
	for _, s := range strategies {
		l := reports.TopList{Strategy: s}
		for i := range 200 {
			l.Rows = append(l.Rows, reports.TopCustomer{
				CustomerID:  fmt.Sprintf("u%04d", (i*37)%nodes),
				Score:       math.Round((99-0.2*float64(i))*10) / 10,
				Explanation: fmt.Sprintf("%d ratings in the window, %d distinct genres", 400-i, 18-i%10),
			})
		}
		r.TopCustomers = append(r.TopCustomers, l)
	}
	return r
}

// syntheticExport builds a customer export with 450 events, more than a
// page shows.
func syntheticExport() *reports.CustomerExport {
	t0 := time.Date(1997, 9, 20, 0, 0, 0, 0, time.UTC)
	c := &reports.CustomerExport{
		CustomerID: "u0042",
		ExportedAt: time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC),
		Attributes: map[string]string{"zip": "55105", "age": "24", "occupation": "technician", "gender": "M"},
		Consents: []reports.ConsentRecord{
			{Purpose: "analytics", Status: "granted", RecordedAt: t0, Source: "signup form"},
			{Purpose: "personalization", Status: "granted", RecordedAt: t0, Source: "signup form"},
			{Purpose: "personalization", Status: "revoked", RecordedAt: t0.AddDate(0, 3, 0), Source: "account settings"},
		},
		EventCount: 450,
		Scores: []reports.StrategyScore{
			{Strategy: "access", Score: 71.5, Explanation: "rated films from 14 of 19 genres"},
			{Strategy: "engage", Score: 88, Explanation: "450 ratings, in the top 10% of customers"},
			{Strategy: "customize", Score: 40.2, Explanation: "ratings spread evenly, few strong preferences"},
			{Strategy: "connect", Score: 55, Explanation: "shares tastes with 61 customers"},
			{Strategy: "collaborate", Score: 12.5, Explanation: "rarely among the first to rate a film"},
		},
		Community:       &reports.CommunityMembership{ID: 3, Size: 120, PageRank: 0.0021},
		Recommendations: []reports.Recommendation{{ItemID: "i50", Title: "Star Wars (1977)", Score: 4.7, Reason: "liked by 48 customers like you"}},
	}
	for i := range 450 {
		c.Events = append(c.Events, reports.Event{At: t0.Add(time.Duration(i) * time.Hour), Type: "rating", ItemID: fmt.Sprintf("i%d", i), Value: float64(1 + i%5)})
	}
	return c
}

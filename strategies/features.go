package strategies

import "github.com/custnet/custnet/datasets"

// Feature is one per-customer measure that feeds a strategy score. The
// table of features ([Features]) is the single definition that the SQL, the
// scoring, the report and the CLI's help text share.
type Feature struct {
	// Name is the column name in the feature query and the key used in
	// configuration files, e.g. "pagerank".
	Name string
	// Strategy is the strategy the feature scores.
	Strategy datasets.Strategy
	// Label is a short noun phrase used in explanation sentences.
	Label string
	// Meaning is a one-line definition.
	Meaning string
	// Unit of the value, e.g. "days", "events", "share" (0–1).
	Unit string
	// LowerIsBetter marks features where smaller values rank higher
	// (recency, gaps). The zero value means higher is better.
	LowerIsBetter bool
	// SQL is the expression computing the feature in the final SELECT of
	// [FeatureSQL], over the query's intermediate relations; a NULL result
	// becomes 0, or the window length in days for lower-is-better features.
	SQL string

	// gate names the feature whose zero value means "no activity" for this
	// one: the customer's percentile on this feature is then 0. Activity
	// features gate on themselves.
	gate string
}

// Activity reports whether the feature counts activity: a zero value means
// the customer did nothing of its kind. A customer is active in a strategy
// when one of its activity features is non-zero.
func (f Feature) Activity() bool { return f.gate == f.Name }

// Action sets inside SQL expressions: {access}, {engage}, {connect} and
// {collaborate} expand to the actions the [Config] maps to that strategy.
var features = withGates([]Feature{
	// ACCESS: fast, easy, everywhere, always on.
	{Name: "active_days", Strategy: datasets.Access, Label: "active days", Unit: "days",
		Meaning: "distinct calendar days with any event",
		SQL:     "da.active_days"},
	{Name: "visits_per_day", Strategy: datasets.Access, Label: "visits per active day", Unit: "events/day",
		Meaning: "access events except calls (visit, login, app_open, search) per active day",
		SQL:     "CAST(b.visits AS DOUBLE) / NULLIF(da.active_days, 0)"},
	{Name: "channels", Strategy: datasets.Access, Label: "channels used", Unit: "channels",
		Meaning: "distinct channels of the customer's events",
		SQL:     "ch.channels"},
	{Name: "channel_entropy", Strategy: datasets.Access, Label: "channel balance", Unit: "bits",
		Meaning: "Shannon entropy (log2) of the customer's events over channels; 0 with one channel",
		SQL:     "CASE WHEN ch.channels > 1 THEN greatest(0, log2(ch.tot) - ch.clogc / ch.tot) END"},
	{Name: "mobile_share", Strategy: datasets.Access, Label: "mobile share", Unit: "share",
		Meaning: "events on channel mobile or app ÷ all events",
		SQL:     "CAST(b.mobile_events AS DOUBLE) / NULLIF(b.events, 0)"},
	{Name: "hours_covered", Strategy: datasets.Access, Label: "hours of day covered", Unit: "hours",
		Meaning: "distinct hours of the day (0–23) with an event",
		SQL:     "b.hours_covered"},
	{Name: "weekdays_covered", Strategy: datasets.Access, Label: "days of week covered", Unit: "days",
		Meaning: "distinct days of the week with an event",
		SQL:     "b.weekdays_covered"},
	{Name: "recency_days", Strategy: datasets.Access, Label: "days since last activity", Unit: "days", LowerIsBetter: true,
		Meaning: "as-of date minus the date of the last event; the window length when there is none",
		SQL:     "p.as_of - da.last_day", gate: "active_days"},
	{Name: "median_gap_days", Strategy: datasets.Access, Label: "median days between visits", Unit: "days", LowerIsBetter: true,
		Meaning: "median gap between consecutive active days; the window length with fewer than two",
		SQL:     "g.median_gap", gate: "active_days"},
	{Name: "self_service_share", Strategy: datasets.Access, Label: "self-service share", Unit: "share",
		Meaning: "active days without a call ÷ active days",
		SQL:     "CAST(da.self_days AS DOUBLE) / NULLIF(da.active_days, 0)"},

	// ENGAGE: content and time spent.
	{Name: "content_events", Strategy: datasets.Engage, Label: "content events", Unit: "events",
		Meaning: "engage events (view, watch, read, click, dwell)",
		SQL:     "b.content_events"},
	{Name: "dwell_total", Strategy: datasets.Engage, Label: "total dwell", Unit: "seconds",
		Meaning: "sum of value over view, read, watch and dwell events",
		SQL:     "b.dwell_total"},
	{Name: "dwell_median", Strategy: datasets.Engage, Label: "median dwell", Unit: "seconds",
		Meaning: "median value over view, read, watch and dwell events",
		SQL:     "b.dwell_median"},
	{Name: "content_items", Strategy: datasets.Engage, Label: "distinct content items", Unit: "items",
		Meaning: "distinct items of engage events",
		SQL:     "b.content_items"},
	{Name: "return_rate", Strategy: datasets.Engage, Label: "return rate", Unit: "share",
		Meaning: "(engagement days − 1) ÷ days from the first engagement day to the as-of date; 0 with one engagement day",
		SQL:     "CASE WHEN da.engage_days > 1 THEN CAST(da.engage_days - 1 AS DOUBLE) / (p.as_of - da.first_engage) END"},
	{Name: "depth_per_day", Strategy: datasets.Engage, Label: "engagement depth", Unit: "events/day",
		Meaning: "engage events ÷ days with an engage event",
		SQL:     "CAST(b.content_events AS DOUBLE) / NULLIF(da.engage_days, 0)"},

	// CUSTOMIZE: the customer shapes what they get.
	{Name: "ratings", Strategy: datasets.Customize, Label: "ratings given", Unit: "events",
		Meaning: "rate events",
		SQL:     "b.ratings"},
	{Name: "preferences", Strategy: datasets.Customize, Label: "preferences set", Unit: "events",
		Meaning: "set_preference events",
		SQL:     "b.preferences"},
	{Name: "rec_acceptance", Strategy: datasets.Customize, Label: "recommendation acceptance", Unit: "share",
		Meaning: "accept_recommendation ÷ show_recommendation events; 0 when none was shown",
		SQL:     "CAST(b.recs_accepted AS DOUBLE) / NULLIF(b.recs_shown, 0)"},
	{Name: "personalisation_uptake", Strategy: datasets.Customize, Label: "personalisation uptake", Unit: "events/day",
		Meaning: "(accept_recommendation + set_preference events) ÷ active days",
		SQL:     "CAST(b.recs_accepted + b.preferences AS DOUBLE) / NULLIF(da.active_days, 0)"},
	{Name: "back_catalogue_share", Strategy: datasets.Customize, Label: "back-catalogue share", Unit: "share",
		Meaning: "share of the customer's item consumption (engage, rate, purchase) outside the head items that make up head_share of all such activity",
		SQL:     "CAST(bc.tail AS DOUBLE) / NULLIF(bc.n, 0)"},

	// CONNECT: customers linked to customers.
	{Name: "in_degree", Strategy: datasets.Connect, Label: "customers linking in", Unit: "customers",
		Meaning: "graph_metrics in_degree in the customer network",
		SQL:     "gm.in_degree"},
	{Name: "out_degree", Strategy: datasets.Connect, Label: "customers linked to", Unit: "customers",
		Meaning: "graph_metrics out_degree in the customer network",
		SQL:     "gm.out_degree"},
	{Name: "in_strength", Strategy: datasets.Connect, Label: "incoming link weight", Unit: "weight",
		Meaning: "graph_metrics in_strength in the customer network",
		SQL:     "gm.in_strength"},
	{Name: "out_strength", Strategy: datasets.Connect, Label: "outgoing link weight", Unit: "weight",
		Meaning: "graph_metrics out_strength in the customer network",
		SQL:     "gm.out_strength"},
	{Name: "pagerank", Strategy: datasets.Connect, Label: "PageRank", Unit: "probability",
		Meaning: "graph_metrics pagerank in the customer network",
		SQL:     "gm.pagerank"},
	{Name: "participation", Strategy: datasets.Connect, Label: "community bridging", Unit: "coefficient",
		Meaning: "graph_metrics participation coefficient: 0 when all links stay in one community",
		SQL:     "gm.participation"},
	{Name: "communities_linked", Strategy: datasets.Connect, Label: "communities linked", Unit: "communities",
		Meaning: "distinct graph_metrics communities of the customer's connect peers, either direction, in the window",
		SQL:     "cl.communities_linked"},
	{Name: "reach_2hop", Strategy: datasets.Connect, Label: "two-hop reach", Unit: "customers",
		Meaning: "distinct customers reachable in at most two hops along connect links (customer → peer) in the window",
		SQL:     "rc.reach"},
	{Name: "conversations", Strategy: datasets.Connect, Label: "conversations joined", Unit: "events",
		Meaning: "comment and reply events",
		SQL:     "b.conversations"},
	{Name: "shares", Strategy: datasets.Connect, Label: "shares", Unit: "events",
		Meaning: "share events",
		SQL:     "b.shares"},

	// COLLABORATE: customers building something together.
	{Name: "contributions", Strategy: datasets.Collaborate, Label: "contributions", Unit: "events",
		Meaning: "collaborate events except votes (contribute, answer, edit, idea)",
		SQL:     "b.contributions"},
	{Name: "votes_given", Strategy: datasets.Collaborate, Label: "votes given", Unit: "events",
		Meaning: "vote events",
		SQL:     "b.votes_given"},
	{Name: "uptake_received", Strategy: datasets.Collaborate, Label: "uptake received", Unit: "events",
		Meaning: "others' vote, reply, answer and comment events naming the customer as peer",
		SQL:     "up.uptake"},
	{Name: "collaborators", Strategy: datasets.Collaborate, Label: "collaborators", Unit: "customers",
		Meaning: "distinct peers of collaborate events, either direction",
		SQL:     "co.collaborators"},
})

// withGates makes every feature without an explicit gate gate on itself.
func withGates(fs []Feature) []Feature {
	for i := range fs {
		if fs[i].gate == "" {
			fs[i].gate = fs[i].Name
		}
	}
	return fs
}

// featureIndex maps a feature name to its position in [Features].
var featureIndex = func() map[string]int {
	m := make(map[string]int, len(features))
	for i, f := range features {
		m[f.Name] = i
	}
	return m
}()

// Features returns the feature table in its fixed order: ACCESS, ENGAGE,
// CUSTOMIZE, CONNECT, COLLABORATE, and within each strategy as defined. The
// columns of a [FeatureTable] follow this order. The returned slice is a
// copy.
func Features() []Feature {
	out := make([]Feature, len(features))
	copy(out, features)
	return out
}

// strategyIndex returns the position of s in [datasets.Strategies], or -1.
func strategyIndex(s datasets.Strategy) int {
	for i, t := range datasets.Strategies {
		if t == s {
			return i
		}
	}
	return -1
}

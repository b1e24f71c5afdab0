package strategies

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/custnet/custnet/datasets"
)

// Window is the period features are computed over: the Days calendar days
// ending with AsOf's date, both ends included. `--as-of 2024-06-30 --window
// 90d` is 2024-04-02 to 2024-06-30 whatever the time of day of AsOf. Events
// without a timestamp (at IS NULL) belong to every window but count towards
// no day-, hour- or recency-based feature.
type Window struct {
	// AsOf is the last day of the window (its UTC date is used). The zero
	// value means the date of the latest event in scoring_events.
	AsOf time.Time
	// Days is the window length in days. 0 means 90; it must not be negative.
	Days int
}

// days returns the effective window length.
func (w Window) days() int {
	if w.Days == 0 {
		return 90
	}
	return w.Days
}

// FeatureSQL returns the one DuckDB query that computes every feature of
// [Features] for the window and the action mapping of cfg (nil means
// [DefaultConfig]). It reads three relations the caller provides:
//
//   - scoring_events: the events of consented customers, with the columns
//     of the events table (datasets.SchemaSQL);
//   - graph_metrics: the engine's graph metrics; rows with kind 'customer'
//     are used, one per customer (the latest computed_at wins);
//   - customers: customer_id of known customers.
//
// Pass an explicit AsOf when it is known: without one the query also reads
// scoring_events for its latest date, and DuckDB then materialises
// scoring_events as a whole, which costs memory at millions of events.
//
// The result has one row per customer in customers or with an event in the
// window (the engine's stores name every event's customer in customers, so
// there that is every consented customer), ordered by customer_id, with
// columns customer_id VARCHAR, as_of DATE (the window's last day; NULL when
// no event has a timestamp) and then every feature in [Features] order as
// DOUBLE, never NULL: a customer without activity of a feature's kind gets
// 0, or the window length for lower-is-better features.
func FeatureSQL(w Window, cfg *Config) (string, error) {
	q, err := FeatureSQLSlices(w, cfg, nil)
	if err != nil {
		return "", err
	}
	return q.Parts[0], nil
}

// FeatureQueries is the feature computation of [FeatureSQLSlices], split
// into statements run in order on one connection.
type FeatureQueries struct {
	// Setup builds, once, the relations every slice needs whole, as
	// temporary tables (temp.feature_*): the window's events that name a
	// peer, and from them the link graph, each customer's uptake and
	// collaborators; the item popularity head; the latest graph metrics.
	// Empty for a single query.
	Setup []string
	// Parts holds one query per slice of the customers; each returns
	// FeatureSQL's columns for its customers, ordered by customer_id.
	Parts []string
	// Cleanup drops what Setup made (only temporary tables); run it also
	// after a failure.
	Cleanup []string
}

// FeatureSliceBoundsSQL returns the query for the bounds of
// [FeatureSQLSlices] that cut the customers table into parts slices of
// about equal size: one VARCHAR per row, increasing, at most parts-1 rows
// (fewer when customers has few distinct ids).
func FeatureSliceBoundsSQL(parts int) string {
	if parts < 2 {
		return "SELECT CAST(NULL AS VARCHAR) WHERE FALSE"
	}
	qs := make([]string, parts-1)
	for k := range qs {
		qs[k] = strconv.FormatFloat(float64(k+1)/float64(parts), 'g', -1, 64)
	}
	return `SELECT DISTINCT b FROM (SELECT unnest(quantile_disc(customer_id, [` + strings.Join(qs, ", ") + `])) AS b FROM customers)
		WHERE b IS NOT NULL ORDER BY b`
}

// FeatureSQLSlices is [FeatureSQL] for the slices of the customers cut at
// bounds, increasing customer ids: slice k holds the customers with
// bounds[k-1] <= customer_id < bounds[k] (the first has no lower bound,
// the last no upper one), so the slices' rows together are FeatureSQL's
// result. What grows with the data, the window's events and the
// per-customer aggregates, is read and built for one slice at a time: each
// slice reads the events of its customers, so DuckDB holds a slice's worth
// of them; the features counted on the other side of a link come from the
// relations Setup builds. The slice's id range is a plain
// comparison, which DuckDB applies while scanning events (and, where the
// events are stored in customer order, by skipping whole row groups),
// before scoring_events' consent join. The relations every slice needs
// whole are built once by Setup. No bounds: one query, no setup.
func FeatureSQLSlices(w Window, cfg *Config, bounds []string) (FeatureQueries, error) {
	for k := 1; k < len(bounds); k++ {
		if bounds[k] <= bounds[k-1] {
			return FeatureQueries{}, fmt.Errorf("feature sql: slice bounds not increasing: %q then %q", bounds[k-1], bounds[k])
		}
	}
	if w.Days < 0 {
		return FeatureQueries{}, fmt.Errorf("feature sql: window of %d days", w.Days)
	}
	r, err := cfg.resolve()
	if err != nil {
		return FeatureQueries{}, fmt.Errorf("feature sql: %w", err)
	}
	days := strconv.Itoa(w.days())
	asOf := `(SELECT CAST(max(e."at") AS DATE) FROM scoring_events e)`
	if !w.AsOf.IsZero() {
		asOf = "DATE '" + w.AsOf.UTC().Format(time.DateOnly) + "'"
	}
	list := func(names ...string) string {
		if len(names) == 0 {
			return "NULL" // x IN (NULL) is never true
		}
		q := make([]string, len(names))
		for i, n := range names {
			q[i] = "'" + strings.ReplaceAll(n, "'", "''") + "'"
		}
		return strings.Join(q, ", ")
	}
	var visits []string
	for _, a := range r.actions[datasets.Access] {
		if a != "call" {
			visits = append(visits, a)
		}
	}
	var contributions []string
	for _, a := range r.actions[datasets.Collaborate] {
		if a != "vote" {
			contributions = append(contributions, a)
		}
	}
	consumption := append([]string{"purchase", "rate"}, r.actions[datasets.Engage]...)
	var sel strings.Builder
	for _, f := range features {
		def := "0"
		if f.LowerIsBetter {
			def = days
		}
		fmt.Fprintf(&sel, ",\n\tCAST(COALESCE(%s, %s) AS DOUBLE) AS %s", f.SQL, def, f.Name)
	}
	// One query: the shared relations are CTEs over win, which reads
	// scoring_events once. Slices: the shared relations are built once
	// (those of links from one copy of the window's events that name a
	// peer), and each slice reads its customers' events.
	var q FeatureQueries
	values := strings.NewReplacer(
		"{as_of}", asOf,
		"{days}", days,
		"{head_share}", strconv.FormatFloat(r.headShare, 'g', -1, 64),
		"{visits}", list(visits...),
		"{engage}", list(r.actions[datasets.Engage]...),
		"{consumption}", list(consumption...),
		"{connect}", list(r.actions[datasets.Connect]...),
		"{collaborate}", list(r.actions[datasets.Collaborate]...),
		"{contributions}", list(contributions...),
	)
	window := strings.NewReplacer("{in_window}",
		`(e."at" IS NULL OR (CAST(e."at" AS DATE) > {as_of} - {days} AND CAST(e."at" AS DATE) <= {as_of}))`)
	fill := func(s string) string { return values.Replace(window.Replace(s)) }
	template := strings.Replace(featureQuery, "{features}", sel.String(), 1)
	peers := func(q, rel string) string { return strings.ReplaceAll(q, "{peers}", rel) }
	if len(bounds) == 0 {
		const rel = "(SELECT customer_id, action, peer_id FROM win WHERE peer_id IS NOT NULL AND peer_id <> customer_id)"
		shape := strings.NewReplacer(
			"{head}", strings.ReplaceAll(headQuery, "{consumed}", "cons"),
			"{links}", peers(linksQuery, rel),
			"{up}", peers(upQuery, rel),
			"{co}", peers(coQuery, rel),
			"{gm}", gmQuery,
			"{shared}", "",
		).Replace(template)
		q.Parts = []string{fill(partRE.ReplaceAllString(shape, "TRUE"))}
		return q, nil
	}
	var pairs []string
	for _, t := range []struct{ name, query string }{
		{"peers", `SELECT customer_id, action, peer_id FROM scoring_events e
			WHERE {in_window} AND peer_id IS NOT NULL AND peer_id <> customer_id`},
		{"head", strings.ReplaceAll(headQuery, "{consumed}",
			"(SELECT item_id FROM scoring_events e WHERE {in_window} AND item_id IS NOT NULL AND action IN ({consumption}))")},
		{"links", peers(linksQuery, "temp.feature_peers")},
		{"up", peers(upQuery, "temp.feature_peers")},
		{"co", peers(coQuery, "temp.feature_peers")},
		{"gm", gmQuery},
	} {
		q.Setup = append(q.Setup, fill("CREATE OR REPLACE TEMP TABLE feature_"+t.name+" AS "+t.query))
		q.Cleanup = append(q.Cleanup, "DROP TABLE IF EXISTS temp.feature_"+t.name)
		pairs = append(pairs, "{"+t.name+"}", "SELECT * FROM temp.feature_"+t.name)
	}
	pairs = append(pairs, "{shared}", "NOT MATERIALIZED ")
	shape := fill(strings.NewReplacer(pairs...).Replace(template))
	// A bound is a SQL string literal; a NUL byte, which would end the
	// query text DuckDB is given, is spliced in as chr(0) (DuckDB folds the
	// concatenation into a constant, so the comparison still reaches the
	// scan).
	lit := func(id string) string {
		parts := strings.Split(strings.ReplaceAll(id, "'", "''"), "\x00")
		return "('" + strings.Join(parts, "' || chr(0) || '") + "')"
	}
	for k := range len(bounds) + 1 {
		q.Parts = append(q.Parts, partRE.ReplaceAllStringFunc(shape, func(m string) string {
			col := partRE.FindStringSubmatch(m)[1]
			var c []string
			if k > 0 {
				c = append(c, col+" >= "+lit(bounds[k-1]))
			}
			if k < len(bounds) {
				c = append(c, col+" < "+lit(bounds[k]))
			}
			return "(" + strings.Join(c, " AND ") + ")"
		}))
	}
	return q, nil
}

// partRE finds the {part:column} markers of featureQuery: the predicate
// that keeps one slice's customers (TRUE for a single query).
var partRE = regexp.MustCompile(`\{part:([a-z_.]+)\}`)

// headQuery is the set of items that make up the head_share of the
// window's consumption ({consumed}: one row per consumption, item_id).
const headQuery = `SELECT item_id FROM (
	SELECT item_id, c,
		sum(c) OVER (ORDER BY c DESC, item_id ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS before,
		sum(c) OVER () AS total
	FROM (SELECT item_id, count(*) AS c FROM {consumed} GROUP BY item_id)
) WHERE COALESCE(before, 0) < {head_share} * total`

// linksQuery is the window's customer→customer links of connect actions
// ({peers} as for upQuery), each pair once.
const linksQuery = `SELECT DISTINCT customer_id AS src, peer_id AS dst FROM {peers} WHERE action IN ({connect})`

// upQuery counts the replies, answers, comments and votes each customer's
// contributions received ({peers}: the window's events naming another
// customer as peer).
const upQuery = `SELECT peer_id AS customer_id, count(*) AS uptake FROM {peers}
	WHERE action IN ('vote', 'reply', 'answer', 'comment')
	GROUP BY peer_id`

// coQuery counts each customer's distinct collaborators, on either side of
// a collaborate action ({peers} as for upQuery).
const coQuery = `SELECT customer_id, count(DISTINCT other) AS collaborators FROM (
		SELECT customer_id, peer_id AS other FROM {peers} WHERE action IN ({collaborate})
		UNION ALL
		SELECT peer_id, customer_id FROM {peers} WHERE action IN ({collaborate})
	) GROUP BY customer_id`

// gmQuery is each customer's latest customer-graph metrics.
const gmQuery = `SELECT customer_id, in_degree, out_degree, in_strength, out_strength, pagerank, participation, community
	FROM graph_metrics WHERE kind = 'customer'
	QUALIFY row_number() OVER (PARTITION BY customer_id ORDER BY computed_at DESC NULLS LAST) = 1`

// featureQuery is the template of [FeatureSQL] and [FeatureSQLSlices]:
// {in_window} is the window predicate on scoring_events' rows e; win holds
// the window's events of the query's customers; {head}, {links}, {up},
// {co} and {gm} are relations computed for every customer, and {part:col}
// the slice's predicate on a column. Every intermediate relation
// has at most one row per customer and is left-joined to ids.
//
// In slices, {shared} inlines head, gm and links (NOT MATERIALIZED), which
// are then Setup's temporary tables, so that a scan can take the slice's
// filter (links, and gm where ids is joined to it) instead of each slice
// copying the whole table. DuckDB estimates a table made in the open
// transaction at 0 rows (seen with DuckDB 1.5.6), so between two of them
// the text's order picks the hash join's build side, the right one: the
// slice's links are on the right of the two-hop join, and gm, up and co
// are cut to the slice before ids is joined to them. Otherwise each slice
// would hash every customer's rows again, which made a slice of a
// 100M-event store cost as much as a 10M-event store whole.
//
// The one floating-point sum over several rows (clogc, for the channel
// entropy) is ordered, so that a feature never depends on how DuckDB's
// threads split the rows (an ulp's difference would reorder tied
// customers).
const featureQuery = `WITH
params AS (SELECT {as_of} AS as_of),
win AS (
	SELECT e.customer_id, CAST(e."at" AS DATE) AS d, CAST(hour(e."at") AS TINYINT) AS h, CAST(dayofweek(e."at") AS TINYINT) AS dow,
		e.action, e.channel, e.item_id, e.peer_id, e.value
	FROM scoring_events e
	WHERE {in_window} AND {part:e.customer_id}
),
base AS (
	SELECT customer_id,
		count(*) AS events,
		count(*) FILTER (WHERE action IN ({visits})) AS visits,
		count(*) FILTER (WHERE channel IN ('mobile', 'app')) AS mobile_events,
		bit_count(bit_or(CAST(1 AS INTEGER) << h)) AS hours_covered,
		bit_count(bit_or(CAST(1 AS TINYINT) << dow)) AS weekdays_covered,
		count(*) FILTER (WHERE action IN ({engage})) AS content_events,
		sum(value) FILTER (WHERE action IN ('view', 'read', 'watch', 'dwell')) AS dwell_total,
		median(value) FILTER (WHERE action IN ('view', 'read', 'watch', 'dwell')) AS dwell_median,
		count(DISTINCT item_id) FILTER (WHERE action IN ({engage})) AS content_items,
		count(*) FILTER (WHERE action = 'rate') AS ratings,
		count(*) FILTER (WHERE action = 'set_preference') AS preferences,
		count(*) FILTER (WHERE action = 'show_recommendation') AS recs_shown,
		count(*) FILTER (WHERE action = 'accept_recommendation') AS recs_accepted,
		count(*) FILTER (WHERE action IN ('comment', 'reply')) AS conversations,
		count(*) FILTER (WHERE action = 'share') AS shares,
		count(*) FILTER (WHERE action IN ({contributions})) AS contributions,
		count(*) FILTER (WHERE action = 'vote') AS votes_given
	FROM win GROUP BY customer_id
),
days AS (
	SELECT customer_id, d,
		bool_or(action = 'call') AS has_call,
		bool_or(action IN ({engage})) AS engaged
	FROM win WHERE d IS NOT NULL GROUP BY customer_id, d
),
da AS (
	SELECT customer_id,
		count(*) AS active_days,
		count(*) FILTER (WHERE NOT has_call) AS self_days,
		max(d) AS last_day,
		count(*) FILTER (WHERE engaged) AS engage_days,
		min(d) FILTER (WHERE engaged) AS first_engage,
		list(d ORDER BY d) AS ds
	FROM days GROUP BY customer_id
),
g AS (
	SELECT customer_id, list_median(list_transform(range(1, len(ds)), i -> CAST(ds[i + 1] - ds[i] AS DOUBLE))) AS median_gap
	FROM da
),
ch AS (
	SELECT customer_id, count(*) AS channels, sum(c) AS tot, sum(c * log2(c) ORDER BY channel) AS clogc
	FROM (SELECT customer_id, channel, count(*) AS c FROM win WHERE channel IS NOT NULL GROUP BY customer_id, channel)
	GROUP BY customer_id
),
cons AS (
	SELECT customer_id, item_id FROM win WHERE item_id IS NOT NULL AND action IN ({consumption})
),
head AS {shared}({head}),
bc AS (
	SELECT c.customer_id, count(*) AS n, count(*) FILTER (WHERE h.item_id IS NULL) AS tail
	FROM cons c LEFT JOIN head h ON h.item_id = c.item_id GROUP BY c.customer_id
),
gm AS {shared}({gm}),
links AS {shared}({links}),
cl AS (
	SELECT n.customer_id, count(DISTINCT m.community) AS communities_linked
	FROM (SELECT src AS customer_id, dst AS other FROM links WHERE {part:src} UNION SELECT dst, src FROM links WHERE {part:dst}) n
	JOIN gm m ON m.customer_id = n.other
	GROUP BY n.customer_id
),
rc AS (
	SELECT src AS customer_id, count(DISTINCT dst) AS reach FROM (
		SELECT src, dst FROM links WHERE {part:src}
		UNION ALL
		SELECT a.src, b.dst FROM links b JOIN (SELECT src, dst FROM links WHERE {part:src}) a ON b.src = a.dst WHERE b.dst <> a.src
	) GROUP BY src
),
up AS ({up}),
co AS ({co}),
ids AS (SELECT customer_id FROM win UNION SELECT customer_id FROM customers WHERE {part:customer_id})
SELECT ids.customer_id, p.as_of{features}
FROM ids CROSS JOIN params p
LEFT JOIN base b ON b.customer_id = ids.customer_id
LEFT JOIN da ON da.customer_id = ids.customer_id
LEFT JOIN g ON g.customer_id = ids.customer_id
LEFT JOIN ch ON ch.customer_id = ids.customer_id
LEFT JOIN bc ON bc.customer_id = ids.customer_id
LEFT JOIN (SELECT * FROM gm WHERE {part:customer_id}) gm ON gm.customer_id = ids.customer_id
LEFT JOIN cl ON cl.customer_id = ids.customer_id
LEFT JOIN rc ON rc.customer_id = ids.customer_id
LEFT JOIN (SELECT * FROM up WHERE {part:customer_id}) up ON up.customer_id = ids.customer_id
LEFT JOIN (SELECT * FROM co WHERE {part:customer_id}) co ON co.customer_id = ids.customer_id
ORDER BY ids.customer_id`

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
	q, err := FeatureSQLParts(w, cfg, 1)
	if err != nil {
		return "", err
	}
	return q.Parts[0], nil
}

// FeatureQueries is the feature computation of [FeatureSQLParts], split
// into statements run in order on one connection.
type FeatureQueries struct {
	// Setup builds the relations every slice needs whole (the window's
	// item popularity head, the link graph, the latest graph metrics) as
	// temporary tables, once. Empty for a single query.
	Setup []string
	// Parts holds one query per slice of the customers; each returns
	// FeatureSQL's columns for its customers, ordered by customer_id.
	Parts []string
	// Cleanup drops what Setup made; run it also after a failure.
	Cleanup []string
}

// FeatureSQLParts is [FeatureSQL] for parts disjoint slices of the
// customers (those with hash(customer_id) % parts = k for slice k; the
// union of the slices' rows is FeatureSQL's result). What grows with the
// data, the window's events and the per-customer aggregates, is read and
// built for one slice at a time: each slice reads the events of its
// customers (and, for the features counted on the other side of a link,
// those naming one of them as peer), so DuckDB holds a parts-th of them.
// The relations every slice needs whole are built once by Setup. parts ≤ 1
// is the whole population in one query with no setup.
func FeatureSQLParts(w Window, cfg *Config, parts int) (FeatureQueries, error) {
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
	// scoring_events once. Slices: the window's events are copied once into
	// feature_events with each row's slice of customer and of peer, the
	// shared relations are built from it once, and each slice reads the
	// rows of its customers (win) and those naming one as peer (peerwin).
	var q FeatureQueries
	fill := strings.NewReplacer(
		"{as_of}", asOf,
		"{days}", days,
		"{head_share}", strconv.FormatFloat(r.headShare, 'g', -1, 64),
		"{visits}", list(visits...),
		"{engage}", list(r.actions[datasets.Engage]...),
		"{consumption}", list(consumption...),
		"{connect}", list(r.actions[datasets.Connect]...),
		"{collaborate}", list(r.actions[datasets.Collaborate]...),
		"{contributions}", list(contributions...),
	).Replace
	window := `(e."at" IS NULL OR (CAST(e."at" AS DATE) > {as_of} - {days} AND CAST(e."at" AS DATE) <= {as_of}))`
	template := strings.Replace(featureQuery, "{features}", sel.String(), 1)
	if parts <= 1 {
		shape := strings.NewReplacer(
			"{events}", "scoring_events",
			"{in_window}", window,
			"{peerwin}", "SELECT customer_id, action, peer_id FROM win WHERE peer_id IS NOT NULL AND peer_id <> customer_id",
			"{head}", strings.ReplaceAll(headQuery, "{consumed}", "cons"),
			"{links}", strings.ReplaceAll(linksQuery, "{events}", "win"),
			"{gm}", gmQuery,
		).Replace(template)
		q.Parts = []string{fill(partRE.ReplaceAllString(shape, "TRUE"))}
		return q, nil
	}
	slice := func(col string) string { return fmt.Sprintf("CAST(hash(%s) %% %d AS USMALLINT)", col, parts) }
	for _, t := range []struct{ name, query string }{
		{"events", `SELECT e.customer_id, e."at", e.action, e.channel, e.item_id, e.peer_id, e.value,
			` + slice("e.customer_id") + ` AS customer_part, ` + slice("e.peer_id") + ` AS peer_part
			FROM scoring_events e WHERE ` + window},
		{"head", strings.ReplaceAll(headQuery, "{consumed}",
			"(SELECT item_id FROM feature_events WHERE item_id IS NOT NULL AND action IN ({consumption}))")},
		{"links", `SELECT src, dst, ` + slice("src") + ` AS src_part, ` + slice("dst") + ` AS dst_part FROM (` +
			strings.ReplaceAll(linksQuery, "{events}", "feature_events") + `)`},
		{"gm", gmQuery},
	} {
		q.Setup = append(q.Setup, fill("CREATE OR REPLACE TEMP TABLE feature_"+t.name+" AS "+t.query))
		q.Cleanup = append(q.Cleanup, "DROP TABLE IF EXISTS feature_"+t.name)
	}
	shape := fill(strings.NewReplacer(
		"{events}", "feature_events",
		"{in_window}", "TRUE",
		"{peerwin}", `SELECT e.customer_id, e.action, e.peer_id FROM feature_events e
	WHERE e.peer_id IS NOT NULL AND e.peer_id <> e.customer_id AND {part:e.peer_id}`,
		"{head}", "SELECT * FROM feature_head",
		"{links}", "SELECT * FROM feature_links",
		"{gm}", "SELECT * FROM feature_gm",
	).Replace(template))
	// The slice columns stored by Setup stand for hash(column) % parts.
	stored := map[string]string{"e.customer_id": "e.customer_part", "e.peer_id": "e.peer_part",
		"src": "src_part", "dst": "dst_part", "a.src": "a.src_part"}
	for part := range parts {
		q.Parts = append(q.Parts, partRE.ReplaceAllStringFunc(shape, func(m string) string {
			col := partRE.FindStringSubmatch(m)[1]
			if sc, ok := stored[col]; ok {
				return fmt.Sprintf("(%s = %d)", sc, part)
			}
			return fmt.Sprintf("(%s = %d)", slice(col), part)
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
// ({events}: the window's events), each pair once.
const linksQuery = `SELECT DISTINCT customer_id AS src, peer_id AS dst FROM {events}
	WHERE peer_id IS NOT NULL AND peer_id <> customer_id AND action IN ({connect})`

// gmQuery is each customer's latest customer-graph metrics.
const gmQuery = `SELECT customer_id, in_degree, out_degree, in_strength, out_strength, pagerank, participation, community
	FROM graph_metrics WHERE kind = 'customer'
	QUALIFY row_number() OVER (PARTITION BY customer_id ORDER BY computed_at DESC NULLS LAST) = 1`

// featureQuery is the template of [FeatureSQL] and [FeatureSQLParts]:
// {events} is the relation read (scoring_events, or a slice's copy), and
// {in_window} the window predicate on its rows e; win holds the window's
// events of the query's customers, peerwin those of links naming one of
// them as peer; {head}, {links} and {gm} are the shared relations and
// {part:col} the slice's predicate on a column. Every intermediate relation
// has at most one row per customer and is left-joined to ids. The one
// floating-point sum over several rows (clogc, for the channel entropy) is
// ordered, so that a feature never depends on how DuckDB's threads split
// the rows (an ulp's difference would reorder tied customers).
const featureQuery = `WITH
params AS (SELECT {as_of} AS as_of),
win AS (
	SELECT e.customer_id, CAST(e."at" AS DATE) AS d, CAST(hour(e."at") AS TINYINT) AS h, CAST(dayofweek(e."at") AS TINYINT) AS dow,
		e.action, e.channel, e.item_id, e.peer_id, e.value
	FROM {events} e
	WHERE {in_window} AND {part:e.customer_id}
),
peerwin AS ({peerwin}),
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
head AS ({head}),
bc AS (
	SELECT c.customer_id, count(*) AS n, count(*) FILTER (WHERE h.item_id IS NULL) AS tail
	FROM cons c LEFT JOIN head h ON h.item_id = c.item_id GROUP BY c.customer_id
),
gm AS ({gm}),
links AS ({links}),
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
		SELECT a.src, b.dst FROM links a JOIN links b ON b.src = a.dst WHERE b.dst <> a.src AND {part:a.src}
	) GROUP BY src
),
up AS (
	SELECT peer_id AS customer_id, count(*) AS uptake FROM peerwin
	WHERE action IN ('vote', 'reply', 'answer', 'comment')
	GROUP BY peer_id
),
co AS (
	SELECT customer_id, count(DISTINCT other) AS collaborators FROM (
		SELECT customer_id, peer_id AS other FROM win
		WHERE action IN ({collaborate}) AND peer_id IS NOT NULL AND peer_id <> customer_id
		UNION ALL
		SELECT peer_id, customer_id FROM peerwin
		WHERE action IN ({collaborate})
	) GROUP BY customer_id
),
ids AS (SELECT customer_id FROM win UNION SELECT customer_id FROM customers WHERE {part:customer_id})
SELECT ids.customer_id, p.as_of{features}
FROM ids CROSS JOIN params p
LEFT JOIN base b ON b.customer_id = ids.customer_id
LEFT JOIN da ON da.customer_id = ids.customer_id
LEFT JOIN g ON g.customer_id = ids.customer_id
LEFT JOIN ch ON ch.customer_id = ids.customer_id
LEFT JOIN bc ON bc.customer_id = ids.customer_id
LEFT JOIN gm ON gm.customer_id = ids.customer_id
LEFT JOIN cl ON cl.customer_id = ids.customer_id
LEFT JOIN rc ON rc.customer_id = ids.customer_id
LEFT JOIN up ON up.customer_id = ids.customer_id
LEFT JOIN co ON co.customer_id = ids.customer_id
ORDER BY ids.customer_id`

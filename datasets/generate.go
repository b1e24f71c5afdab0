package datasets

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"time"
)

// GenerateOptions describes a synthetic customer network. The zero value is
// ready to use: 20,000 customers over the first half of 2024.
type GenerateOptions struct {
	// Customers is the number of customers. Zero means 20,000.
	Customers int
	// Seed seeds every random choice. The same options and seed give the
	// same output byte for byte, whatever Workers is. Zero is a valid seed.
	Seed uint64
	// Start and End bound the event times: every event falls in
	// [Start, End) and has whole seconds, read as UTC. A zero Start means
	// 2024-01-01T00:00:00Z and a zero End means 2024-07-01T00:00:00Z, so the
	// default span is 2024-01-01 .. 2024-06-30. The span must be at least a
	// day.
	Start, End time.Time
	// Items is the size of the catalogue. Zero means Customers/4, at least
	// 500.
	Items int
	// Communities is the number of planted communities. Zero means
	// Customers/500, at least 4 (but never more than Customers/2).
	Communities int
	// EventsPerCustomer is the mean number of events per customer; the
	// number each customer has follows a capped Pareto law, so a few
	// customers do a lot. Zero means 50. Ignored when Events is set.
	EventsPerCustomer float64
	// Events, when positive, is the exact total number of events, and the
	// mean per customer is derived from it. Zero means
	// Customers × EventsPerCustomer, rounded.
	Events int64
	// Workers bounds the goroutines that generate customers. Zero means
	// GOMAXPROCS. The output does not depend on it.
	Workers int
}

// Truth is what [Generate] planted, for tests and benchmarks to check
// analytics against. Customer ids are "c" plus a zero-padded 1-based number,
// item ids "i" plus one.
type Truth struct {
	Seed        uint64    `json:"seed"`
	Customers   int       `json:"customers"`
	Items       int       `json:"items"`
	Communities int       `json:"communities"`
	Events      int64     `json:"events"`
	Start       time.Time `json:"start"`
	End         time.Time `json:"end"`
	// Community maps every customer to its planted community, 0 ..
	// Communities-1 (also the customer attribute "planted_community").
	Community map[string]int `json:"community"`
	// Bridges are the bridging customers, sorted: their connect and
	// collaborate links reach every community of BridgeCommunities (at least
	// three when there are three communities or more). Bridges always grant
	// both consents.
	Bridges           []string         `json:"bridges"`
	BridgeCommunities map[string][]int `json:"bridge_communities"`
	// AnalyticsRefused customers refuse analytics (and personalization) at
	// their first activity; their events are generated all the same, so the
	// consent gate has something to drop.
	AnalyticsRefused []string `json:"analytics_refused"`
	// PersonalizationRefused customers grant analytics but refuse
	// personalization.
	PersonalizationRefused []string `json:"personalization_refused"`
	// AnalyticsRevoked customers grant both at their first activity and
	// revoke analytics later (a second record with Granted false, at a time
	// between their first activity and End; events go on after it).
	AnalyticsRevoked []string `json:"analytics_revoked"`
	// Actions counts events per action name.
	Actions map[string]int64 `json:"actions"`
}

// GenSink receives what [Generate] produces. Generate calls it from one
// goroutine, in a fixed order: every Customer first (in id order), then for
// each block of customers their Consent records followed by their Events.
// Implementations need not be safe for concurrent use.
type GenSink interface {
	Customer(a Attr) error
	Consent(c Consent) error
	// Events receives the next events, grouped by customer and in time
	// order within a customer; IDs are set with EventID("events", e). The
	// sink must not keep the slice.
	Events(batch []Event) error
}

// Customer segments, regions and age bands of generated customers.
var (
	genSegments = []string{"new", "regular", "loyal"}
	genRegions  = []string{"north", "south", "east", "west", "central"}
	genAgeBands = []string{"18-24", "25-34", "35-44", "45-54", "55-64", "65+"}
	genAgeShare = []float64{0.12, 0.24, 0.22, 0.18, 0.14, 0.10}
)

const (
	genRank        = 8   // rank of the latent taste model
	genParetoAlpha = 1.3 // activity tail index
	genParetoCap   = 400 // cap on one customer's activity weight (mean ≈ 4)
	genBlockEvents = 1 << 14
	genBlockCust   = 1024
	genDay         = 86400
)

// consent roles
const (
	roleGrant uint8 = iota
	roleRefuseAnalytics
	roleRefusePersonalization
	roleRevoke
)

// genModel is the shared, read-only state every worker reads.
type genModel struct {
	opt        GenerateOptions
	n, items   int
	k          int
	total      int64
	startSec   int64
	endSec     int64
	days       int
	custIDs    idTable
	itemIDs    idTable // in popularity order: id r is the item of Zipf rank r
	comm       []int32
	count      []int32 // events per customer
	joinDay    []int32
	age        []uint8
	role       []uint8
	bridge     []int32   // index into bridgeComms, -1 when not a bridge
	bridgeComm [][]int32 // communities each bridge links to, own first
	members    [][]int32
	memberCum  [][]float32 // cumulative sqrt(activity) weights per community
	// Items are held in popularity order, as events draw them (Zipf
	// ranks): the few items most events name then share cache lines.
	itemVec   []float32 // ranks × genRank
	itemBias  []float32
	itemPrice []float64
	blocks    []int // first customer of each block, plus n at the end
	baseSec   int64 // midnight UTC of Start's day; days count from it
	segOut    []uint8
	regionOut []uint8
}

func (o GenerateOptions) withDefaults() (GenerateOptions, error) {
	if o.Customers == 0 {
		o.Customers = 20000
	}
	if o.Customers < 2 {
		return o, fmt.Errorf("generate: %d customers, want at least 2", o.Customers)
	}
	if o.Start.IsZero() {
		o.Start = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	if o.End.IsZero() {
		o.End = time.Date(2024, 7, 1, 0, 0, 0, 0, time.UTC)
	}
	o.Start, o.End = o.Start.UTC().Truncate(time.Second), o.End.UTC().Truncate(time.Second)
	if o.End.Sub(o.Start) < 24*time.Hour {
		return o, fmt.Errorf("generate: span %s .. %s is shorter than a day", o.Start.Format(time.RFC3339), o.End.Format(time.RFC3339))
	}
	if o.Items == 0 {
		o.Items = max(500, o.Customers/4)
	}
	if o.Items < 2 {
		return o, fmt.Errorf("generate: %d items, want at least 2", o.Items)
	}
	if o.Communities == 0 {
		o.Communities = max(4, o.Customers/500)
	}
	o.Communities = max(1, min(o.Communities, o.Customers/2))
	if o.EventsPerCustomer == 0 {
		o.EventsPerCustomer = 50
	}
	if o.EventsPerCustomer < 0 || o.Events < 0 || math.IsNaN(o.EventsPerCustomer) {
		return o, errors.New("generate: negative event count")
	}
	if o.Events == 0 {
		o.Events = int64(math.Round(float64(o.Customers) * o.EventsPerCustomer))
	}
	o.EventsPerCustomer = float64(o.Events) / float64(o.Customers)
	if o.Workers <= 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	return o, nil
}

// splitmix64 scrambles x; it derives independent seeds from (Seed, index).
func splitmix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// genRand returns the random stream number stream of seed.
func genRand(seed, stream uint64) *rand.Rand {
	a := splitmix64(seed ^ splitmix64(stream))
	return rand.New(rand.NewPCG(a, splitmix64(a^stream)))
}

// Stream numbers of the setup steps; customers use 1<<32 + index.
const (
	streamSetup = iota + 1
	streamItems
	streamCustomer = 1 << 32
)

// idTable holds the ids prefix+"0…01" to prefix+n, zero-padded to one
// width, in one string: looking one up reads the bytes of one id and no
// string header, so that ids drawn at random (peers among millions of
// customers) cost one cache miss rather than two.
type idTable struct {
	all    string
	prefix string
	width  int // digits
	w      int // bytes per id
}

func newIDTable(prefix string, n int) idTable {
	t := idTable{prefix: prefix, width: len(strconv.Itoa(n))}
	t.w = len(prefix) + t.width
	b := make([]byte, 0, n*t.w)
	for i := range n {
		b = t.append(b, i)
	}
	t.all = string(b)
	return t
}

// permuted returns the table whose id number r is t's id number order[r].
func (t idTable) permuted(order []int) idTable {
	b := make([]byte, 0, len(t.all))
	for _, i := range order {
		b = append(b, t.at(i)...)
	}
	t.all = string(b)
	return t
}

// at returns id number i (0-based).
func (t idTable) at(i int) string { return t.all[i*t.w : i*t.w+t.w] }

// append appends id number i to b.
func (t idTable) append(b []byte, i int) []byte {
	var num [20]byte
	d := strconv.AppendInt(num[:0], int64(i+1), 10)
	b = append(b, t.prefix...)
	for range t.width - len(d) {
		b = append(b, '0')
	}
	return append(b, d...)
}

func newGenModel(opt GenerateOptions) *genModel {
	n, K := opt.Customers, opt.Communities
	g := &genModel{opt: opt, n: n, items: opt.Items, k: K, total: opt.Events,
		startSec: opt.Start.Unix(), endSec: opt.End.Unix()}
	g.baseSec = g.startSec - ((g.startSec%genDay)+genDay)%genDay
	g.days = int((g.endSec - g.baseSec + genDay - 1) / genDay)
	r := genRand(opt.Seed, streamSetup)

	g.custIDs = newIDTable("c", n)

	// Communities of uneven size.
	cw := make([]float64, K)
	for k := range cw {
		cw[k] = 0.5 + r.Float64()
		if k > 0 {
			cw[k] += cw[k-1]
		}
	}
	g.comm = make([]int32, n)
	for i := range g.comm {
		x := r.Float64() * cw[K-1]
		g.comm[i] = int32(sort.SearchFloat64s(cw, x))
		if int(g.comm[i]) >= K {
			g.comm[i] = int32(K - 1)
		}
	}
	// Every community gets at least two members.
	for k := 0; k < K; k++ {
		g.comm[(2*k)%n], g.comm[(2*k+1)%n] = int32(k), int32(k)
	}

	// Activity: capped Pareto weights, allocated exactly to the total.
	act := make([]float64, n)
	var W float64
	for i := range act {
		act[i] = min(genParetoCap, math.Pow(1-r.Float64(), -1/genParetoAlpha))
		W += act[i]
	}
	g.count = make([]int32, n)
	var cum float64
	var prev int64
	for i := range act {
		cum += act[i]
		next := int64(math.Floor(float64(g.total) * cum / W))
		if i == n-1 {
			next = g.total
		}
		g.count[i] = int32(next - prev)
		prev = next
	}

	// Join day, segment, age band.
	g.joinDay = make([]int32, n)
	g.age = make([]uint8, n)
	seg := make([]uint8, n)
	ageCum := cumulative(genAgeShare)
	for i := range g.joinDay {
		if r.Float64() < 0.15 {
			lo := int(0.55 * float64(g.days))
			hi := max(lo+1, g.days-7)
			g.joinDay[i] = int32(lo + r.IntN(hi-lo))
			seg[i] = 0
		} else {
			g.joinDay[i] = int32(r.IntN(max(1, g.days*15/100)))
			seg[i] = 1
			if act[i] >= 3 {
				seg[i] = 2
			}
		}
		g.age[i] = uint8(sort.SearchFloat64s(ageCum, r.Float64()*ageCum[len(ageCum)-1]))
	}
	homeRegion := make([]int, K)
	for k := range homeRegion {
		homeRegion[k] = r.IntN(len(genRegions))
	}
	region := make([]uint8, n)
	for i := range region {
		if r.Float64() < 0.7 {
			region[i] = uint8(homeRegion[g.comm[i]])
		} else {
			region[i] = uint8(r.IntN(len(genRegions)))
		}
	}

	// Bridges: active customers (the most active fifth, as brokers in real
	// networks are) linked to their own and 2-4 other communities.
	sorted := slices.Clone(g.count)
	slices.Sort(sorted)
	active := max(12, sorted[n*4/5])
	g.bridge = make([]int32, n)
	for i := range g.bridge {
		g.bridge[i] = -1
	}
	nb := min(max(4, n/250), n/10)
	perm := r.Perm(n)
	for pass := 0; pass < 2 && len(g.bridgeComm) < nb; pass++ {
		for _, c := range perm {
			if len(g.bridgeComm) == nb {
				break
			}
			if g.bridge[c] >= 0 || (pass == 0 && g.count[c] < active) {
				continue
			}
			links := []int32{g.comm[c]}
			want := min(K, 3+r.IntN(3))
			for _, k := range r.Perm(K) {
				if len(links) == want {
					break
				}
				if int32(k) != g.comm[c] {
					links = append(links, int32(k))
				}
			}
			g.bridge[c] = int32(len(g.bridgeComm))
			g.bridgeComm = append(g.bridgeComm, links)
		}
	}

	// Consent roles, never for bridges.
	g.role = make([]uint8, n)
	quota := []struct {
		role uint8
		n    int
	}{
		{roleRefuseAnalytics, int(math.Round(0.03 * float64(n)))},
		{roleRefusePersonalization, int(math.Round(0.05 * float64(n)))},
		{roleRevoke, int(math.Round(0.01 * float64(n)))},
	}
	q := 0
	for _, c := range r.Perm(n) {
		for q < len(quota) && quota[q].n == 0 {
			q++
		}
		if q == len(quota) {
			break
		}
		if g.bridge[c] >= 0 {
			continue
		}
		g.role[c] = quota[q].role
		quota[q].n--
	}

	// Community member lists with influence weights.
	g.members = make([][]int32, K)
	g.memberCum = make([][]float32, K)
	for i, k := range g.comm {
		g.members[k] = append(g.members[k], int32(i))
		var last float32
		if m := g.memberCum[k]; len(m) > 0 {
			last = m[len(m)-1]
		}
		g.memberCum[k] = append(g.memberCum[k], last+float32(math.Sqrt(act[i])))
	}

	// Items: taste factors, biases, prices, popularity order.
	ri := genRand(opt.Seed, streamItems)
	m := opt.Items
	vec := make([]float32, m*genRank)
	for i := range vec {
		vec[i] = float32(ri.NormFloat64() * genFactorSD)
	}
	bias := make([]float32, m)
	price := make([]float64, m)
	for i := range bias {
		bias[i] = float32(ri.NormFloat64() * 0.5)
		price[i] = math.Round(math.Exp(2.8+0.8*ri.NormFloat64())*100) / 100
	}
	// Laid out by Zipf rank (rank r is item popular[r]): events then read
	// the vectors and ids of a few hot items instead of missing all over
	// 20 MB of them (500k items at 100M events). One perf run each at that
	// size: tasteItem's samples 3,203 → 1,713, all samples 24,918 → 23,305
	// (−6.5%); wall times (23.4-27.5 s) did not tell the two apart. The
	// output is the same, byte for byte.
	popular := ri.Perm(m)
	g.itemIDs = newIDTable("i", m).permuted(popular)
	g.itemVec = make([]float32, m*genRank)
	g.itemBias = make([]float32, m)
	g.itemPrice = make([]float64, m)
	for r, i := range popular {
		copy(g.itemVec[r*genRank:(r+1)*genRank], vec[i*genRank:(i+1)*genRank])
		g.itemBias[r], g.itemPrice[r] = bias[i], price[i]
	}

	// Blocks of customers, cut by events so that work units are even.
	var ev, start int
	for i := 0; i < n; i++ {
		if i == 0 || ev >= genBlockEvents || i-start >= genBlockCust {
			g.blocks = append(g.blocks, i)
			ev, start = 0, i
		}
		ev += int(g.count[i])
	}
	g.blocks = append(g.blocks, n)

	g.segOut = seg
	g.regionOut = region
	return g
}

func cumulative(w []float64) []float64 {
	out := make([]float64, len(w))
	var s float64
	for i, x := range w {
		s += x
		out[i] = s
	}
	return out
}

// genFactorSD makes the taste dot product's standard deviation about 0.8.
var genFactorSD = math.Sqrt(math.Sqrt(0.64 / genRank))

func (g *genModel) attr(i int) Attr {
	return Attr{ID: g.custIDs.at(i), Attrs: map[string]string{
		"segment":           genSegments[g.segOut[i]],
		"region":            genRegions[g.regionOut[i]],
		"age_band":          genAgeBands[g.age[i]],
		"planted_community": strconv.Itoa(int(g.comm[i])),
	}}
}

func (g *genModel) truth() Truth {
	t := Truth{Seed: g.opt.Seed, Customers: g.n, Items: g.items, Communities: g.k, Events: g.total,
		Start: g.opt.Start, End: g.opt.End,
		Community:         make(map[string]int, g.n),
		Bridges:           []string{},
		BridgeCommunities: map[string][]int{},
		AnalyticsRefused:  []string{}, PersonalizationRefused: []string{}, AnalyticsRevoked: []string{},
		Actions: make(map[string]int64, genNumActions)}
	for i := range g.n {
		id := g.custIDs.at(i)
		t.Community[id] = int(g.comm[i])
		if b := g.bridge[i]; b >= 0 {
			t.Bridges = append(t.Bridges, id)
			links := make([]int, len(g.bridgeComm[b]))
			for j, k := range g.bridgeComm[b] {
				links[j] = int(k)
			}
			t.BridgeCommunities[id] = links
		}
		switch g.role[i] {
		case roleRefuseAnalytics:
			t.AnalyticsRefused = append(t.AnalyticsRefused, id)
		case roleRefusePersonalization:
			t.PersonalizationRefused = append(t.PersonalizationRefused, id)
		case roleRevoke:
			t.AnalyticsRevoked = append(t.AnalyticsRevoked, id)
		}
	}
	for _, name := range genActionNames {
		t.Actions[name] = 0
	}
	return t
}

// Generate builds a synthetic customer network and streams it to sink.
//
// Customers belong to planted communities; their connect and collaborate
// actions (share, comment, reply, follow, trust, refer, mention, edit,
// answer, vote) name a peer in their own community about nine times in ten,
// preferring a few friends and the community's most active members, while
// the bridges of [Truth.Bridges] link several communities. Activity per
// customer follows a capped Pareto law (tail index 1.3). Each action goes
// through a channel with its own time-of-day profile (mobile and app in the
// evening, store and call centre in opening hours, email in the morning).
// Items are drawn from a Zipf law over a shuffled catalogue, so a long tail
// of rarely touched items exists. A rank-8 latent taste model (customer and
// item factors plus biases) drives which items customers pick, their
// ratings and review scores (1-5), how long they dwell, and whether they
// accept a shown recommendation. Every action of [Vocabulary] occurs once
// there are enough events (a few thousand).
//
// Work is spread over Workers goroutines, each customer with its own random
// stream derived from Seed, and emitted in customer order, so the output
// depends only on the options. Memory is bounded by a few blocks of about
// 16k events each plus the per-customer setup arrays.
func Generate(ctx context.Context, opt GenerateOptions, sink GenSink) (Truth, error) {
	opt, err := opt.withDefaults()
	if err != nil {
		return Truth{}, err
	}
	g := newGenModel(opt)
	truth := g.truth()
	for i := range g.n {
		if i%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return truth, err
			}
		}
		if err := sink.Customer(g.attr(i)); err != nil {
			return truth, fmt.Errorf("generate: customer %s: %w", g.custIDs.at(i), err)
		}
	}

	var counts [genNumActions]int64
	err = inOrder(ctx, opt.Workers, len(g.blocks)-1,
		func() *genWorker { return &genWorker{g: g} },
		func(w *genWorker, b int, blk *genBlock) { w.block(ctx, g.blocks[b], g.blocks[b+1], blk) },
		func(blk *genBlock) error {
			if blk.err != nil {
				return blk.err
			}
			for _, c := range blk.consents {
				if err := sink.Consent(c); err != nil {
					return fmt.Errorf("generate: consent of %s: %w", c.Customer, err)
				}
			}
			if len(blk.events) > 0 {
				if err := sink.Events(blk.events); err != nil {
					return fmt.Errorf("generate: events: %w", err)
				}
			}
			for a, c := range blk.counts {
				counts[a] += c
			}
			return nil
		})
	for a, c := range counts {
		truth.Actions[genActionNames[a]] = c
	}
	return truth, err
}

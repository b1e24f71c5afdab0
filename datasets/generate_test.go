package datasets

import (
	"context"
	"encoding/binary"
	"errors"
	"hash"
	"hash/fnv"
	"math"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"
)

// memGenSink keeps everything Generate emits.
type memGenSink struct {
	customers []Attr
	consents  []Consent
	events    []Event
}

func (s *memGenSink) Customer(a Attr) error   { s.customers = append(s.customers, a); return nil }
func (s *memGenSink) Consent(c Consent) error { s.consents = append(s.consents, c); return nil }
func (s *memGenSink) Events(b []Event) error  { s.events = append(s.events, b...); return nil }

// hashGenSink hashes everything Generate emits, field by field.
type hashGenSink struct{ h hash.Hash64 }

func (s *hashGenSink) str(x string) {
	var b [4]byte
	binary.LittleEndian.PutUint32(b[:], uint32(len(x)))
	s.h.Write(b[:])
	s.h.Write([]byte(x))
}

func (s *hashGenSink) num(x uint64) {
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], x)
	s.h.Write(b[:])
}

func (s *hashGenSink) Customer(a Attr) error {
	s.str(a.ID)
	for _, k := range []string{"segment", "region", "age_band", "planted_community"} {
		s.str(a.Attrs[k])
	}
	return nil
}

func (s *hashGenSink) Consent(c Consent) error {
	s.str(c.Customer)
	s.str(c.Purpose)
	s.str(strconv.FormatBool(c.Granted))
	s.num(uint64(c.At))
	return nil
}

func (s *hashGenSink) Events(b []Event) error {
	for i := range b {
		e := &b[i]
		s.num(e.ID)
		s.num(uint64(e.At))
		s.str(e.Customer)
		s.str(e.Action)
		s.str(e.Channel)
		s.str(e.Item)
		s.str(e.Peer)
		s.num(math.Float64bits(e.Value))
	}
	return nil
}

var testGen = struct {
	once  sync.Once
	sink  memGenSink
	truth Truth
	err   error
}{}

// testGenerated is one 2,000-customer run shared by the read-only tests.
func testGenerated(t testing.TB) (*memGenSink, Truth) {
	t.Helper()
	testGen.once.Do(func() {
		testGen.truth, testGen.err = Generate(context.Background(), GenerateOptions{Customers: 2000, Seed: 42}, &testGen.sink)
	})
	if testGen.err != nil {
		t.Fatal(testGen.err)
	}
	return &testGen.sink, testGen.truth
}

func TestGenerateIsDeterministic(t *testing.T) {
	run := func(opt GenerateOptions) uint64 {
		s := &hashGenSink{h: fnv.New64a()}
		if _, err := Generate(context.Background(), opt, s); err != nil {
			t.Fatal(err)
		}
		return s.h.Sum64()
	}
	base := GenerateOptions{Customers: 1500, Seed: 9, Workers: 1}
	a := run(base)
	t.Run("the same seed gives the same output with one or three workers", func(t *testing.T) {
		o := base
		o.Workers = 3
		if b := run(o); a != b {
			t.Fatalf("hash %x with 1 worker, %x with 3", a, b)
		}
	})
	t.Run("another seed gives another output", func(t *testing.T) {
		o := base
		o.Seed = 10
		if b := run(o); a == b {
			t.Fatal("seeds 9 and 10 gave the same output")
		}
	})
}

func TestGenerateOptions(t *testing.T) {
	tests := []struct {
		name                        string
		opt                         GenerateOptions
		events                      int64
		items, communities, custCnt int
	}{
		{"the defaults scale with the customers", GenerateOptions{Customers: 3000}, 150000, 750, 6, 3000},
		{"small runs keep at least 500 items and 4 communities", GenerateOptions{Customers: 100, EventsPerCustomer: 3}, 300, 500, 4, 100},
		{"an events target is met exactly", GenerateOptions{Customers: 300, Events: 12345}, 12345, 500, 4, 300},
		{"explicit sizes are kept", GenerateOptions{Customers: 400, Items: 50, Communities: 7, Events: 999}, 999, 50, 7, 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s memGenSink
			tr, err := Generate(context.Background(), tt.opt, &s)
			if err != nil {
				t.Fatal(err)
			}
			if int64(len(s.events)) != tt.events || tr.Events != tt.events {
				t.Errorf("%d events emitted, truth says %d, want %d", len(s.events), tr.Events, tt.events)
			}
			if tr.Items != tt.items || tr.Communities != tt.communities || len(s.customers) != tt.custCnt {
				t.Errorf("items %d communities %d customers %d, want %d %d %d", tr.Items, tr.Communities, len(s.customers), tt.items, tt.communities, tt.custCnt)
			}
			items := map[string]bool{}
			for i := range s.events {
				if it := s.events[i].Item; it != "" {
					items[it] = true
				}
			}
			if len(items) > tt.items {
				t.Errorf("%d distinct items used, catalogue has %d", len(items), tt.items)
			}
		})
	}
	t.Run("a span shorter than a day is refused", func(t *testing.T) {
		start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
		_, err := Generate(context.Background(), GenerateOptions{Customers: 10, Start: start, End: start.Add(time.Hour)}, &memGenSink{})
		if err == nil {
			t.Fatal("no error")
		}
	})
}

func TestGenerateCoversTheVocabulary(t *testing.T) {
	s, tr := testGenerated(t)
	seen := map[string]int64{}
	for i := range s.events {
		e := &s.events[i]
		seen[e.Action]++
		a, ok := LookupAction(e.Action)
		if !ok {
			t.Fatalf("event %d has action %q outside the vocabulary", i, e.Action)
		}
		if a.Peer != (e.Peer != "") {
			t.Fatalf("event %d: action %s with peer %q", i, e.Action, e.Peer)
		}
		if e.Peer == e.Customer {
			t.Fatalf("event %d: %s names itself as peer", i, e.Customer)
		}
		if a.Value == "" && e.HasValue {
			t.Fatalf("event %d: action %s has a value but the vocabulary gives it none", i, e.Action)
		}
		if e.ID != EventID("events", e) {
			t.Fatalf("event %d: id %x is not EventID", i, e.ID)
		}
		if !slices.Contains(Channels, e.Channel) {
			t.Fatalf("event %d: channel %q", i, e.Channel)
		}
	}
	for _, name := range ActionNames() {
		t.Run(name+" occurs and is counted in the truth", func(t *testing.T) {
			if seen[name] == 0 {
				t.Errorf("no %s event", name)
			}
			if tr.Actions[name] != seen[name] {
				t.Errorf("truth counts %d, emitted %d", tr.Actions[name], seen[name])
			}
		})
	}
	t.Run("ratings and review scores are whole numbers 1 to 5", func(t *testing.T) {
		var hist [6]int
		for i := range s.events {
			e := &s.events[i]
			if e.Action == "rate" || e.Action == "review" {
				if !e.HasValue || e.Value < 1 || e.Value > 5 || e.Value != math.Trunc(e.Value) {
					t.Fatalf("%s value %v", e.Action, e.Value)
				}
				hist[int(e.Value)]++
			}
		}
		for v := 1; v <= 5; v++ {
			if hist[v] == 0 {
				t.Errorf("no rating %d in %v", v, hist[1:])
			}
		}
	})
	t.Run("accept and dismiss follow a show of the same item", func(t *testing.T) {
		shown := map[[2]string]int{} // customer, item → shows not yet answered
		for i := range s.events {
			e := &s.events[i]
			k := [2]string{e.Customer, e.Item}
			switch e.Action {
			case "show_recommendation":
				shown[k]++
			case "accept_recommendation", "dismiss_recommendation":
				if shown[k] == 0 {
					t.Fatalf("event %d: %s of %s without a show", i, e.Action, e.Item)
				}
				shown[k]--
			}
		}
	})
	t.Run("returns follow a purchase of the same item and refund its price", func(t *testing.T) {
		paid := map[[2]string]float64{}
		for i := range s.events {
			e := &s.events[i]
			k := [2]string{e.Customer, e.Item}
			switch e.Action {
			case "purchase":
				paid[k] = e.Value
			case "return":
				if p, ok := paid[k]; !ok || p != e.Value {
					t.Fatalf("event %d: return of %s for %v, paid %v (%v)", i, e.Item, e.Value, p, ok)
				}
			}
		}
	})
}

func TestGenerateConsentMix(t *testing.T) {
	s, tr := testGenerated(t)
	n := float64(len(s.customers))
	type state struct {
		records                         int
		analytics, personalization      bool
		grantedThenRevoked, firstRecord bool
		firstAt                         int64
	}
	st := map[string]*state{}
	for _, c := range s.consents {
		x := st[c.Customer]
		if x == nil {
			x = &state{firstAt: c.At}
			st[c.Customer] = x
		}
		x.records++
		switch c.Purpose {
		case "analytics":
			if x.analytics && !c.Granted {
				x.grantedThenRevoked = true
			}
			x.analytics = c.Granted
		case "personalization":
			x.personalization = c.Granted
		default:
			t.Fatalf("purpose %q", c.Purpose)
		}
	}
	var refuseA, refuseP, revoked, both int
	for _, x := range st {
		switch {
		case x.grantedThenRevoked:
			revoked++
		case !x.analytics:
			refuseA++
		case !x.personalization:
			refuseP++
		default:
			both++
		}
	}
	tests := []struct {
		name       string
		got        int
		share, tol float64
		truth      int
	}{
		{"about 3% refuse analytics", refuseA, 0.03, 0.01, len(tr.AnalyticsRefused)},
		{"about 5% refuse personalization only", refuseP, 0.05, 0.012, len(tr.PersonalizationRefused)},
		{"about 1% grant then revoke analytics", revoked, 0.01, 0.006, len(tr.AnalyticsRevoked)},
		{"the rest grant both", both, 0.91, 0.02, len(s.customers) - len(tr.AnalyticsRefused) - len(tr.PersonalizationRefused) - len(tr.AnalyticsRevoked)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := float64(tt.got) / n; math.Abs(got-tt.share) > tt.tol {
				t.Errorf("share %.4f, want %.3f ± %.3f", got, tt.share, tt.tol)
			}
			if tt.got != tt.truth {
				t.Errorf("ledger says %d, truth %d", tt.got, tt.truth)
			}
		})
	}
	t.Run("every customer has a consent record at or before their first event", func(t *testing.T) {
		if len(st) != len(s.customers) {
			t.Fatalf("%d customers with consents, %d customers", len(st), len(s.customers))
		}
		for i := range s.events {
			e := &s.events[i]
			if e.At < st[e.Customer].firstAt {
				t.Fatalf("%s acts at %d before consenting at %d", e.Customer, e.At, st[e.Customer].firstAt)
			}
		}
	})
	t.Run("refusers' events are generated all the same", func(t *testing.T) {
		refusers := map[string]bool{}
		for _, c := range tr.AnalyticsRefused {
			refusers[c] = true
		}
		var n int
		for i := range s.events {
			if refusers[s.events[i].Customer] {
				n++
			}
		}
		if n == 0 {
			t.Error("no events of analytics refusers")
		}
	})
}

func TestGenerateCommunities(t *testing.T) {
	s, tr := testGenerated(t)
	comm := map[string]string{}
	for _, a := range s.customers {
		comm[a.ID] = a.Attrs["planted_community"]
		if got := strconv.Itoa(tr.Community[a.ID]); got != comm[a.ID] {
			t.Fatalf("%s: attribute %s, truth %s", a.ID, comm[a.ID], got)
		}
	}
	isBridge := map[string]bool{}
	for _, b := range tr.Bridges {
		isBridge[b] = true
	}
	var intra, links int
	reach := map[string]map[string]bool{}
	for i := range s.events {
		e := &s.events[i]
		if e.Peer == "" {
			continue
		}
		links++
		if comm[e.Customer] == comm[e.Peer] {
			intra++
		}
		if isBridge[e.Customer] {
			if reach[e.Customer] == nil {
				reach[e.Customer] = map[string]bool{}
			}
			reach[e.Customer][comm[e.Peer]] = true
		}
	}
	t.Run("at least 80% of peer links stay inside a community", func(t *testing.T) {
		share := float64(intra) / float64(links)
		t.Logf("%d peer links, %.3f intra-community", links, share)
		if share < 0.8 {
			t.Errorf("intra share %.3f", share)
		}
	})
	t.Run("there are bridges and each reaches at least three communities", func(t *testing.T) {
		if len(tr.Bridges) < 4 {
			t.Fatalf("%d bridges", len(tr.Bridges))
		}
		for _, b := range tr.Bridges {
			if len(reach[b]) < 3 {
				t.Errorf("bridge %s reaches %d communities", b, len(reach[b]))
			}
			if len(reach[b]) != len(tr.BridgeCommunities[b]) {
				t.Errorf("bridge %s reaches %d communities, truth says %d", b, len(reach[b]), len(tr.BridgeCommunities[b]))
			}
		}
	})
	t.Run("every community has members", func(t *testing.T) {
		size := map[string]int{}
		for _, c := range comm {
			size[c]++
		}
		if len(size) != tr.Communities {
			t.Fatalf("%d communities used, truth says %d", len(size), tr.Communities)
		}
	})
}

func TestGenerateActivityIsHeavyTailed(t *testing.T) {
	s, _ := testGenerated(t)
	per := map[string]int{}
	for i := range s.events {
		per[s.events[i].Customer]++
	}
	counts := make([]int, 0, len(s.customers))
	for _, a := range s.customers {
		counts = append(counts, per[a.ID])
	}
	slices.Sort(counts)
	slices.Reverse(counts)
	top := 0
	for _, c := range counts[:len(counts)/10] {
		top += c
	}
	share := float64(top) / float64(len(s.events))
	t.Logf("top 10%% of customers: %.3f of events; most active %d, median %d", share, counts[0], counts[len(counts)/2])
	if share < 0.4 {
		t.Errorf("top 10%% share %.3f, want at least 0.4", share)
	}
}

func TestGenerateItemsHaveALongTail(t *testing.T) {
	s, tr := testGenerated(t)
	per := map[string]int{}
	var total int
	for i := range s.events {
		if it := s.events[i].Item; it != "" {
			per[it]++
			total++
		}
	}
	counts := make([]int, 0, len(per))
	for _, c := range per {
		counts = append(counts, c)
	}
	slices.Sort(counts)
	slices.Reverse(counts)
	share := func(from, to int) float64 {
		n := 0
		for _, c := range counts[from:to] {
			n += c
		}
		return float64(n) / float64(total)
	}
	head, tail := share(0, tr.Items/100), share(tr.Items/2, len(counts))
	t.Logf("%d items, %d touched: top 1%% take %.3f of item events, bottom half %.3f", tr.Items, len(per), head, tail)
	if head < 0.15 {
		t.Errorf("top 1%% of items take %.3f of item events, want a popular head of at least 0.15", head)
	}
	if tail > 0.15 {
		t.Errorf("bottom half of items take %.3f of item events, want a long thin tail under 0.15", tail)
	}
	if len(per) < tr.Items/2 {
		t.Errorf("only %d of %d items touched, want a back-catalogue that is used", len(per), tr.Items)
	}
}

func TestGenerateTimes(t *testing.T) {
	s, tr := testGenerated(t)
	lo, hi := tr.Start.UnixMicro(), tr.End.UnixMicro()
	var hours [genNumChannels][24]int
	chIdx := map[string]int{}
	for i, c := range Channels {
		chIdx[c] = i
	}
	for i := range s.events {
		e := &s.events[i]
		if !e.HasAt || e.At < lo || e.At >= hi || e.At%1e6 != 0 {
			t.Fatalf("event %d at %d outside [%d, %d) or not whole seconds", i, e.At, lo, hi)
		}
		if i > 0 && s.events[i-1].Customer == e.Customer && s.events[i-1].At >= e.At {
			t.Fatalf("event %d of %s not after the previous one", i, e.Customer)
		}
		hours[chIdx[e.Channel]][time.UnixMicro(e.At).UTC().Hour()]++
	}
	share := func(ch int, from, to int) float64 {
		var in, all int
		for h, c := range hours[ch] {
			all += c
			if h >= from && h < to {
				in += c
			}
		}
		return float64(in) / float64(all)
	}
	t.Run("stores and the call centre are busy only in opening hours", func(t *testing.T) {
		if got := share(chStore, 9, 21); got < 0.99 {
			t.Errorf("store share in 09-21h %.3f", got)
		}
		if got := share(chCall, 8, 20); got < 0.99 {
			t.Errorf("call centre share in 08-20h %.3f", got)
		}
	})
	t.Run("mobile is an evening channel, web a daytime one", func(t *testing.T) {
		m, w := share(chMobile, 18, 24), share(chWeb, 18, 24)
		t.Logf("evening share: mobile %.3f, web %.3f", m, w)
		if m < w+0.15 {
			t.Errorf("mobile evening share %.3f not well above web's %.3f", m, w)
		}
	})
}

func TestGenerateTaste(t *testing.T) {
	// Customers who rate an item above their own average should also
	// accept it more often when it is recommended: both follow the latent
	// taste, so a model of one predicts the other.
	s, _ := testGenerated(t)
	itemSum, itemN := map[string]float64{}, map[string]float64{}
	for i := range s.events {
		if e := &s.events[i]; e.Action == "rate" {
			itemSum[e.Item] += e.Value
			itemN[e.Item]++
		}
	}
	// Split-half reliability: if items differ in appeal, an item's mean
	// rating among odd-numbered customers predicts its mean among
	// even-numbered ones; if ratings were noise, it would not.
	var half [2]map[string][2]float64
	for h := range half {
		half[h] = map[string][2]float64{}
	}
	for i := range s.events {
		if e := &s.events[i]; e.Action == "rate" || e.Action == "review" {
			h := int(e.Customer[len(e.Customer)-1]-'0') % 2
			x := half[h][e.Item]
			half[h][e.Item] = [2]float64{x[0] + e.Value, x[1] + 1}
		}
	}
	var xs, ys []float64
	for it, a := range half[0] {
		if b := half[1][it]; a[1] >= 4 && b[1] >= 4 {
			xs, ys = append(xs, a[0]/a[1]), append(ys, b[0]/b[1])
		}
	}
	t.Run("item mean ratings agree between two halves of the customers", func(t *testing.T) {
		r := correlation(xs, ys)
		t.Logf("%d items rated at least 4 times in each half: split-half correlation %.3f", len(xs), r)
		if len(xs) < 50 || r < 0.3 {
			t.Errorf("split-half correlation %.3f over %d items", r, len(xs))
		}
	})
	t.Run("accepted recommendations are of better-rated items", func(t *testing.T) {
		var acc, dis []float64
		for i := range s.events {
			e := &s.events[i]
			if itemN[e.Item] < 5 {
				continue
			}
			switch e.Action {
			case "accept_recommendation":
				acc = append(acc, itemSum[e.Item]/itemN[e.Item])
			case "dismiss_recommendation":
				dis = append(dis, itemSum[e.Item]/itemN[e.Item])
			}
		}
		ma, _ := meanSD(acc)
		md, _ := meanSD(dis)
		t.Logf("mean rating of accepted items %.3f (%d), dismissed %.3f (%d)", ma, len(acc), md, len(dis))
		if ma <= md+0.05 {
			t.Errorf("accepted %.3f, dismissed %.3f", ma, md)
		}
	})
}

func correlation(x, y []float64) float64 {
	mx, sx := meanSD(x)
	my, sy := meanSD(y)
	var c float64
	for i := range x {
		c += (x[i] - mx) * (y[i] - my)
	}
	return c / float64(len(x)) / (sx * sy)
}

func meanSD(x []float64) (float64, float64) {
	var s, ss float64
	for _, v := range x {
		s += v
	}
	m := s / float64(len(x))
	for _, v := range x {
		ss += (v - m) * (v - m)
	}
	return m, math.Sqrt(ss / float64(len(x)))
}

// stopGenSink fails after a few batches.
type stopGenSink struct {
	memGenSink
	batches int
	cancel  func()
}

var errStop = errors.New("stop")

func (s *stopGenSink) Events(b []Event) error {
	s.batches++
	if s.batches == 3 {
		if s.cancel != nil {
			s.cancel()
			return nil
		}
		return errStop
	}
	return nil
}

func TestGenerateStops(t *testing.T) {
	opt := GenerateOptions{Customers: 20000, Events: 2_000_000}
	t.Run("a sink error stops the run and is returned", func(t *testing.T) {
		_, err := Generate(context.Background(), opt, &stopGenSink{})
		if !errors.Is(err, errStop) {
			t.Fatalf("error %v", err)
		}
	})
	t.Run("a cancelled context stops the run promptly", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		s := &stopGenSink{cancel: cancel}
		begin := time.Now()
		_, err := Generate(ctx, opt, s)
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("error %v", err)
		}
		if s.batches > 3+4*8 {
			t.Errorf("%d batches after cancelling at the third", s.batches)
		}
		if d := time.Since(begin); d > 5*time.Second {
			t.Errorf("took %s", d)
		}
	})
}

func TestGenActionsMatchTheVocabulary(t *testing.T) {
	got := slices.Clone(genActionNames[:])
	slices.Sort(got)
	if !slices.Equal(got, ActionNames()) {
		t.Fatalf("generator actions %v\nvocabulary %v", got, ActionNames())
	}
}

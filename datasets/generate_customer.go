package datasets

import (
	"context"
	"math"
	"math/rand/v2"
	"slices"
)

// This file generates one customer's events: what they do (strategy mix),
// where (channel preferences), when (join day, channel time-of-day
// profiles), on what (Zipf items steered by taste) and with whom (friends,
// community, bridges).

// Actions in generator order; genActionNames gives their vocabulary names.
const (
	gVisit = iota
	gLogin
	gAppOpen
	gSearch
	gCall
	gView
	gWatch
	gRead
	gClick
	gDwell
	gRate
	gSetPref
	gShowRec
	gAcceptRec
	gDismissRec
	gShare
	gComment
	gReply
	gFollow
	gTrust
	gRefer
	gMention
	gReview
	gContribute
	gEdit
	gAnswer
	gVote
	gIdea
	gPurchase
	gReturn
	genNumActions
)

var genActionNames = [genNumActions]string{
	"visit", "login", "app_open", "search", "call",
	"view", "watch", "read", "click", "dwell",
	"rate", "set_preference", "show_recommendation", "accept_recommendation", "dismiss_recommendation",
	"share", "comment", "reply", "follow", "trust", "refer", "mention", "review",
	"contribute", "edit", "answer", "vote", "idea",
	"purchase", "return",
}

// Channel indices, in the order of [Channels].
const (
	chWeb = iota
	chMobile
	chApp
	chStore
	chCall
	chEmail
	genNumChannels
)

// genHours is each channel's relative activity per hour of the day (UTC).
var genHours = [genNumChannels][24]float64{
	chWeb:    {1, 1, 1, 1, 1, 2, 3, 5, 7, 9, 10, 10, 9, 9, 9, 8, 8, 7, 6, 6, 5, 4, 3, 2},
	chMobile: {2, 1, 1, 1, 1, 1, 2, 5, 6, 4, 3, 3, 4, 3, 3, 3, 4, 6, 8, 11, 12, 11, 8, 4},
	chApp:    {2, 1, 1, 1, 1, 1, 1, 3, 4, 3, 3, 3, 5, 3, 3, 3, 3, 5, 7, 10, 12, 11, 8, 4},
	chStore:  {0, 0, 0, 0, 0, 0, 0, 0, 0, 4, 6, 8, 10, 9, 7, 7, 8, 9, 8, 6, 3, 0, 0, 0},
	chCall:   {0, 0, 0, 0, 0, 0, 0, 0, 6, 10, 10, 8, 6, 7, 9, 9, 7, 5, 3, 2, 0, 0, 0, 0},
	chEmail:  {1, 1, 1, 1, 1, 1, 4, 9, 10, 8, 6, 5, 5, 4, 4, 4, 3, 3, 3, 3, 3, 2, 2, 1},
}

var genHourCum = func() (out [genNumChannels][24]float64) {
	for c := range genHours {
		copy(out[c][:], cumulative(genHours[c][:]))
	}
	return out
}()

// genDigital is the web/mobile/app preference per age band.
var genDigital = [][3]float64{
	{0.20, 0.50, 0.30}, {0.25, 0.45, 0.30}, {0.35, 0.35, 0.30},
	{0.45, 0.30, 0.25}, {0.55, 0.25, 0.20}, {0.65, 0.20, 0.15},
}

// Strategy groups for sampling, and the mean customer's mix.
const (
	sAccess = iota
	sEngage
	sCustomize
	sConnect
	sCollaborate
	sCommerce
	genNumStrategies
)

var genStratBase = [genNumStrategies]float64{0.22, 0.36, 0.12, 0.14, 0.06, 0.10}

type genChoice struct {
	act int
	w   float64
}

// genStratActions lists the actions drawn directly within each strategy;
// accept/dismiss_recommendation and return only follow a show or purchase.
var genStratActions = [genNumStrategies][]genChoice{
	sAccess:      {{gVisit, .35}, {gLogin, .25}, {gAppOpen, .18}, {gSearch, .16}, {gCall, .06}},
	sEngage:      {{gView, .32}, {gWatch, .14}, {gRead, .20}, {gClick, .22}, {gDwell, .12}},
	sCustomize:   {{gRate, .55}, {gSetPref, .12}, {gShowRec, .33}},
	sConnect:     {{gShare, .14}, {gComment, .18}, {gReply, .14}, {gFollow, .16}, {gTrust, .12}, {gRefer, .05}, {gMention, .11}, {gReview, .10}},
	sCollaborate: {{gContribute, .25}, {gEdit, .10}, {gAnswer, .25}, {gVote, .30}, {gIdea, .10}},
	sCommerce:    {{gPurchase, 1}},
}

var genStratCum = func() (out [genNumStrategies][]float64) {
	for s, cs := range genStratActions {
		w := make([]float64, len(cs))
		for i, c := range cs {
			w[i] = c.w
		}
		out[s] = cumulative(w)
	}
	return out
}()

const genReturnShare = 0.08 // purchases followed by a return

// genSlot is one event before it gets its strings.
type genSlot struct {
	at       int64 // seconds since the epoch
	value    float64
	item     int32 // -1 when none
	peer     int32 // -1 when none
	act      uint8
	ch       uint8
	hasValue bool
}

// genBlock is the output of one block of customers.
type genBlock struct {
	events   []Event
	consents []Consent
	counts   [genNumActions]int64
	err      error
}

// genWorker generates customers; one per goroutine.
type genWorker struct {
	g       *genModel
	slots   []genSlot
	friends []int32
	peerSeq int
	c       int32
	u       [genRank]float32
	bu      float32
	mixCum  [genNumStrategies]float64
	digCum  [3]float64
	storeP  float64
	zipf    *rand.Zipf
	idBuf   []byte // eventIDInto's buffer
}

func (w *genWorker) block(ctx context.Context, lo, hi int, blk *genBlock) {
	need := 0
	for _, n := range w.g.count[lo:hi] {
		need += int(n)
	}
	blk.events, blk.consents, blk.err = slices.Grow(blk.events[:0], need), blk.consents[:0], nil
	blk.counts = [genNumActions]int64{}
	for c := lo; c < hi; c++ {
		if (c-lo)%64 == 0 {
			if err := ctx.Err(); err != nil {
				blk.err = err
				return
			}
		}
		w.customer(c, blk)
	}
}

func searchCum(cum []float64, x float64) int {
	lo, hi := 0, len(cum)-1
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if cum[m] > x {
			hi = m
		} else {
			lo = m + 1
		}
	}
	return lo
}

func pick(r *rand.Rand, cum []float64) int {
	return searchCum(cum, r.Float64()*cum[len(cum)-1])
}

func (w *genWorker) customer(c int, blk *genBlock) {
	g := w.g
	r := genRand(g.opt.Seed, streamCustomer+uint64(c))
	w.c = int32(c)
	n := int(g.count[c])

	for k := range w.u {
		w.u[k] = float32(r.NormFloat64() * genFactorSD)
	}
	w.bu = float32(r.NormFloat64() * 0.3)
	var s float64
	for i, b := range genStratBase {
		x := b * math.Exp(0.5*r.NormFloat64())
		switch {
		case i == sConnect && g.bridge[c] >= 0:
			x *= 8
		case i == sCollaborate && g.bridge[c] >= 0:
			x *= 2
		}
		s += x
		w.mixCum[i] = s
	}
	s = 0
	for i, b := range genDigital[g.age[c]] {
		s += b * math.Exp(0.3*r.NormFloat64())
		w.digCum[i] = s
	}
	w.storeP = 0.2 + 0.05*float64(g.age[c])
	w.zipf = rand.NewZipf(r, 1.1, 3, uint64(g.items-1))

	w.peerSeq = 0
	w.friends = w.friends[:0]
	if g.bridge[c] < 0 {
		for range 4 + r.IntN(9) {
			if r.Float64() < 0.95 {
				w.friends = append(w.friends, g.communityPeer(r, g.comm[c], w.c))
			} else {
				w.friends = append(w.friends, g.anyPeer(r, w.c))
			}
		}
	}

	// Bridges start with a follow into each linked community, so that
	// their reach is certain rather than likely.
	forced := 0
	if b := g.bridge[c]; b >= 0 {
		forced = min(n, len(g.bridgeComm[b]))
	}
	w.slots = w.slots[:0]
	for len(w.slots) < n {
		a := gFollow
		if forced > 0 {
			forced--
		} else {
			st := searchCum(w.mixCum[:], r.Float64()*w.mixCum[genNumStrategies-1])
			a = genStratActions[st][pick(r, genStratCum[st])].act
		}
		w.slot(r, c, a, n-len(w.slots))
	}

	slices.SortFunc(w.slots, func(a, b genSlot) int {
		switch {
		case a.at < b.at:
			return -1
		case a.at > b.at:
			return 1
		}
		return 0
	})
	// Times are strictly increasing within a customer, so no two events
	// of one customer share an id.
	for i := 1; i < len(w.slots); i++ {
		if w.slots[i].at <= w.slots[i-1].at {
			w.slots[i].at = w.slots[i-1].at + 1
		}
	}
	for i := len(w.slots) - 1; i >= 0 && w.slots[i].at >= g.endSec-int64(len(w.slots)-1-i); i-- {
		w.slots[i].at = g.endSec - 1 - int64(len(w.slots)-1-i)
	}

	w.consents(c, blk, r)

	id := g.custIDs.at(c)
	for i := range w.slots {
		sl := &w.slots[i]
		blk.events = append(blk.events, Event{
			At: sl.at * 1e6, HasAt: true, Customer: id, Action: genActionNames[sl.act],
			Channel: Channels[sl.ch], Value: sl.value, HasValue: sl.hasValue,
		})
		e := &blk.events[len(blk.events)-1]
		if sl.item >= 0 {
			e.Item = g.itemIDs.at(int(sl.item))
		}
		if sl.peer >= 0 {
			e.Peer = g.custIDs.at(int(sl.peer))
		}
		e.ID = eventIDInto(&w.idBuf, "events", e)
		blk.counts[sl.act]++
	}
}

func (w *genWorker) consents(c int, blk *genBlock, r *rand.Rand) {
	g := w.g
	first := max(g.startSec, g.baseSec+int64(g.joinDay[c])*genDay)
	if len(w.slots) > 0 {
		first = w.slots[0].at
	}
	id := g.custIDs.at(c)
	rec := func(purpose string, granted bool, at int64) {
		blk.consents = append(blk.consents, Consent{Customer: id, Purpose: purpose, Granted: granted, At: at * 1e6, Source: "generator"})
	}
	role := g.role[c]
	rec("analytics", role != roleRefuseAnalytics, first)
	rec("personalization", role != roleRefuseAnalytics && role != roleRefusePersonalization, first)
	if role == roleRevoke {
		at := first + 1
		if span := g.endSec - first - 1; span > 1 {
			at += r.Int64N(span - 1)
		}
		rec("analytics", false, at)
	}
}

// time draws a time on one of the customer's active days, at an hour
// following the channel's profile.
func (w *genWorker) time(r *rand.Rand, ch int) int64 {
	g := w.g
	join := int(g.joinDay[w.c])
	for try := 0; ; try++ {
		day := join + r.IntN(max(1, g.days-join))
		h := pick(r, genHourCum[ch][:])
		at := g.baseSec + int64(day)*genDay + int64(h)*3600 + r.Int64N(3600)
		if at >= g.startSec && at < g.endSec {
			return at
		}
		if try == 8 {
			return g.startSec + r.Int64N(g.endSec-g.startSec)
		}
	}
}

func (w *genWorker) digital(r *rand.Rand) int {
	return searchCum(w.digCum[:], r.Float64()*w.digCum[2])
}

func (w *genWorker) channel(r *rand.Rand, a int) int {
	switch a {
	case gCall:
		return chCall
	case gAppOpen:
		if r.Float64() < 0.7 {
			return chApp
		}
		return chMobile
	case gView, gClick:
		if r.Float64() < 0.15 {
			return chEmail
		}
	case gPurchase:
		if r.Float64() < w.storeP {
			return chStore
		}
	}
	return w.digital(r)
}

func (w *genWorker) score(i int32) float32 {
	v := w.g.itemVec[int(i)*genRank : int(i)*genRank+genRank]
	s := w.g.itemBias[i]
	for k, x := range w.u {
		s += x * v[k]
	}
	return s
}

// popularItem draws an item by popularity; items are numbered by rank.
func (w *genWorker) popularItem() int32 {
	return int32(w.zipf.Uint64())
}

// tasteItem draws two popular items and keeps the one the customer likes
// better, so consumption carries the taste signal as well as popularity.
func (w *genWorker) tasteItem() (int32, float32) {
	a, b := w.popularItem(), w.popularItem()
	sa, sb := w.score(a), w.score(b)
	if sb > sa {
		return b, sb
	}
	return a, sa
}

func (w *genWorker) rating(r *rand.Rand, score float32) float64 {
	x := 3.6 + float64(w.bu+score) + 0.6*r.NormFloat64()
	return math.Max(1, math.Min(5, math.Round(x)))
}

func (w *genWorker) peer(r *rand.Rand) int32 {
	g := w.g
	if b := g.bridge[w.c]; b >= 0 {
		links := g.bridgeComm[b]
		k := links[w.peerSeq%len(links)]
		w.peerSeq++
		return g.communityPeer(r, k, w.c)
	}
	x := r.Float64()
	switch {
	case x < 0.6 && len(w.friends) > 0:
		return w.friends[r.IntN(len(w.friends))]
	case x < 0.95:
		return g.communityPeer(r, g.comm[w.c], w.c)
	}
	return g.anyPeer(r, w.c)
}

// communityPeer draws a member of community k other than self, the more
// active members more often.
func (g *genModel) communityPeer(r *rand.Rand, k, self int32) int32 {
	mem, cum := g.members[k], g.memberCum[k]
	for range 8 {
		x := r.Float32() * cum[len(cum)-1]
		lo, hi := 0, len(cum)-1
		for lo < hi {
			m := int(uint(lo+hi) >> 1)
			if cum[m] > x {
				hi = m
			} else {
				lo = m + 1
			}
		}
		if p := mem[lo]; p != self {
			return p
		}
	}
	for _, p := range mem {
		if p != self {
			return p
		}
	}
	return g.anyPeer(r, self)
}

func (g *genModel) anyPeer(r *rand.Rand, self int32) int32 {
	p := int32(r.IntN(g.n - 1))
	if p >= self {
		p++
	}
	return p
}

func lognorm(r *rand.Rand, mu, sigma float64) float64 {
	return math.Exp(mu + sigma*r.NormFloat64())
}

// slot appends the event(s) of one draw of action a; left is how many
// slots the customer still has (pairs need two).
func (w *genWorker) slot(r *rand.Rand, c, a, left int) {
	ch := w.channel(r, a)
	s := genSlot{at: w.time(r, ch), act: uint8(a), ch: uint8(ch), item: -1, peer: -1}
	val := func(v float64) { s.value, s.hasValue = v, true }
	switch a {
	case gCall:
		val(math.Round(lognorm(r, 1.6, 0.7)*10) / 10)
	case gView, gRead, gDwell, gWatch:
		it, sc := w.tasteItem()
		s.item = it
		mu, sd, hi := 3.4, 0.9, 3600.0
		switch a {
		case gRead:
			mu, sd = 4.6, 0.8
		case gDwell:
			mu, sd = 4.0, 1.0
		case gWatch:
			mu, sd, hi = 6.5, 1.0, 4*3600
		}
		val(math.Min(hi, math.Max(1, math.Round(lognorm(r, mu, sd)*math.Exp(0.4*float64(sc))))))
	case gClick:
		s.item, _ = w.tasteItem()
	case gRate, gReview:
		it, sc := w.tasteItem()
		s.item = it
		val(w.rating(r, sc))
	case gShowRec:
		s.item = w.popularItem()
		if left >= 2 {
			f := s
			f.hasValue = false
			p := 1 / (1 + math.Exp(-2.5*float64(w.score(s.item))))
			f.act = gDismissRec
			if r.Float64() < p {
				f.act = gAcceptRec
			}
			f.at = s.at + 5 + r.Int64N(600)
			w.pair(&s, &f)
			return
		}
	case gShare, gComment:
		s.peer = w.peer(r)
		s.item, _ = w.tasteItem()
	case gReply, gFollow, gRefer, gMention, gEdit:
		s.peer = w.peer(r)
	case gTrust:
		s.peer = w.peer(r)
		val(float64(3 + r.IntN(3)))
	case gContribute:
		val(math.Max(0, math.Floor(lognorm(r, 1, 1))-1))
	case gAnswer:
		s.peer = w.peer(r)
		val(math.Max(0, math.Floor(lognorm(r, 0.8, 1))-1))
	case gVote:
		s.peer = w.peer(r)
		if r.Float64() < 0.9 {
			val(1)
		} else {
			val(-1)
		}
	case gPurchase:
		s.item, _ = w.tasteItem()
		val(w.g.itemPrice[s.item])
		if left >= 2 && r.Float64() < genReturnShare {
			f := s
			f.act = gReturn
			f.ch = chWeb
			switch x := r.Float64(); {
			case x < 0.5:
				f.ch = chStore
			case x < 0.65:
				f.ch = chCall
			}
			day := (s.at-w.g.baseSec)/genDay + 1 + r.Int64N(30)
			f.at = w.g.baseSec + day*genDay + int64(pick(r, genHourCum[f.ch][:]))*3600 + r.Int64N(3600)
			if f.at >= w.g.endSec {
				f.ch = chWeb
				f.at = s.at + 1 + r.Int64N(max(1, w.g.endSec-s.at-1))
			}
			w.pair(&s, &f)
			return
		}
	}
	w.slots = append(w.slots, s)
}

// pair appends a leader and its follower, keeping the follower later and
// inside the span.
func (w *genWorker) pair(s, f *genSlot) {
	end := w.g.endSec
	if f.at >= end {
		f.at = end - 1
		if s.at >= f.at {
			s.at = f.at - 1
		}
	}
	w.slots = append(w.slots, *s, *f)
}

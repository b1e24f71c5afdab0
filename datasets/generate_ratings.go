package datasets

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
)

// RatingsOptions describes a synthetic explicit-ratings matrix for
// recommender benchmarks. The zero value has the Netflix Prize's shape:
// 480,189 customers, 17,770 items and 100 million ratings.
type RatingsOptions struct {
	// Customers is the number of customers. Zero means 480,189.
	Customers int
	// Items is the number of items. Zero means 17,770.
	Items int
	// Ratings is the exact number of ratings. Zero means 100,000,000. No
	// customer rates an item twice, and no customer rates more than half
	// the items, so Ratings may not exceed Customers × Items / 2.
	Ratings int64
	// Rank is the rank of the planted model. Zero means 10.
	Rank int
	// Noise is the standard deviation of the Gaussian noise added before
	// rounding. Zero means 0.9; a negative value means no noise.
	Noise float64
	// Days is the number of days ratings spread over. Zero means 2,243
	// (the Netflix Prize's span).
	Days int
	// BatchSize is the target number of ratings per batch (a batch holds
	// whole customers, so it can be larger when one customer rates more).
	// Zero means 65,536.
	BatchSize int
	// Seed seeds every random choice; the same options give the same
	// batches, whatever Workers is.
	Seed uint64
	// Workers bounds the generating goroutines. Zero means GOMAXPROCS.
	Workers int
}

// RatingBatch is a run of ratings in columns of equal length, grouped by
// customer in customer order. Rating is 1..5 in whole steps; Day counts
// from 0.
type RatingBatch struct {
	Customer []int32
	Item     []int32
	Rating   []float32
	Day      []int32
}

// Len returns the number of ratings in the batch.
func (b RatingBatch) Len() int { return len(b.Customer) }

// RatingsModel is the planted model behind [GenerateRatings]: a rating of
// customer c for item i is Mean + CustomerBias[c] + ItemBias[i] + the dot
// product of the customer's and the item's factors, plus noise, rounded and
// clipped to 1..5. Factors are row-major, Rank values per row.
type RatingsModel struct {
	Rank            int
	Mean            float32
	CustomerBias    []float32
	ItemBias        []float32
	CustomerFactors []float32
	ItemFactors     []float32
	// Count is the number of ratings of each customer.
	Count []int32
}

// Score returns the model's noiseless, unclipped rating of item i by
// customer c.
func (m *RatingsModel) Score(c, i int32) float32 {
	cu := m.CustomerFactors[int(c)*m.Rank : int(c)*m.Rank+m.Rank]
	it := m.ItemFactors[int(i)*m.Rank : int(i)*m.Rank+m.Rank]
	s := m.Mean + m.CustomerBias[c] + m.ItemBias[i]
	for k, x := range cu {
		s += x * it[k]
	}
	return s
}

func (o RatingsOptions) withDefaults() (RatingsOptions, error) {
	if o.Customers == 0 {
		o.Customers = 480189
	}
	if o.Items == 0 {
		o.Items = 17770
	}
	if o.Ratings == 0 {
		o.Ratings = 100_000_000
	}
	if o.Rank == 0 {
		o.Rank = 10
	}
	if o.Noise == 0 {
		o.Noise = 0.9
	}
	o.Noise = max(0, o.Noise)
	if o.Days == 0 {
		o.Days = 2243
	}
	if o.BatchSize == 0 {
		o.BatchSize = 1 << 16
	}
	if o.Workers <= 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	switch {
	case o.Customers < 1 || o.Items < 2 || o.Rank < 1 || o.Days < 1 || o.BatchSize < 1 || o.Ratings < 0:
		return o, errors.New("generate ratings: customers, items, rank, days and batch size must be positive")
	case o.Ratings > int64(o.Customers)*int64(o.Items/2):
		return o, fmt.Errorf("generate ratings: %d ratings do not fit %d customers rating at most %d items each", o.Ratings, o.Customers, o.Items/2)
	}
	return o, nil
}

// GenerateRatings streams a synthetic ratings matrix to emit, batch by
// batch in customer order, and returns the planted model.
//
// Customer activity is log-normal (σ = 1.2, so the median customer rates
// about half the mean and the top tenth give close to half the ratings),
// capped at half the catalogue. Items are drawn from a mixture of a Zipf
// law (s = 1.1, v = 50, 85%) over a shuffled catalogue and a uniform draw
// (15%), without repeats within a customer. Ratings follow the low-rank
// model of [RatingsModel] with factors N(0, σ²) where σ⁴·Rank = 0.36 (so
// the dot product's standard deviation is 0.6), customer biases N(0, 0.4²),
// item biases N(0, 0.5²), and mean 3.6. Days are uniform over each
// customer's active window.
//
// Memory holds the model and a few batches per worker. emit is called from
// one goroutine and must not keep the batch's slices.
func GenerateRatings(ctx context.Context, opt RatingsOptions, emit func(batch RatingBatch) error) (*RatingsModel, error) {
	opt, err := opt.withDefaults()
	if err != nil {
		return nil, err
	}
	n, m, R := opt.Customers, opt.Items, opt.Rank
	r := genRand(opt.Seed, streamSetup)
	sd := math.Sqrt(math.Sqrt(0.36 / float64(R)))
	model := &RatingsModel{Rank: R, Mean: 3.6,
		CustomerBias: make([]float32, n), ItemBias: make([]float32, m),
		CustomerFactors: make([]float32, n*R), ItemFactors: make([]float32, m*R),
		Count: make([]int32, n)}
	for i := range model.CustomerFactors {
		model.CustomerFactors[i] = float32(r.NormFloat64() * sd)
	}
	for i := range model.ItemFactors {
		model.ItemFactors[i] = float32(r.NormFloat64() * sd)
	}
	for i := range model.CustomerBias {
		model.CustomerBias[i] = float32(r.NormFloat64() * 0.4)
	}
	for i := range model.ItemBias {
		model.ItemBias[i] = float32(r.NormFloat64() * 0.5)
	}
	popular := make([]int32, m)
	for i, p := range r.Perm(m) {
		popular[i] = int32(p)
	}

	// Activity: log-normal weights, exact total, capped at half the items.
	act := make([]float64, n)
	var W float64
	for i := range act {
		act[i] = math.Exp(1.2 * r.NormFloat64())
		W += act[i]
	}
	limit := int32(m / 2)
	var cum float64
	var prev, excess int64
	for i := range act {
		cum += act[i]
		next := int64(math.Floor(float64(opt.Ratings) * cum / W))
		if i == n-1 {
			next = opt.Ratings
		}
		c := next - prev
		prev = next
		if c > int64(limit) {
			excess += c - int64(limit)
			c = int64(limit)
		}
		model.Count[i] = int32(c)
	}
	for i := 0; excess > 0; i = (i + 1) % n {
		if model.Count[i] < limit {
			model.Count[i]++
			excess--
		}
	}

	// Blocks of whole customers of about BatchSize ratings.
	blocks := []int{0}
	var inBlock int
	for i := range n {
		if inBlock > 0 && inBlock+int(model.Count[i]) > opt.BatchSize {
			blocks = append(blocks, i)
			inBlock = 0
		}
		inBlock += int(model.Count[i])
	}
	blocks = append(blocks, n)

	err = inOrder(ctx, opt.Workers, len(blocks)-1,
		func() *ratingsWorker {
			return &ratingsWorker{opt: opt, model: model, popular: popular, seen: make([]int32, m)}
		},
		func(w *ratingsWorker, b int, out *RatingBatch) { w.block(blocks[b], blocks[b+1], out) },
		func(b *RatingBatch) error {
			if err := emit(*b); err != nil {
				return fmt.Errorf("generate ratings: %w", err)
			}
			return nil
		})
	if err != nil {
		return nil, err
	}
	return model, nil
}

type ratingsWorker struct {
	opt     RatingsOptions
	model   *RatingsModel
	popular []int32
	seen    []int32 // customer+1 that last drew each item
}

func (w *ratingsWorker) block(lo, hi int, b *RatingBatch) {
	need := 0
	for _, n := range w.model.Count[lo:hi] {
		need += int(n)
	}
	b.Customer, b.Item = slices.Grow(b.Customer[:0], need), slices.Grow(b.Item[:0], need)
	b.Rating, b.Day = slices.Grow(b.Rating[:0], need), slices.Grow(b.Day[:0], need)
	m, R := int32(len(w.popular)), w.model.Rank
	noise := w.opt.Noise
	for c := lo; c < hi; c++ {
		r := genRand(w.opt.Seed, streamCustomer+uint64(c))
		zipf := rand.NewZipf(r, 1.1, 50, uint64(m-1))
		mark := int32(c + 1)
		first := int32(r.IntN(max(1, w.opt.Days*9/10)))
		span := int32(w.opt.Days) - first
		cu := w.model.CustomerFactors[c*R : c*R+R]
		base := w.model.Mean + w.model.CustomerBias[c]
		for range w.model.Count[c] {
			var it int32 = -1
			for range 16 {
				var cand int32
				if r.Float64() < 0.85 {
					cand = w.popular[zipf.Uint64()]
				} else {
					cand = int32(r.IntN(int(m)))
				}
				if w.seen[cand] != mark {
					it = cand
					break
				}
			}
			if it < 0 { // crowded: take the next free item from a random start
				it = int32(r.IntN(int(m)))
				for w.seen[it] == mark {
					it++
					if it == m {
						it = 0
					}
				}
			}
			w.seen[it] = mark
			iv := w.model.ItemFactors[int(it)*R : int(it)*R+R]
			s := base + w.model.ItemBias[it]
			for k, x := range cu {
				s += x * iv[k]
			}
			x := math.Round(float64(s) + noise*r.NormFloat64())
			b.Customer = append(b.Customer, int32(c))
			b.Item = append(b.Item, it)
			b.Rating = append(b.Rating, float32(max(1, min(5, x))))
			b.Day = append(b.Day, first+int32(r.IntN(int(span))))
		}
	}
}

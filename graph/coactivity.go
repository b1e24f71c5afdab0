package graph

import (
	"context"
	"fmt"
	"math"
	"slices"
	"sync/atomic"
)

// CoActivityOptions configure [CoActivity]. The zero value gives the
// defaults below.
type CoActivityOptions struct {
	// K is the number of neighbours kept per customer; 0 means 20.
	K int
	// MaxItemDegree, when positive, drops items with more customers than
	// it from the vectors altogether (from both dot products and norms), so
	// a handful of blockbuster items cannot dominate the cost. 0 keeps every
	// item; IDF already gives items every customer touched a weight of 0.
	MaxItemDegree int
	// MinSimilarity drops neighbours whose similarity is not above it;
	// 0 keeps any positive similarity.
	MinSimilarity float64
	// Progress, when not nil, is called as customers complete with the
	// number done and the number of customers. It may be called
	// concurrently from several goroutines.
	Progress func(done, total int)
}

// CoActivity returns the co-activity projection of b: a directed graph on
// the customers with an edge c→d to each of c's K most similar customers
// (ties broken by smaller index), weighted by the cosine similarity of
// their IDF-weighted item vectors:
//
//	x_c[i] = w_ci·log(N/df_i),   sim(c,d) = x_c·x_d / (‖x_c‖·‖x_d‖)
//
// where w_ci is the summed interaction weight, df_i the number of
// customers of item i and N the number of customers with at least one
// interaction (Salton and Buckley, "Term-weighting approaches in automatic
// text retrieval", 1988). Customers without a shared item are not linked.
// Similarity is symmetric but top-K membership is not, so d may be among
// c's neighbours without c being among d's.
//
// The products come from sparse passes over the item→customers inverted
// index, accumulating x_c·x_d into a dense per-goroutine array only for
// customers d that share an item with c: O(Σ_i df_i²) time in total,
// never the dense customer×customer product. Customers are processed in
// parallel on GOMAXPROCS goroutines; the output does not depend on
// scheduling.
func CoActivity(ctx context.Context, b *Bipartite, opts CoActivityOptions) (*Graph, error) {
	k := opts.K
	if k == 0 {
		k = 20
	}
	if k < 0 {
		return nil, fmt.Errorf("co-activity: k %d is negative", k)
	}
	C, g := b.customers, b.g
	base := int32(C)
	// IDF per item (0 for dropped items).
	active := 0
	for c := 0; c < C; c++ {
		if g.outOff[c+1] > g.outOff[c] {
			active++
		}
	}
	idf := make([]float64, b.items)
	for i := range idf {
		v := int(base) + i
		df := int(g.inOff[v+1] - g.inOff[v])
		if df == 0 || (opts.MaxItemDegree > 0 && df > opts.MaxItemDegree) {
			continue
		}
		idf[i] = math.Log(float64(active) / float64(df))
	}
	norm := make([]float64, C)
	for c := 0; c < C; c++ {
		s := 0.0
		for j := g.outOff[c]; j < g.outOff[c+1]; j++ {
			x := g.outW[j] * idf[g.outAdj[j]-base]
			s += x * x
		}
		norm[c] = math.Sqrt(s)
	}
	nbr := make([]int32, C*k)
	sim := make([]float64, C*k)
	cnt := make([]int32, C)
	const block = 256
	var done atomic.Int64
	w := workers()
	scratch := make(chan *coScratch, w)
	for range w {
		scratch <- &coScratch{acc: make([]float64, C), seen: make([]bool, C)}
	}
	err := parallel(ctx, (C+block-1)/block, func(blk int) {
		s := <-scratch
		defer func() { scratch <- s }()
		for c := blk * block; c < min(C, (blk+1)*block); c++ {
			if norm[c] == 0 {
				continue
			}
			for j := g.outOff[c]; j < g.outOff[c+1]; j++ {
				it := g.outAdj[j]
				f := idf[it-base]
				if f == 0 {
					continue
				}
				xc := g.outW[j] * f
				for q := g.inOff[it]; q < g.inOff[it+1]; q++ {
					d := g.inAdj[q]
					if d == int32(c) {
						continue
					}
					if !s.seen[d] {
						s.seen[d] = true
						s.acc[d] = 0
						s.touched = append(s.touched, d)
					}
					s.acc[d] += xc * g.inW[q] * f
				}
			}
			s.top = s.top[:0]
			for _, d := range s.touched {
				v := s.acc[d] / (norm[c] * norm[d])
				s.seen[d] = false
				if v > opts.MinSimilarity && v > 0 {
					s.top = append(s.top, scored{d, v})
				}
			}
			s.touched = s.touched[:0]
			slices.SortFunc(s.top, func(a, b scored) int {
				switch {
				case a.sim > b.sim:
					return -1
				case a.sim < b.sim:
					return 1
				}
				return int(a.node - b.node)
			})
			kk := min(k, len(s.top))
			for i := 0; i < kk; i++ {
				nbr[c*k+i], sim[c*k+i] = s.top[i].node, s.top[i].sim
			}
			cnt[c] = int32(kk)
		}
		if opts.Progress != nil {
			opts.Progress(int(done.Add(int64(min(C, (blk+1)*block)-blk*block))), C)
		}
	})
	if err != nil {
		return nil, fmt.Errorf("co-activity: %w", err)
	}
	m := 0
	for _, x := range cnt {
		m += int(x)
	}
	el := EdgeList{Src: make([]int32, 0, m), Dst: make([]int32, 0, m), W: make([]float64, 0, m)}
	for c := 0; c < C; c++ {
		for i := 0; i < int(cnt[c]); i++ {
			el.Src = append(el.Src, int32(c))
			el.Dst = append(el.Dst, nbr[c*k+i])
			el.W = append(el.W, sim[c*k+i])
		}
	}
	out, err := Build(ctx, C, el)
	if err != nil {
		return nil, fmt.Errorf("co-activity: %w", err)
	}
	return out, nil
}

type scored struct {
	node int32
	sim  float64
}

type coScratch struct {
	acc     []float64
	seen    []bool
	touched []int32
	top     []scored
}

package graph

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"
)

// workers returns the number of goroutines for parallel loops.
func workers() int { return max(1, runtime.GOMAXPROCS(0)) }

// chunks splits rows 0..n-1 into about parts contiguous ranges of similar
// cost, where a row costs 1 plus its number of entries in off. It returns
// the boundaries (first 0, last n).
func chunks(off []int64, parts int) []int {
	n := len(off) - 1
	if n <= 0 {
		return []int{0, 0}
	}
	parts = max(1, min(parts, n))
	total := int64(n) + off[n]
	b := make([]int, 1, parts+1)
	row := 0
	for p := 1; p < parts; p++ {
		target := total * int64(p) / int64(parts)
		for row < n && int64(row)+off[row] < target {
			row++
		}
		if row > b[len(b)-1] {
			b = append(b, row)
		}
	}
	return append(b, n)
}

// parallel runs fn(i) for i in 0..k-1 on up to workers() goroutines,
// handing out indices in order. It stops handing out work once ctx is done
// and returns ctx.Err() in that case.
func parallel(ctx context.Context, k int, fn func(i int)) error {
	w := min(workers(), k)
	if w <= 1 {
		for i := 0; i < k; i++ {
			if err := ctx.Err(); err != nil {
				return err
			}
			fn(i)
		}
		return ctx.Err()
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range w {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= k {
					return
				}
				fn(i)
			}
		}()
	}
	wg.Wait()
	return ctx.Err()
}

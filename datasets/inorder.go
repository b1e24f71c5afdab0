package datasets

import (
	"context"
	"sync"
)

// inOrder makes blocks 0..n-1 on workers goroutines and hands each result
// to consume in block order, so output does not depend on scheduling.
// newWorker gives each goroutine its own state; produce fills a result for
// one block (reused from a free list, so the steady state allocates
// nothing: a free list rather than a sync.Pool because results survive
// garbage collections). Consume must not keep the result. The first error
// of consume, or the cancellation of ctx, stops the run; every goroutine
// has returned when inOrder returns.
func inOrder[W, T any](ctx context.Context, workers, n int, newWorker func() W,
	produce func(w W, b int, out *T), consume func(*T) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type job struct {
		b   int
		out chan *T
	}
	order := make(chan chan *T, 2*workers)
	jobs := make(chan job, 2*workers)
	free := make(chan *T, 3*workers+2)
	go func() {
		defer close(jobs)
		defer close(order)
		for b := 0; b < n; b++ {
			ch := make(chan *T, 1)
			select {
			case order <- ch:
			case <-ctx.Done():
				return
			}
			jobs <- job{b, ch}
		}
	}()
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w := newWorker()
			for j := range jobs {
				if ctx.Err() != nil {
					j.out <- nil
					continue
				}
				var t *T
				select {
				case t = <-free:
				default:
					t = new(T)
				}
				produce(w, j.b, t)
				j.out <- t
			}
		}()
	}
	err := func() error {
		for ch := range order {
			t := <-ch
			if t == nil {
				return ctx.Err()
			}
			if err := consume(t); err != nil {
				return err
			}
			select {
			case free <- t:
			default:
			}
			if err := ctx.Err(); err != nil { // stop at once when canceled
				return err
			}
		}
		return ctx.Err()
	}()
	cancel()
	for range order { // let the feeder finish after an early return
	}
	wg.Wait()
	return err
}

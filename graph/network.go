package graph

import (
	"context"
	"fmt"
	"math"
	"time"
)

// PeerEvents are customer→customer actions (a referral, a message, a
// trust statement) over dense customer indices. Time, when not nil, holds
// each event's Unix time in seconds, or NoTime for an event without one,
// and is required when a half-life is set.
type PeerEvents struct {
	Src, Dst []int32
	Time     []int64
}

// NoTime in PeerEvents.Time marks an event without a time: with a
// half-life it weighs 1 (its age is unknown, so it is not decayed) and it
// does not count for the latest event time.
const NoTime = math.MinInt64

// NetworkOptions configure [NewCustomerNetwork].
type NetworkOptions struct {
	// HalfLife, when positive, decays each event's weight with its age a
	// (Now minus the event time): w = 2^(-a/HalfLife). Events later than
	// Now weigh 1 (their age is taken as 0). Zero means every event weighs 1,
	// so an edge's weight is the number of events on it.
	HalfLife time.Duration
	// Now is the reference time for ages. The zero value means the latest
	// event time in the input (events without a time aside).
	Now time.Time
}

// NewCustomerNetwork returns the directed weighted customer network on n
// customers: an edge u→v whose weight is the (optionally time-decayed)
// count of events from u to v. Parallel events are summed; self-loops are
// kept as described on [Graph].
//
// It takes O(n + m) time for m events.
func NewCustomerNetwork(ctx context.Context, n int, ev PeerEvents, opts NetworkOptions) (*Graph, error) {
	if opts.HalfLife <= 0 {
		g, err := Build(ctx, n, EdgeList{Src: ev.Src, Dst: ev.Dst})
		if err != nil {
			return nil, fmt.Errorf("customer network: %w", err)
		}
		return g, nil
	}
	if len(ev.Time) != len(ev.Src) {
		return nil, fmt.Errorf("customer network: half-life set but %d times for %d events", len(ev.Time), len(ev.Src))
	}
	w := decay(ev.Time, opts.HalfLife, opts.Now)
	g, err := Build(ctx, n, EdgeList{Src: ev.Src, Dst: ev.Dst, W: w})
	if err != nil {
		return nil, fmt.Errorf("customer network: %w", err)
	}
	return g, nil
}

// decay returns 2^(-age/halfLife) per event time (Unix seconds), 1 for
// NoTime.
func decay(ts []int64, halfLife time.Duration, now time.Time) []float64 {
	var ref int64
	if now.IsZero() {
		ref = NoTime
		for _, t := range ts {
			ref = max(ref, t)
		}
	} else {
		ref = now.Unix()
	}
	h := halfLife.Seconds()
	w := make([]float64, len(ts))
	for i, t := range ts {
		if t == NoTime {
			w[i] = 1
			continue
		}
		age := float64(ref - t)
		if age < 0 {
			age = 0
		}
		w[i] = math.Exp2(-age / h)
	}
	return w
}

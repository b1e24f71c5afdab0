package engine

import (
	"slices"
	"sync"
)

// maxCachedRecs bounds the recommendations a topCache holds (about 100 MB
// at most); once full, further lists are computed on each call and not kept.
const maxCachedRecs = 1 << 20

// topCache keeps the lists [Engine.Recommend] computed with one served
// model, by customer and n. A list is a function of the model alone (TopN
// reads only the fitted, immutable model; the titles are fixed when the
// model is installed; new events reach recommendations only through a new
// model), so a hit is exactly what recomputing would return. Installing
// another model (Train, LoadModel) starts an empty cache, and consent is
// checked on every call before the cache is read. Safe for concurrent use.
type topCache struct {
	mu    sync.RWMutex
	lists map[topKey][]Recommendation
	recs  int // recommendations held
}

type topKey struct {
	customer string
	n        int
}

// get returns a copy of the cached list, so callers may change it.
func (c *topCache) get(customer string, n int) ([]Recommendation, bool) {
	c.mu.RLock()
	l, ok := c.lists[topKey{customer, n}]
	c.mu.RUnlock()
	if !ok {
		return nil, false
	}
	return slices.Clone(l), true
}

// put keeps a copy of l.
func (c *topCache) put(customer string, n int, l []Recommendation) {
	l = slices.Clone(l)
	c.mu.Lock()
	defer c.mu.Unlock()
	k := topKey{customer, n}
	if _, ok := c.lists[k]; ok {
		return
	}
	if c.recs+len(l) > maxCachedRecs {
		return // full: what is kept (e.g. a warm-up) stays; the rest is computed
	}
	if c.lists == nil {
		c.lists = map[topKey][]Recommendation{}
	}
	c.lists[k] = l
	c.recs += len(l)
}

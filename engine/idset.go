package engine

// idSet is an open-addressing hash set of 64-bit event ids (which are
// already uniform hashes), at 8 bytes a slot and at most half full: about
// 16 bytes per distinct id, several times less than a Go map. It is not
// safe for concurrent use.
type idSet struct {
	slots []uint64
	n     int
	zero  bool   // whether id 0, the empty-slot marker, is in the set
	touch uint64 // sum of the slots addAll touched ahead; kept so the loads stay
}

// idGroup is how many ids addAll looks up ahead at once: their slots' cache
// misses overlap instead of following one another, and the group's cache
// lines (16 KB) stay in L1 until the ids are inserted.
const idGroup = 256

// add inserts id and reports whether it was new.
func (s *idSet) add(id uint64) bool {
	if 2*(s.n+1) > len(s.slots) {
		s.grow()
	}
	return s.insert(id, uint64(len(s.slots)-1))
}

// addAll adds ids in order, sets keep[i] to whether ids[i] was new (not in
// the set before, nor earlier in ids) and returns how many were not.
// keep must be as long as ids.
func (s *idSet) addAll(ids []uint64, keep []bool) (repeats int) {
	for 2*(s.n+len(ids)) > len(s.slots) {
		s.grow()
	}
	mask := uint64(len(s.slots) - 1)
	touch := s.touch
	for lo := 0; lo < len(ids); lo += idGroup {
		group := ids[lo:min(lo+idGroup, len(ids))]
		for _, id := range group {
			touch += s.slots[id&mask]
		}
		for i, id := range group {
			k := s.insert(id, mask)
			keep[lo+i] = k
			if !k {
				repeats++
			}
		}
	}
	s.touch = touch
	return repeats
}

// insert adds id to a set with room for it and reports whether it was new.
func (s *idSet) insert(id, mask uint64) bool {
	if id == 0 {
		was := s.zero
		s.zero = true
		return !was
	}
	for i := id & mask; ; i = (i + 1) & mask {
		switch s.slots[i] {
		case 0:
			s.slots[i] = id
			s.n++
			return true
		case id:
			return false
		}
	}
}

func (s *idSet) grow() { s.resize(max(1<<16, 2*len(s.slots))) }

// reserve makes room for n ids in all, so that adding them does not grow
// the set again and again: at 100M ids the moves of growth by doubling
// cost as much as the insertions.
func (s *idSet) reserve(n int) {
	size := 1 << 16
	for size < 2*n {
		size *= 2
	}
	if size > len(s.slots) {
		s.resize(size)
	}
}

// resize moves the ids into a table of size slots, a power of two.
func (s *idSet) resize(size int) {
	old := s.slots
	s.slots = make([]uint64, size)
	s.n = 0
	mask := uint64(size - 1)
	for _, id := range old {
		if id == 0 {
			continue
		}
		i := id & mask
		for s.slots[i] != 0 {
			i = (i + 1) & mask
		}
		s.slots[i] = id
		s.n++
	}
}

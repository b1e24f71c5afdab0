package engine

// idSet is an open-addressing hash set of 64-bit event ids (which are
// already uniform hashes), at 8 bytes a slot and at most half full: about
// 16 bytes per distinct id, several times less than a Go map.
type idSet struct {
	slots []uint64
	n     int
	zero  bool // whether id 0, the empty-slot marker, is in the set
}

// add inserts id and reports whether it was new.
func (s *idSet) add(id uint64) bool {
	if id == 0 {
		was := s.zero
		s.zero = true
		return !was
	}
	if 2*(s.n+1) > len(s.slots) {
		s.grow()
	}
	mask := uint64(len(s.slots) - 1)
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

func (s *idSet) grow() {
	old := s.slots
	size := max(1<<16, 2*len(old))
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

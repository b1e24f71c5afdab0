package engine

import (
	"encoding/binary"
	"hash/maphash"
	"iter"
	"unsafe"
)

// strSet is a set of strings held without Go pointers: the strings' bytes
// follow one another in one arena, each after its length as a uvarint, and
// an open-addressing table, at most half full, holds each string's hash and
// place in the arena. Next to a map[string]struct{} of millions of ids it
// gives the garbage collector nothing to scan (the ingest of 100M events
// spent more time marking such maps, once per GC cycle, than using them),
// costs 32 to 64 bytes of table plus the string and a byte per id, and a
// lookup reads one 16-byte slot and, on a hash match, the string's bytes.
// Iteration follows insertion order. It is not safe for concurrent use.
type strSet struct {
	seed  maphash.Seed
	slots []strSlot
	arena []byte
	n     int
}

// strSlot is one entry of a strSet's table.
type strSlot struct {
	hash uint64 // the string's hash with the low bit set; 0: empty slot
	off  uint64 // where the string's length starts in the arena
}

// len returns the number of strings in the set.
func (s *strSet) len() int { return s.n }

// add inserts a copy of str unless the set holds it already.
func (s *strSet) add(str string) {
	if 2*(s.n+1) > len(s.slots) {
		s.grow()
	}
	h := maphash.String(s.seed, str) | 1
	mask := uint64(len(s.slots) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		sl := &s.slots[i]
		if sl.hash == 0 {
			sl.hash, sl.off = h, uint64(len(s.arena))
			s.arena = binary.AppendUvarint(s.arena, uint64(len(str)))
			s.arena = append(s.arena, str...)
			s.n++
			return
		}
		if sl.hash == h && s.at(sl.off) == str {
			return
		}
	}
}

// has reports whether the set holds str.
func (s *strSet) has(str string) bool {
	if s.n == 0 {
		return false
	}
	h := maphash.String(s.seed, str) | 1
	mask := uint64(len(s.slots) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		sl := &s.slots[i]
		if sl.hash == 0 {
			return false
		}
		if sl.hash == h && s.at(sl.off) == str {
			return true
		}
	}
}

// at returns the string stored at off, without copying: it is valid until
// the next add.
func (s *strSet) at(off uint64) string {
	n, k := binary.Uvarint(s.arena[off:])
	b := s.arena[off+uint64(k):][:n]
	if n == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// all yields the strings in the order they were first added. The strings
// share the set's memory: they are valid until the next add, so a caller
// that keeps one copies it.
func (s *strSet) all() iter.Seq[string] {
	return func(yield func(string) bool) {
		for off := 0; off < len(s.arena); {
			n, k := binary.Uvarint(s.arena[off:])
			str := s.at(uint64(off))
			off += k + int(n)
			if !yield(str) {
				return
			}
		}
	}
}

// grow doubles the table (from 4096 slots), moving the entries by their
// stored hashes.
func (s *strSet) grow() {
	if s.slots == nil {
		s.seed = maphash.MakeSeed()
	}
	old := s.slots
	s.slots = make([]strSlot, max(1<<12, 2*len(old)))
	mask := uint64(len(s.slots) - 1)
	for _, sl := range old {
		if sl.hash == 0 {
			continue
		}
		i := sl.hash & mask
		for s.slots[i].hash != 0 {
			i = (i + 1) & mask
		}
		s.slots[i] = sl
	}
}

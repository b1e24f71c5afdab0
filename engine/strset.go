package engine

import (
	"encoding/binary"
	"hash/maphash"
	"iter"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow/array"
)

// strSet is a set of strings held without Go pointers: the strings' bytes
// follow one another in one arena, each after its length as a uvarint, and
// an open-addressing table, at most half full, holds each string's hash and
// either the string itself, when it has at most 7 bytes (most ids), or its
// place in the arena. Next to a map[string]struct{} of millions of ids it
// gives the garbage collector nothing to scan (at 100M events the ingest's
// GC spent about 9 CPU-seconds marking such maps, again every cycle),
// costs 32 to 64 bytes of table plus the string and a byte per id, and a
// lookup reads one 16-byte slot and, for a longer string whose hash
// matches, its bytes in the arena. Iteration follows insertion order. It is
// not safe for concurrent use.
type strSet struct {
	seed  maphash.Seed
	slots []strSlot
	arena []byte
	n     int
	touch uint64 // sum of the slots addColumn touched ahead; kept so the loads stay
}

// strSlot is one entry of a strSet's table.
type strSlot struct {
	hash uint64 // the string's hash with the low bit set; 0: empty slot
	ref  uint64 // inlineRef of the string, or where its length starts in the arena
}

// inlineRef packs a string of at most 7 bytes, with its length, into a
// value with the top bit set (arena offsets never have it). ok is false
// for longer strings.
func inlineRef(s string) (ref uint64, ok bool) {
	if len(s) > 7 {
		return 0, false
	}
	ref = 1<<63 | uint64(len(s))<<56
	for i := range len(s) {
		ref |= uint64(s[i]) << (8 * i)
	}
	return ref, true
}

// strGroup is how many strings addColumn hashes and looks up ahead at
// once, so that the cache misses on their slots overlap.
const strGroup = 64

// len returns the number of strings in the set.
func (s *strSet) len() int { return s.n }

// add inserts a copy of str unless the set holds it already.
func (s *strSet) add(str string) {
	if 2*(s.n+1) > len(s.slots) {
		s.grow()
	}
	s.insert(str, maphash.String(s.seed, str)|1)
}

// addColumn adds the valid values of a string column.
func (s *strSet) addColumn(col *array.String) {
	var hashes [strGroup]uint64
	for lo := 0; lo < col.Len(); lo += strGroup {
		hi := min(lo+strGroup, col.Len())
		for 2*(s.n+hi-lo) > len(s.slots) {
			s.grow()
		}
		mask := uint64(len(s.slots) - 1)
		touch := s.touch
		for i := lo; i < hi; i++ {
			if col.IsValid(i) {
				h := maphash.String(s.seed, col.Value(i)) | 1
				hashes[i-lo] = h
				touch += s.slots[h&mask].hash // start the load
			}
		}
		for i := lo; i < hi; i++ {
			if col.IsValid(i) {
				s.insert(col.Value(i), hashes[i-lo])
			}
		}
		s.touch = touch
	}
}

// insert adds str, whose hash (low bit set) is h, to a table with room for it.
func (s *strSet) insert(str string, h uint64) {
	ref, inline := inlineRef(str)
	mask := uint64(len(s.slots) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		sl := &s.slots[i]
		if sl.hash == 0 {
			off := uint64(len(s.arena))
			s.arena = binary.AppendUvarint(s.arena, uint64(len(str)))
			s.arena = append(s.arena, str...)
			if !inline {
				ref = off
			}
			sl.hash, sl.ref = h, ref
			s.n++
			return
		}
		if sl.hash == h && (inline && sl.ref == ref || !inline && sl.ref>>63 == 0 && s.at(sl.ref) == str) {
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
	ref, inline := inlineRef(str)
	mask := uint64(len(s.slots) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		sl := &s.slots[i]
		if sl.hash == 0 {
			return false
		}
		if sl.hash == h && (inline && sl.ref == ref || !inline && sl.ref>>63 == 0 && s.at(sl.ref) == str) {
			return true
		}
	}
}

// at returns the string stored at off in the arena, without copying: it is
// valid until the next add.
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

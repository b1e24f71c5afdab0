package customize

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"math"
	"os"
	"unsafe"
)

// File format of a saved model ("CNM1"), all integers little-endian:
//
//	magic    4 bytes "CNM1"
//	version  uint16 (formatVersion)
//	name     uint8 length + model name ("svd", ...)
//	length   uint64 payload length in bytes
//	payload  the training matrix (ids and ratings), then the model's parameters
//	crc      uint32 CRC-32C (Castagnoli) of every preceding byte
const (
	magic         = "CNM1"
	formatVersion = 1
)

// ErrModelFile is wrapped by every error [Load] returns for a file that is
// not a readable custnet model (foreign, truncated, corrupt or from a newer
// version); match it with errors.Is.
var ErrModelFile = errors.New("not a valid custnet model file")

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Save writes m to w in the "CNM1" format. It encodes the model twice:
// once only to count the payload's bytes, which the header gives first,
// then to w through a 1 MiB buffer, so that a model is never held a second
// time in memory (a 751 MB file at the benchmark's 100M events).
func Save(w io.Writer, m Model) error {
	size := &enc{} // no writer: counts only
	encodeMatrix(size, m.Train())
	if err := encodeModel(size, m); err != nil {
		return fmt.Errorf("save %s: %w", m.Name(), err)
	}
	name := m.Name()
	head := make([]byte, 0, 4+2+1+len(name)+8)
	head = append(head, magic...)
	head = binary.LittleEndian.AppendUint16(head, formatVersion)
	head = append(head, byte(len(name)))
	head = append(head, name...)
	head = binary.LittleEndian.AppendUint64(head, size.n)
	e := &enc{w: w, b: make([]byte, 0, encChunk)}
	e.b = append(e.b, head...)
	encodeMatrix(e, m.Train())
	if err := encodeModel(e, m); err != nil {
		return fmt.Errorf("save %s: %w", name, err)
	}
	e.flush()
	if e.err == nil && e.n != uint64(len(head))+size.n {
		// The model changed between the passes: models are immutable.
		e.err = fmt.Errorf("payload of %d bytes, counted %d", e.n-uint64(len(head)), size.n)
	}
	if e.err == nil {
		_, e.err = w.Write(binary.LittleEndian.AppendUint32(nil, e.crc))
	}
	if e.err != nil {
		return fmt.Errorf("save %s: %w", name, e.err)
	}
	return nil
}

// Load reads a model written by [Save]. A foreign, truncated or corrupt
// file is refused with an error wrapping [ErrModelFile].
func Load(r io.Reader) (Model, error) {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("load model: %w: %s", ErrModelFile, fmt.Sprintf(format, args...))
	}
	var head [7]byte
	if n, err := io.ReadFull(r, head[:]); err != nil {
		if n == 0 && err == io.EOF {
			return nil, bad("empty file")
		}
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, bad("truncated header (%d bytes)", n)
		}
		return nil, fmt.Errorf("load model: %w", err)
	}
	if string(head[:4]) != magic {
		return nil, bad("magic %q, want %q", head[:4], magic)
	}
	if v := binary.LittleEndian.Uint16(head[4:6]); v != formatVersion {
		return nil, bad("format version %d, this build reads %d", v, formatVersion)
	}
	rest := make([]byte, int(head[6])+8)
	if _, err := io.ReadFull(r, rest); err != nil {
		return nil, bad("truncated header")
	}
	name := string(rest[:head[6]])
	size := binary.LittleEndian.Uint64(rest[head[6]:])
	if size > 1<<40 {
		return nil, bad("payload length %d is implausible", size)
	}
	body, err := readBody(r, size+4)
	if err != nil {
		return nil, fmt.Errorf("load model: %w", err)
	}
	if uint64(len(body)) < size+4 {
		return nil, bad("truncated: %s payload has %d of %d bytes", name, max(len(body)-4, 0), size)
	}
	payload, sum := body[:size], binary.LittleEndian.Uint32(body[size:])
	crc := crc32.Update(crc32.Update(crc32.Checksum(head[:], castagnoli), castagnoli, rest), castagnoli, payload)
	if crc != sum {
		return nil, bad("checksum mismatch (file corrupt)")
	}
	d := &dec{b: payload}
	train := decodeMatrix(d)
	m := decodeModel(d, name, train)
	if d.err != nil {
		return nil, bad("%s payload: %v", name, d.err)
	}
	if m == nil {
		return nil, bad("unknown model %q", name)
	}
	if len(d.b) != 0 {
		return nil, bad("%d trailing payload bytes", len(d.b))
	}
	return m, nil
}

// readBody reads up to n bytes of r. When r is a regular file, it reads
// into one buffer of n bytes, or of what the file has left when that is
// less (a model of 751 MB loads in about half the time of a buffer grown by
// doubling, and a corrupt length allocates no more than the file holds);
// any other reader is read into a growing buffer.
func readBody(r io.Reader, n uint64) ([]byte, error) {
	if f, ok := r.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() {
			if at, err := f.Seek(0, io.SeekCurrent); err == nil && at <= fi.Size() {
				left := uint64(fi.Size() - at)
				b := make([]byte, min(n, left))
				k, err := io.ReadFull(f, b)
				if err == io.EOF || err == io.ErrUnexpectedEOF {
					err = nil // the file shrank: the caller finds it truncated
				}
				return b[:k], err
			}
		}
	}
	return io.ReadAll(io.LimitReader(r, int64(n)))
}

// encChunk is the size of enc's buffer (a variable for the tests).
var encChunk = 1 << 20

// enc writes little-endian values to w through the buffer b, keeping the
// CRC-32C and the count n of the bytes written; the first write error
// sticks and later values are dropped. Without a writer it only counts.
type enc struct {
	w   io.Writer
	b   []byte
	n   uint64
	crc uint32
	err error
}

// counting reports whether e only counts bytes.
func (e *enc) counting() bool { return e.w == nil }

// room makes room for k more bytes in b (flushing it when full) and
// reports whether they should be written.
func (e *enc) room(k int) bool {
	if e.counting() {
		e.n += uint64(k)
		return false
	}
	if len(e.b)+k > cap(e.b) {
		e.flush()
	}
	return e.err == nil
}

// flush writes out b.
func (e *enc) flush() {
	if e.counting() || len(e.b) == 0 {
		return
	}
	if e.err == nil {
		e.crc = crc32.Update(e.crc, castagnoli, e.b)
		e.n += uint64(len(e.b))
		_, e.err = e.w.Write(e.b)
	}
	e.b = e.b[:0]
}

func (e *enc) u32(v uint32) {
	if e.room(4) {
		e.b = binary.LittleEndian.AppendUint32(e.b, v)
	}
}
func (e *enc) u64(v uint64) {
	if e.room(8) {
		e.b = binary.LittleEndian.AppendUint64(e.b, v)
	}
}
func (e *enc) f32(v float32) { e.u32(math.Float32bits(v)) }
func (e *enc) f64(v float64) { e.u64(math.Float64bits(v)) }

// str writes a length and the bytes of s, in pieces that fit the buffer.
func (e *enc) str(s string) {
	e.u32(uint32(len(s)))
	if e.counting() {
		e.n += uint64(len(s))
		return
	}
	for len(s) > 0 && e.err == nil {
		if len(e.b) == cap(e.b) {
			e.flush()
		}
		k := min(len(s), cap(e.b)-len(e.b))
		e.b, s = append(e.b, s[:k]...), s[k:]
	}
}

// u32s writes a length and the words of v, a buffer's worth at a time.
func (e *enc) u32s(v []uint32) {
	e.u64(uint64(len(v)))
	if e.counting() {
		e.n += 4 * uint64(len(v))
		return
	}
	for len(v) > 0 && e.err == nil {
		if cap(e.b)-len(e.b) < 4 {
			e.flush()
		}
		m := min(len(v), (cap(e.b)-len(e.b))/4)
		p := e.b[len(e.b) : len(e.b)+4*m]
		for j, x := range v[:m] {
			binary.LittleEndian.PutUint32(p[4*j:], x)
		}
		e.b, v = e.b[:len(e.b)+4*m], v[m:]
	}
}

// f32s and i32s write v's bits as u32s does (the same words as
// math.Float32bits and uint32 give).
func (e *enc) f32s(v []float32) { e.u32s(words(v)) }
func (e *enc) i32s(v []int32)   { e.u32s(words(v)) }

// words returns v's memory read in place as 32-bit words.
func words[T float32 | int32](v []T) []uint32 {
	return unsafe.Slice((*uint32)(unsafe.Pointer(unsafe.SliceData(v))), len(v))
}

// dec reads what enc wrote; the first error sticks.
type dec struct {
	b   []byte
	err error
}

func (d *dec) take(n uint64) []byte {
	if d.err != nil {
		return nil
	}
	if n > uint64(len(d.b)) {
		d.err = errors.New("unexpected end of payload")
		return nil
	}
	p := d.b[:n]
	d.b = d.b[n:]
	return p
}
func (d *dec) u32() uint32 {
	if p := d.take(4); p != nil {
		return binary.LittleEndian.Uint32(p)
	}
	return 0
}
func (d *dec) u64() uint64 {
	if p := d.take(8); p != nil {
		return binary.LittleEndian.Uint64(p)
	}
	return 0
}
func (d *dec) f32() float32 { return math.Float32frombits(d.u32()) }
func (d *dec) f64() float64 { return math.Float64frombits(d.u64()) }
func (d *dec) str() string  { return string(d.take(uint64(d.u32()))) }
func (d *dec) count(width uint64) uint64 {
	n := d.u64()
	if d.err == nil && n*width > uint64(len(d.b)) {
		d.err = fmt.Errorf("length %d exceeds the payload", n)
		return 0
	}
	return n
}
func (d *dec) f32s() []float32 {
	n := d.count(4)
	p := d.take(4 * n)
	out := make([]float32, n)
	for k := range out {
		out[k] = math.Float32frombits(binary.LittleEndian.Uint32(p[4*k:]))
	}
	return out
}
func (d *dec) i32s() []int32 {
	n := d.count(4)
	p := d.take(4 * n)
	out := make([]int32, n)
	for k := range out {
		out[k] = int32(binary.LittleEndian.Uint32(p[4*k:]))
	}
	return out
}

func encodeMatrix(e *enc, m *Matrix) {
	for _, d := range []*dict{m.customers, m.items} {
		e.u64(uint64(d.len()))
		for k := range d.len() {
			e.str(d.id(int32(k)))
		}
	}
	e.i32s(m.rowPtr)
	e.i32s(m.rowIdx)
	e.f32s(m.rowVal)
}

func decodeMatrix(d *dec) *Matrix {
	var ds [2]*dict
	for k := range ds {
		n := d.count(4)
		ds[k] = &dict{ids: make([]string, 0, n), index: make(map[string]int32, n)}
		for range n {
			id := d.str()
			if d.err != nil {
				return nil
			}
			if _, dup := ds[k].index[id]; dup {
				d.err = fmt.Errorf("duplicate id %q", id)
				return nil
			}
			ds[k].index[id] = int32(len(ds[k].ids))
			ds[k].ids = append(ds[k].ids, id)
		}
	}
	ptr, idx, val := d.i32s(), d.i32s(), d.f32s()
	if d.err != nil {
		return nil
	}
	nu, ni := len(ds[0].ids), len(ds[1].ids)
	if len(ptr) != nu+1 || len(idx) != len(val) || ptr[0] != 0 || int(ptr[nu]) != len(idx) {
		d.err = errors.New("inconsistent matrix")
		return nil
	}
	rs := make([]Rating, 0, len(idx))
	for u := range nu {
		if ptr[u+1] < ptr[u] {
			d.err = errors.New("inconsistent matrix")
			return nil
		}
		for k := ptr[u]; k < ptr[u+1]; k++ {
			if idx[k] < 0 || int(idx[k]) >= ni || (k > ptr[u] && idx[k] <= idx[k-1]) {
				d.err = errors.New("inconsistent matrix")
				return nil
			}
			rs = append(rs, Rating{int32(u), idx[k], val[k]})
		}
	}
	return newMatrix(ds[0], ds[1], rs)
}

func encodeModel(e *enc, m Model) error {
	switch m := m.(type) {
	case *Baseline:
		encodeBiases(e, &m.biases)
	case *KNN:
		encodeBiases(e, &m.biases)
		b := uint32(0)
		if m.userBased {
			b = 1
		}
		e.u32(b)
		e.u32(uint32(m.k))
		e.u32(uint32(m.minK))
		e.f32s(m.sim)
	case *SVD:
		e.u32(uint32(m.f))
		e.f32(m.mu)
		e.f32s(m.bu)
		e.f32s(m.bi)
		e.f32s(m.p)
		e.f32s(m.q)
	case *ALS:
		e.u32(uint32(m.f))
		e.f32s(m.x)
		e.f32s(m.y)
	case *EASE:
		e.f32s(m.b)
	case *Popularity:
	case *Blend:
		b := uint32(0)
		if m.supports {
			b = 1
		}
		e.u32(b)
		e.u64(uint64(len(m.w)))
		for _, w := range m.w {
			e.f64(w)
		}
		e.u32(uint32(len(m.members)))
		for _, p := range m.members {
			e.str(p.Name())
			if err := encodeModel(e, p); err != nil {
				return err
			}
		}
	default:
		return fmt.Errorf("model type %T cannot be saved", m)
	}
	return nil
}

func encodeBiases(e *enc, b *biases) {
	e.f32(b.mu)
	e.f32s(b.bu)
	e.f32s(b.bi)
}

func decodeBiases(d *dec, t *Matrix) biases {
	b := biases{train: t, mu: d.f32(), bu: d.f32s(), bi: d.f32s()}
	if d.err == nil && (len(b.bu) != t.Customers() || len(b.bi) != t.Items()) {
		d.err = errors.New("bias vectors do not match the matrix")
	}
	return b
}

// decodeModel decodes the named model's parameters; nil for an unknown
// name. Errors are left in d.err.
func decodeModel(d *dec, name string, t *Matrix) Model {
	if d.err != nil {
		return nil
	}
	sized := func(v []float32, n int, what string) []float32 {
		if d.err == nil && len(v) != n {
			d.err = fmt.Errorf("%s has %d values, want %d", what, len(v), n)
		}
		return v
	}
	var m Model
	switch name {
	case "baseline":
		b := &Baseline{biases: decodeBiases(d, t)}
		b.init()
		m = b
	case "knn-baseline", "knn-user":
		k := &KNN{biases: decodeBiases(d, t)}
		k.userBased = d.u32() == 1
		k.k, k.minK = int(d.u32()), int(d.u32())
		k.n = t.Items()
		if k.userBased {
			k.n = t.Customers()
		}
		k.sim = sized(d.f32s(), k.n*k.n, "similarity matrix")
		if d.err == nil && (k.k < 1 || k.userBased != (name == "knn-user")) {
			d.err = errors.New("inconsistent knn settings")
		}
		if d.err != nil {
			return nil
		}
		k.residuals()
		k.init()
		m = k
	case "svd", "svdpp":
		s := &SVD{train: t, name: name, f: int(d.u32()), mu: d.f32()}
		s.bu = sized(d.f32s(), t.Customers(), "customer biases")
		s.bi = sized(d.f32s(), t.Items(), "item biases")
		s.p = sized(d.f32s(), t.Customers()*s.f, "customer factors")
		s.q = sized(d.f32s(), t.Items()*s.f, "item factors")
		s.init()
		m = s
	case "als-implicit":
		a := &ALS{train: t, f: int(d.u32())}
		a.x = sized(d.f32s(), t.Customers()*a.f, "customer factors")
		a.y = sized(d.f32s(), t.Items()*a.f, "item factors")
		a.init()
		m = a
	case "ease":
		e := &EASE{train: t, n: t.Items()}
		e.b = sized(d.f32s(), e.n*e.n, "weights")
		e.init()
		m = e
	case "popularity":
		p, _ := PopularityOptions{}.Fit(context.Background(), t)
		m = p
	case "blend":
		b := &Blend{train: t, supports: d.u32() == 1}
		nw := d.count(8)
		for range nw {
			b.w = append(b.w, d.f64())
		}
		nm := d.u32()
		if nm > 64 {
			d.err = fmt.Errorf("%d members", nm)
		}
		for range nm {
			if d.err != nil {
				return nil
			}
			mname := d.str()
			if mname == "blend" {
				d.err = errors.New("nested blend")
				return nil
			}
			mm := decodeModel(d, mname, t)
			p, ok := mm.(Predictor)
			if d.err == nil && !ok {
				d.err = fmt.Errorf("member %q does not predict ratings", mname)
			}
			if d.err != nil {
				return nil
			}
			b.members = append(b.members, p)
		}
		b.setSupports()
		if d.err == nil && len(b.w) != b.nFeatures() {
			d.err = fmt.Errorf("%d weights, want %d", len(b.w), b.nFeatures())
		}
		b.init()
		m = b
	default:
		if d.err == nil {
			d.err = fmt.Errorf("unknown model %q", name)
		}
		return nil
	}
	if d.err != nil {
		return nil
	}
	return m
}

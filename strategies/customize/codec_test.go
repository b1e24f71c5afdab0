package customize

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

func TestSaveLoad(t *testing.T) {
	m := randomMatrix(t, 4, 40, 30, 20)
	for _, alg := range smallAlgorithms() {
		mod, err := Fit(context.Background(), m, alg)
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := Save(&buf, mod); err != nil {
			t.Fatal(err)
		}
		file := buf.Bytes()
		t.Run(alg.Name()+" round-trips to identical answers", func(t *testing.T) {
			got, err := Load(bytes.NewReader(file))
			if err != nil {
				t.Fatal(err)
			}
			if got.Name() != mod.Name() {
				t.Fatalf("name %q, want %q", got.Name(), mod.Name())
			}
			if got.Train().CustomerID(3) != m.CustomerID(3) || got.Train().Len() != m.Len() {
				t.Fatal("training matrix differs")
			}
			for u := range int32(m.Customers()) {
				if a, b := mod.TopN(u, 7, true), got.TopN(u, 7, true); !slices.Equal(a, b) {
					t.Fatalf("u%d: TopN %v after load, %v before", u, b, a)
				}
				if p, ok := mod.(Predictor); ok {
					for i := range int32(m.Items()) {
						if a, b := p.Predict(u, i), got.(Predictor).Predict(u, i); a != b {
							t.Fatalf("Predict(%d,%d) = %v after load, %v before", u, i, b, a)
						}
					}
				}
			}
		})
		t.Run(alg.Name()+" refuses every truncation", func(t *testing.T) {
			for _, n := range []int{0, 3, 6, 10, 20, len(file) / 2, len(file) - 5, len(file) - 1} {
				_, err := Load(bytes.NewReader(file[:n]))
				if !errors.Is(err, ErrModelFile) {
					t.Fatalf("cut at %d of %d: err %v, want ErrModelFile", n, len(file), err)
				}
			}
		})
		t.Run(alg.Name()+" writes the same bytes through any buffer size", func(t *testing.T) {
			defer func(c int) { encChunk = c }(encChunk)
			for _, c := range []int{8, 13, 4096} {
				encChunk = c
				var small bytes.Buffer
				if err := Save(&small, mod); err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(small.Bytes(), file) {
					t.Fatalf("buffer of %d bytes: %d bytes written, differing from the %d written through 1 MiB", c, small.Len(), len(file))
				}
			}
		})
		t.Run(alg.Name()+" reports a failing writer", func(t *testing.T) {
			defer func(c int) { encChunk = c }(encChunk)
			encChunk = 16
			for _, k := range []int{0, 5, 16, 100, len(file) - 4, len(file) - 1} {
				w := &failingWriter{left: k}
				if err := Save(w, mod); !errors.Is(err, errDiskFull) {
					t.Fatalf("writer failing after %d of %d bytes: err %v", k, len(file), err)
				}
			}
		})
		t.Run(alg.Name()+" loads from a file and refuses a truncated file", func(t *testing.T) {
			dir := t.TempDir()
			for _, n := range []int{len(file), 10, 20, len(file) / 2, len(file) - 1} {
				path := filepath.Join(dir, fmt.Sprintf("m%d.cnm", n))
				if err := os.WriteFile(path, file[:n], 0o644); err != nil {
					t.Fatal(err)
				}
				f, err := os.Open(path)
				if err != nil {
					t.Fatal(err)
				}
				got, err := Load(f)
				f.Close()
				if n == len(file) {
					if err != nil || got.Train().Len() != m.Len() {
						t.Fatalf("whole file: err %v", err)
					}
				} else if !errors.Is(err, ErrModelFile) || (n > 20 && !strings.Contains(err.Error(), "truncated")) {
					t.Fatalf("cut at %d of %d: err %v, want a truncation", n, len(file), err)
				}
			}
		})
		t.Run(alg.Name()+" refuses a flipped byte", func(t *testing.T) {
			bad := slices.Clone(file)
			bad[len(bad)/2] ^= 0x40
			if _, err := Load(bytes.NewReader(bad)); !errors.Is(err, ErrModelFile) || !strings.Contains(err.Error(), "checksum") {
				t.Fatalf("err %v, want a checksum error", err)
			}
		})
	}
	t.Run("a foreign file is refused by its magic", func(t *testing.T) {
		_, err := Load(strings.NewReader("PK\x03\x04 this is a zip file, not a model"))
		if !errors.Is(err, ErrModelFile) || !strings.Contains(err.Error(), "magic") {
			t.Fatalf("err %v", err)
		}
	})
	t.Run("a newer format version is refused", func(t *testing.T) {
		_, err := Load(strings.NewReader("CNM1\x09\x00\x03svd"))
		if !errors.Is(err, ErrModelFile) || !strings.Contains(err.Error(), "version") {
			t.Fatalf("err %v", err)
		}
	})
}

var errDiskFull = errors.New("disk full")

// failingWriter accepts left bytes, then fails.
type failingWriter struct{ left int }

func (w *failingWriter) Write(p []byte) (int, error) {
	if len(p) > w.left {
		n := w.left
		w.left = 0
		return n, errDiskFull
	}
	w.left -= len(p)
	return len(p), nil
}

// TestSaveWritesTheDocumentedBytes builds the file of a small popularity
// model (which has no parameters: the payload is the training matrix) by
// hand from the format described in codec.go, and compares Save's bytes
// with it.
func TestSaveWritesTheDocumentedBytes(t *testing.T) {
	b := NewBuilder()
	b.Add("c1", "i1", 4)
	b.Add("c2", "i2", 3)
	b.Add("c1", "i2", 5)
	m, _, err := b.Finish()
	if err != nil {
		t.Fatal(err)
	}
	mod, err := PopularityOptions{}.Fit(context.Background(), m)
	if err != nil {
		t.Fatal(err)
	}
	le := binary.LittleEndian
	var payload []byte
	for _, ids := range [][]string{{"c1", "c2"}, {"i1", "i2"}} {
		payload = le.AppendUint64(payload, uint64(len(ids)))
		for _, id := range ids {
			payload = append(le.AppendUint32(payload, uint32(len(id))), id...)
		}
	}
	words := func(ws ...uint32) {
		payload = le.AppendUint64(payload, uint64(len(ws)))
		for _, w := range ws {
			payload = le.AppendUint32(payload, w)
		}
	}
	words(0, 2, 3) // row offsets: c1 rated two items, c2 one
	words(0, 1, 1) // items of c1 (i1, i2), then of c2 (i2)
	words(math.Float32bits(4), math.Float32bits(5), math.Float32bits(3))
	want := append([]byte("CNM1"), 1, 0, byte(len("popularity")))
	want = append(want, "popularity"...)
	want = append(le.AppendUint64(want, uint64(len(payload))), payload...)
	want = le.AppendUint32(want, crc32.Checksum(want, crc32.MakeTable(crc32.Castagnoli)))
	var got bytes.Buffer
	if err := Save(&got, mod); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Bytes(), want) {
		t.Fatalf("Save wrote\n% x\nwant\n% x", got.Bytes(), want)
	}
}

func TestLoadFileWithImplausibleLength(t *testing.T) {
	// A header claiming 2^39 bytes of payload in a file of a few bytes is
	// found truncated, without allocating what the header claims.
	head := binary.LittleEndian.AppendUint64([]byte("CNM1\x01\x00\x03svd"), 1<<39)
	path := filepath.Join(t.TempDir(), "big.cnm")
	if err := os.WriteFile(path, append(head, "0123456789"...), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err = Load(f)
	runtime.ReadMemStats(&after)
	if !errors.Is(err, ErrModelFile) || !strings.Contains(err.Error(), "truncated") {
		t.Fatalf("err %v, want a truncation", err)
	}
	if got := after.TotalAlloc - before.TotalAlloc; got > 1<<20 {
		t.Fatalf("Load allocated %d bytes for a file of %d", got, len(head)+10)
	}
}

// FuzzLoad checks that arbitrary bytes never crash Load.
func FuzzLoad(f *testing.F) {
	m := randomMatrix(f, 4, 6, 5, 4)
	for _, alg := range []Algorithm{DefaultBaseline(), PopularityOptions{}} {
		mod, _ := Fit(context.Background(), m, alg)
		var buf bytes.Buffer
		_ = Save(&buf, mod)
		f.Add(buf.Bytes())
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		mod, err := Load(bytes.NewReader(b))
		if err == nil {
			mod.TopN(0, 3, true)
		}
	})
}

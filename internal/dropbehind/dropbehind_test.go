package dropbehind

import (
	"bytes"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

// write sends data to w in pieces of random sizes.
func write(t *testing.T, w *Writer, data []byte) {
	t.Helper()
	rng := rand.New(rand.NewPCG(1, 2))
	for len(data) > 0 {
		k := min(len(data), 1+rng.IntN(300_000))
		n, err := w.Write(data[:k])
		if err != nil || n != k {
			t.Fatalf("wrote %d of %d: %v", n, k, err)
		}
		data = data[k:]
	}
}

func TestWriterKeepsEveryByte(t *testing.T) {
	data := make([]byte, 5<<20+12345)
	for i := range data {
		data[i] = byte(i*7 + i>>13)
	}
	path := filepath.Join(t.TempDir(), "out")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := New(f)
	w.window = 1 << 20
	write(t, w, data)
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, data) {
		t.Fatalf("file differs from what was written (%d bytes, want %d)", len(got), len(data))
	}
	if runtime.GOOS == "linux" && (w.through || w.started != 5<<20) {
		t.Errorf("write-back requested for %d bytes (written through: %v), want %d", w.started, w.through, 5<<20)
	}
}

func TestWriterWritesThroughPipes(t *testing.T) {
	r, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	data := bytes.Repeat([]byte("x"), 3<<20)
	done := make(chan []byte)
	go func() {
		var b bytes.Buffer
		b.ReadFrom(r)
		done <- b.Bytes()
	}()
	w := New(pw)
	w.window = 1 << 20
	write(t, w, data)
	pw.Close()
	if got := <-done; !bytes.Equal(got, data) {
		t.Fatalf("pipe got %d bytes, want %d", len(got), len(data))
	}
	if !w.through {
		t.Errorf("drop-behind still on for a pipe")
	}
}

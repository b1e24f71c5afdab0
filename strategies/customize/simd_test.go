package customize

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestKernelsAgreeWithPureGo(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{0, 1, 7, 8, 9, 16, 20, 33, 100, 257} {
		a, b := make([]float32, n), make([]float32, n)
		for k := range a {
			a[k], b[k] = rng.Float32()-0.5, rng.Float32()-0.5
		}
		t.Run("dot of length "+itoa(n)+" matches", func(t *testing.T) {
			if got, want := dot32(a, b), dot32Go(a, b); !near(float64(got), float64(want), 1e-5) {
				t.Fatalf("dot32 %v, pure Go %v", got, want)
			}
		})
		t.Run("sgd step of length "+itoa(n)+" matches", func(t *testing.T) {
			p1, q1 := append([]float32(nil), a...), append([]float32(nil), b...)
			p2, q2 := append([]float32(nil), a...), append([]float32(nil), b...)
			sgdStep(p1, q1, 0.999, 0.01)
			sgdStepGo(p2, q2, 0.999, 0.01)
			for k := range p1 {
				if !near(float64(p1[k]), float64(p2[k]), 1e-6) || !near(float64(q1[k]), float64(q2[k]), 1e-6) {
					t.Fatalf("k=%d: %v %v, pure Go %v %v", k, p1[k], q1[k], p2[k], q2[k])
				}
			}
		})
	}
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}

// TestTouchRowReadsEveryLine checks that touchRow sums the bits of one
// number of every 16 (64 bytes of float32) and of the last: were it to
// read fewer, the fit's read-ahead would leave lines of each factor row to
// miss later.
func TestTouchRowReadsEveryLine(t *testing.T) {
	for _, n := range []int{0, 1, 15, 16, 17, 100, 128} {
		xs := make([]float32, n)
		for k := range xs {
			xs[k] = float32(k + 1)
		}
		var want uint32
		for k := 0; k < n; k += 16 {
			want += math.Float32bits(xs[k])
		}
		if n > 0 {
			want += math.Float32bits(xs[n-1])
		}
		if got := touchRow(xs); got != want {
			t.Errorf("touchRow of %d numbers = %#x, want %#x", n, got, want)
		}
	}
}

//go:build amd64 && !purego

package customize

import (
	"math/rand/v2"
	"strconv"
	"testing"
)

// The AVX-512 and AVX2 kernels must give bit-identical scores, so that a
// customer's list does not depend on which one ranked it.
func TestStripKernelsAreBitIdentical(t *testing.T) {
	if !useAVX512 || !useAVX2 {
		t.Skip("needs AVX-512 and AVX2")
	}
	rng := rand.New(rand.NewPCG(7, 8))
	for _, f := range []int{1, 3, 16, 100} {
		t.Run("f="+strconv.Itoa(f)+" agrees", func(t *testing.T) {
			const ns = 4
			pk := randFloats(rng, blockRows*f)
			q := randFloats(rng, ns*f*stripWidth)
			bias := randFloats(rng, ns*stripWidth)
			w := ns * stripWidth
			a, b := make([]float32, blockRows*w), make([]float32, blockRows*w)
			strips8AVX512(&pk[0], f, &q[0], ns, &bias[0], &a[0], w)
			strips4AVX2(&pk[0], f, &q[0], ns, &bias[0], &b[0], w)
			strips4AVX2(&pk[4], f, &q[0], ns, &bias[0], &b[4*w], w)
			for k := range a {
				if a[k] != b[k] {
					t.Fatalf("score %d: AVX-512 %v, AVX2 %v", k, a[k], b[k])
				}
			}
		})
	}
}

func TestScoreStripsWithoutAVX512(t *testing.T) {
	if !useAVX512 {
		t.Skip("AVX2 path already tested")
	}
	useAVX512 = false
	defer func() { useAVX512 = true }()
	TestScoreStripsMatchesPureGo(t)
}

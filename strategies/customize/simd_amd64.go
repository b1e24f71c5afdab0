//go:build amd64 && !purego

package customize

import "golang.org/x/sys/cpu"

// useAVX2 selects the AVX2+FMA kernels of simd_amd64.s.
var useAVX2 = cpu.X86.HasAVX2 && cpu.X86.HasFMA

//go:noescape
func dotAVX(a, b *float32, n int) float32

//go:noescape
func sgdStepAVX(p, q *float32, n int, decay, step float32)

// dot32 returns Σ a[k]·b[k] over len(a) (b must be at least as long).
func dot32(a, b []float32) float32 {
	n := len(a) &^ 7
	if !useAVX2 || n == 0 || len(b) < len(a) {
		return dot32Go(a, b)
	}
	return dotAVX(&a[0], &b[0], n) + dot32Go(a[n:], b[n:])
}

// sgdStep applies p = decay·p + g·q, q = decay·q + g·p_old elementwise
// (q must be at least as long as p).
func sgdStep(p, q []float32, decay, g float32) {
	n := len(p) &^ 7
	if !useAVX2 || n == 0 || len(q) < len(p) {
		sgdStepGo(p, q, decay, g)
		return
	}
	sgdStepAVX(&p[0], &q[0], n, decay, g)
	sgdStepGo(p[n:], q[n:], decay, g)
}

//go:build amd64 && !purego

package customize

import "golang.org/x/sys/cpu"

// useAVX512 selects the 8-customer AVX-512 kernel of factor_amd64.s.
var useAVX512 = cpu.X86.HasAVX512F

// strips4AVX2 is scoreStripsGo for rows 0–3; f ≥ 1, ns ≥ 1.
//
//go:noescape
func strips4AVX2(pk *float32, f int, q *float32, ns int, bias, out *float32, ostride int)

// strips8AVX512 is scoreStripsGo for rows 0–7; f ≥ 1, ns ≥ 2 and even.
//
//go:noescape
func strips8AVX512(pk *float32, f int, q *float32, ns int, bias, out *float32, ostride int)

// scoreStrips scores rows (≤ blockRows) customers against ns strips; see
// scoreStripsGo. Every kernel computes each score by the same sequence of
// single-precision fused multiply-adds, so which one runs (and how many
// rows it scores) never changes a result.
func scoreStrips(pk []float32, rows, f int, q []float32, ns int, bias, out []float32, ostride int) {
	if f < 1 || ns < 1 {
		scoreStripsGo(pk, rows, f, q, ns, bias, out, ostride)
		return
	}
	_ = pk[blockRows*f-1]
	_ = q[ns*f*stripWidth-1]
	_ = bias[ns*stripWidth-1]
	switch {
	case useAVX512 && rows > 4 && ns%2 == 0 && len(out) >= (blockRows-1)*ostride+ns*stripWidth:
		strips8AVX512(&pk[0], f, &q[0], ns, &bias[0], &out[0], ostride)
	case useAVX2:
		_ = out[3*ostride+ns*stripWidth-1]
		strips4AVX2(&pk[0], f, &q[0], ns, &bias[0], &out[0], ostride)
		if rows > 4 {
			_ = out[(blockRows-1)*ostride+ns*stripWidth-1]
			strips4AVX2(&pk[4], f, &q[0], ns, &bias[0], &out[4*ostride], ostride)
		}
	default:
		scoreStripsGo(pk, rows, f, q, ns, bias, out, ostride)
	}
}

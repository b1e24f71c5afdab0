//go:build !amd64 || purego

package customize

// scoreStrips scores rows (≤ blockRows) customers against ns strips; see
// scoreStripsGo.
func scoreStrips(pk []float32, rows, f int, q []float32, ns int, bias, out []float32, ostride int) {
	scoreStripsGo(pk, rows, f, q, ns, bias, out, ostride)
}

//go:build !amd64 || purego

package customize

func dot32(a, b []float32) float32 { return dot32Go(a, b) }

func sgdStep(p, q []float32, decay, g float32) { sgdStepGo(p, q, decay, g) }

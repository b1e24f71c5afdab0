//go:build !linux

package suite

// watchRSS is a no-op where /proc is missing: the cap is not enforced.
func watchRSS(pid int, capMB float64) func() string { return func() string { return "" } }

//go:build race

package customize

// raceEnabled is true when tests are built with -race. The race detector
// makes sync.Pool drop items at random, so allocation counts mean nothing.
const raceEnabled = true

// Package rss reads the process's peak resident memory (Linux VmHWM) and
// resets it, so that one benchmark process can report the peak of each of
// its sizes rather than of the whole run.
package rss

import (
	"bytes"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
)

// Peak returns the process's peak resident set size in bytes since it
// started or since the last [Measure], from /proc/self/status (VmHWM);
// 0 where the system does not say.
func Peak() int64 { return statusBytes("VmHWM:") }

// current returns the process's resident set size in bytes (VmRSS), 0
// where the system does not say.
func current() int64 { return statusBytes("VmRSS:") }

// resetPeak sets the peak to the current resident set size (Linux 4.0 and
// later: "5" written to /proc/self/clear_refs) and reports whether it
// could.
func resetPeak() bool {
	return os.WriteFile("/proc/self/clear_refs", []byte("5"), 0) == nil
}

// Measure returns the Go heap's garbage to the system, resets the peak and
// returns a function giving the process's peak resident memory since, in
// bytes (what was resident at the reset included), or 0 where the peak
// cannot be reset or read.
func Measure() func() int64 {
	runtime.GC()
	debug.FreeOSMemory()
	if !resetPeak() {
		return func() int64 { return 0 }
	}
	return Peak
}

// statusBytes returns the "kB" field of /proc/self/status that starts with
// prefix, in bytes, or 0.
func statusBytes(prefix string) int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for line := range bytes.Lines(b) {
		if v, ok := bytes.CutPrefix(line, []byte(prefix)); ok {
			kb, err := strconv.ParseInt(string(bytes.TrimSpace(bytes.TrimSuffix(bytes.TrimSpace(v), []byte("kB")))), 10, 64)
			if err != nil {
				return 0
			}
			return kb << 10
		}
	}
	return 0
}

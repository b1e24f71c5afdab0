//go:build unix

package suite

import (
	"os"
	"runtime"
	"syscall"
)

// maxRSSBytes is the peak resident set of a finished child and of the
// children it waited for (wait4's rusage maxrss).
func maxRSSBytes(ps *os.ProcessState) int64 {
	ru, ok := ps.SysUsage().(*syscall.Rusage)
	if !ok {
		return 0
	}
	if runtime.GOOS == "darwin" || runtime.GOOS == "ios" {
		return int64(ru.Maxrss) // bytes there
	}
	return int64(ru.Maxrss) * 1024 // KiB on Linux and the BSDs
}

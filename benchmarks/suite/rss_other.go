//go:build !unix

package suite

import "os"

// maxRSSBytes is not measured on this system.
func maxRSSBytes(*os.ProcessState) int64 { return 0 }

//go:build !unix

package cputime

import "time"

// Process returns 0: this system offers no process CPU time here.
func Process() time.Duration { return 0 }

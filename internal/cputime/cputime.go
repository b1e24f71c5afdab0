// Package cputime reads the CPU time the process has used, so that
// benchmarks on a shared, busy machine can report CPU time beside wall time.
package cputime
